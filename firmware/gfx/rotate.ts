/*
 * Rotation between layout and panel coordinates. Panel drivers take
 * panel-native windows (drivers/epaper.ts); a 2.9" SSD1680 is 128 wide and
 * 296 tall, while the stop-sign layout for it is 296×128 landscape. The
 * caller renders a strip of the layout, rotates its pixels with rotateBand and
 * writes them to the window rotateRect gives.
 *
 * Mapping (rotation is clockwise, as the picture turns on the glass), for a
 * source of w × h pixels and a pixel at (x, y):
 *    90: → (h − 1 − y, x)          result is h wide, w tall
 *   180: → (w − 1 − x, h − 1 − y)  result is w wide, h tall
 *   270: → (y, w − 1 − x)          result is h wide, w tall
 * 270 undoes 90, and 180 undoes itself.
 *
 * Alignment: at 90/270 a layout strip's rows become panel columns, so for a
 * 1 bpp panel (xAlign 8) strips should start and end on multiples of 8 rows
 * (measured from the edge that becomes panel x = 0).
 * Padding bits/nibbles at the end of each output row are white (1 / 0xF),
 * like the renderer's bands.
 */
import type { Depth, Rect } from "./types";

export type Rotation = 90 | 180 | 270;

/**
 * Rotates a packed band (`h` rows of ceil(w × depth / 8) bytes, renderer convention) clockwise.
 * @returns `out` (or a new array) holding the rotated pixels packed the same way
 * @throws RangeError when `src` or `out` is too short, or on a bad rotation or size
 */
export function rotateBand(src: Uint8Array, w: number, h: number, depth: Depth, rotation: Rotation, out?: Uint8Array): Uint8Array {
	if (rotation !== 90 && rotation !== 180 && rotation !== 270) throw new RangeError(`rotateBand: rotation ${rotation} (expected 90, 180 or 270)`);
	if (depth !== 1 && depth !== 4) throw new RangeError(`rotateBand: depth ${depth}`);
	if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0) throw new RangeError(`rotateBand: bad size ${w}×${h}`);
	const ss = depth === 1 ? (w + 7) >> 3 : (w + 1) >> 1;
	if (src.length < ss * h) throw new RangeError(`rotateBand: source has ${src.length} bytes, ${w}×${h} needs ${ss * h}`);
	const ow = rotation === 180 ? w : h;
	const oh = rotation === 180 ? h : w;
	const os = depth === 1 ? (ow + 7) >> 3 : (ow + 1) >> 1;
	const dst = out ?? new Uint8Array(os * oh);
	if (dst.length < os * oh) throw new RangeError(`rotateBand: out has ${dst.length} bytes, needs ${os * oh}`);
	// Walk the output in order; for output (X, Y) the source pixel is the inverse mapping.
	for (let Y = 0; Y < oh; Y++) {
		const row = Y * os;
		if (depth === 1) {
			let acc = 0;
			for (let X = 0; X < ow; X++) {
				let sx: number, sy: number;
				if (rotation === 90) {
					sx = Y;
					sy = h - 1 - X;
				} else if (rotation === 180) {
					sx = w - 1 - X;
					sy = h - 1 - Y;
				} else {
					sx = w - 1 - Y;
					sy = X;
				}
				acc = (acc << 1) | ((src[sy * ss + (sx >> 3)] >> (7 - (sx & 7))) & 1);
				if ((X & 7) === 7) {
					dst[row + (X >> 3)] = acc;
					acc = 0;
				}
			}
			const rest = ow & 7;
			if (rest) dst[row + (ow >> 3)] = ((acc << (8 - rest)) | (0xff >> rest)) & 0xff;
		} else {
			for (let X = 0; X < ow; X++) {
				let sx: number, sy: number;
				if (rotation === 90) {
					sx = Y;
					sy = h - 1 - X;
				} else if (rotation === 180) {
					sx = w - 1 - X;
					sy = h - 1 - Y;
				} else {
					sx = w - 1 - Y;
					sy = X;
				}
				const b = src[sy * ss + (sx >> 1)];
				const v = sx & 1 ? b & 0x0f : b >> 4;
				const at = row + (X >> 1);
				dst[at] = X & 1 ? (dst[at] & 0xf0) | v : (v << 4) | 0x0f;
			}
		}
	}
	return dst;
}

/**
 * Where `rect` of a screenW × screenH layout lands after rotating the layout clockwise by `rotation`
 * (the rotated screen is screenH × screenW at 90/270).
 */
export function rotateRect(rect: Rect, screenW: number, screenH: number, rotation: Rotation): Rect {
	const { x, y, w, h } = rect;
	switch (rotation) {
		case 90:
			return { x: screenH - (y + h), y: x, w: h, h: w };
		case 180:
			return { x: screenW - (x + w), y: screenH - (y + h), w, h };
		case 270:
			return { x: y, y: screenW - (x + w), w: h, h: w };
		default:
			throw new RangeError(`rotateRect: rotation ${rotation} (expected 90, 180 or 270)`);
	}
}
