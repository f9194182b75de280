/*
 * A deliberately naive renderer: the benchmark baseline for the band renderer
 * (issue #4 "computrons on XS to render a full 800×480 board, versus a naive
 * per-pixel renderer"). It keeps a whole frame, one byte per pixel, and
 * every pixel of every op goes through a setPixel(x, y, gray) call that
 * checks the clip; glyph and icon bits are read one pixel at a time.
 *
 * It draws exactly what BandRenderer draws (same text fitting, alignment,
 * missing-glyph box and line pixels), so packing its frame gives the band
 * renderer's bytes; tests/firmware/gfx-render.test.ts checks that.
 * XS-compatible: no Node APIs (the lead bundles it into an xsnap bench).
 */
import { glyphSource, type GlyphInfo } from "../firmware/gfx/packed-font";
import { fitText, missingBoxHeight, missingBoxLeft, missingBoxWidth } from "../firmware/gfx/text";
import type { Depth, DrawOp } from "../firmware/gfx/types";

export class NaiveRenderer {
	readonly width: number;
	readonly height: number;
	/** one gray level 0..15 per pixel, row-major */
	readonly frame: Uint8Array;
	#cx0 = 0;
	#cy0 = 0;
	#cx1 = 0;
	#cy1 = 0;

	constructor(width: number, height: number) {
		this.width = width;
		this.height = height;
		this.frame = new Uint8Array(width * height);
	}

	/** Clears to white and draws every op in order. */
	render(ops: readonly DrawOp[]): Uint8Array {
		this.frame.fill(15);
		for (const op of ops) this.#draw(op);
		return this.frame;
	}

	setPixel(x: number, y: number, gray: number): void {
		if (x < this.#cx0 || x >= this.#cx1 || y < this.#cy0 || y >= this.#cy1) return;
		this.frame[y * this.width + x] = gray;
	}

	#draw(op: DrawOp): void {
		this.#cx0 = 0;
		this.#cy0 = 0;
		this.#cx1 = this.width;
		this.#cy1 = this.height;
		if (op.clip) this.#clip(op.clip.x, op.clip.y, op.clip.w, op.clip.h);
		const v = !(op.gray > 0) ? 0 : op.gray >= 15 ? 15 : Math.floor(op.gray);
		switch (op.op) {
			case "rect":
				this.#rect(op.x, op.y, op.w, op.h, v);
				break;
			case "frame": {
				const t = op.t === undefined || !(op.t >= 1) ? 1 : Math.floor(op.t);
				this.#frame(op.x, op.y, op.w, op.h, t, v);
				break;
			}
			case "line": {
				const t = op.t === undefined || !(op.t >= 1) ? 1 : Math.floor(op.t);
				this.#line(op.x0, op.y0, op.x1, op.y1, t, v);
				break;
			}
			case "text":
				this.#clip(op.x, op.y, op.w, op.h);
				this.#text(op, v);
				break;
			case "icon":
				this.#bits(op.icon.bits, 0, (op.icon.w + 7) >> 3, op.icon.w, op.icon.h, op.x, op.y, v);
				break;
		}
	}

	#clip(x: number, y: number, w: number, h: number): void {
		this.#cx0 = Math.max(this.#cx0, x);
		this.#cy0 = Math.max(this.#cy0, y);
		this.#cx1 = Math.min(this.#cx1, x + w);
		this.#cy1 = Math.min(this.#cy1, y + h);
	}

	#rect(x: number, y: number, w: number, h: number, v: number): void {
		for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.setPixel(xx, yy, v);
	}

	#frame(x: number, y: number, w: number, h: number, t: number, v: number): void {
		for (let yy = y; yy < y + h; yy++) {
			for (let xx = x; xx < x + w; xx++) {
				if (xx < x + t || xx >= x + w - t || yy < y + t || yy >= y + h - t) this.setPixel(xx, yy, v);
			}
		}
	}

	#line(x0: number, y0: number, x1: number, y1: number, t: number, v: number): void {
		const off = (t - 1) >> 1;
		const adx = Math.abs(x1 - x0);
		const ady = Math.abs(y1 - y0);
		const sx = x1 > x0 ? 1 : -1;
		const sy = y1 > y0 ? 1 : -1;
		if (ady === 0) {
			this.#rect(Math.min(x0, x1), y0 - off, adx + 1, t, v);
			return;
		}
		if (adx === 0) {
			this.#rect(x0 - off, Math.min(y0, y1), t, ady + 1, v);
			return;
		}
		const steps = Math.max(adx, ady);
		for (let i = 0; i <= steps; i++) {
			let x: number, y: number;
			if (adx >= ady) {
				x = x0 + sx * i;
				y = y0 + sy * Math.floor((2 * i * ady + adx) / (2 * adx));
			} else {
				y = y0 + sy * i;
				x = x0 + sx * Math.floor((2 * i * adx + ady) / (2 * ady));
			}
			this.#rect(x - off, y - off, t, t, v);
		}
	}

	#text(op: Extract<DrawOp, { op: "text" }>, v: number): void {
		const font = op.font;
		const text = fitText(font, op.text, op.w);
		const tw = font.measure(text);
		let pen = op.align === "right" ? op.x + op.w - tw : op.align === "center" ? op.x + ((op.w - tw) >> 1) : op.x;
		const baseline = op.y + font.ascent;
		const glyphs = glyphSource(font);
		const g: GlyphInfo = { width: 0, height: 0, left: 0, top: 0, advance: 0, offset: 0 };
		for (const ch of text) {
			const cp = ch.codePointAt(0)!;
			const index = glyphs ? glyphs.indexOf(cp) : -1;
			if (glyphs && index >= 0) {
				glyphs.glyphAt(index, g);
				this.#bits(glyphs.bitmap, g.offset, (g.width + 7) >> 3, g.width, g.height, pen + g.left, baseline - g.top, v);
				pen += g.advance;
			} else {
				const advance = font.advance(cp);
				const bw = missingBoxWidth(font, advance);
				const bh = missingBoxHeight(font);
				this.#frame(pen + missingBoxLeft(advance, bw), baseline - bh, bw, bh, 1, v);
				pen += advance;
			}
		}
	}

	#bits(src: Uint8Array, off: number, stride: number, w: number, h: number, x: number, y: number, v: number): void {
		for (let r = 0; r < h; r++) {
			for (let c = 0; c < w; c++) {
				if ((src[off + r * stride + (c >> 3)] >> (7 - (c & 7))) & 1) this.setPixel(x + c, y + r, v);
			}
		}
	}
}

/** Packs one-level-per-pixel gray (0..15) into the renderer convention at `depth` (1 bpp: level < 8 = ink = 0). */
export function packFrame(gray: Uint8Array, width: number, height: number, depth: Depth): Uint8Array {
	const stride = depth === 1 ? (width + 7) >> 3 : (width + 1) >> 1;
	const out = new Uint8Array(stride * height).fill(0xff);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const v = gray[y * width + x];
			const at = y * stride + (depth === 1 ? x >> 3 : x >> 1);
			if (depth === 1) {
				if (v < 8) out[at] &= ~(0x80 >> (x & 7));
			} else {
				out[at] = x & 1 ? (out[at] & 0xf0) | v : (out[at] & 0x0f) | (v << 4);
			}
		}
	}
	return out;
}
