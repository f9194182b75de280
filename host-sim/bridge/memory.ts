/*
 * In-memory bridge: a whole simulated device with no I/O outside the realm.
 * Used by firmware logic tests on Node (vitest) and on real XS (xsnap), and as
 * the base the Node bridge extends with files and sockets. Storage objects are
 * plain data so a test can keep them across a simulated reboot or power cut.
 */
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../../firmware/version";
import { buildSimImage } from "../ota/app-image";
import { SimBootloader, type PartitionAliases } from "../ota/bootloader";
import type { Bridge, BridgeBoot, BridgeFlash, BridgeMqttHandlers, BridgeMqttLink, BridgeMqttOptions, BridgeNet, BridgeNvs, BridgePartition } from "./types";
import { BRIDGE_KEY } from "./types";
import { VirtualClock } from "./virtual-clock";

type NvsValue = string | number | boolean | Uint8Array;

/** NVS contents that survive a simulated reboot: "domain\u0000key" → value. */
export class MemoryNvs implements BridgeNvs {
	readonly entries = new Map<string, NvsValue>();
	get(domain: string, key: string): NvsValue | undefined {
		return this.entries.get(domain + "\u0000" + key);
	}
	set(domain: string, key: string, value: NvsValue): void {
		this.entries.set(domain + "\u0000" + key, value);
	}
	delete(domain: string, key: string): void {
		this.entries.delete(domain + "\u0000" + key);
	}
	keys(domain: string): string[] {
		const prefix = domain + "\u0000";
		const out: string[] = [];
		for (const k of this.entries.keys()) if (k.startsWith(prefix)) out.push(k.slice(prefix.length));
		return out;
	}
}

/** Thrown by a partition when an injected power cut hits: the write stops part-way. */
export class PowerCut extends Error {
	override get name(): string {
		return "PowerCut";
	}
}

/**
 * A flash partition in RAM, with an optional power cut after N more bytes are
 * programmed. The bytes are allocated (erased, 0xFF) on first use, so a board
 * with two 1.6 MB app slots costs nothing until something touches them.
 */
export class MemoryPartition implements BridgePartition {
	readonly blockSize: number;
	readonly eraseCounts: number[];
	readonly #byteLength: number;
	#bytes: Uint8Array | undefined;
	/** Bytes that may still be programmed before the power is cut; undefined = never. */
	cutAfterBytes: number | undefined;
	/** Called when an injected cut hits (the host powers the device off). */
	onPowerCut?: () => void;

	constructor(byteLength: number, blockSize = 4096) {
		if (byteLength % blockSize) throw new RangeError("partition size must be a multiple of the sector size");
		this.#byteLength = byteLength;
		this.blockSize = blockSize;
		this.eraseCounts = new Array(byteLength / blockSize).fill(0);
	}
	/** The raw contents (tests read and corrupt them directly). */
	get bytes(): Uint8Array {
		return (this.#bytes ??= new Uint8Array(this.#byteLength).fill(0xff));
	}
	get byteLength(): number {
		return this.#byteLength;
	}
	read(offset: number, byteLength: number): Uint8Array {
		if (!this.#bytes) return new Uint8Array(Math.max(0, Math.min(byteLength, this.#byteLength - offset))).fill(0xff);
		return this.#bytes.slice(offset, offset + byteLength);
	}
	store(offset: number, bytes: Uint8Array): void {
		if (this.cutAfterBytes !== undefined && bytes.byteLength > this.cutAfterBytes) {
			// Power fails mid-program: the leading bytes land, the rest keep their old contents.
			this.bytes.set(bytes.subarray(0, this.cutAfterBytes), offset);
			this.cutAfterBytes = 0;
			this.onPowerCut?.();
			throw new PowerCut(`power cut at byte ${offset + bytes.byteLength}`);
		}
		if (this.cutAfterBytes !== undefined) this.cutAfterBytes -= bytes.byteLength;
		this.bytes.set(bytes, offset);
	}
	noteErase(sector: number): void {
		this.eraseCounts[sector]++;
	}
}

export class MemoryFlash implements BridgeFlash {
	readonly partitions = new Map<string, MemoryPartition>();
	/** Resolves "running" / "nextota"; set by whoever boots this flash (createMemoryBridge, SimDevice). */
	aliases: PartitionAliases | undefined;
	constructor(layout: Record<string, number> = {}) {
		for (const name in layout) this.partitions.set(name, new MemoryPartition(layout[name]));
	}
	open(name: string): BridgePartition | undefined {
		return this.partitions.get(this.aliases?.(name) ?? name);
	}
}

/** A network with no broker: every connect fails asynchronously, as with no route to host. */
export class OfflineNet implements BridgeNet {
	mac: string;
	#clock: VirtualClock;
	constructor(clock: VirtualClock, mac = "02:00:00:00:00:01") {
		this.#clock = clock;
		this.mac = mac;
	}
	up(): boolean {
		return false;
	}
	connect(_options: BridgeMqttOptions, handlers: BridgeMqttHandlers): BridgeMqttLink {
		const handle = this.#clock.schedule(0, () => handlers.onClose("network down"));
		return {
			publish() {},
			subscribe() {},
			unsubscribe() {},
			close: () => this.#clock.cancel(handle),
		};
	}
}

export interface MemoryBridgeOptions {
	deviceId?: string;
	config?: Record<string, unknown>;
	nvs?: MemoryNvs;
	flash?: MemoryFlash;
	clock?: VirtualClock;
	net?: BridgeNet;
	resetReason?: string;
	board?: string;
	scenario?: unknown;
	resources?: Record<string, Uint8Array>;
	/** Receives every trace line; default keeps the last 200 in `lines`. */
	trace?: (line: string) => void;
	/** Image flashed into ota_0 when both app slots are blank @default a 4 KiB sim image of firmware/version.ts */
	image?: Uint8Array;
}

export interface MemoryBridge extends Bridge {
	readonly clock: VirtualClock;
	readonly nvs: MemoryNvs;
	readonly flash: MemoryFlash;
	readonly lines: string[];
	restarts: string[];
}

/** Partitions of a simulated board (bytes), as in manifests/platforms/esp32-4mb.csv. */
export const DEFAULT_PARTITIONS: Readonly<Record<string, number>> = Object.freeze({
	otadata: 0x2000,
	ota_0: 0x1a_0000,
	ota_1: 0x1a_0000,
	outbox: 0x4_0000,
	storage: 0x6_0000,
});

/**
 * Boot control for an in-memory device: on first use (the otaBoot module, or
 * Flash("running"/"nextota")) the bootloader runs once over `flash`, after
 * flashing `image` if the board is blank. Creating a bridge over the same
 * flash again is a reboot: the next first use runs the bootloader again.
 * A flash without otadata/ota_0/ota_1 gets no aliases, and its `boot`
 * member throws on use.
 */
function lazyBoot(flash: MemoryFlash, image: () => Uint8Array): BridgeBoot {
	let loader: SimBootloader | undefined;
	const get = (): SimBootloader => {
		if (loader) return loader;
		const l = new SimBootloader(flash);
		if (l.isBlank()) l.provision(image());
		const result = l.boot();
		if (!result.ok) throw new Error(`host-sim: device is bricked: ${result.reason}`);
		return (loader = l);
	};
	const hasOta = flash.partitions.has("otadata") && flash.partitions.has("ota_0") && flash.partitions.has("ota_1");
	flash.aliases = hasOta ? (name) => (name === "running" || name === "nextota" ? get().alias(name) : undefined) : undefined;
	return {
		running: () => get().running(),
		next: () => get().next(),
		setBoot: () => get().setBoot(),
		markValid: () => get().markValid(),
		canRollback: () => get().canRollback(),
		markInvalid: () => get().markInvalid(),
	};
}

/** Builds an in-memory bridge; storage objects passed in are reused (a reboot keeps them). */
export function createMemoryBridge(options: MemoryBridgeOptions = {}): MemoryBridge {
	const clock = options.clock ?? new VirtualClock();
	const lines: string[] = [];
	const resources = options.resources ?? {};
	const flash = options.flash ?? new MemoryFlash(DEFAULT_PARTITIONS);
	const config = options.config ?? {};
	const board = options.board ?? "generic";
	const image = () =>
		options.image ??
		buildSimImage({ version: FIRMWARE_VERSION, secureVersion: SECURITY_VERSION, role: String(config.role ?? "stop-sign"), board, size: 4096 });
	const b: MemoryBridge = {
		deviceId: options.deviceId ?? "sim-0001",
		clock,
		nvs: options.nvs ?? new MemoryNvs(),
		flash,
		boot: lazyBoot(flash, image),
		net: options.net ?? new OfflineNet(clock),
		instrumentation: { networkBytesRead: 0, networkBytesWritten: 0 },
		config,
		resetReason: options.resetReason ?? "poweron",
		boardSpec: { board, scenario: options.scenario },
		resource: (name) => resources[name],
		lines,
		restarts: [],
		trace:
			options.trace ??
			((line) => {
				lines.push(line);
				if (lines.length > 200) lines.shift();
			}),
		restart(reason) {
			b.restarts.push(reason);
		},
	};
	return b;
}

/** Installs `b` as this realm's bridge (what host modules read) and returns it. */
export function installBridge<B extends Bridge>(b: B): B {
	(globalThis as unknown as Record<string, unknown>)[BRIDGE_KEY] = b;
	return b;
}
