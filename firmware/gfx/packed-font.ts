/*
 * Reader for the packed bitmap font format "CSF1" (written by tools/fonts,
 * layout fixed in the issue #4 brief; summary here so this file stands alone):
 *
 *   0  "CSF1"   4  u16 version = 1   6  u16 flags   8  u16 size (em px)
 *   10 u16 ascent   12 u16 descent   14 u16 lineHeight   16 u32 glyphCount N
 *   20 u32 bitmapOffset   24 u32 metaOffset (0 = none)   28 u16 missingAdvance
 *   32 N records of 12 bytes, code points ascending:
 *        u32 codePoint, u32 bitmap offset (relative to bitmapOffset),
 *        u8 width, u8 height, i8 left, i8 top (rows above the baseline)
 *   then N × u8 advances, padding to 4 bytes; the bitmap area at bitmapOffset:
 *   rows MSB-first, ceil(width/8) bytes a row, bit 1 = ink.
 *   Metadata at metaOffset: UTF-8 "family\0license\0source\0".
 *
 * On an ESP32 the font is a Moddable resource in flash (3,000 CJK glyphs is
 * ~100 KB), so nothing is unpacked at load: glyphs are found by binary search
 * over the records in place and described on demand. The constructor still
 * walks every record once to validate it (sorted, in range, bitmap inside the
 * file), so the renderer never has to bounds-check a glyph again and a
 * truncated or corrupt resource fails at load with a FontError, never later
 * with a read past the end.
 */
import { CurbsideError } from "../runtime/errors";
import type { Font } from "./types";

/** A CSF1 file is malformed; the message names the field that is wrong. */
export class FontError extends CurbsideError {
	override get name(): string {
		return "FontError";
	}
}

/** One glyph as stored: its bitmap is `height` rows of ceil(width/8) bytes at `offset` in PackedFont.bitmap. */
export interface GlyphInfo {
	width: number;
	height: number;
	/** pen x to the bitmap's left column, pixels (may be negative) */
	left: number;
	/** rows from the bitmap's top row up to the baseline: row 0 sits at baseline − top */
	top: number;
	/** pen advance, pixels */
	advance: number;
	/** byte offset of the first row in `bitmap` */
	offset: number;
}

const MAGIC = [0x43, 0x53, 0x46, 0x31]; // "CSF1"
const VERSION = 1;
const HEADER_BYTES = 32;
const RECORD_BYTES = 12;
const MAX_CODE_POINT = 0x10ffff;

export class PackedFont implements Font {
	readonly size: number;
	readonly ascent: number;
	readonly descent: number;
	readonly lineHeight: number;
	readonly glyphCount: number;
	/** advance of a code point the font lacks (the renderer draws a box there) */
	readonly missingAdvance: number;
	/** the bitmap area (a view, not a copy) */
	readonly bitmap: Uint8Array;
	readonly family: string;
	readonly license: string;
	readonly source: string;
	#bytes: Uint8Array;
	#advances: number;
	/** glyph index of each ASCII code point (−1 = absent): Latin text skips the binary search */
	#ascii = new Int16Array(128).fill(-1);

	/** @throws FontError when the bytes are not a valid CSF1 version 1 font */
	constructor(bytes: ArrayBuffer | Uint8Array) {
		const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
		const length = b.length;
		if (length < HEADER_BYTES) throw new FontError(`CSF1: ${length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
		for (let i = 0; i < 4; i++) if (b[i] !== MAGIC[i]) throw new FontError("CSF1: bad magic (not a CSF1 font)");
		const version = u16(b, 4);
		if (version !== VERSION) throw new FontError(`CSF1: version ${version} unsupported (expected ${VERSION})`);
		const count = u32(b, 16);
		const bitmapOffset = u32(b, 20);
		const metaOffset = u32(b, 24);
		const advances = HEADER_BYTES + count * RECORD_BYTES;
		if (advances + count > length) throw new FontError(`CSF1: glyph table of ${count} glyphs runs past the end of the ${length}-byte file`);
		if (bitmapOffset < advances + count || bitmapOffset > length) throw new FontError(`CSF1: bitmapOffset ${bitmapOffset} outside ${advances + count}..${length}`);
		if (metaOffset !== 0 && (metaOffset < advances + count || metaOffset >= length)) throw new FontError(`CSF1: metaOffset ${metaOffset} outside the file`);
		// The bitmap area ends where the metadata starts when that follows it, else at the end of the file.
		const bitmapEnd = metaOffset > bitmapOffset ? metaOffset : length;
		const bitmapBytes = bitmapEnd - bitmapOffset;

		let previous = -1;
		for (let i = 0, r = HEADER_BYTES; i < count; i++, r += RECORD_BYTES) {
			const cp = u32(b, r);
			if (cp > MAX_CODE_POINT) throw new FontError(`CSF1: glyph ${i} code point 0x${cp.toString(16)} beyond U+10FFFF`);
			if (cp <= previous) throw new FontError(`CSF1: glyph ${i} code point 0x${cp.toString(16)} not above the previous 0x${previous.toString(16)} (records must be sorted)`);
			previous = cp;
			if (cp < 128) this.#ascii[cp] = i;
			const width = b[r + 8];
			const height = b[r + 9];
			const end = u32(b, r + 4) + height * ((width + 7) >> 3);
			if (width && height && end > bitmapBytes) throw new FontError(`CSF1: glyph U+${cp.toString(16).toUpperCase()} bitmap ends at ${end}, past the ${bitmapBytes}-byte bitmap area`);
		}

		let family = "";
		let license = "";
		let source = "";
		if (metaOffset) {
			let at = metaOffset;
			const field = (what: string): string => {
				let end = at;
				while (end < length && b[end] !== 0) end++;
				if (end >= length) throw new FontError(`CSF1: metadata ${what} has no NUL terminator`);
				const s = decodeUtf8(b, at, end);
				at = end + 1;
				return s;
			};
			family = field("family");
			license = field("license");
			source = field("source");
		}

		this.#bytes = b;
		this.#advances = advances;
		this.size = u16(b, 8);
		this.ascent = u16(b, 10);
		this.descent = u16(b, 12);
		this.lineHeight = u16(b, 14);
		this.glyphCount = count;
		this.missingAdvance = u16(b, 28);
		this.bitmap = b.subarray(bitmapOffset, bitmapEnd);
		this.family = family;
		this.license = license;
		this.source = source;
	}

	has(codePoint: number): boolean {
		return this.indexOf(codePoint) >= 0;
	}

	advance(codePoint: number): number {
		const i = this.indexOf(codePoint);
		return i < 0 ? this.missingAdvance : this.#bytes[this.#advances + i];
	}

	measure(text: string): number {
		let w = 0;
		for (const ch of text) w += this.advance(ch.codePointAt(0)!);
		return w;
	}

	/**
	 * The stored glyph for `codePoint`, or undefined when the font lacks it.
	 * Pass `into` to reuse one object (the renderer does, so drawing text allocates nothing per glyph).
	 */
	glyph(codePoint: number, into?: GlyphInfo): GlyphInfo | undefined {
		const i = this.indexOf(codePoint);
		return i < 0 ? undefined : this.glyphAt(i, into ?? { width: 0, height: 0, left: 0, top: 0, advance: 0, offset: 0 });
	}

	/** Index of `codePoint`'s glyph (0 ..< glyphCount), −1 when the font lacks it. ASCII by table, the rest by binary search. */
	indexOf(codePoint: number): number {
		if (codePoint < 128 && codePoint >= 0) return this.#ascii[codePoint];
		return this.#find(codePoint);
	}

	/** Advance of the glyph at `index` (from indexOf). */
	advanceAt(index: number): number {
		return this.#bytes[this.#advances + index];
	}

	/** Fills `into` with the glyph at `index` (from indexOf) and returns it. */
	glyphAt(index: number, into: GlyphInfo): GlyphInfo {
		const b = this.#bytes;
		const r = HEADER_BYTES + index * RECORD_BYTES;
		into.offset = (b[r + 4] | (b[r + 5] << 8) | (b[r + 6] << 16) | (b[r + 7] << 24)) >>> 0;
		into.width = b[r + 8];
		into.height = b[r + 9];
		into.left = (b[r + 10] << 24) >> 24;
		into.top = (b[r + 11] << 24) >> 24;
		into.advance = b[this.#advances + index];
		return into;
	}

	/** Index of `codePoint` in the sorted records, −1 when absent. */
	#find(codePoint: number): number {
		const b = this.#bytes;
		let lo = 0;
		let hi = this.glyphCount - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			const r = HEADER_BYTES + mid * RECORD_BYTES;
			const cp = (b[r] | (b[r + 1] << 8) | (b[r + 2] << 16) | (b[r + 3] << 24)) >>> 0;
			if (cp < codePoint) lo = mid + 1;
			else if (cp > codePoint) hi = mid - 1;
			else return mid;
		}
		return -1;
	}
}

function u16(b: Uint8Array, at: number): number {
	return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
	return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** UTF-8 (RFC 3629) to a string; a malformed sequence becomes U+FFFD. No TextDecoder: xsnap lacks it. */
function decodeUtf8(b: Uint8Array, start: number, end: number): string {
	let s = "";
	let i = start;
	while (i < end) {
		const c = b[i++];
		let cp: number;
		let more: number;
		if (c < 0x80) {
			s += String.fromCharCode(c);
			continue;
		} else if (c >= 0xc2 && c < 0xe0) {
			cp = c & 0x1f;
			more = 1;
		} else if (c >= 0xe0 && c < 0xf0) {
			cp = c & 0x0f;
			more = 2;
		} else if (c >= 0xf0 && c < 0xf5) {
			cp = c & 0x07;
			more = 3;
		} else {
			s += "\uFFFD";
			continue;
		}
		let ok = i + more <= end;
		for (let k = 0; ok && k < more; k++) {
			const t = b[i + k];
			if ((t & 0xc0) !== 0x80) ok = false;
			else cp = (cp << 6) | (t & 0x3f);
		}
		const min = more === 1 ? 0x80 : more === 2 ? 0x800 : 0x10000;
		if (!ok || cp < min || cp > MAX_CODE_POINT || (cp >= 0xd800 && cp < 0xe000)) {
			s += "\uFFFD";
			continue;
		}
		i += more;
		s += String.fromCodePoint(cp);
	}
	return s;
}

/** What the renderer needs to blit glyphs: PackedFont, or any Font that carries the same members. */
export interface GlyphSource {
	indexOf(codePoint: number): number;
	advanceAt(index: number): number;
	glyphAt(index: number, into: GlyphInfo): GlyphInfo;
	readonly bitmap: Uint8Array;
}

/** `font` as a glyph source, or undefined for a Font with metrics only (every glyph then draws as the missing box). */
export function glyphSource(font: Font): GlyphSource | undefined {
	const f = font as Font & Partial<GlyphSource>;
	return typeof f.indexOf === "function" && typeof f.glyphAt === "function" && typeof f.advanceAt === "function" && f.bitmap instanceof Uint8Array ? (f as Font & GlyphSource) : undefined;
}
