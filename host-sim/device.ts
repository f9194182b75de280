/*
 * One simulated device: the real firmware bundle running in its own realm
 * (node:vm context: own globals, own `device`, own storage), on a bridge that
 * gives it a clock, NVS, flash partitions and a real MQTT link. Many devices
 * share one process and one clock. Node only.
 *
 * Power-on runs the simulated ESP32 bootloader first (host-sim/ota): a
 * factory-fresh board is flashed with a sim image of the build's own version;
 * then the booted image decides what runs: the firmware bundle of its
 * version, with the config its build baked in merged over the device's
 * mc/config, and its crashAfterMs turned into a panic reset. Nothing bootable
 * leaves the device off with `bricked` set.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import vm from "node:vm";
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../firmware/version";
import { MemoryFlash, MemoryNvs, DEFAULT_PARTITIONS } from "./bridge/memory";
import { FileFlash, FileNvs } from "./bridge/node-storage";
import { NodeNet } from "./bridge/node-net";
import { BRIDGE_KEY, type Bridge, type BridgeClock, type BridgeFlash, type BridgeInstrumentation, type BridgeNvs } from "./bridge/types";
import type { BuildVersion } from "./bundle";
import { DeviceClock } from "./device-clock";
import { buildSimImage } from "./ota/app-image";
import { SimBootloader, type BootedImage, type SlotLabel } from "./ota/bootloader";
import type { ImageState } from "./ota/otadata";
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

/**
 * The firmware bundle for a booted image's version: a Script when it is
 * bundled already (the device boots synchronously), else the promise of one
 * (the device boots when it settles; see SimDevice.booting).
 */
export type ScriptResolver = (version: BuildVersion) => vm.Script | Promise<vm.Script>;

export interface SimDeviceOptions {
	id: string;
	/** the bundle produced by bundleFirmware(host-sim/device-entry.ts), one for every version, or a resolver per version (fleet.ts scriptFor) */
	script: vm.Script | ScriptResolver;
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
	/** the simulated 2nd-stage bootloader over this device's otadata/ota_0/ota_1 */
	readonly bootloader: SimBootloader;
	/** why the last power-on found nothing bootable (the device stays off); cleared by a successful boot */
	bricked: string | undefined;
	/** slot and image of the last successful bootloader run */
	bootedLabel: SlotLabel | undefined;
	bootedImage: BootedImage | undefined;
	/** settles when a boot waiting for its version's bundle has started (or given up); undefined otherwise */
	booting: Promise<DeviceRuntime | undefined> | undefined;
	#options: SimDeviceOptions;
	#clock: DeviceClock | undefined;
	#partial = "";
	/** bumped by every power-off, so a deferred boot from before it does not start */
	#generation = 0;

	constructor(options: SimDeviceOptions) {
		this.#options = options;
		this.id = options.id;
		this.net = new NodeNet(macFor(options.id), this.counters, (options.clock as { speed?: number }).speed ?? 1);
		let flash: MemoryFlash | FileFlash;
		if (options.stateDir) {
			const dir = join(options.stateDir, options.id);
			this.nvs = new FileNvs(dir);
			flash = new FileFlash(dir, DEFAULT_PARTITIONS);
		} else {
			this.nvs = new MemoryNvs();
			flash = new MemoryFlash(DEFAULT_PARTITIONS);
		}
		this.flash = flash;
		this.bootloader = new SimBootloader(flash);
		flash.aliases = (name) => this.bootloader.alias(name);
	}

	/** Version of the running (or last booted) image. */
	get bootedVersion(): string | undefined {
		return this.bootedImage?.version;
	}

	/** otadata state of the running image ("valid", "pending-verify", …); undefined while nothing runs. */
	otaState(): ImageState | undefined {
		return this.bootedLabel ? this.bootloader.running().state : undefined;
	}

	/**
	 * Powers the device on (or back on): bootloader, then the firmware of the
	 * booted image's version in a fresh realm. Returns undefined when nothing
	 * is bootable (`bricked`), when a power cut hits the bootloader's otadata
	 * write, or when the version's bundle is still being built (`booting`).
	 */
	boot(resetReason = "poweron"): DeviceRuntime | undefined {
		if (this.runtime || this.booting) throw new Error(`${this.id}: already running`);
		const o = this.#options;
		this.bricked = undefined;
		this.bootedLabel = undefined;
		this.bootedImage = undefined;
		let result;
		try {
			if (this.bootloader.isBlank()) this.bootloader.provision(this.#factoryImage());
			result = this.bootloader.boot();
		} catch (e) {
			if ((e as Error).name !== "PowerCut") throw e;
			this.#trace(`bootloader: power cut (${(e as Error).message})\n`);
			return undefined;
		}
		if (!result.ok) {
			this.bricked = result.reason;
			this.#trace(`bootloader: nothing bootable, device stays off: ${result.reason}\n`);
			return undefined;
		}
		this.bootedLabel = result.label;
		this.bootedImage = result.image;
		const version = { fw: result.image.version, sec: result.image.secureVersion };
		const script = typeof o.script === "function" ? o.script(version) : o.script;
		if (script instanceof vm.Script) return this.#start(script, resetReason, result.image);
		const generation = this.#generation;
		// A power-off while the bundle builds cancels this boot (and must not touch a later one).
		this.booting = script.then(
			(s) => {
				if (generation !== this.#generation) return undefined;
				this.booting = undefined;
				return this.#start(s, resetReason, result.image);
			},
			(e: unknown) => {
				if (generation !== this.#generation) return undefined;
				this.booting = undefined;
				this.#trace(`host: no firmware bundle for ${version.fw}, device stays off: ${(e as Error).message}\n`);
				return undefined;
			},
		);
		return undefined;
	}

	/** What `mcconfig -m` would flash on a new board: a sim image of the build's own version, role and board. */
	#factoryImage(): Uint8Array {
		const o = this.#options;
		return buildSimImage({
			version: FIRMWARE_VERSION,
			secureVersion: SECURITY_VERSION,
			role: String(o.config.role ?? "stop-sign"),
			board: o.board ?? String(o.config.board ?? "generic"),
		});
	}

	#start(script: vm.Script, resetReason: string, image: BootedImage): DeviceRuntime {
		const o = this.#options;
		const clock = (this.#clock = new DeviceClock(o.clock));
		const resources = o.resources ?? {};
		const b: Bridge = {
			deviceId: this.id,
			clock,
			nvs: this.nvs,
			flash: this.flash,
			boot: this.bootloader,
			net: this.net,
			instrumentation: this.counters,
			// A build bakes its mc/config: the image's values win over the device's.
			config: image.payload ? { ...o.config, ...image.payload.config } : o.config,
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
		script.runInContext(context);
		const entry = (context as { __curbsideEntry?: { boot: () => DeviceRuntime } }).__curbsideEntry;
		if (!entry) throw new Error(`${this.id}: firmware bundle has no entry`);
		this.boots++;
		const crashAfterMs = image.payload?.crashAfterMs;
		if (crashAfterMs !== undefined)
			// A build that crashes: a panic reset that long after boot (the device clock dies with this boot, and the timer with it).
			clock.schedule(crashAfterMs, () => {
				this.#trace(`host: ${image.version} panics ${crashAfterMs} ms after boot (sim image crashAfterMs)\n`);
				this.powerOff();
				this.boot("panic");
			});
		this.runtime = entry.boot();
		return this.runtime;
	}

	/** Cuts power: no shutdown code runs, timers and links vanish, storage stays as it is. */
	powerOff(): void {
		this.#generation++;
		this.booting = undefined;
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
