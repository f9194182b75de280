// PNG writer/reader (host-sim/png.ts), Node only.
import { deflateSync } from "node:zlib";
import { describe, it, expect } from "vitest";
import { crc32, decodePng, encodePng, frameToGray8 } from "../../host-sim/png";
import { BandRenderer, strideOf } from "../../firmware/gfx/band-renderer";
import type { Depth, DrawOp } from "../../firmware/gfx/types";

function render(ops: DrawOp[], w: number, h: number, depth: Depth): Uint8Array {
	const out = new Uint8Array(strideOf(w, depth) * h);
	new BandRenderer({ width: w, height: h, depth }).renderAll(ops, (band, bytes) => out.set(bytes, band.y * strideOf(w, depth)));
	return out;
}

const OPS: DrawOp[] = [
	{ op: "rect", x: 1, y: 1, w: 7, h: 3, gray: 0 },
	{ op: "rect", x: 3, y: 2, w: 9, h: 5, gray: 6 },
	{ op: "line", x0: 0, y0: 8, x1: 12, y1: 0, gray: 10 },
];

/** Builds a PNG by hand from chunks (to feed the reader what the writer never makes). */
function pngOf(chunks: Array<[string, Uint8Array]>): Uint8Array {
	const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
	for (const [type, data] of chunks) {
		const c = new Uint8Array(12 + data.length);
		const v = new DataView(c.buffer);
		v.setUint32(0, data.length);
		for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
		c.set(data, 8);
		v.setUint32(8 + data.length, crc32(c, 4, 8 + data.length));
		parts.push(...c);
	}
	return new Uint8Array(parts);
}

function ihdr(w: number, h: number, bitDepth = 8, colour = 0, interlace = 0): Uint8Array {
	const d = new Uint8Array(13);
	const v = new DataView(d.buffer);
	v.setUint32(0, w);
	v.setUint32(4, h);
	d.set([bitDepth, colour, 0, 0, interlace], 8);
	return d;
}

describe("PNG", () => {
	it("computes the standard CRC-32", () => {
		expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
		expect(crc32(new TextEncoder().encode("IEND"))).toBe(0xae426082);
	});

	it("writes the signature and an IHDR for 8-bit gray, no interlace", () => {
		const png = encodePng(13, 9, 1, render(OPS, 13, 9, 1));
		expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
		// length 13, "IHDR", width 13, height 9, depth 8, colour 0, compression 0, filter 0, interlace 0
		expect(Array.from(png.subarray(8, 33))).toEqual([0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 13, 0, 0, 0, 9, 8, 0, 0, 0, 0, ...png.subarray(29, 33)]);
		expect(new DataView(png.buffer, png.byteOffset).getUint32(29)).toBe(crc32(png, 12, 29));
		expect(Array.from(png.subarray(png.length - 12))).toEqual([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
	});

	it("round-trips a 4 bpp and a 1 bpp frame", () => {
		for (const depth of [1, 4] as Depth[]) {
			const packed = render(OPS, 13, 9, depth);
			const back = decodePng(encodePng(13, 9, depth, packed));
			expect(back.width).toBe(13);
			expect(back.height).toBe(9);
			expect(back.gray).toEqual(frameToGray8(13, 9, depth, packed));
		}
	});

	it("maps levels to 8-bit gray: ×17 at 4 bpp, 0/255 at 1 bpp", () => {
		expect(Array.from(frameToGray8(3, 1, 4, new Uint8Array([0x0f, 0x60])))).toEqual([0, 255, 102]);
		expect(Array.from(frameToGray8(3, 1, 1, new Uint8Array([0b01011111])))).toEqual([0, 255, 0]);
		expect(() => frameToGray8(16, 2, 1, new Uint8Array(3))).toThrow(/needs 4/);
	});

	it("is deterministic", () => {
		const packed = render(OPS, 13, 9, 4);
		expect(encodePng(13, 9, 4, packed)).toEqual(encodePng(13, 9, 4, packed.slice()));
	});

	it("reads rows stored with every filter type", () => {
		const w = 4;
		const rows = [
			[0, 10, 20, 30, 40],
			[1, 10, 10, 10, 10], // Sub: 10 20 30 40
			[2, 1, 1, 1, 1], // Up: 11 21 31 41
			[3, 5, 5, 5, 5], // Average
			[4, 0, 0, 0, 0], // Paeth
		];
		const raw = new Uint8Array(rows.flat());
		const png = pngOf([["IHDR", ihdr(w, 5)], ["IDAT", new Uint8Array(deflateSync(raw))], ["IEND", new Uint8Array(0)]]);
		const { gray } = decodePng(png);
		expect(Array.from(gray.subarray(0, 12))).toEqual([10, 20, 30, 40, 10, 20, 30, 40, 11, 21, 31, 41]);
		// Average row: a = left decoded, b = up: 5+(0+11>>1)=10, 5+((10+21)>>1)=20, 5+((20+31)>>1)=30, 5+((30+41)>>1)=40
		expect(Array.from(gray.subarray(12, 16))).toEqual([10, 20, 30, 40]);
		// Paeth with zero residual copies the predictor: the row above at x 0, then the nearest of left/up/up-left
		expect(Array.from(gray.subarray(16, 20))).toEqual([10, 20, 30, 40]);
	});

	it("rejects what it cannot read, naming why", () => {
		const good = encodePng(4, 2, 4, new Uint8Array(4));
		const badSig = good.slice();
		badSig[1] = 0;
		expect(() => decodePng(badSig)).toThrow(/signature/);
		const badCrc = good.slice();
		badCrc[20] ^= 1;
		expect(() => decodePng(badCrc)).toThrow(/CRC mismatch in IHDR/);
		expect(() => decodePng(good.subarray(0, good.length - 12))).toThrow(/truncated/);
		const idat = new Uint8Array(deflateSync(new Uint8Array(10)));
		expect(() => decodePng(pngOf([["IHDR", ihdr(4, 2, 8, 2)], ["IDAT", idat], ["IEND", new Uint8Array(0)]]))).toThrow(/colour type 2/);
		expect(() => decodePng(pngOf([["IHDR", ihdr(4, 2, 16)], ["IDAT", idat], ["IEND", new Uint8Array(0)]]))).toThrow(/bit depth 16/);
		expect(() => decodePng(pngOf([["IHDR", ihdr(4, 2, 8, 0, 1)], ["IDAT", idat], ["IEND", new Uint8Array(0)]]))).toThrow(/interlaced/);
		expect(() => decodePng(pngOf([["IHDR", ihdr(4, 2)], ["IDAT", new Uint8Array(deflateSync(new Uint8Array(3)))], ["IEND", new Uint8Array(0)]]))).toThrow(/image data/);
		expect(() => decodePng(pngOf([["IHDR", ihdr(4, 2)], ["ABCD", new Uint8Array(1)], ["IEND", new Uint8Array(0)]]))).toThrow(/critical chunk ABCD/);
	});

	it("refuses a bad size or short rows when writing", () => {
		expect(() => encodePng(0, 2, 1, new Uint8Array(2))).toThrow(/size/);
		expect(() => encodePng(9, 2, 1, new Uint8Array(3))).toThrow(/needs 4/);
	});
});
