/*
 * Writing an image into the update partition (firmware/ota/image-writer.ts)
 * over the simulated NOR flash: streaming hash over what is on flash,
 * resume after a reboot at a persisted sector boundary, power cuts inside a
 * chunk, out-of-order and short chunks refused. Runs on Node and on XS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createMemoryBridge, installBridge, MemoryFlash, PowerCut, type MemoryPartition } from "../../host-sim/bridge/memory";
import { sha256 } from "../../firmware/ota/crypto";
import { ImageWriter } from "../../firmware/ota/image-writer";

const SLOT = "slot";
let part: MemoryPartition;

function image(size: number, seed = 1): Uint8Array {
	const b = new Uint8Array(size);
	let x = seed;
	for (let i = 0; i < size; i++) {
		x = (x * 1103515245 + 12345) >>> 0;
		b[i] = x >>> 24;
	}
	return b;
}
function hashOf(b: Uint8Array): string {
	const h = sha256();
	h.write(b);
	return hex(h.close());
}
function hex(b: Uint8Array): string {
	let s = "";
	for (const x of b) s += (x < 16 ? "0" : "") + x.toString(16);
	return s;
}
function writer(size: number, chunk: number, done = 0): ImageWriter {
	part.cutAfterBytes = undefined;
	return new ImageWriter({ size, chunk, done, partition: SLOT });
}
function writeAll(w: ImageWriter, img: Uint8Array): void {
	for (let i = w.nextChunk; i < w.chunks; i++) w.write(i, img.subarray(i * w.chunk, Math.min(img.length, (i + 1) * w.chunk)));
}

beforeEach(() => {
	const flash = new MemoryFlash({ [SLOT]: 64 * 4096 });
	installBridge(createMemoryBridge({ flash }));
	part = flash.partitions.get(SLOT)!;
	part.bytes.fill(0x5a); // an old image is in the slot: every sector must be erased before use
});

describe("OTA image writer", () => {
	for (const chunk of [1024, 4096, 16384]) {
		it(`writes, reads back and hashes a ${chunk}-byte-chunk image with a short last chunk`, () => {
			const img = image(100_000 + 123);
			const w = writer(img.length, chunk);
			expect(w.chunks).toBe(Math.ceil(img.length / chunk));
			writeAll(w, img);
			expect(w.written).toBe(img.length);
			expect(hex(w.finish())).toBe(hashOf(img));
			expect(hex(part.bytes.subarray(0, img.length))).toBe(hex(img));
		});
	}

	it("resumes after a reboot at the sector boundary below the persisted count, re-hashing what is on flash", () => {
		const img = image(60_000, 2);
		const w = writer(img.length, 1024);
		for (let i = 0; i < 23; i++) w.write(i, img.subarray(i * 1024, (i + 1) * 1024));
		// Persisted 22 KiB; flash holds 23 KiB. Resume must start at 20 KiB (sector 5), never inside a sector.
		const again = writer(img.length, 1024, 22 * 1024);
		expect(again.written).toBe(20 * 1024);
		expect(again.nextChunk).toBe(20);
		writeAll(again, img);
		expect(hex(again.finish())).toBe(hashOf(img));
	});

	it("resumes with chunks larger than a sector at a chunk boundary", () => {
		const img = image(200_000, 3);
		const w = writer(img.length, 16384);
		for (let i = 0; i < 5; i++) w.write(i, img.subarray(i * 16384, (i + 1) * 16384));
		const again = writer(img.length, 16384, 5 * 16384 + 4096);
		expect(again.nextChunk).toBe(5);
		writeAll(again, img);
		expect(hex(again.finish())).toBe(hashOf(img));
	});

	it("survives a power cut at any byte of a chunk write: the torn sector is erased and written again", () => {
		const img = image(12 * 4096, 4);
		for (const cutAt of [0, 1, 100, 1023, 2047, 4095]) {
			part.bytes.fill(0x5a);
			const w = writer(img.length, 2048);
			for (let i = 0; i < 6; i++) w.write(i, img.subarray(i * 2048, (i + 1) * 2048));
			part.cutAfterBytes = cutAt;
			expect(() => w.write(6, img.subarray(6 * 2048, 7 * 2048))).toThrow(PowerCut);
			const again = writer(img.length, 2048, 6 * 2048);
			expect(again.nextChunk).toBe(6);
			writeAll(again, img);
			expect(hex(again.finish())).toBe(hashOf(img));
		}
	});

	it("a resumed hash over a flash prefix that was damaged does not match (nothing trusts the NVS count alone)", () => {
		const img = image(40_000, 5);
		const w = writer(img.length, 4096);
		for (let i = 0; i < 4; i++) w.write(i, img.subarray(i * 4096, (i + 1) * 4096));
		part.bytes[5000] ^= 0xff; // bit rot, or a sector someone else wrote
		const again = writer(img.length, 4096, 4 * 4096);
		writeAll(again, img);
		expect(hex(again.finish())).not.toBe(hashOf(img));
	});

	it("refuses chunks out of order or of the wrong length, and an early finish", () => {
		const img = image(10_000, 6);
		const w = writer(img.length, 4096);
		expect(() => w.write(1, img.subarray(4096, 8192))).toThrow(RangeError);
		expect(() => w.write(0, img.subarray(0, 4000))).toThrow("expected 4096");
		w.write(0, img.subarray(0, 4096));
		expect(() => w.write(0, img.subarray(0, 4096))).toThrow("out of order");
		expect(() => w.finish()).toThrow("incomplete");
		w.write(1, img.subarray(4096, 8192));
		expect(() => w.write(2, new Uint8Array(1809))).toThrow("expected 1808");
	});

	it("refuses an image larger than the partition", () => {
		expect(() => writer(64 * 4096 + 1, 4096)).toThrow("does not fit");
	});
});
