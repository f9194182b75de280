/*
 * What a role application gets from the runtime, and what it must provide.
 * Apps never construct transports or read globals: the runtime hands them a
 * context, which is what lets the same app run on ESP32, in the host
 * simulator and in XS tests.
 */
import type { Config } from "../runtime/config";
import type { Logger, TaggedLog } from "../runtime/logger";
import type { Scheduler } from "../runtime/scheduler";
import type { MqttSession } from "../net/session";
import type { Commands } from "../runtime/commands";
import type { PartState } from "../contract/payloads";

export interface AppContext {
	deviceId: string;
	config: Config;
	logger: Logger;
	log: TaggedLog;
	scheduler: Scheduler;
	session: MqttSession;
	/** Persists a telemetry or event record in the outbox (sent in batches, kept until acked). @returns its seq, or undefined when it could not be kept (already logged) */
	record(kind: string, data: Record<string, unknown>): number | undefined;
	/** Epoch ms now, or undefined until the clock is synced from the cloud (firmware/net/clock-sync.ts). */
	epoch(): number | undefined;
	/** This boot's number (NVS), which [boot, ticks] record times refer to. */
	bootCount: number;
	/** Where an app registers its own commands. */
	commands: Commands;
	/** Safe mode (boot loop on a confirmed image): network, OTA and logs only; the app parks its outputs at their fail-safe state. */
	safeMode: boolean;
}

/** An app's answer to "do you work?" during an OTA trial boot (firmware/ota/trial.ts). */
export interface SelfTest {
	state: "pass" | "pending" | "fail";
	/** what passed, what is awaited, or what failed */
	detail: string;
}

export interface App {
	/** Starts sampling/rendering. Called once after the runtime is up. */
	start(): void;
	/** Parks the hardware and stops every task. Safe to call twice. */
	stop(): void;
	/** State of each fitted part, for the health record (light pole). */
	parts?(): Record<string, PartState>;
	/**
	 * OTA trial boot: whether the app does its job (stop sign rendered, pole sensors sane). Absent = nothing to check.
	 * `required`: the parts that worked under the previous image (undefined when unknown).
	 */
	selfTest?(required?: readonly string[]): SelfTest;
	/** An update is downloading or applying (a pole's lamp holds its fail-safe level through the reboot). */
	otaBusy?(busy: boolean): void;
	/** A message on a topic this app subscribed to. */
	onMessage?(topic: string, payload: Uint8Array): void;
}

export type AppFactory = (context: AppContext) => App;
