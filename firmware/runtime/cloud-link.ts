/*
 * Everything the device exchanges with the cloud beyond birth and health,
 * assembled in one place: the flash outbox and its uplink, time sync,
 * commands with replay protection, remote config, remote logs. It owns the
 * device's control subscriptions and routes their messages; anything else
 * goes to the role app.
 */
import Flash from "flash";
import Preference from "preference";
import Time from "time";
import { decodePayload, encodePayload } from "../contract/codec";
import { validateRecordData } from "../contract/telemetry";
import { compact } from "../contract/validate";
import { deviceTopic, parseTopic, TIME_TOPIC } from "../contract/topics";
import { ClockSync } from "../net/clock-sync";
import { FlashRing } from "../net/outbox/ring";
import type { MqttSession } from "../net/session";
import { Uplink } from "../net/uplink";
import { Commands } from "./commands";
import type { Config } from "./config";
import { describeError } from "./errors";
import type { Logger, TaggedLog } from "./logger";
import { RemoteConfig } from "./remote-config";
import { RemoteLog } from "./remote-log";
import { ReplayGuard } from "./replay-guard";

/** NVS floor for outbox seqs, so even a reformatted partition never reuses a seq the cloud has. */
const SEQ_DOMAIN = "sys";
const SEQ_KEY = "obSeq";

export interface CloudLinkOptions {
	deviceId: string;
	bootCount: number;
	config: Config;
	logger: Logger;
	session: MqttSession;
	/** flash partition of the outbox @default "outbox" */
	partition?: string;
}

export class CloudLink {
	readonly clock: ClockSync;
	readonly ring: FlashRing | undefined;
	readonly uplink: Uplink | undefined;
	readonly commands: Commands;
	readonly remoteConfig: RemoteConfig;
	readonly remoteLog: RemoteLog;
	#o: CloudLinkOptions;
	#topics: { ack: string; cmd: string; desired: string };
	#reported = false;
	#log: TaggedLog;
	#uplinkLog: TaggedLog;

	constructor(o: CloudLinkOptions) {
		this.#o = o;
		const { config, logger, session, deviceId } = o;
		const log = (this.#log = logger.tagged("cloud"));
		this.#uplinkLog = logger.tagged("uplink");
		this.clock = new ClockSync({ onSync: (t0, rtt) => log.info(`clock synced: ${new Date(t0 + Time.ticks).toISOString()} (rtt ${rtt === Infinity ? "unknown" : rtt + " ms"})`) });

		let uplink: Uplink | undefined;
		try {
			const floor = Preference.get(SEQ_DOMAIN, SEQ_KEY);
			const ring = new FlashRing(new Flash(o.partition ?? "outbox"), {
				seqFloor: typeof floor === "number" ? floor : undefined,
				onSectorOpened: (firstSeq) => Preference.set(SEQ_DOMAIN, SEQ_KEY, firstSeq),
				onDrop: (first, last, count) => uplink?.noteDrop(first, last, count),
			});
			this.ring = ring;
			const s = ring.stats;
			log.info(`outbox: ${s.pending} pending record(s), next seq ${s.nextSeq}${s.torn ? `, ${s.torn} torn write(s) recovered` : ""}`);
			uplink = new Uplink({
				ring,
				session,
				clock: this.clock,
				deviceId,
				bootCount: o.bootCount,
				log: this.#uplinkLog,
				delayMs: config.get("upDelayMs"),
				maxRecords: config.get("upMaxRecords"),
				ackTimeoutMs: config.get("ackTimeoutMs"),
			});
			this.uplink = uplink;
		} catch (e) {
			// No outbox: telemetry cannot be kept, but commands, config and the app still work.
			log.error(`outbox unavailable, telemetry will not be kept: ${describeError(e)}`);
		}

		const guard = new ReplayGuard();
		if (guard.loadError) log.warn(guard.loadError);
		this.commands = new Commands({
			guard,
			now: () => this.clock.now(),
			reply: (result) => session.publish(deviceTopic(deviceId, "cmd/res"), encodePayload("cmd/res", result)),
			log: logger.tagged("cmd"),
		});
		this.remoteConfig = new RemoteConfig({
			config,
			report: (reported) => session.publish(deviceTopic(deviceId, "cfg/reported"), encodePayload("cfg/reported", reported), { retain: true }),
			log: logger.tagged("config"),
		});
		this.remoteLog = new RemoteLog({
			logger,
			bootCount: o.bootCount,
			epochAtTick0: () => this.clock.epochAtTick0,
			publish: (payload) => session.publish(deviceTopic(deviceId, "log"), payload, { bulk: true }),
			minIntervalMs: () => config.get("logRateMs"),
		});
		this.#topics = { ack: deviceTopic(deviceId, "ack"), cmd: deviceTopic(deviceId, "cmd"), desired: deviceTopic(deviceId, "cfg/desired") };
		config.onChange((keys) => {
			if (keys.some((k) => k === "upDelayMs" || k === "upMaxRecords" || k === "ackTimeoutMs"))
				this.uplink?.configure({ delayMs: config.get("upDelayMs"), maxRecords: config.get("upMaxRecords"), ackTimeoutMs: config.get("ackTimeoutMs") });
		});
		for (const topic of [this.#topics.ack, this.#topics.cmd, this.#topics.desired, TIME_TOPIC]) session.subscribe(topic);
		this.#builtins();
	}

	/** Handles a control message. @returns false when the topic is not ours (the app's) */
	route(topic: string, payload: Uint8Array): boolean {
		const log = this.#log;
		if (topic === this.#topics.cmd) this.commands.handle(payload);
		else if (topic === this.#topics.desired) this.remoteConfig.handle(payload);
		else if (topic === this.#topics.ack) {
			try {
				this.uplink?.onAck(decodePayload("ack", payload));
			} catch (e) {
				log.warn(`ack ignored: ${describeError(e)}`);
			}
		} else if (parseTopic(topic)?.kind === "time") {
			try {
				this.clock.beacon(decodePayload("time", payload).now);
			} catch (e) {
				log.warn(`time beacon ignored: ${describeError(e)}`);
			}
		} else return false;
		return true;
	}

	onUp(): void {
		// Once per boot, so the cloud sees keys that were pending a reboot take effect.
		if (!this.#reported) {
			this.#reported = true;
			this.remoteConfig.reportCurrent();
		}
		this.uplink?.onUp();
	}

	onDown(): void {
		this.uplink?.onDown();
	}

	/**
	 * Persists one telemetry or event record, after checking it against the
	 * contract's allowlist (firmware/contract/telemetry.ts): an unknown kind,
	 * an unknown field or a non-finite number never reaches flash. Undefined
	 * fields are dropped here, so apps may pass optional values as they are.
	 * @returns its seq, or undefined when it could not be kept (logged)
	 */
	record(kind: string, data: Record<string, unknown>): number | undefined {
		if (!this.uplink) return undefined;
		try {
			const fields = compact(data);
			validateRecordData(kind, fields);
			return this.uplink.record(kind, fields as never);
		} catch (e) {
			this.#uplinkLog.error(`record ${kind} not kept: ${describeError(e)}`);
			return undefined;
		}
	}

	/** Whether the cloud acked outbox record `seq`: proof of an end-to-end MQTT round trip (OTA trial boot). */
	acked(seq: number): boolean {
		const ring = this.ring;
		if (!ring || seq >= ring.stats.nextSeq) return false;
		const next = ring.pending(seq - 1, 1, 0x7fffffff);
		return !(next.length > 0 && next[0].seq === seq);
	}

	stop(): void {
		this.uplink?.stop();
		this.remoteLog.stop();
	}

	#builtins(): void {
		const c = this.commands;
		c.register("ping", () => ({ uptimeS: Math.floor(Time.ticks / 1000), t: this.clock.now() ?? null }));
		c.register("logs", () => {
			const r = this.remoteLog.push("request");
			return r.sent ? { entries: r.entries } : { entries: 0, retryInMs: r.retryInMs ?? 0 };
		});
		c.register("outbox", () => {
			if (!this.ring || !this.uplink) throw new Error("outbox unavailable");
			return { ...this.ring.stats, ...this.uplink.stats } as never;
		});
	}
}
