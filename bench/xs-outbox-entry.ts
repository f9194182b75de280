/*
 * What the XS outbox benchmark loads: the flash ring over the simulated
 * `flash` module (host-sim/modules/flash.ts on the bridge's MemoryFlash, the
 * default 64 KiB "outbox" partition), and the typical light-pole record as the
 * uplink stores it. Each operation is a function on globalThis.__bench so the
 * runner meters one xsnap evaluation per step; setup steps (building inputs,
 * erasing the partition, filling it) are evaluations of their own and are not
 * part of any figure.
 *
 * A second FlashLike, `native`, does the same erase/read/write with one typed
 * array call each, as Moddable's native flash module costs the device one
 * host call: over it the figures are the ring's own cost, without the
 * simulator's byte-by-byte NOR emulation (which the device does not run in JS).
 */
import { bridge } from "./xs-bridge";
import Flash from "flash";
import { encode } from "../firmware/net/cbor/index";
import type { CborMap } from "../firmware/net/cbor/index";
import { FlashRing, type FlashLike } from "../firmware/net/outbox/ring";

const KIND = "AirQualityObserved";
const T0 = 1763750000123;

/** Input of the i-th record: an SHT3x-sized AirQualityObserved body (the window bounds left out: the ring bench measures flash cost per byte, not the contract), at a synced epoch time. */
function recordInput(i: number): [number, string, CborMap] {
	return [T0 + i * 1_000, KIND, { temperature: Math.fround(21.4 + (i % 7) * 0.1), relativeHumidity: Math.fround(0.482 + (i % 5) * 0.01) }];
}

/** A flash with native-cost operations (one typed-array call each); same bytes as the sim partition would hold. */
class NativeLikeFlash implements FlashLike {
	readonly blockSize = 4096;
	readonly bytes: Uint8Array;
	constructor(byteLength: number) {
		this.bytes = new Uint8Array(byteLength).fill(0xff);
	}
	get byteLength(): number {
		return this.bytes.byteLength;
	}
	erase(sector: number): void {
		this.bytes.fill(0xff, sector * this.blockSize, (sector + 1) * this.blockSize);
	}
	read(offset: number, byteLength: number): ArrayBuffer {
		return this.bytes.slice(offset, offset + byteLength).buffer;
	}
	write(offset: number, byteLength: number, buffer: BufferLike): void {
		// The ring only programs erased bytes or clears a state byte, so AND == set here.
		const src = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, byteLength) : new Uint8Array(buffer as ArrayBuffer, 0, byteLength);
		this.bytes.set(src, offset);
	}
}

type FlashKind = "sim" | "native";

let inputs: [number, string, CborMap][] = [];
let bodies: Uint8Array[] = [];
let ring: FlashRing | undefined;
/** Every ring opened stays referenced, so a heap reading after an open counts exactly one new ring. */
const opened: FlashRing[] = [];
let native = new NativeLikeFlash(0);
let sink: unknown;
let sentUpTo = 0;

function partition(kind: FlashKind): FlashLike {
	return kind === "sim" ? new Flash("outbox") : native;
}

(globalThis as Record<string, unknown>).__bench = {
	/** Builds `n` record inputs and their stored bodies (setup, not metered into figures). */
	prepare(n: number) {
		inputs = [];
		bodies = [];
		for (let i = 0; i < n; i++) {
			inputs.push(recordInput(i));
			bodies.push(encode(recordInput(i)).subarray(1));
		}
		const sim = bridge.flash.open("outbox")!;
		native = new NativeLikeFlash(sim.byteLength);
	},
	/** Erases the partition (as a fresh device); the current ring is forgotten. */
	wipe(kind: FlashKind) {
		ring = undefined;
		if (kind === "sim") {
			const f = new Flash("outbox");
			for (let s = 0; s * f.blockSize < f.byteLength; s++) f.erase(s);
		} else native.bytes.fill(0xff);
	},
	/** Boot-time recovery: a new ring over what the partition holds (kept alive, so its heap can be read). */
	open(kind: FlashKind) {
		ring = new FlashRing(partition(kind));
		opened.push(ring);
		sentUpTo = 0;
	},
	/** Baseline: encode([t, kind, data]) of the first n records. */
	encode(n: number) {
		for (let i = 0; i < n; i++) sink = encode(inputs[i]);
	},
	/** ring.append of the first n stored bodies (already encoded). */
	append(n: number) {
		const r = ring!;
		for (let i = 0; i < n; i++) sink = r.append(bodies[i]);
	},
	/** What Uplink.record does per record: encode, strip the array head, append. */
	record(n: number) {
		const r = ring!;
		for (let i = 0; i < n; i++) sink = r.append(encode(inputs[i]).subarray(1));
	},
	/** n batches as the uplink sends and the cloud acks them: pending(…, 50, 4096), then ack of their seqs. */
	batches(n: number, size: number) {
		const r = ring!;
		for (let b = 0; b < n; b++) {
			const batch = r.pending(sentUpTo, size, 4096);
			if (batch.length !== size) throw new Error(`batch of ${batch.length}, expected ${size}`);
			sentUpTo = batch[batch.length - 1].seq;
			if (r.ack(batch[0].seq, sentUpTo) !== size) throw new Error("ack released too few records");
		}
	},
	stats() {
		const s = ring!.stats;
		return { pending: s.pending, appended: s.appended, dropped: s.dropped, torn: s.torn, bodyBytes: bodies.length ? bodies[0].byteLength : 0, sectors: s.sectors, capacityBytes: s.capacityBytes };
	},
	sink: () => sink,
};
