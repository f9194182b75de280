/*
 * The band renderer (ARCHITECTURE §3): rasterises a DrawOp list one band of
 * rows at a time into a single buffer of a few KB, so an 800×480 1 bpp panel
 * (48 KB a frame) or a 960×540 4 bpp M5Paper (259 KB) never needs a frame in
 * RAM. Each band is cleared to white, every op whose box meets the band is
 * drawn clipped to it, and the band goes to a sink (normally a panel driver's
 * writeWindow) before the buffer is reused for the next band.
 *
 * Pixel conventions are those of firmware/gfx/types.ts: 1 bpp MSB-first with
 * bit 1 = white and gray < 8 = ink; 4 bpp two pixels a byte, high nibble
 * first. Everything is integer arithmetic on Uint8Arrays, so the output is
 * bit-identical on Node and XS (golden PNGs hold on both).
 *
 * Cost model (benchmarked in XS computrons against bench/naive-render.ts):
 * op boxes, text fitting and glyph lookup happen once per render call (each
 * text op becomes a list of glyph indices), so a band only blits; an op whose
 * box misses a band costs one comparison; spans are filled a byte at a time
 * (buffer.fill for long runs); 1 bpp glyph and icon rows are shifted into
 * place a whole byte at a time with edge masks, 4 bpp ones two pixels a byte.
 *
 * Diagonal lines use the pixel set of Bresenham's midpoint algorithm, computed
 * per major-axis step (y = y0 + round-half-up(i·dy/dx)) so a band draws only
 * its own rows; a thick diagonal stamps a t×t square on every pixel, while a
 * thick horizontal or vertical line grows only across (butt ends), so a
 * divider from x0 to x1 covers exactly x0..x1 whatever its thickness.
 * Thickness t is centred: offset −floor((t − 1) / 2).
 */
import { fitText, missingBoxHeight, missingBoxLeft, missingBoxWidth } from "./text";
import { glyphSource, type GlyphInfo } from "./packed-font";
import type { Depth, DrawOp, Font, Rect } from "./types";

export interface BandRendererOptions {
	/** screen width, pixels */
	width: number;
	/** screen height, pixels */
	height: number;
	/** bits per pixel: 1 (black/white) or 4 (16 grays) */
	depth: Depth;
	/** size of the one band buffer, bytes; @default 4096 */
	bandBytes?: number;
}

/** Receives one band: `band` in screen pixels, `bytes` = band.h rows of stride(band.w) bytes, valid only during the call. */
export type BandSink = (band: Rect, bytes: Uint8Array) => void;

/** Bytes in one row of `w` pixels at `depth`. */
export function strideOf(w: number, depth: Depth): number {
	return depth === 1 ? (w + 7) >> 3 : (w + 1) >> 1;
}

// Per op, once per render call: x0, y0, x1, y1 (end exclusive, clipped to the op's clip, the screen and the area),
// then for text: pen x of the first glyph, start and count of its entries in #glyphs.
const BOX = 7;

export class BandRenderer {
	readonly width: number;
	readonly height: number;
	readonly depth: Depth;
	/** bytes in one full-width row */
	readonly stride: number;
	/** full-width rows per band */
	readonly bandRows: number;
	/** bytes actually allocated for the band buffer (bandRows × stride) */
	readonly bandBytes: number;
	#buf: Uint8Array;
	#boxes = new Int32Array(0);
	/**
	 * The fitted text of every text op, resolved once per render call: a glyph index (≥ 0), or −1 − advance
	 * for a code point drawn as the missing box. Bands then draw without walking strings or searching the font.
	 */
	#glyphs = new Int32Array(64);
	#glyphCount = 0;
	#glyph: GlyphInfo = { width: 0, height: 0, left: 0, top: 0, advance: 0, offset: 0 };
	// the band being drawn: origin, row stride
	#bx = 0;
	#by = 0;
	#bs = 0;
	// the current op's clip, screen pixels, end exclusive
	#cx0 = 0;
	#cy0 = 0;
	#cx1 = 0;
	#cy1 = 0;

	/** @throws RangeError on a non-positive size, a depth other than 1 or 4, or a bad bandBytes */
	constructor(options: BandRendererOptions) {
		const { width, height, depth } = options;
		const bandBytes = options.bandBytes ?? 4096;
		if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw new RangeError(`BandRenderer: bad size ${width}×${height}`);
		if (depth !== 1 && depth !== 4) throw new RangeError(`BandRenderer: depth ${depth} (expected 1 or 4)`);
		if (!Number.isInteger(bandBytes) || bandBytes < 1) throw new RangeError(`BandRenderer: bandBytes ${bandBytes}`);
		this.width = width;
		this.height = height;
		this.depth = depth;
		this.stride = strideOf(width, depth);
		const rows = Math.floor(bandBytes / this.stride);
		this.bandRows = Math.min(height, rows < 1 ? 1 : rows);
		this.bandBytes = this.bandRows * this.stride;
		this.#buf = new Uint8Array(this.bandBytes);
	}

	/** Renders the whole screen. */
	renderAll(ops: readonly DrawOp[], sink: BandSink): void {
		this.render(ops, { x: 0, y: 0, w: this.width, h: this.height }, sink);
	}

	/**
	 * Renders `area` (clipped to the screen; at depth 1 x and w widened to byte boundaries) band by band into `sink`.
	 * Every op is checked before the first band goes out, so a bad op throws without a partial image reaching the panel.
	 * @throws RangeError on an unknown op, a non-finite coordinate or an icon whose bits are too short
	 */
	render(ops: readonly DrawOp[], area: Rect, sink: BandSink): void {
		let ax0 = Math.max(0, Math.floor(area.x));
		let ax1 = Math.min(this.width, Math.floor(area.x + area.w));
		const ay0 = Math.max(0, Math.floor(area.y));
		const ay1 = Math.min(this.height, Math.floor(area.y + area.h));
		if (this.depth === 1) {
			ax0 &= ~7;
			ax1 = Math.min(this.width, (ax1 + 7) & ~7);
		}
		if (!(ax1 > ax0 && ay1 > ay0)) return;
		const n = ops.length;
		if (this.#boxes.length < n * BOX) this.#boxes = new Int32Array(n * BOX);
		const boxes = this.#boxes;
		this.#glyphCount = 0;
		for (let i = 0; i < n; i++) this.#prepare(ops[i], i, ax0, ay0, ax1, ay1);

		const w = ax1 - ax0;
		const bs = strideOf(w, this.depth);
		const rows = Math.floor(this.#buf.length / bs);
		const buf = this.#buf;
		this.#bx = ax0;
		this.#bs = bs;
		for (let by = ay0; by < ay1; by += rows) {
			const bh = Math.min(rows, ay1 - by);
			const by1 = by + bh;
			buf.fill(0xff, 0, bh * bs);
			this.#by = by;
			for (let i = 0, b = 0; i < n; i++, b += BOX) {
				const y0 = boxes[b + 1];
				const y1 = boxes[b + 3];
				if (y1 <= by || y0 >= by1 || boxes[b + 2] <= boxes[b]) continue;
				this.#cx0 = boxes[b];
				this.#cx1 = boxes[b + 2];
				this.#cy0 = y0 > by ? y0 : by;
				this.#cy1 = y1 < by1 ? y1 : by1;
				this.#draw(ops[i], i);
			}
			sink({ x: ax0, y: by, w, h: bh }, buf.subarray(0, bh * bs));
		}
	}

	/** Validates op `i` and stores its clipped box (and fitted text) for this render call. */
	#prepare(op: DrawOp, i: number, ax0: number, ay0: number, ax1: number, ay1: number): void {
		const boxes = this.#boxes;
		const b = i * BOX;
		let x0: number, y0: number, x1: number, y1: number;
		switch (op.op) {
			case "rect":
			case "frame":
			case "text":
				x0 = op.x;
				y0 = op.y;
				x1 = op.x + op.w;
				y1 = op.y + op.h;
				break;
			case "line": {
				const t = thickness(op.t);
				const off = (t - 1) >> 1;
				// a thick line grows across itself only when horizontal/vertical (butt ends, see #line), both ways when diagonal
				const growX = op.x0 === op.x1 || op.y0 !== op.y1;
				const growY = op.y0 === op.y1 || op.x0 !== op.x1;
				x0 = Math.min(op.x0, op.x1) - (growX ? off : 0);
				y0 = Math.min(op.y0, op.y1) - (growY ? off : 0);
				x1 = Math.max(op.x0, op.x1) + (growX ? t - off : 1);
				y1 = Math.max(op.y0, op.y1) + (growY ? t - off : 1);
				break;
			}
			case "icon": {
				const icon = op.icon;
				if (!icon || !(icon.bits instanceof Uint8Array) || icon.bits.length < icon.h * ((icon.w + 7) >> 3)) throw new RangeError(`draw op ${i} (icon): bits shorter than ${icon?.h} rows of ${icon?.w} px`);
				x0 = op.x;
				y0 = op.y;
				x1 = op.x + icon.w;
				y1 = op.y + icon.h;
				break;
			}
			default:
				throw new RangeError(`draw op ${i}: unknown op "${(op as { op?: unknown }).op}"`);
		}
		if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) throw new RangeError(`draw op ${i} (${op.op}): non-finite coordinate`);
		x0 = Math.floor(x0);
		y0 = Math.floor(y0);
		x1 = Math.floor(x1);
		y1 = Math.floor(y1);
		const clip = op.clip;
		if (clip) {
			x0 = Math.max(x0, Math.floor(clip.x));
			y0 = Math.max(y0, Math.floor(clip.y));
			x1 = Math.min(x1, Math.floor(clip.x + clip.w));
			y1 = Math.min(y1, Math.floor(clip.y + clip.h));
		}
		x0 = Math.max(x0, ax0);
		y0 = Math.max(y0, ay0);
		x1 = Math.min(x1, ax1);
		y1 = Math.min(y1, ay1);
		if (!(x1 > x0 && y1 > y0)) {
			// empty (NaN from a bad clip lands here too): never drawn
			boxes[b] = boxes[b + 2] = boxes[b + 1] = boxes[b + 3] = 0;
			return;
		}
		boxes[b] = x0;
		boxes[b + 1] = y0;
		boxes[b + 2] = x1;
		boxes[b + 3] = y1;
		if (op.op === "text") {
			const w = Math.floor(op.w);
			const start = this.#glyphCount;
			let tw = this.#resolve(op.font, op.text);
			if (tw > w) {
				this.#glyphCount = start;
				tw = this.#resolve(op.font, fitText(op.font, op.text, w));
			}
			const x = Math.floor(op.x);
			boxes[b + 4] = op.align === "right" ? x + w - tw : op.align === "center" ? x + ((w - tw) >> 1) : x;
			boxes[b + 5] = start;
			boxes[b + 6] = this.#glyphCount - start;
		}
	}

	/** Appends the glyph entries of `text` to #glyphs; returns its width, pixels. */
	#resolve(font: Font, text: string): number {
		const src = glyphSource(font);
		let list = this.#glyphs;
		let k = this.#glyphCount;
		let width = 0;
		for (const ch of text) {
			const cp = ch.codePointAt(0)!;
			const index = src ? src.indexOf(cp) : -1;
			let advance: number;
			if (index >= 0) advance = src!.advanceAt(index);
			else advance = font.advance(cp);
			if (k === list.length) {
				const grown = new Int32Array(list.length * 2);
				grown.set(list);
				this.#glyphs = list = grown;
			}
			list[k++] = index >= 0 ? index : -1 - advance;
			width += advance;
		}
		this.#glyphCount = k;
		return width;
	}

	#draw(op: DrawOp, i: number): void {
		const v = level(op.gray);
		switch (op.op) {
			case "rect":
				this.#fill(Math.floor(op.x), Math.floor(op.y), Math.floor(op.x + op.w), Math.floor(op.y + op.h), v);
				break;
			case "frame":
				this.#frame(Math.floor(op.x), Math.floor(op.y), Math.floor(op.w), Math.floor(op.h), thickness(op.t), v);
				break;
			case "line":
				this.#line(Math.floor(op.x0), Math.floor(op.y0), Math.floor(op.x1), Math.floor(op.y1), thickness(op.t), v);
				break;
			case "text":
				this.#text(op, i * BOX, v);
				break;
			case "icon":
				this.#blit(op.icon.bits, 0, (op.icon.w + 7) >> 3, op.icon.w, op.icon.h, Math.floor(op.x), Math.floor(op.y), v);
				break;
		}
	}

	/** Fills [x0,x1)×[y0,y1) ∩ clip with level v: whole bytes in the middle, masked edge bytes. */
	#fill(x0: number, y0: number, x1: number, y1: number, v: number): void {
		if (x0 < this.#cx0) x0 = this.#cx0;
		if (y0 < this.#cy0) y0 = this.#cy0;
		if (x1 > this.#cx1) x1 = this.#cx1;
		if (y1 > this.#cy1) y1 = this.#cy1;
		if (x1 <= x0 || y1 <= y0) return;
		const buf = this.#buf;
		const bs = this.#bs;
		const lx0 = x0 - this.#bx;
		const lx1 = x1 - this.#bx;
		let row = (y0 - this.#by) * bs;
		const end = (y1 - this.#by) * bs;
		if (this.depth === 1) {
			const ink = v < 8;
			const b0 = lx0 >> 3;
			const b1 = (lx1 - 1) >> 3;
			const head = 0xff >> (lx0 & 7);
			const tail = (0xff << (7 - ((lx1 - 1) & 7))) & 0xff;
			if (b0 === b1) {
				const m = head & tail;
				for (; row < end; row += bs) {
					if (ink) buf[row + b0] &= ~m;
					else buf[row + b0] |= m;
				}
				return;
			}
			const full = ink ? 0 : 0xff;
			for (; row < end; row += bs) {
				if (ink) {
					buf[row + b0] &= ~head;
					buf[row + b1] &= ~tail;
				} else {
					buf[row + b0] |= head;
					buf[row + b1] |= tail;
				}
				fillBytes(buf, full, row + b0 + 1, row + b1);
			}
			return;
		}
		// 4 bpp: an odd first pixel is a low nibble, an odd last one a high nibble, whole bytes between
		let s = lx0;
		let e = lx1;
		const loFirst = (s & 1) === 1;
		if (loFirst) s++;
		const hiLast = e > s && (e & 1) === 1;
		if (hiLast) e--;
		const pair = v * 17;
		const hi = v << 4;
		for (; row < end; row += bs) {
			if (loFirst) {
				const k = row + (lx0 >> 1);
				buf[k] = (buf[k] & 0xf0) | v;
			}
			if (hiLast) {
				const k = row + (e >> 1);
				buf[k] = (buf[k] & 0x0f) | hi;
			}
			fillBytes(buf, pair, row + (s >> 1), row + (e >> 1));
		}
	}

	/** Outline t pixels thick inside x,y,w,h; a frame thicker than half the box is a filled box. */
	#frame(x: number, y: number, w: number, h: number, t: number, v: number): void {
		if (w <= 0 || h <= 0) return;
		if (2 * t >= w || 2 * t >= h) {
			this.#fill(x, y, x + w, y + h, v);
			return;
		}
		this.#fill(x, y, x + w, y + t, v);
		this.#fill(x, y + h - t, x + w, y + h, v);
		this.#fill(x, y + t, x + t, y + h - t, v);
		this.#fill(x + w - t, y + t, x + w, y + h - t, v);
	}

	#line(x0: number, y0: number, x1: number, y1: number, t: number, v: number): void {
		const off = (t - 1) >> 1;
		// horizontal and vertical: butt ends, thickness only across the line (a divider spans exactly x0..x1)
		if (y0 === y1) {
			this.#fill(Math.min(x0, x1), y0 - off, Math.max(x0, x1) + 1, y0 - off + t, v);
			return;
		}
		if (x0 === x1) {
			this.#fill(x0 - off, Math.min(y0, y1), x0 - off + t, Math.max(y0, y1) + 1, v);
			return;
		}
		const adx = Math.abs(x1 - x0);
		const ady = Math.abs(y1 - y0);
		const sx = x1 > x0 ? 1 : -1;
		const sy = y1 > y0 ? 1 : -1;
		if (adx >= ady) {
			// x-major: only the columns whose t×t stamp can reach the clip
			const lo = Math.max(Math.min(x0, x1), this.#cx0 + off - t + 1);
			const hi = Math.min(Math.max(x0, x1), this.#cx1 + off - 1);
			for (let x = lo; x <= hi; x++) {
				const i = (x - x0) * sx;
				const y = y0 + sy * Math.floor((2 * i * ady + adx) / (2 * adx)) - off;
				if (y + t > this.#cy0 && y < this.#cy1) this.#fill(x - off, y, x - off + t, y + t, v);
			}
		} else {
			const lo = Math.max(Math.min(y0, y1), this.#cy0 + off - t + 1);
			const hi = Math.min(Math.max(y0, y1), this.#cy1 + off - 1);
			for (let y = lo; y <= hi; y++) {
				const i = (y - y0) * sy;
				const x = x0 + sx * Math.floor((2 * i * adx + ady) / (2 * ady)) - off;
				if (x + t > this.#cx0 && x < this.#cx1) this.#fill(x, y - off, x + t, y - off + t, v);
			}
		}
	}

	#text(op: Extract<DrawOp, { op: "text" }>, b: number, v: number): void {
		const font = op.font;
		const src = glyphSource(font);
		const baseline = Math.floor(op.y) + font.ascent;
		const boxes = this.#boxes;
		const list = this.#glyphs;
		const g = this.#glyph;
		let pen = boxes[b + 4];
		// i8 `left` can pull a glyph back at most 128 px: past that nothing later can reach the clip
		const stop = this.#cx1 + 128;
		for (let k = boxes[b + 5], end = k + boxes[b + 6]; k < end && pen < stop; k++) {
			const e = list[k];
			if (e >= 0) {
				src!.glyphAt(e, g);
				if (g.width && g.height) this.#blit(src!.bitmap, g.offset, (g.width + 7) >> 3, g.width, g.height, pen + g.left, baseline - g.top, v);
				pen += g.advance;
			} else {
				const advance = -1 - e;
				const bw = missingBoxWidth(font, advance);
				const bh = missingBoxHeight(font);
				this.#frame(pen + missingBoxLeft(advance, bw), baseline - bh, bw, bh, 1, v);
				pen += advance;
			}
		}
	}

	/**
	 * Draws the 1 bits of a 1 bpp MSB-first bitmap (`gh` rows of `ss` bytes from `off`) with top-left gx,gy in level v.
	 * 1 bpp: each source byte is masked to the clip, shifted to the destination bit and merged into two bytes.
	 */
	#blit(src: Uint8Array, off: number, ss: number, gw: number, gh: number, gx: number, gy: number, v: number): void {
		const r0 = Math.max(0, this.#cy0 - gy);
		const r1 = Math.min(gh, this.#cy1 - gy);
		const c0 = Math.max(0, this.#cx0 - gx);
		const c1 = Math.min(gw, this.#cx1 - gx);
		if (r0 >= r1 || c0 >= c1) return;
		const buf = this.#buf;
		const bs = this.#bs;
		const k0 = c0 >> 3;
		const k1 = (c1 - 1) >> 3;
		const m0 = 0xff >> (c0 & 7);
		const m1 = (0xff << (7 - ((c1 - 1) & 7))) & 0xff;
		const lx = gx - this.#bx; // band-local x of the bitmap's column 0
		let srcRow = off + r0 * ss;
		let dstRow = (gy + r0 - this.#by) * bs;
		if (this.depth === 1) {
			// every source byte k lands at band-local x lx + 8k: the same bit shift for all of them,
			// so each byte is masked to the clip, split into two shifted halves and merged into two bytes.
			// Masked bits all lie inside the clip, so a non-zero half always lands inside this row.
			const ink = v < 8;
			const sh = lx & 7;
			const rs = 8 - sh;
			let at = dstRow + ((lx + (k0 << 3)) >> 3);
			srcRow += k0;
			if (k0 === k1) {
				// one source byte a row (glyphs up to 8 px wide): the common case for Latin text
				const m = m0 & m1;
				for (let r = r0; r < r1; r++, srcRow += ss, at += bs) {
					const bits = src[srcRow] & m;
					if (bits === 0) continue;
					const hi = bits >> sh;
					const lo = (bits << rs) & 0xff;
					if (ink) {
						if (hi) buf[at] &= ~hi;
						if (lo) buf[at + 1] &= ~lo;
					} else {
						if (hi) buf[at] |= hi;
						if (lo) buf[at + 1] |= lo;
					}
				}
				return;
			}
			for (let r = r0; r < r1; r++, srcRow += ss, at += bs) {
				for (let k = k0, s = srcRow, a = at; k <= k1; k++, s++, a++) {
					let bits = src[s];
					if (k === k0) bits &= m0;
					else if (k === k1) bits &= m1;
					if (bits === 0) continue;
					const hi = bits >> sh;
					const lo = (bits << rs) & 0xff;
					if (ink) {
						if (hi) buf[a] &= ~hi;
						if (lo) buf[a + 1] &= ~lo;
					} else {
						if (hi) buf[a] |= hi;
						if (lo) buf[a + 1] |= lo;
					}
				}
			}
			return;
		}
		// 4 bpp: a source byte at pixel x covers dest bytes x>>1 .. +4. Shifted so pair i of the 10-bit `t` is the
		// (high nibble, low nibble) ink pattern of dest byte i, each byte is merged with a keep mask.
		const pair = v * 17;
		for (let r = r0; r < r1; r++, srcRow += ss, dstRow += bs) {
			for (let k = k0; k <= k1; k++) {
				let bits = src[srcRow + k];
				if (k === k0) bits &= m0;
				if (k === k1) bits &= m1;
				if (bits === 0) continue;
				const x = lx + (k << 3);
				const t = x & 1 ? bits << 1 : bits << 2;
				let at = dstRow + (x >> 1);
				for (let sh = 8; sh >= 0; sh -= 2, at++) {
					const pat = (t >> sh) & 3;
					if (pat) {
						const keep = KEEP[pat];
						buf[at] = (buf[at] & keep) | (pair & ~keep);
					}
				}
			}
		}
	}
}

/** 4 bpp merge masks by ink pattern (bit 1 = the high-nibble pixel, bit 0 = the low-nibble pixel): the nibbles kept. */
const KEEP = [0xff, 0xf0, 0x0f, 0x00];

/** Gray level of an op clamped to 0..15 (a non-number is black: visible, never silently blank). */
function level(gray: number): number {
	if (!(gray > 0)) return 0;
	return gray >= 15 ? 15 : Math.floor(gray);
}

/** Line or frame thickness: t default 1, at least 1, whole pixels. */
function thickness(t: number | undefined): number {
	return t === undefined || !(t >= 1) ? 1 : Math.floor(t);
}

/** Sets buf[from..to) to `value`: a loop for short runs, the native fill for long ones. */
function fillBytes(buf: Uint8Array, value: number, from: number, to: number): void {
	if (to - from > 16) buf.fill(value, from, to);
	else for (let k = from; k < to; k++) buf[k] = value;
}
