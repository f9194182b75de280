/*
 * Writes the packed bitmap font format CSF1 (spec: notes/helper-common-4.md,
 * "Packed bitmap font format"), read on the device by firmware/gfx/packed-font.ts.
 * All integers little-endian:
 *   0  "CSF1"  4 u16 version=1  6 u16 flags=0  8 u16 size  10 u16 ascent  12 u16 descent
 *   14 u16 lineHeight  16 u32 glyphCount  20 u32 bitmapOffset  24 u32 metaOffset (0 = none)
 *   28 u16 missingAdvance  30 u16 reserved=0
 *   32 N × 12-byte records sorted by code point: u32 cp, u32 bitmap offset (from bitmapOffset),
 *      u8 width, u8 height, i8 left, i8 top
 *   then N × u8 advances, padding to 4 bytes, the bitmap area, then metadata "family\0license\0source\0".
 * Output depends only on the input (records sorted, no timestamps), so a
 * rebuild from the same font and subset gives identical bytes.
 */
import { FontBuildError } from "./errors";
import { rowBytes, type GlyphBitmap } from "./glyph";

export const CSF_MAGIC = "CSF1";
export const CSF_VERSION = 1;
export const CSF_HEADER_BYTES = 32;
export const CSF_RECORD_BYTES = 12;

export interface CsfMeta {
	family: string;
	license: string;
	source: string;
}

export interface CsfFont {
	/** nominal pixel size (em) */
	size: number;
	ascent: number;
	descent: number;
	lineHeight: number;
	/** advance of the box drawn for a code point the font lacks */
	missingAdvance: number;
	glyphs: readonly GlyphBitmap[];
	meta?: CsfMeta;
}

function checkRange(what: string, value: number, min: number, max: number): void {
	if (!Number.isInteger(value) || value < min || value > max) throw new FontBuildError(`CSF1: ${what} ${value} is outside ${min}..${max}`);
}

/** Serialises `font` as CSF1. Throws FontBuildError when a value does not fit its field or code points repeat. */
export function writeCsf(font: CsfFont): Uint8Array {
	for (const [what, v] of [["size", font.size], ["ascent", font.ascent], ["descent", font.descent], ["lineHeight", font.lineHeight], ["missingAdvance", font.missingAdvance]] as const) {
		checkRange(what, v, 0, 0xffff);
	}
	const glyphs = [...font.glyphs].sort((a, b) => a.codePoint - b.codePoint);
	let bitmapBytes = 0;
	for (let i = 0; i < glyphs.length; i++) {
		const g = glyphs[i]!;
		const name = `glyph U+${g.codePoint.toString(16).toUpperCase()}`;
		checkRange("code point", g.codePoint, 0, 0x10ffff);
		if (i > 0 && glyphs[i - 1]!.codePoint === g.codePoint) throw new FontBuildError(`CSF1: ${name} appears twice`);
		checkRange(`${name} width`, g.width, 0, 255);
		checkRange(`${name} height`, g.height, 0, 255);
		checkRange(`${name} left`, g.left, -128, 127);
		checkRange(`${name} top`, g.top, -128, 127);
		checkRange(`${name} advance`, g.advance, 0, 255);
		const expected = g.width === 0 || g.height === 0 ? 0 : g.height * rowBytes(g.width);
		if (g.bits.length !== expected) throw new FontBuildError(`CSF1: ${name} has ${g.bits.length} bitmap bytes, expected ${expected}`);
		bitmapBytes += expected;
	}
	const n = glyphs.length;
	const tablesEnd = CSF_HEADER_BYTES + n * CSF_RECORD_BYTES + n;
	const bitmapOffset = (tablesEnd + 3) & ~3;
	const metaBytes = font.meta ? new TextEncoder().encode(`${font.meta.family}\0${font.meta.license}\0${font.meta.source}\0`) : new Uint8Array(0);
	const metaOffset = font.meta ? bitmapOffset + bitmapBytes : 0;
	const out = new Uint8Array(bitmapOffset + bitmapBytes + metaBytes.length);
	const view = new DataView(out.buffer);
	for (let i = 0; i < 4; i++) out[i] = CSF_MAGIC.charCodeAt(i);
	view.setUint16(4, CSF_VERSION, true);
	view.setUint16(6, 0, true);
	view.setUint16(8, font.size, true);
	view.setUint16(10, font.ascent, true);
	view.setUint16(12, font.descent, true);
	view.setUint16(14, font.lineHeight, true);
	view.setUint32(16, n, true);
	view.setUint32(20, bitmapOffset, true);
	view.setUint32(24, metaOffset, true);
	view.setUint16(28, font.missingAdvance, true);
	view.setUint16(30, 0, true);
	let at = 0;
	for (let i = 0; i < n; i++) {
		const g = glyphs[i]!;
		const rec = CSF_HEADER_BYTES + i * CSF_RECORD_BYTES;
		view.setUint32(rec, g.codePoint, true);
		view.setUint32(rec + 4, at, true);
		view.setUint8(rec + 8, g.width);
		view.setUint8(rec + 9, g.height);
		view.setInt8(rec + 10, g.left);
		view.setInt8(rec + 11, g.top);
		out[CSF_HEADER_BYTES + n * CSF_RECORD_BYTES + i] = g.advance;
		out.set(g.bits, bitmapOffset + at);
		at += g.bits.length;
	}
	out.set(metaBytes, bitmapOffset + bitmapBytes);
	return out;
}
