/*
 * Damage: which screen regions differ between two draw lists, so the stop
 * sign re-renders and partially refreshes only those (issue #4 "Changed
 * regions use partial refresh"), plus the rectangle helpers that go with it.
 *
 * Ops are compared by value (kind, coordinates, gray, thickness, alignment,
 * text, clip) and by identity for fonts and icons. The two lists are matched
 * in order (common prefix, common suffix, then a bounded look-ahead in the
 * middle); every op left unmatched on either side damages its box. This is
 * sound because an op's pixels depend only on its value: a pixel outside all
 * damaged boxes is covered, in both lists, by the same matched ops in the same
 * order, so it renders the same. Matching only in order also makes a swap of
 * two overlapping ops (a paint-order change) count as damage.
 */
import type { DrawOp, Rect } from "./types";

/** How far ahead in the old list an op is looked for before it counts as new. */
const LOOK_AHEAD = 32;

/** The regions that differ between `prev` and `next`, merged (overlapping or touching rects joined); [] when equal. */
export function diffOps(prev: readonly DrawOp[], next: readonly DrawOp[]): Rect[] {
	let start = 0;
	while (start < prev.length && start < next.length && sameOp(prev[start], next[start])) start++;
	let endP = prev.length;
	let endN = next.length;
	while (endP > start && endN > start && sameOp(prev[endP - 1], next[endN - 1])) {
		endP--;
		endN--;
	}
	const damage: Rect[] = [];
	let p = start;
	for (let n = start; n < endN; n++) {
		let found = -1;
		for (let k = p, last = Math.min(endP, p + LOOK_AHEAD); k < last; k++) {
			if (sameOp(prev[k], next[n])) {
				found = k;
				break;
			}
		}
		if (found < 0) {
			addBox(damage, next[n]);
			continue;
		}
		for (; p < found; p++) addBox(damage, prev[p]);
		p = found + 1;
	}
	for (; p < endP; p++) addBox(damage, prev[p]);
	return mergeRects(damage);
}

/** The box an op can touch (its clip applied), screen pixels. */
export function opBox(op: DrawOp): Rect {
	let box: Rect;
	switch (op.op) {
		case "line": {
			const t = op.t === undefined || !(op.t >= 1) ? 1 : Math.floor(op.t);
			const off = (t - 1) >> 1;
			// as the band renderer draws it: thickness across a horizontal/vertical line only, both ways on a diagonal
			const growX = op.x0 === op.x1 || op.y0 !== op.y1;
			const growY = op.y0 === op.y1 || op.x0 !== op.x1;
			const x = Math.min(op.x0, op.x1) - (growX ? off : 0);
			const y = Math.min(op.y0, op.y1) - (growY ? off : 0);
			box = { x, y, w: Math.max(op.x0, op.x1) + (growX ? t - off : 1) - x, h: Math.max(op.y0, op.y1) + (growY ? t - off : 1) - y };
			break;
		}
		case "icon":
			box = { x: op.x, y: op.y, w: op.icon.w, h: op.icon.h };
			break;
		default:
			box = { x: op.x, y: op.y, w: op.w, h: op.h };
	}
	return op.clip ? intersectRect(box, op.clip) : box;
}

function addBox(out: Rect[], op: DrawOp): void {
	const box = opBox(op);
	if (box.w > 0 && box.h > 0) out.push(box);
}

/** Value equality of two ops (fonts and icons by identity; t and align compared with their defaults applied). */
export function sameOp(a: DrawOp, b: DrawOp): boolean {
	if (a === b) return true;
	if (a.op !== b.op || a.gray !== b.gray || !sameClip(a.clip, b.clip)) return false;
	switch (a.op) {
		case "rect": {
			const o = b as typeof a;
			return a.x === o.x && a.y === o.y && a.w === o.w && a.h === o.h;
		}
		case "frame": {
			const o = b as typeof a;
			return a.x === o.x && a.y === o.y && a.w === o.w && a.h === o.h && (a.t ?? 1) === (o.t ?? 1);
		}
		case "line": {
			const o = b as typeof a;
			return a.x0 === o.x0 && a.y0 === o.y0 && a.x1 === o.x1 && a.y1 === o.y1 && (a.t ?? 1) === (o.t ?? 1);
		}
		case "text": {
			const o = b as typeof a;
			return a.x === o.x && a.y === o.y && a.w === o.w && a.h === o.h && a.text === o.text && a.font === o.font && (a.align ?? "left") === (o.align ?? "left");
		}
		case "icon": {
			const o = b as typeof a;
			return a.x === o.x && a.y === o.y && a.icon === o.icon;
		}
	}
	return false;
}

function sameClip(a: Rect | undefined, b: Rect | undefined): boolean {
	if (a === b) return true;
	if (!a || !b) return false;
	return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/** Joins rects that overlap or touch (edges or corners) until none do; sorted top to bottom, then left to right. */
export function mergeRects(rects: readonly Rect[]): Rect[] {
	const out = rects.filter((r) => r.w > 0 && r.h > 0).map((r) => ({ x: r.x, y: r.y, w: r.w, h: r.h }));
	let merged = true;
	while (merged) {
		merged = false;
		for (let i = 0; i < out.length && !merged; i++) {
			for (let j = i + 1; j < out.length; j++) {
				const a = out[i];
				const b = out[j];
				if (a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h) {
					out[i] = unionRect(a, b);
					out.splice(j, 1);
					merged = true;
					break;
				}
			}
		}
	}
	return out.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** Smallest rect holding both (an empty rect holds nothing). */
export function unionRect(a: Rect, b: Rect): Rect {
	const aEmpty = !(a.w > 0 && a.h > 0);
	const bEmpty = !(b.w > 0 && b.h > 0);
	if (aEmpty) return bEmpty ? { x: 0, y: 0, w: 0, h: 0 } : { x: b.x, y: b.y, w: b.w, h: b.h };
	if (bEmpty) return { x: a.x, y: a.y, w: a.w, h: a.h };
	const x = Math.min(a.x, b.x);
	const y = Math.min(a.y, b.y);
	return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/** Overlap of two rects; w and h are 0 when they do not meet. */
export function intersectRect(a: Rect, b: Rect): Rect {
	const x = Math.max(a.x, b.x);
	const y = Math.max(a.y, b.y);
	const w = Math.min(a.x + a.w, b.x + b.w) - x;
	const h = Math.min(a.y + a.h, b.y + b.h) - y;
	return w > 0 && h > 0 ? { x, y, w, h } : { x, y, w: 0, h: 0 };
}

/**
 * `rect` clamped to the width × height screen with x and w widened to multiples of `xAlign`
 * (a panel's RAM window granularity, EPaperPanel.xAlign); the right edge stops at `width`.
 */
export function alignRect(rect: Rect, xAlign: number, width: number, height: number): Rect {
	const a = xAlign >= 1 ? Math.floor(xAlign) : 1;
	const x0 = Math.max(0, Math.floor(rect.x));
	const y0 = Math.max(0, Math.floor(rect.y));
	const x1 = Math.min(width, Math.ceil(rect.x + rect.w));
	const y1 = Math.min(height, Math.ceil(rect.y + rect.h));
	if (!(x1 > x0 && y1 > y0)) return { x: Math.min(x0, width), y: Math.min(y0, height), w: 0, h: 0 };
	const ax0 = x0 - (x0 % a);
	const ax1 = Math.min(width, Math.ceil(x1 / a) * a);
	return { x: ax0, y: y0, w: ax1 - ax0, h: y1 - y0 };
}
