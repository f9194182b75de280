/*
 * In-memory bridge: a whole simulated device with no I/O outside the realm.
 * Used by firmware logic tests on Node (vitest) and on real XS (xsnap), and as
 * the base the Node bridge extends with files and sockets. Storage objects are
 * plain data so a test can keep them across a simulated reboot or power cut.
 */
import type { Bridge, BridgeFlash, BridgeMqttHandlers, BridgeMqttLink, BridgeMqttOptions, BridgeNet, BridgeNvs, BridgePartition } from "./types";
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

/** A flash partition in RAM, with an optional power cut after N more bytes are programmed. */
export class MemoryPartition implements BridgePartition {
	readonly bytes: Uint8Array;
	readonly blockSize: number;
	readonly eraseCounts: number[];
	/** Bytes that may still be programmed before the power is cut; undefined = never. */
	cutAfterBytes: number | undefined;
	/** Called when an injected cut hits (the host powers the device off). */
	onPowerCut?: () => void;

	constructor(byteLength: number, blockSize = 4096) {
		if (byteLength % blockSize) throw new RangeError("partition size must be a multiple of the sector size");
		this.bytes = new Uint8Array(byteLength).fill(0xff);
		this.blockSize = blockSize;
		this.eraseCounts = new Array(byteLength / blockSize).fill(0);
	}
	get byteLength(): number {
		return this.bytes.byteLength;
	}
	read(offset: number, byteLength: number): Uint8Array {
		return this.bytes.slice(offset, offset + byteLength);
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
	constructor(layout: Record<string, number> = {}) {
		for (const name in layout) this.partitions.set(name, new MemoryPartition(layout[name]));
	}
	open(name: string): BridgePartition | undefined {
		return this.partitions.get(name);
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
}

export interface MemoryBridge extends Bridge {
	readonly clock: VirtualClock;
	readonly nvs: MemoryNvs;
	readonly flash: MemoryFlash;
	readonly lines: string[];
	restarts: string[];
}

/** Data partitions of a simulated board (bytes), as in manifests/platforms/esp32-4mb.csv. */
export const DEFAULT_PARTITIONS: Readonly<Record<string, number>> = Object.freeze({ outbox: 0x40000, storage: 0x60000 });

/** Builds an in-memory bridge; storage objects passed in are reused (a reboot keeps them). */
export function createMemoryBridge(options: MemoryBridgeOptions = {}): MemoryBridge {
	const clock = options.clock ?? new VirtualClock();
	const lines: string[] = [];
	const resources = options.resources ?? {};
	const b: MemoryBridge = {
		deviceId: options.deviceId ?? "sim-0001",
		clock,
		nvs: options.nvs ?? new MemoryNvs(),
		flash: options.flash ?? new MemoryFlash(DEFAULT_PARTITIONS),
		net: options.net ?? new OfflineNet(clock),
		instrumentation: { networkBytesRead: 0, networkBytesWritten: 0 },
		config: options.config ?? {},
		resetReason: options.resetReason ?? "poweron",
		boardSpec: { board: options.board ?? "generic", scenario: options.scenario },
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
