/*
 * One simulated device: the real firmware bundle running in its own realm
 * (node:vm context: own globals, own `device`, own storage), on a bridge that
 * gives it a clock, NVS, flash partitions and a real MQTT link. Many devices
 * share one process and one clock. Node only.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import vm from "node:vm";
import { MemoryFlash, MemoryNvs, DEFAULT_PARTITIONS } from "./bridge/memory";
import { FileFlash, FileNvs } from "./bridge/node-storage";
import { NodeNet } from "./bridge/node-net";
import { BRIDGE_KEY, type Bridge, type BridgeClock, type BridgeFlash, type BridgeInstrumentation, type BridgeNvs } from "./bridge/types";
import { DeviceClock } from "./device-clock";
import type { FlashRingStats, SessionStats, UplinkStats } from "../firmware/net/stats";
import type { PoleWorld } from "./world/pole-world";

/** The firmware's Runtime handle as seen from the host (see firmware/runtime/boot.ts). */
export interface DeviceRuntime {
	state: "running" | "halted";
	deviceId: string;
	role?: string;
	session?: { connected: boolean; stats: SessionStats };
	/** firmware/runtime/cloud-link.ts as the host sees it */
	cloud?: {
		ring?: { stats: FlashRingStats };
		uplink?: { stats: UplinkStats };
		clock: { synced: boolean; epochAtTick0?: number };
		commands: { stats: { handled: number; refused: number } };
	};
	app?: { stop(): void };
	logger: { entries(): { t: number; level: string; tag: string; msg: string }[] };
	shutdown(): void;
}

export interface SimDeviceOptions {
	id: string;
	/** the bundle produced by bundleFirmware(host-sim/device-entry.ts) */
	script: vm.Script;
	/** merged mc/config for this device (host-sim/manifest-config.ts) */
	config: Record<string, unknown>;
	clock: BridgeClock;
	/** directory for NVS and flash files; undefined keeps storage in memory */
	stateDir?: string;
	board?: string;
	scenario?: unknown;
	resources?: Record<string, Uint8Array>;
	/** receives each complete log line */
	onLine?: (line: string) => void;
}

function macFor(id: string): string {
	const h = createHash("sha256").update(id).digest();
	// Locally administered unicast (bit 1 set, bit 0 clear of the first octet).
	const bytes = [(h[0] & 0xfc) | 0x02, h[1], h[2], h[3], h[4], h[5]];
	return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export class SimDevice {
	readonly id: string;
	readonly net: NodeNet;
	readonly nvs: BridgeNvs;
	readonly flash: BridgeFlash;
	readonly counters: BridgeInstrumentation = { networkBytesRead: 0, networkBytesWritten: 0 };
	runtime: DeviceRuntime | undefined;
	bridge: Bridge | undefined;
	/** the street around a light pole (host-sim/world/pole-world.ts); outlives boots */
	world: PoleWorld | undefined;
	boots = 0;
	#options: SimDeviceOptions;
	#clock: DeviceClock | undefined;
	#partial = "";

	constructor(options: SimDeviceOptions) {
		this.#options = options;
		this.id = options.id;
		this.net = new NodeNet(macFor(options.id), this.counters, (options.clock as { speed?: number }).speed ?? 1);
		if (options.stateDir) {
			const dir = join(options.stateDir, options.id);
			this.nvs = new FileNvs(dir);
			this.flash = new FileFlash(dir, DEFAULT_PARTITIONS);
		} else {
			this.nvs = new MemoryNvs();
			this.flash = new MemoryFlash(DEFAULT_PARTITIONS);
		}
	}

	/** Powers the device on (or back on) in a fresh realm. */
	boot(resetReason = "poweron"): DeviceRuntime {
		if (this.runtime) throw new Error(`${this.id}: already running`);
		const o = this.#options;
		const clock = (this.#clock = new DeviceClock(o.clock));
		const resources = o.resources ?? {};
		const b: Bridge = {
			deviceId: this.id,
			clock,
			nvs: this.nvs,
			flash: this.flash,
			net: this.net,
			instrumentation: this.counters,
			config: o.config,
			resetReason,
			boardSpec: { board: o.board ?? String(o.config.board ?? "generic"), scenario: o.scenario },
			resource: (name) => resources[name],
			trace: (text) => this.#trace(text),
			restart: (reason) => {
				queueMicrotask(() => {
					this.powerOff();
					this.boot("sw");
				});
				this.#trace(`restart requested: ${reason}\n`);
			},
		};
		this.bridge = b;
		const context = vm.createContext({ [BRIDGE_KEY]: b });
		vm.runInContext(
			`(() => {
				const bridge = globalThis.${BRIDGE_KEY};
				const RealDate = Date;
				class SimDate extends RealDate {
					constructor(...args) { if (args.length === 0) super(bridge.clock.now()); else super(...args); }
					static now() { return bridge.clock.now(); }
				}
				globalThis.Date = SimDate;
				globalThis.trace = (...parts) => bridge.trace(parts.join(""));
			})();`,
			context,
		);
		o.script.runInContext(context);
		const entry = (context as { __curbsideEntry?: { boot: () => DeviceRuntime } }).__curbsideEntry;
		if (!entry) throw new Error(`${this.id}: firmware bundle has no entry`);
		this.boots++;
		this.runtime = entry.boot();
		return this.runtime;
	}

	/** Cuts power: no shutdown code runs, timers and links vanish, storage stays as it is. */
	powerOff(): void {
		this.#clock?.kill();
		this.net.dropAll("power off");
		this.runtime = undefined;
		this.bridge = undefined;
	}

	/** Orderly stop (process exit): firmware closes its link, then power off. */
	shutdown(): void {
		try {
			this.runtime?.shutdown();
		} finally {
			this.powerOff();
			(this.flash as { close?: () => void }).close?.();
		}
	}

	#trace(text: string): void {
		this.#partial += text;
		let nl: number;
		while ((nl = this.#partial.indexOf("\n")) >= 0) {
			const line = this.#partial.slice(0, nl);
			this.#partial = this.#partial.slice(nl + 1);
			this.#options.onLine?.(line);
		}
	}
}
