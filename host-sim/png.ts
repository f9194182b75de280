/*
 * PNG writer and reader for the simulator's panel images and golden tests.
 * NODE-ONLY (uses node:zlib): never bundled into a device realm.
 *
 * Follows the PNG specification (W3C PNG, 3rd ed.; RFC 2083): 8-byte
 * signature, IHDR, IDAT (zlib stream), IEND, each chunk with a CRC-32 over
 * its type and data (§5.3). Images are written as 8-bit grayscale (colour
 * type 0), non-interlaced, every row with filter type 0, so the same pixels
 * always give the same bytes (deflate at a fixed level on one zlib).
 * The reader accepts exactly that family (8-bit gray, no interlace) with any
 * of the five filter types (§9.2), which is what golden files need, and
 * rejects everything else with an error naming the field.
 */
import { deflateSync, inflateSync } from "node:zlib";
import type { Depth } from "../firmware/gfx/types";
import { crc32 } from "../firmware/net/outbox/crc32";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG's chunk CRC (PNG §5.5) is CRC-32/ISO-HDLC: the firmware's own table-driven one. */
export { crc32 };

/** Unpacks a frame in the renderer convention to one byte per pixel: level × 17 at 4 bpp, 0 / 255 at 1 bpp. */
export function frameToGray8(width: number, height: number, depth: Depth, packed: Uint8Array): Uint8Array {
	const stride = depth === 1 ? (width + 7) >> 3 : (width + 1) >> 1;
	if (depth !== 1 && depth !== 4) throw new RangeError(`frameToGray8: depth ${depth}`);
	if (packed.length < stride * height) throw new RangeError(`frameToGray8: ${packed.length} bytes, ${width}×${height} at ${depth} bpp needs ${stride * height}`);
	const gray = new Uint8Array(width * height);
	for (let y = 0; y < height; y++) {
		const row = y * stride;
		for (let x = 0; x < width; x++) {
			const v = depth === 1 ? ((packed[row + (x >> 3)] >> (7 - (x & 7))) & 1) * 255 : ((x & 1 ? packed[row + (x >> 1)] & 0x0f : packed[row + (x >> 1)] >> 4) * 17);
			gray[y * width + x] = v;
		}
	}
	return gray;
}

/** An 8-bit grayscale PNG of a packed frame (`rows` = height rows of ceil(width × depth / 8) bytes). Deterministic bytes. */
export function encodePng(width: number, height: number, depth: Depth, rows: Uint8Array): Uint8Array {
	if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) throw new RangeError(`encodePng: bad size ${width}×${height}`);
	const gray = frameToGray8(width, height, depth, rows);
	const raw = new Uint8Array((width + 1) * height);
	for (let y = 0; y < height; y++) {
		raw[y * (width + 1)] = 0; // filter type None
		raw.set(gray.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
	}
	const ihdr = new Uint8Array(13);
	const view = new DataView(ihdr.buffer);
	view.setUint32(0, width);
	view.setUint32(4, height);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 0; // colour type: grayscale
	ihdr[10] = 0; // compression: deflate
	ihdr[11] = 0; // filter method 0
	ihdr[12] = 0; // no interlace
	const idat = new Uint8Array(deflateSync(raw, { level: 9 }));
	const chunks = [chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
	const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
	out.set(SIGNATURE, 0);
	let at = 8;
	for (const c of chunks) {
		out.set(c, at);
		at += c.length;
	}
	return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
	const c = new Uint8Array(12 + data.length);
	const view = new DataView(c.buffer);
	view.setUint32(0, data.length);
	for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
	c.set(data, 8);
	view.setUint32(8 + data.length, crc32(c, 4, 8 + data.length));
	return c;
}

export interface DecodedPng {
	width: number;
	height: number;
	/** one byte per pixel, 0 (black) ..= 255 (white), row-major */
	gray: Uint8Array;
}

/** Reads an 8-bit grayscale non-interlaced PNG. @throws Error naming what is wrong or unsupported */
export function decodePng(bytes: Uint8Array): DecodedPng {
	for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw new Error("PNG: bad signature");
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let at = 8;
	let width = 0;
	let height = 0;
	let sawHeader = false;
	let sawEnd = false;
	const idat: Uint8Array[] = [];
	while (!sawEnd) {
		if (at + 12 > bytes.length) throw new Error("PNG: truncated (no IEND)");
		const length = view.getUint32(at);
		const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
		const end = at + 8 + length;
		if (end + 4 > bytes.length) throw new Error(`PNG: chunk ${type} runs past the end`);
		if (crc32(bytes, at + 4, end) !== view.getUint32(end)) throw new Error(`PNG: CRC mismatch in ${type}`);
		const data = bytes.subarray(at + 8, end);
		if (type === "IHDR") {
			if (length !== 13) throw new Error("PNG: IHDR length");
			width = view.getUint32(at + 8);
			height = view.getUint32(at + 12);
			const [bitDepth, colourType, compression, filter, interlace] = data.subarray(8);
			if (bitDepth !== 8) throw new Error(`PNG: bit depth ${bitDepth} unsupported (8 only)`);
			if (colourType !== 0) throw new Error(`PNG: colour type ${colourType} unsupported (grayscale 0 only)`);
			if (compression !== 0 || filter !== 0) throw new Error("PNG: unknown compression or filter method");
			if (interlace !== 0) throw new Error("PNG: interlaced images unsupported");
			if (width < 1 || height < 1) throw new Error(`PNG: bad size ${width}×${height}`);
			sawHeader = true;
		} else if (!sawHeader) {
			throw new Error(`PNG: ${type} before IHDR`);
		} else if (type === "IDAT") {
			idat.push(data);
		} else if (type === "IEND") {
			sawEnd = true;
		} else if ((bytes[at + 4] & 0x20) === 0) {
			throw new Error(`PNG: unknown critical chunk ${type}`);
		}
		at = end + 4;
	}
	const total = idat.reduce((n, d) => n + d.length, 0);
	const z = new Uint8Array(total);
	let k = 0;
	for (const d of idat) {
		z.set(d, k);
		k += d.length;
	}
	const raw = new Uint8Array(inflateSync(z));
	if (raw.length < (width + 1) * height) throw new Error(`PNG: image data has ${raw.length} bytes, expected ${(width + 1) * height}`);
	const gray = new Uint8Array(width * height);
	for (let y = 0; y < height; y++) {
		const f = raw[y * (width + 1)];
		const src = y * (width + 1) + 1;
		const dst = y * width;
		for (let x = 0; x < width; x++) {
			const a = x > 0 ? gray[dst + x - 1] : 0;
			const b = y > 0 ? gray[dst - width + x] : 0;
			const c = x > 0 && y > 0 ? gray[dst - width + x - 1] : 0;
			const r = raw[src + x];
			let v: number;
			switch (f) {
				case 0:
					v = r;
					break;
				case 1:
					v = r + a;
					break;
				case 2:
					v = r + b;
					break;
				case 3:
					v = r + ((a + b) >> 1);
					break;
				case 4: {
					const p = a + b - c;
					const pa = Math.abs(p - a);
					const pb = Math.abs(p - b);
					const pc = Math.abs(p - c);
					v = r + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
					break;
				}
				default:
					throw new Error(`PNG: row ${y} has filter type ${f}`);
			}
			gray[dst + x] = v & 0xff;
		}
	}
	return { width, height, gray };
}
