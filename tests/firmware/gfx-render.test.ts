// The band renderer (firmware/gfx/band-renderer.ts), checked pixel by pixel, against itself with other band
// sizes and areas, and against the naive per-pixel renderer (bench/naive-render.ts); plus rotation (firmware/gfx/rotate.ts).
// Portable: runs under vitest on Node and under the XS harness.
import { describe, it, expect } from "vitest";
import { BandRenderer, strideOf } from "../../firmware/gfx/band-renderer";
import { PackedFont } from "../../firmware/gfx/packed-font";
import { fitText } from "../../firmware/gfx/text";
import { rotateBand, rotateRect } from "../../firmware/gfx/rotate";
import type { Depth, DrawOp, Icon, Rect } from "../../firmware/gfx/types";
import { NaiveRenderer, packFrame } from "../../bench/naive-render";
import { tinyFontBytes } from "./fixtures/tiny-font";

const font = new PackedFont(tinyFontBytes());

/** Renders `area` and assembles the bands into one packed image of the area's size; checks every band's shape. */
function renderArea(ops: readonly DrawOp[], width: number, height: number, depth: Depth, area: Rect, bandBytes = 4096): { rect: Rect; bytes: Uint8Array; bands: number } {
	const r = new BandRenderer({ width, height, depth, bandBytes });
	let rect: Rect | undefined;
	let out = new Uint8Array(0);
	let bands = 0;
	let nextY = -1;
	r.render(ops, area, (band, bytes) => {
		const s = strideOf(band.w, depth);
		expect(bytes.length).toBe(band.h * s);
		if (!rect) {
			rect = { x: band.x, y: band.y, w: band.w, h: 0 };
			nextY = band.y;
		}
		expect(band.x).toBe(rect.x);
		expect(band.w).toBe(rect.w);
		expect(band.y).toBe(nextY);
		nextY = band.y + band.h;
		const grown = new Uint8Array(out.length + bytes.length);
		grown.set(out, 0);
		grown.set(bytes, out.length);
		out = grown;
		rect.h += band.h;
		bands++;
	});
	return { rect: rect ?? { x: 0, y: 0, w: 0, h: 0 }, bytes: out, bands };
}

function renderFull(ops: readonly DrawOp[], width: number, height: number, depth: Depth, bandBytes = 4096): Uint8Array {
	return renderArea(ops, width, height, depth, { x: 0, y: 0, w: width, h: height }, bandBytes).bytes;
}

/** Gray level at x,y of a packed image `w` wide (1 bpp reads back 0 or 15). */
function px(bytes: Uint8Array, w: number, depth: Depth, x: number, y: number): number {
	const s = strideOf(w, depth);
	if (depth === 1) return (bytes[y * s + (x >> 3)] >> (7 - (x & 7))) & 1 ? 15 : 0;
	const b = bytes[y * s + (x >> 1)];
	return x & 1 ? b & 15 : b >> 4;
}

/** The ink columns (any non-white pixel) of a packed image, as [min, max] or undefined. */
function inkColumns(bytes: Uint8Array, w: number, h: number, depth: Depth, rows?: [number, number]): [number, number] | undefined {
	let lo = Infinity;
	let hi = -Infinity;
	for (let y = rows ? rows[0] : 0; y < (rows ? rows[1] : h); y++)
		for (let x = 0; x < w; x++)
			if (px(bytes, w, depth, x, y) !== 15) {
				lo = Math.min(lo, x);
				hi = Math.max(hi, x);
			}
	return lo === Infinity ? undefined : [lo, hi];
}

function countInk(bytes: Uint8Array, w: number, depth: Depth, area: Rect): number {
	let n = 0;
	for (let y = area.y; y < area.y + area.h; y++) for (let x = area.x; x < area.x + area.w; x++) if (px(bytes, w, depth, x, y) !== 15) n++;
	return n;
}

const SMILE: Icon = { w: 10, h: 3, bits: new Uint8Array([0b10000000, 0b01000000, 0b01000000, 0b10000000, 0b00111111, 0b00000000]) };

/** A scene touching every op kind, odd coordinates, clips, grays, text beyond its box and ops off screen. */
function scene(): DrawOp[] {
	return [
		{ op: "rect", x: 3, y: 2, w: 57, h: 11, gray: 0 },
		{ op: "rect", x: 5, y: 4, w: 13, h: 5, gray: 11 },
		{ op: "text", x: 19, y: 3, w: 40, h: 9, text: "10:30 W", font, gray: 15 },
		{ op: "frame", x: 1, y: 15, w: 41, h: 20, gray: 4, t: 3 },
		{ op: "frame", x: 60, y: 20, w: 5, h: 30, gray: 0, t: 3 },
		{ op: "line", x0: 0, y0: 40, x1: 92, y1: 47, gray: 0 },
		{ op: "line", x0: 70, y0: 2, x1: 61, y1: 44, gray: 6, t: 2 },
		{ op: "line", x0: 45, y0: 10, x1: 45, y1: 36, gray: 0, t: 3 },
		{ op: "line", x0: 80, y0: 30, x1: 50, y1: 30, gray: 9, t: 1 },
		{ op: "text", x: 7, y: 18, w: 31, h: 10, text: "12:45 DUE", font, gray: 0 },
		{ op: "text", x: 44, y: 2, w: 40, h: 12, text: "W\u7AD9jZ", font, gray: 2, align: "right" },
		{ op: "text", x: 20, y: 36, w: 50, h: 10, text: "ABC", font, gray: 0, align: "center", clip: { x: 0, y: 0, w: 40, h: 42 } },
		{ op: "rect", x: 30, y: 25, w: 40, h: 20, gray: 15, clip: { x: 33, y: 27, w: 9, h: 6 } },
		{ op: "icon", x: 85, y: 45, icon: SMILE, gray: 0 },
		{ op: "icon", x: -3, y: 47, icon: SMILE, gray: 5 },
		{ op: "rect", x: -20, y: -20, w: 10, h: 10, gray: 0 },
		{ op: "text", x: 88, y: 20, w: 30, h: 10, text: "0123", font, gray: 0 },
	];
}

const W = 93;
const H = 50;

describe("BandRenderer construction", () => {
	it("sizes one band buffer from bandBytes", () => {
		const r = new BandRenderer({ width: 800, height: 480, depth: 1 });
		expect(r.stride).toBe(100);
		expect(r.bandRows).toBe(40);
		expect(r.bandBytes).toBe(4000);
		const g = new BandRenderer({ width: 960, height: 540, depth: 4, bandBytes: 8192 });
		expect(g.stride).toBe(480);
		expect(g.bandRows).toBe(17);
	});
	it("keeps at least one row when a row is wider than bandBytes", () => {
		const r = new BandRenderer({ width: 800, height: 480, depth: 4, bandBytes: 64 });
		expect(r.bandRows).toBe(1);
		expect(r.bandBytes).toBe(400);
	});
	it("rejects a bad size, depth or band size", () => {
		expect(() => new BandRenderer({ width: 0, height: 10, depth: 1 })).toThrow(RangeError);
		expect(() => new BandRenderer({ width: 10.5, height: 10, depth: 1 })).toThrow(/size/);
		expect(() => new BandRenderer({ width: 10, height: 10, depth: 2 as Depth })).toThrow(/depth/);
		expect(() => new BandRenderer({ width: 10, height: 10, depth: 1, bandBytes: 0 })).toThrow(/bandBytes/);
	});
});

describe("BandRenderer primitives", () => {
	it("fills a rect exactly, at 4 bpp and 1 bpp, on odd edges", () => {
		const ops: DrawOp[] = [{ op: "rect", x: 3, y: 1, w: 10, h: 2, gray: 5 }];
		const g = renderFull(ops, 19, 4, 4);
		const m = renderFull(ops, 19, 4, 1);
		for (let y = 0; y < 4; y++)
			for (let x = 0; x < 19; x++) {
				const inside = x >= 3 && x < 13 && y >= 1 && y < 3;
				expect(px(g, 19, 4, x, y)).toBe(inside ? 5 : 15);
				expect(px(m, 19, 1, x, y)).toBe(inside ? 0 : 15);
			}
	});

	it("keeps padding bits of a 1 bpp row white", () => {
		const m = renderFull([{ op: "rect", x: 0, y: 0, w: 100, h: 1, gray: 0 }], 13, 1, 1);
		expect(m[0]).toBe(0x00);
		expect(m[1]).toBe(0b00000111);
	});

	it("thresholds at 1 bpp: gray 7 is ink, gray 8 is paper", () => {
		const ops: DrawOp[] = [
			{ op: "rect", x: 0, y: 0, w: 8, h: 8, gray: 0 },
			{ op: "rect", x: 0, y: 0, w: 4, h: 4, gray: 7 },
			{ op: "rect", x: 4, y: 4, w: 4, h: 4, gray: 8 },
		];
		const m = renderFull(ops, 8, 8, 1);
		expect(px(m, 8, 1, 1, 1)).toBe(0);
		expect(px(m, 8, 1, 5, 5)).toBe(15);
		expect(px(m, 8, 1, 5, 1)).toBe(0);
		const g = renderFull(ops, 8, 8, 4);
		expect(px(g, 8, 4, 1, 1)).toBe(7);
		expect(px(g, 8, 4, 5, 5)).toBe(8);
	});

	it("draws a frame t pixels thick inside its box", () => {
		const g = renderFull([{ op: "frame", x: 2, y: 2, w: 10, h: 8, gray: 0, t: 2 }], 14, 12, 4);
		expect(px(g, 14, 4, 2, 2)).toBe(0);
		expect(px(g, 14, 4, 3, 5)).toBe(0);
		expect(px(g, 14, 4, 4, 5)).toBe(15);
		expect(px(g, 14, 4, 11, 9)).toBe(0);
		expect(px(g, 14, 4, 12, 9)).toBe(15);
		expect(px(g, 14, 4, 1, 1)).toBe(15);
		expect(countInk(g, 14, 4, { x: 0, y: 0, w: 14, h: 12 })).toBe(10 * 8 - 6 * 4);
	});

	it("draws lines with both end points inclusive", () => {
		const g = renderFull([{ op: "line", x0: 2, y0: 1, x1: 9, y1: 4, gray: 0 }], 12, 6, 4);
		expect(px(g, 12, 4, 2, 1)).toBe(0);
		expect(px(g, 12, 4, 9, 4)).toBe(0);
		expect(countInk(g, 12, 4, { x: 0, y: 0, w: 12, h: 6 })).toBe(8);
		const h = renderFull([{ op: "line", x0: 9, y0: 3, x1: 2, y1: 3, gray: 0, t: 3 }], 12, 6, 4);
		// butt ends: thickness only across a horizontal line, so it spans exactly x 2..9
		expect(countInk(h, 12, 4, { x: 0, y: 0, w: 12, h: 6 })).toBe(8 * 3);
		expect(px(h, 12, 4, 2, 2)).toBe(0);
		expect(px(h, 12, 4, 1, 3)).toBe(15);
		expect(px(h, 12, 4, 10, 3)).toBe(15);
		expect(px(h, 12, 4, 2, 5)).toBe(15);
	});

	it("draws only an icon's 1 bits", () => {
		const g = renderFull([{ op: "rect", x: 0, y: 0, w: 12, h: 4, gray: 9 }, { op: "icon", x: 1, y: 0, icon: SMILE, gray: 0 }], 12, 4, 4);
		expect(px(g, 12, 4, 1, 0)).toBe(0);
		expect(px(g, 12, 4, 2, 0)).toBe(9);
		expect(px(g, 12, 4, 10, 0)).toBe(0);
		expect(px(g, 12, 4, 3, 2)).toBe(0);
		expect(px(g, 12, 4, 1, 2)).toBe(9);
	});

	it("respects an op's clip", () => {
		const g = renderFull([{ op: "rect", x: 0, y: 0, w: 20, h: 10, gray: 0, clip: { x: 5, y: 3, w: 4, h: 2 } }], 20, 10, 4);
		expect(countInk(g, 20, 4, { x: 0, y: 0, w: 20, h: 10 })).toBe(8);
		expect(px(g, 20, 4, 5, 3)).toBe(0);
		expect(px(g, 20, 4, 9, 3)).toBe(15);
	});

	it("rejects an unknown op, a non-finite coordinate and a short icon before any band goes out", () => {
		const r = new BandRenderer({ width: 20, height: 20, depth: 1, bandBytes: 8 });
		let bands = 0;
		const sink = () => bands++;
		const good: DrawOp = { op: "rect", x: 0, y: 0, w: 4, h: 4, gray: 0 };
		expect(() => r.renderAll([good, { op: "circle" } as unknown as DrawOp], sink)).toThrow(/unknown op "circle"/);
		expect(() => r.renderAll([good, { op: "line", x0: 0, y0: 0, x1: Infinity, y1: 3, gray: 0 }], sink)).toThrow(/non-finite/);
		expect(() => r.renderAll([{ op: "icon", x: 0, y: 0, icon: { w: 9, h: 2, bits: new Uint8Array(3) }, gray: 0 }], sink)).toThrow(/icon/);
		expect(bands).toBe(0);
		r.renderAll([good], sink);
		expect(bands).toBe(10); // stride 3, 2 rows a band
	});

	it("renders nothing for an area off the screen", () => {
		let bands = 0;
		new BandRenderer({ width: 20, height: 20, depth: 4 }).render([], { x: 30, y: 0, w: 10, h: 10 }, () => bands++);
		expect(bands).toBe(0);
	});
});

describe("BandRenderer text", () => {
	it("blits glyph bits with the baseline at y + ascent", () => {
		const g = renderFull([{ op: "text", x: 2, y: 1, w: 40, h: 10, text: "1", font, gray: 0 }], 20, 12, 4);
		// "1" row 0 is "..#.." and sits at baseline − 7 = 1 + 8 − 7 = 2
		expect(px(g, 20, 4, 4, 2)).toBe(0);
		expect(px(g, 20, 4, 3, 2)).toBe(15);
		// bottom row ".###." at y 8
		expect(px(g, 20, 4, 3, 8)).toBe(0);
		expect(px(g, 20, 4, 5, 8)).toBe(0);
		expect(px(g, 20, 4, 3, 9)).toBe(15);
	});

	it("draws a missing glyph as a box outline, never nothing", () => {
		const g = renderFull([{ op: "text", x: 0, y: 0, w: 20, h: 10, text: "Z", font, gray: 0 }], 20, 10, 4);
		// box 0.6 em = 6, capped to advance − 1 = 5 wide, ascent 8 tall: x 0..4, y 0..7
		expect(countInk(g, 20, 4, { x: 0, y: 0, w: 20, h: 10 })).toBe(2 * 5 + 2 * 6);
		expect(px(g, 20, 4, 0, 0)).toBe(0);
		expect(px(g, 20, 4, 4, 7)).toBe(0);
		expect(px(g, 20, 4, 2, 3)).toBe(15);
	});

	it("draws a metrics-only font's glyphs as boxes", () => {
		const metricsOnly = { size: 10, ascent: 8, descent: 2, lineHeight: 10, has: () => true, advance: () => 7, measure: (s: string) => 7 * [...s].length };
		const g = renderFull([{ op: "text", x: 0, y: 0, w: 30, h: 10, text: "ab", font: metricsOnly, gray: 0 }], 30, 10, 1);
		expect(countInk(g, 30, 1, { x: 0, y: 0, w: 30, h: 10 })).toBe(2 * (2 * 6 + 2 * 6));
	});

	it("truncates with an ellipsis and never draws outside the op box", () => {
		const box = { x: 3, y: 2, w: 29, h: 10 };
		const ops: DrawOp[] = [{ op: "text", ...box, text: "ABCDEMNOSTUWX", font, gray: 0 }];
		for (const depth of [1, 4] as Depth[]) {
			const g = renderFull(ops, 60, 14, depth);
			expect(countInk(g, 60, depth, { x: box.x + box.w, y: 0, w: 60 - box.x - box.w, h: 14 })).toBe(0);
			expect(countInk(g, 60, depth, box)).toBeGreaterThan(20);
			// the ellipsis dots (row at the baseline − 1 = y 9) are drawn: "ABC" is 18 px, "…" follows at x 21
			expect(px(g, 60, depth, 3 + 18, 9)).toBe(0);
			expect(px(g, 60, depth, 3 + 20, 9)).toBe(0);
		}
		expect(fitText(font, "ABCDEMNOSTUWX", 29)).toBe("ABC\u2026");
	});

	it("clips a glyph that hangs outside the op box (descender, negative bearing)", () => {
		const g = renderFull([{ op: "text", x: 4, y: 0, w: 10, h: 8, text: "j", font, gray: 0 }], 20, 12, 4);
		// "j" has left −1 and two rows below the baseline (y 8, 9): all outside the box
		expect(countInk(g, 20, 4, { x: 0, y: 8, w: 20, h: 4 })).toBe(0);
		expect(countInk(g, 20, 4, { x: 0, y: 0, w: 4, h: 12 })).toBe(0);
		// inside: the stem at x 5, rows 1 and 3..7
		expect(countInk(g, 20, 4, { x: 4, y: 0, w: 10, h: 8 })).toBe(6);
	});

	it("aligns right and center inside the box", () => {
		const base = { x: 10, y: 0, w: 30, h: 10, text: "11", font, gray: 0 } as const;
		// "11" is 12 px wide; its ink is columns 1..3 of each 5-px cell (".##.." / ".###.")
		const left = inkColumns(renderFull([{ op: "text", ...base }], 50, 10, 4), 50, 10, 4)!;
		const right = inkColumns(renderFull([{ op: "text", ...base, align: "right" }], 50, 10, 4), 50, 10, 4)!;
		const center = inkColumns(renderFull([{ op: "text", ...base, align: "center" }], 50, 10, 4), 50, 10, 4)!;
		expect(left).toEqual([11, 9 + 6 + 3 + 1]);
		expect(right[0] - left[0]).toBe(18);
		expect(center[0] - left[0]).toBe(9);
		expect(right[1]).toBeLessThan(40);
	});

	it("blits at every bit offset: a glyph shifted by 1 px moves by exactly 1 px", () => {
		for (const depth of [1, 4] as Depth[]) {
			const at = (x: number) => renderFull([{ op: "text", x, y: 0, w: 30, h: 10, text: "W8", font, gray: 3 }], 48, 10, depth);
			const ref = at(0);
			expect(countInk(ref, 48, depth, { x: 0, y: 0, w: 48, h: 10 })).toBeGreaterThan(30);
			for (let dx = 1; dx < 17; dx++) {
				const g = at(dx);
				for (let y = 0; y < 10; y++) for (let x = 0; x < 30; x++) expect(px(g, 48, depth, x + dx, y)).toBe(px(ref, 48, depth, x, y));
			}
		}
	});
});

describe("BandRenderer bands and areas", () => {
	it("gives the same pixels with 64-byte bands as with one big band", () => {
		for (const depth of [1, 4] as Depth[]) {
			const small = renderArea(scene(), W, H, depth, { x: 0, y: 0, w: W, h: H }, 64);
			const big = renderArea(scene(), W, H, depth, { x: 0, y: 0, w: W, h: H }, 1 << 20);
			expect(small.bands).toBeGreaterThan(5);
			expect(big.bands).toBe(1);
			expect(small.bytes).toEqual(big.bytes);
		}
	});

	it("renders an area exactly like the same region of a full render", () => {
		const areas: Rect[] = [
			{ x: 13, y: 7, w: 29, h: 17 },
			{ x: 0, y: 30, w: 93, h: 20 },
			{ x: 85, y: 40, w: 50, h: 50 },
			{ x: -5, y: -5, w: 12, h: 9 },
		];
		for (const depth of [1, 4] as Depth[]) {
			const full = renderFull(scene(), W, H, depth, 200);
			for (const area of areas) {
				const part = renderArea(scene(), W, H, depth, area, 100);
				const r = part.rect;
				if (depth === 1) expect(r.x % 8).toBe(0);
				expect(r.x).toBeLessThanOrEqual(Math.max(0, area.x));
				expect(r.x + r.w).toBeGreaterThanOrEqual(Math.min(W, area.x + area.w));
				for (let y = 0; y < r.h; y++) for (let x = 0; x < r.w; x++) expect(px(part.bytes, r.w, depth, x, y)).toBe(px(full, W, depth, r.x + x, r.y + y));
			}
		}
	});

	it("widens a 1 bpp area to byte columns", () => {
		const part = renderArea([], 93, 10, 1, { x: 13, y: 0, w: 3, h: 2 });
		expect(part.rect).toEqual({ x: 8, y: 0, w: 8, h: 2 });
		const edge = renderArea([], 93, 10, 1, { x: 90, y: 0, w: 3, h: 2 });
		expect(edge.rect).toEqual({ x: 88, y: 0, w: 5, h: 2 });
	});

	it("matches the naive per-pixel renderer at 4 bpp and 1 bpp", () => {
		const naive = new NaiveRenderer(W, H).render(scene());
		expect(renderFull(scene(), W, H, 4, 300)).toEqual(packFrame(naive, W, H, 4));
		expect(renderFull(scene(), W, H, 1, 300)).toEqual(packFrame(naive, W, H, 1));
	});

	it("matches the naive renderer on many random diagonal and thick lines", () => {
		let seed = 7;
		const rnd = (n: number) => {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			return seed % n;
		};
		const ops: DrawOp[] = [];
		for (let i = 0; i < 40; i++) ops.push({ op: "line", x0: rnd(90) - 10, y0: rnd(70) - 10, x1: rnd(90) - 10, y1: rnd(70) - 10, gray: rnd(16), t: 1 + rnd(4) });
		const naive = new NaiveRenderer(61, 47).render(ops);
		expect(renderFull(ops, 61, 47, 4, 50)).toEqual(packFrame(naive, 61, 47, 4));
	});
});

describe("rotate", () => {
	const source = () => renderFull(scene(), W, H, 1);
	it("maps a pixel clockwise at 90", () => {
		const src = renderFull([{ op: "rect", x: 0, y: 0, w: 1, h: 1, gray: 0 }], 10, 4, 1);
		const out = rotateBand(src, 10, 4, 1, 90);
		// (0,0) → (h − 1 − 0, 0) = (3, 0) in a 4 × 10 image
		expect(px(out, 4, 1, 3, 0)).toBe(0);
		expect(px(out, 4, 1, 0, 0)).toBe(15);
		const r = rotateRect({ x: 0, y: 0, w: 1, h: 1 }, 10, 4, 90);
		expect(r).toEqual({ x: 3, y: 0, w: 1, h: 1 });
	});

	it("round-trips 90 then 270, and 180 twice, at both depths", () => {
		for (const depth of [1, 4] as Depth[]) {
			const src = renderFull(scene(), W, H, depth);
			const r90 = rotateBand(src, W, H, depth, 90);
			expect(r90.length).toBe(strideOf(H, depth) * W);
			expect(rotateBand(r90, H, W, depth, 270)).toEqual(src);
			expect(rotateBand(rotateBand(src, W, H, depth, 180), W, H, depth, 180)).toEqual(src);
		}
	});

	it("rotates a band into the window rotateRect names", () => {
		const full = source();
		const rotated = rotateBand(full, W, H, 1, 270);
		const band = { x: 0, y: 16, w: W, h: 8 };
		const strip = renderArea(scene(), W, H, 1, band).bytes;
		const win = rotateRect(band, W, H, 270);
		const part = rotateBand(strip, band.w, band.h, 1, 270);
		for (let y = 0; y < win.h; y++) for (let x = 0; x < win.w; x++) expect(px(part, win.w, 1, x, y)).toBe(px(rotated, H, 1, win.x + x, win.y + y));
	});

	it("rejects a short source or output and a bad rotation", () => {
		expect(() => rotateBand(new Uint8Array(3), 10, 4, 1, 90)).toThrow(/source/);
		expect(() => rotateBand(new Uint8Array(8), 10, 4, 1, 90, new Uint8Array(2))).toThrow(/out/);
		expect(() => rotateBand(new Uint8Array(8), 10, 4, 1, 45 as 90)).toThrow(/rotation/);
		expect(() => rotateRect({ x: 0, y: 0, w: 1, h: 1 }, 10, 4, 0 as 90)).toThrow(/rotation/);
	});
});
