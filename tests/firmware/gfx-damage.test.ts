// Damage between draw lists and the rect helpers (firmware/gfx/damage.ts).
// Portable: runs under vitest on Node and under the XS harness.
import { describe, it, expect } from "vitest";
import { alignRect, diffOps, intersectRect, mergeRects, opBox, sameOp, unionRect } from "../../firmware/gfx/damage";
import { BandRenderer, strideOf } from "../../firmware/gfx/band-renderer";
import { PackedFont } from "../../firmware/gfx/packed-font";
import type { DrawOp, Icon, Rect } from "../../firmware/gfx/types";
import { tinyFontBytes } from "./fixtures/tiny-font";

const font = new PackedFont(tinyFontBytes());
const otherFont = new PackedFont(tinyFontBytes());
const ICON: Icon = { w: 8, h: 2, bits: new Uint8Array([0xff, 0x81]) };

/** A little departures board: header, one row per departure (route, destination, minutes), footer. */
function board(minutes: string[], footer = "12:00"): DrawOp[] {
	const ops: DrawOp[] = [{ op: "rect", x: 0, y: 0, w: 120, h: 12, gray: 0 }, { op: "text", x: 2, y: 2, w: 80, h: 10, text: "STOP", font, gray: 15 }];
	minutes.forEach((m, i) => {
		const y = 14 + i * 12;
		ops.push({ op: "text", x: 2, y, w: 20, h: 10, text: String(i + 1), font, gray: 0 });
		ops.push({ op: "text", x: 24, y, w: 60, h: 10, text: "DOWNTOWN", font, gray: 0 });
		ops.push({ op: "text", x: 90, y, w: 28, h: 10, text: m, font, gray: 0, align: "right" });
		ops.push({ op: "line", x0: 0, y0: y + 11, x1: 119, y1: y + 11, gray: 8 });
	});
	ops.push({ op: "text", x: 2, y: 62, w: 116, h: 10, text: footer, font, gray: 0 });
	return ops;
}

function frame(ops: readonly DrawOp[], w: number, h: number): Uint8Array {
	const out = new Uint8Array(strideOf(w, 1) * h);
	new BandRenderer({ width: w, height: h, depth: 1, bandBytes: 64 }).renderAll(ops, (band, bytes) => out.set(bytes, band.y * strideOf(w, 1)));
	return out;
}

describe("diffOps", () => {
	it("is empty for equal lists, even when rebuilt", () => {
		expect(diffOps(board(["3", "7", "12"]), board(["3", "7", "12"]))).toEqual([]);
		expect(diffOps([], [])).toEqual([]);
	});

	it("finds only the changed row", () => {
		expect(diffOps(board(["3", "7", "12"]), board(["3", "8", "12"]))).toEqual([{ x: 90, y: 26, w: 28, h: 10 }]);
	});

	it("merges two changes in touching boxes and keeps distant ones apart", () => {
		const a = board(["3", "7", "12"]);
		const b = board(["4", "8", "12"], "12:01");
		// rows 1 and 2 minute boxes (y 14..24, 26..36) are 2 px apart: separate; the footer is separate too
		expect(diffOps(a, b)).toEqual([
			{ x: 90, y: 14, w: 28, h: 10 },
			{ x: 90, y: 26, w: 28, h: 10 },
			{ x: 2, y: 62, w: 116, h: 10 },
		]);
	});

	it("damages the box of an op present in one list only", () => {
		const two = board(["3", "7"]);
		const three = board(["3", "7", "12"]);
		const added = diffOps(two, three);
		// the new row's three texts and its rule: 1–2 px apart, so not merged
		expect(added).toEqual([
			{ x: 2, y: 38, w: 20, h: 10 },
			{ x: 24, y: 38, w: 60, h: 10 },
			{ x: 90, y: 38, w: 28, h: 10 },
			{ x: 0, y: 49, w: 120, h: 1 },
		]);
		expect(diffOps(three, two)).toEqual(added);
		expect(diffOps([], [{ op: "icon", x: 5, y: 6, icon: ICON, gray: 0 }])).toEqual([{ x: 5, y: 6, w: 8, h: 2 }]);
	});

	it("compares fonts and icons by identity, t and align with their defaults", () => {
		const t: DrawOp = { op: "text", x: 0, y: 0, w: 10, h: 10, text: "1", font, gray: 0 };
		expect(sameOp(t, { ...t, font: otherFont })).toBe(false);
		expect(sameOp(t, { ...t, align: "left" })).toBe(true);
		expect(sameOp(t, { ...t, align: "right" })).toBe(false);
		expect(sameOp({ op: "frame", x: 0, y: 0, w: 4, h: 4, gray: 0 }, { op: "frame", x: 0, y: 0, w: 4, h: 4, gray: 0, t: 1 })).toBe(true);
		expect(sameOp({ op: "icon", x: 0, y: 0, icon: ICON, gray: 0 }, { op: "icon", x: 0, y: 0, icon: { ...ICON }, gray: 0 })).toBe(false);
		expect(sameOp({ op: "rect", x: 0, y: 0, w: 4, h: 4, gray: 0 }, { op: "rect", x: 0, y: 0, w: 4, h: 4, gray: 0, clip: { x: 0, y: 0, w: 2, h: 2 } })).toBe(false);
	});

	it("damages a paint-order change (two overlapping ops swapped)", () => {
		const a: DrawOp = { op: "rect", x: 0, y: 0, w: 10, h: 10, gray: 0 };
		const b: DrawOp = { op: "rect", x: 5, y: 5, w: 10, h: 10, gray: 15 };
		const damage = diffOps([a, b], [b, a]);
		// matched in order, b stays matched and a moved: a's box holds the whole overlap that changes
		expect(damage).toEqual([{ x: 0, y: 0, w: 10, h: 10 }]);
		const before = frame([a, b], 16, 16);
		const after = frame([b, a], 16, 16);
		const s = strideOf(16, 1);
		for (let y = 0; y < 16; y++)
			for (let x = 0; x < 16; x++) {
				const changed = ((before[y * s + (x >> 3)] ^ after[y * s + (x >> 3)]) >> (7 - (x & 7))) & 1;
				if (changed) expect(x < 10 && y < 10).toBe(true);
			}
		expect(before).not.toEqual(after);
	});

	it("clips an op's damage to its clip", () => {
		const r: DrawOp = { op: "rect", x: 0, y: 0, w: 100, h: 100, gray: 0, clip: { x: 10, y: 20, w: 5, h: 5 } };
		expect(diffOps([], [r])).toEqual([{ x: 10, y: 20, w: 5, h: 5 }]);
		expect(diffOps([], [{ ...r, clip: { x: 200, y: 0, w: 5, h: 5 } }])).toEqual([]);
	});

	it("re-rendering only the damage over the old image gives the new image", () => {
		const prev = board(["3", "7", "12"]);
		const next = board(["2", "7", "DUE", "45"], "12:01");
		const image = frame(prev, 120, 74);
		const s = strideOf(120, 1);
		const r = new BandRenderer({ width: 120, height: 74, depth: 1, bandBytes: 64 });
		for (const d of diffOps(prev, next)) {
			r.render(next, alignRect(d, 8, 120, 74), (band, bytes) => {
				const bs = strideOf(band.w, 1);
				for (let y = 0; y < band.h; y++) image.set(bytes.subarray(y * bs, (y + 1) * bs), (band.y + y) * s + band.x / 8);
			});
		}
		expect(image).toEqual(frame(next, 120, 74));
	});
});

describe("rect helpers", () => {
	it("opBox of a thick line: across only when horizontal, both ways when diagonal", () => {
		expect(opBox({ op: "line", x0: 9, y0: 3, x1: 2, y1: 3, gray: 0, t: 3 })).toEqual({ x: 2, y: 2, w: 8, h: 3 });
		expect(opBox({ op: "line", x0: 2, y0: 3, x1: 9, y1: 6, gray: 0, t: 3 })).toEqual({ x: 1, y: 2, w: 10, h: 6 });
	});

	it("unionRect ignores empty rects", () => {
		expect(unionRect({ x: 0, y: 0, w: 2, h: 2 }, { x: 5, y: 1, w: 1, h: 4 })).toEqual({ x: 0, y: 0, w: 6, h: 5 });
		expect(unionRect({ x: 50, y: 50, w: 0, h: 9 }, { x: 5, y: 1, w: 1, h: 4 })).toEqual({ x: 5, y: 1, w: 1, h: 4 });
	});

	it("intersectRect is empty when rects do not meet", () => {
		expect(intersectRect({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 8, w: 10, h: 10 })).toEqual({ x: 5, y: 8, w: 5, h: 2 });
		const none = intersectRect({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 5, h: 5 });
		expect(none.w * none.h).toBe(0);
	});

	it("mergeRects joins overlapping and touching rects, sorted top to bottom", () => {
		const merged = mergeRects([
			{ x: 50, y: 50, w: 5, h: 5 },
			{ x: 0, y: 0, w: 10, h: 10 },
			{ x: 10, y: 0, w: 5, h: 3 },
			{ x: 0, y: 20, w: 4, h: 0 },
		]);
		expect(merged).toEqual([
			{ x: 0, y: 0, w: 15, h: 10 },
			{ x: 50, y: 50, w: 5, h: 5 },
		]);
	});

	it("alignRect widens x and w to the alignment and clamps to the screen", () => {
		expect(alignRect({ x: 13, y: 5, w: 3, h: 4 }, 8, 296, 128)).toEqual({ x: 8, y: 5, w: 8, h: 4 });
		expect(alignRect({ x: -5, y: -2, w: 20, h: 300 }, 8, 296, 128)).toEqual({ x: 0, y: 0, w: 16, h: 128 });
		expect(alignRect({ x: 290, y: 0, w: 20, h: 1 }, 8, 296, 128)).toEqual({ x: 288, y: 0, w: 8, h: 1 });
		expect(alignRect({ x: 5, y: 0, w: 2, h: 1 }, 4, 960, 540)).toEqual({ x: 4, y: 0, w: 4, h: 1 });
		const off = alignRect({ x: 400, y: 0, w: 20, h: 1 }, 8, 296, 128);
		expect(off.w).toBe(0);
	});
});
