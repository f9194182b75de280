// Stop-sign screen composition: layouts × text size × language, never-lie
// notices, cancelled rows, carriage icons, grouping for the damage diff, and
// hostile models. Uses a test font with Noto-like line metrics
// (ascent 1.16 em, descent 0.288 em) and Noto-like advances, so boxes are
// checked against what the shipped fonts need. Portable: runs under vitest and the XS harness.
import { describe, it, expect } from "vitest";
import type { DrawOp, Font, Rect } from "../../firmware/gfx/types";
import { ICONS } from "../../firmware/apps/stop-sign/icons";
import { LAYOUT_NAMES, LARGE_LAYOUTS, LAYOUTS, layoutFor, rowRect, type Layout, type LayoutName } from "../../firmware/apps/stop-sign/layouts";
import { composeScreen, NO_TIME, timeText } from "../../firmware/apps/stop-sign/screen";
import type { ScreenModel, ShownDeparture } from "../../firmware/apps/stop-sign/screen-model";
import { UI_STRINGS } from "../../firmware/apps/stop-sign/ui-strings";

/**
 * A test font with Noto Sans CJK-like advances (measured from resources/fonts: digits 0.55 em, "i" 0.3 em, "m" 0.92 em, CJK 1 em;
 * bold a little wider) and its line metrics (ascent 1.16 em, descent 0.288 em), so box checks hold for the shipped fonts.
 */
function notoLikeFont(size: number, bold: boolean): Font {
	const k = (cp: number): number => {
		if (cp >= 0x2e80) return 1;
		const ch = String.fromCodePoint(cp);
		if (ch >= "0" && ch <= "9") return bold ? 0.6 : 0.55;
		if (ch === "~") return bold ? 0.6 : 0.55;
		if (ch === " ") return 0.22;
		if ("il.:,;!|'j".includes(ch)) return 0.3;
		if ("tfr".includes(ch)) return 0.4;
		if ("mwMW".includes(ch)) return bold ? 0.98 : 0.92;
		if (ch >= "A" && ch <= "Z") return bold ? 0.75 : 0.7;
		return bold ? 0.63 : 0.6;
	};
	const advance = (cp: number) => Math.round(size * k(cp));
	return {
		size,
		ascent: Math.round(size * 1.16),
		descent: Math.round(size * 0.288),
		lineHeight: Math.round(size * 1.16) + Math.round(size * 0.288),
		has: () => true,
		advance,
		measure(text: string) {
			let w = 0;
			for (const ch of text) w += advance(ch.codePointAt(0)!);
			return w;
		},
	};
}

const FONT_CACHE: Record<string, Font> = {};
function fonts(name: string): Font {
	const m = /^[rb](\d+)$/.exec(name);
	if (!m) throw new Error(`no font "${name}"`);
	return (FONT_CACHE[name] ??= notoLikeFont(Number(m[1]), name[0] === "b"));
}

function model(over: Partial<ScreenModel> = {}): ScreenModel {
	return {
		stopName: "Central Station",
		stopNameZh: "中环站",
		updated: "14:02",
		source: "live",
		rows: [
			{ route: "10", dest: "Harbour", destZh: "海港", when: { kind: "min", min: 3 }, crowd: "low" },
			{ route: "7", dest: "Airport", destZh: "机场", when: { kind: "due" }, crowd: "high", cars: ["low", "mid", null, "high"] },
			{ route: "5", dest: "Central", destZh: "中环", when: { kind: "canceled", hhmm: "14:05" } },
			{ route: "N2", dest: "Zoo", when: { kind: "min", min: 12 }, approx: true, crowd: "noboard" },
			{ route: "3", dest: "Depot", destZh: "车厂", when: { kind: "skipped", hhmm: "14:20" } },
			{ route: "8", dest: "Pier", when: { kind: "clock", hhmm: "14:31" } },
		],
		...over,
	};
}

function opBox(op: DrawOp): Rect {
	let r: Rect;
	switch (op.op) {
		case "rect":
		case "frame":
		case "text":
			r = { x: op.x, y: op.y, w: op.w, h: op.h };
			break;
		case "line": {
			const t = op.t ?? 1;
			r = { x: Math.min(op.x0, op.x1), y: Math.min(op.y0, op.y1), w: Math.abs(op.x1 - op.x0) + (op.y0 === op.y1 ? 1 : t), h: Math.abs(op.y1 - op.y0) + (op.y0 === op.y1 ? t : 1) };
			break;
		}
		case "icon":
			r = { x: op.x, y: op.y, w: op.icon.w, h: op.icon.h };
			break;
	}
	if (op.clip) {
		const c = op.clip;
		const x = Math.max(r.x, c.x);
		const y = Math.max(r.y, c.y);
		r = { x, y, w: Math.max(0, Math.min(r.x + r.w, c.x + c.w) - x), h: Math.max(0, Math.min(r.y + r.h, c.y + c.h) - y) };
	}
	return r;
}

function inside(r: Rect, outer: Rect): boolean {
	return r.x >= outer.x && r.y >= outer.y && r.x + r.w <= outer.x + outer.w && r.y + r.h <= outer.y + outer.h;
}

function overlaps(a: Rect, b: Rect): boolean {
	return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function texts(ops: readonly DrawOp[]): string[] {
	const out: string[] = [];
	for (const op of ops) if (op.op === "text") out.push(op.text);
	return out;
}

/** The ops lying inside row i. */
function rowOps(ops: readonly DrawOp[], layout: Layout, i: number): DrawOp[] {
	const r = rowRect(layout, i);
	return ops.filter((op) => inside(opBox(op), r));
}

const VARIANTS: { name: LayoutName; large: boolean; bilingual: boolean }[] = [];
for (const name of LAYOUT_NAMES) for (const large of [false, true]) for (const bilingual of [true, false]) VARIANTS.push({ name, large, bilingual });

describe("layouts", () => {
	for (const name of LAYOUT_NAMES)
		for (const large of [false, true]) {
			const L = layoutFor(name, large);
			it(`${name}${large ? " large" : ""}: rows, alert line and footer fit the screen and never overlap`, () => {
				const screen = { x: 0, y: 0, w: L.width, h: L.height };
				const boxes: Rect[] = [];
				for (let i = 0; i < L.rows; i++) boxes.push(rowRect(L, i));
				boxes.push(L.alert, L.footer);
				for (const b of boxes) {
					expect(inside(b, screen)).toBe(true);
					expect(b.w).toBeGreaterThan(0);
					expect(b.h).toBeGreaterThan(0);
				}
				for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i], boxes[j])).toBe(false);
				// Columns left to right, inside the row, gaps kept.
				expect(L.route.x).toBe(L.rowX);
				expect(L.dest.x).toBeGreaterThanOrEqual(L.route.x + L.route.w + L.gap);
				expect(L.time.x).toBeGreaterThanOrEqual(L.dest.x + L.dest.w + L.gap);
				expect(L.crowd.x).toBeGreaterThanOrEqual(L.time.x + L.time.w + L.gap);
				expect(L.crowd.x + L.crowd.w).toBeLessThanOrEqual(L.rowX + L.rowW);
				expect(L.dest.w).toBeGreaterThan(L.route.w);
			});
			it(`${name}${large ? " large" : ""}: single-line texts fit their boxes with 1.45 em line metrics`, () => {
				for (const role of ["route", "dest", "time"] as const) {
					const f = fonts(L.fonts[role]);
					expect(f.ascent + f.descent).toBeLessThanOrEqual(L.rowH - 2);
				}
				expect(fonts(L.fonts.alert).ascent + fonts(L.fonts.alert).descent).toBeLessThanOrEqual(L.alert.h);
				expect(fonts(L.fonts.small).ascent + fonts(L.fonts.small).descent).toBeLessThanOrEqual(L.footer.h - 2);
				// "~59 min" never needs cutting, nor a 3-character route in its box.
				expect(fonts(L.fonts.time).measure("~59 min") + 1).toBeLessThanOrEqual(L.time.w);
				expect(fonts(L.fonts.route).measure("N12") + 2).toBeLessThanOrEqual(L.route.w);
			});
		}

	it("large text has fewer rows and larger destination and time fonts on every panel", () => {
		for (const name of LAYOUT_NAMES) {
			expect(LARGE_LAYOUTS[name].rows).toBeLessThan(LAYOUTS[name].rows);
			expect(fonts(LARGE_LAYOUTS[name].fonts.dest).size).toBeGreaterThan(fonts(LAYOUTS[name].fonts.dest).size);
			expect(fonts(LARGE_LAYOUTS[name].fonts.time).size).toBeGreaterThanOrEqual(fonts(LAYOUTS[name].fonts.time).size);
		}
	});

	it("screen sizes and depths are the panels' own", () => {
		expect([LAYOUTS.epd290.width, LAYOUTS.epd290.height, LAYOUTS.epd290.depth]).toEqual([296, 128, 1]);
		expect([LAYOUTS.epd420.width, LAYOUTS.epd420.height, LAYOUTS.epd420.depth]).toEqual([400, 300, 1]);
		expect([LAYOUTS.epd750.width, LAYOUTS.epd750.height, LAYOUTS.epd750.depth]).toEqual([800, 480, 1]);
		expect([LAYOUTS.m5paper.width, LAYOUTS.m5paper.height, LAYOUTS.m5paper.depth]).toEqual([960, 540, 4]);
	});

	it("an unknown layout name is a clear error", () => {
		expect(() => layoutFor("epd999" as LayoutName, false)).toThrow('unknown layout "epd999"');
	});
});

describe("composeScreen on every layout", () => {
	for (const v of VARIANTS) {
		const L = layoutFor(v.name, v.large);
		const label = `${v.name}${v.large ? " large" : ""} ${v.bilingual ? "bilingual" : "latin"}`;
		const m = model({ notice: "stale", source: "timetable", alert: "Route 5 diverted via Queen St", alertZh: "5路改经皇后街" });
		const ops = composeScreen(m, L, fonts, { bilingual: v.bilingual });

		it(`${label}: every op lies inside the screen and every text box is non-empty`, () => {
			const screen = { x: 0, y: 0, w: L.width, h: L.height };
			for (const op of ops) {
				expect(inside(opBox(op), screen)).toBe(true);
				if (op.op === "text") {
					expect(op.w).toBeGreaterThan(0);
					expect(op.h).toBeGreaterThan(0);
				}
			}
		});

		it(`${label}: each op belongs to one row, the alert line or the footer, and rows are contiguous groups`, () => {
			const regions: Rect[] = [];
			for (let i = 0; i < L.rows; i++) regions.push(rowRect(L, i));
			regions.push(L.alert, L.footer);
			let last = -1;
			for (const op of ops) {
				const idx = regions.findIndex((r) => inside(opBox(op), r));
				expect(idx).toBeGreaterThanOrEqual(0);
				expect(idx).toBeGreaterThanOrEqual(last); // in order: row 0, row 1, …, alert, footer
				last = idx;
			}
			// rows shown = min(model rows, layout rows): each shown row has its route box
			for (let i = 0; i < L.rows; i++) expect(rowOps(ops, L, i).length).toBeGreaterThan(0);
		});

		it(`${label}: footer says "updated HH:MM" and the stop name`, () => {
			const foot = ops.filter((op) => op.op === "text" && inside(opBox(op), L.footer));
			const t = texts(foot);
			expect(t.some((s) => s.includes(UI_STRINGS.updated.en) && s.includes("14:02"))).toBe(true);
			expect(t.some((s) => s.includes("Central Station"))).toBe(true);
			if (v.bilingual) expect(t.some((s) => s.includes("中环站"))).toBe(true);
			else expect(t.some((s) => s.includes("中环站"))).toBe(false);
		});

		it(`${label}: the stale notice is on the alert line, inverted`, () => {
			const line = ops.filter((op) => inside(opBox(op), L.alert));
			const notice = line.find((op) => op.op === "text" && op.text.includes(UI_STRINGS.stale.en));
			expect(notice).toBeDefined();
			if (notice?.op !== "text") return;
			expect(notice.gray).toBe(L.paper);
			expect(notice.x + notice.w).toBeLessThanOrEqual(L.alert.x + L.alert.w);
			const box = line.find((op) => op.op === "rect" && op.gray === L.ink);
			expect(box).toBeDefined();
			if (v.bilingual) expect(notice.text).toContain(UI_STRINGS.stale.zh);
		});

		it(`${label}: ${L.depth === 1 ? "only black and white" : "gray shading and secondary gray"}`, () => {
			const grays = new Set<number>();
			for (const op of ops) grays.add(op.gray);
			if (L.depth === 1) for (const g of grays) expect(g === 0 || g === 15).toBe(true);
			else {
				expect(grays.has(13)).toBe(true);
				if (v.bilingual) expect(grays.has(5)).toBe(true);
			}
		});
	}
});

describe("composeScreen rows", () => {
	const L = LAYOUTS.epd750;

	it("a cancelled row keeps its scheduled clock, says Cancelled, and is struck through", () => {
		const ops = composeScreen(model(), L, fonts, { bilingual: false });
		const row = rowOps(ops, L, 2);
		expect(texts(row)).toContain("14:05");
		expect(texts(row)).toContain(UI_STRINGS.canceled.en);
		const strike = row.find((op) => op.op === "line" && op.y0 === op.y1 && op.x0 <= L.dest.x && op.x1 >= L.time.x + L.time.w - 1);
		expect(strike).toBeDefined();
		// and no other row is struck
		for (const i of [0, 1, 3, 4]) expect(rowOps(ops, L, i).some((op) => op.op === "line" && op.x0 === L.dest.x)).toBe(false);
	});

	it("a skipped stop says Not stopping with the scheduled clock, not struck", () => {
		const ops = composeScreen(model(), L, fonts, { bilingual: true });
		const row = rowOps(ops, L, 4);
		expect(texts(row)).toContain("14:20");
		expect(texts(row)).toContain(`${UI_STRINGS.skipped.en} · ${UI_STRINGS.skipped.zh}`);
		expect(row.some((op) => op.op === "line" && op.x0 === L.dest.x)).toBe(false);
	});

	it("the label stays whole on every layout (the destination gives way)", () => {
		for (const v of VARIANTS) {
			const Lv = layoutFor(v.name, v.large);
			for (const [kind, word] of [["canceled", UI_STRINGS.canceled.en], ["skipped", UI_STRINGS.skipped.en]] as const) {
				const ops = composeScreen(model({ rows: [{ route: "5", dest: "Central Harbour Ferry Pier", destZh: "中环码头", when: { kind, hhmm: "14:05" } }] }), Lv, fonts, { bilingual: v.bilingual });
				const lab = rowOps(ops, Lv, 0).find((op) => op.op === "text" && op.text.includes(word));
				expect(lab?.op === "text" && lab.w >= lab.font.measure(lab.text)).toBe(true);
			}
		}
	});

	it("times: minutes, Due, ~ when approximate, clock when scheduled", () => {
		const ops = composeScreen(model(), L, fonts, { bilingual: false });
		expect(texts(rowOps(ops, L, 0))).toContain("3 min");
		expect(texts(rowOps(ops, L, 1))).toContain("Due");
		expect(texts(rowOps(ops, L, 3))).toContain("~12 min");
		expect(timeText({ kind: "clock", hhmm: "14:31" }, false, "en")).toBe("14:31");
		expect(timeText({ kind: "min", min: 3 }, false, "zh")).toBe("3 分");
		expect(timeText({ kind: "due" }, false, "zh")).toBe("即将到站");
		// a producer bug (negative minutes) never reads as "-2 min"
		expect(timeText({ kind: "min", min: -2 }, false, "en")).toBe("Due");
	});

	it("carriage icons: one per carriage, in order, null drawn hollow", () => {
		const ops = composeScreen(model(), L, fonts, { bilingual: false });
		const set = ICONS[L.icons];
		const icons = rowOps(ops, L, 1).filter((op) => op.op === "icon");
		expect(icons).toHaveLength(4);
		const pics = icons.map((op) => (op.op === "icon" ? op.icon : undefined));
		expect(pics).toEqual([set.car.low, set.car.mid, set.car.none, set.car.high]);
		expect(pics[2] === set.car.none).toBe(true);
		const xs = icons.map((op) => (op.op === "icon" ? op.x : 0));
		for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBe(set.carPitch);
	});

	it("carriage icons on the small panel too, count = cars length", () => {
		const S = LAYOUTS.epd290;
		const ops = composeScreen(model(), S, fonts, { bilingual: true });
		expect(rowOps(ops, S, 1).filter((op) => op.op === "icon")).toHaveLength(4);
	});

	it("more carriages than the column holds fall back to the vehicle level icon", () => {
		const S = LAYOUTS.epd290;
		const cars = Array.from({ length: 12 }, (_, i) => (i === 5 ? "high" : "low") as "high" | "low");
		const ops = composeScreen(model({ rows: [{ route: "1", dest: "X", when: { kind: "min", min: 4 }, cars }] }), S, fonts, { bilingual: false });
		const icons = rowOps(ops, S, 0).filter((op) => op.op === "icon");
		expect(icons).toHaveLength(1);
		expect(icons[0].op === "icon" && icons[0].icon === ICONS.small.crowd.high).toBe(true);
	});

	it("vehicle crowding: three levels and a crossed icon for no boarding; nothing when unknown", () => {
		const set = ICONS[L.icons];
		const ops = composeScreen(model(), L, fonts, { bilingual: false });
		const only = (i: number) => rowOps(ops, L, i).filter((op) => op.op === "icon").map((op) => (op.op === "icon" ? op.icon : undefined));
		expect(only(0)).toEqual([set.crowd.low]);
		expect(only(3)[0] === set.crowd.noboard).toBe(true);
		expect(only(2)).toEqual([]);
		expect(set.crowd.low.w).toBe(set.crowd.high.w);
	});

	it("bilingual: Chinese stacked under Latin where it fits, joined with · where it does not", () => {
		const tall = composeScreen(model(), LAYOUTS.epd750, fonts, { bilingual: true });
		expect(texts(rowOps(tall, LAYOUTS.epd750, 0))).toContain("Harbour");
		expect(texts(rowOps(tall, LAYOUTS.epd750, 0))).toContain("海港");
		const zh = rowOps(tall, LAYOUTS.epd750, 0).find((op) => op.op === "text" && op.text === "海港");
		const en = rowOps(tall, LAYOUTS.epd750, 0).find((op) => op.op === "text" && op.text === "Harbour");
		expect(zh && en && zh.op === "text" && en.op === "text" && zh.y >= en.y + en.h).toBe(true);
		const short = composeScreen(model(), LAYOUTS.epd290, fonts, { bilingual: true });
		expect(texts(rowOps(short, LAYOUTS.epd290, 0))).toContain("Harbour · 海港");
		const latin = composeScreen(model(), LAYOUTS.epd750, fonts, { bilingual: false });
		expect(texts(latin).some((s) => s.includes("海港"))).toBe(false);
	});

	it("the route is paper-colored text on an ink box", () => {
		const ops = composeScreen(model(), L, fonts, { bilingual: false });
		const row = rowOps(ops, L, 0);
		const box = row.find((op) => op.op === "rect" && op.x === L.route.x && op.gray === L.ink);
		const route = row.find((op) => op.op === "text" && op.text === "10");
		expect(box).toBeDefined();
		expect(route?.op === "text" && route.gray === L.paper && route.align === "center").toBe(true);
		expect(row.indexOf(route!)).toBeGreaterThan(row.indexOf(box!));
	});
});

describe("composeScreen: never lie", () => {
	const L = LAYOUTS.epd420;
	const alertTexts = (m: ScreenModel, bilingual = false) => texts(composeScreen(m, L, fonts, { bilingual }).filter((op) => inside(opBox(op), L.alert)));

	it("offline, stale and clock-not-set notices are shown", () => {
		expect(alertTexts(model({ source: "timetable", notice: "offline" }))).toContain(UI_STRINGS.offline.en);
		expect(alertTexts(model({ source: "timetable", notice: "stale" }))).toContain(UI_STRINGS.stale.en);
		expect(alertTexts(model({ source: "none", notice: "clock not set", rows: [] }))).toContain(UI_STRINGS.clockNotSet.en);
		expect(alertTexts(model({ source: "none", notice: "clock not set", rows: [] }), true)).toContain(`${UI_STRINGS.clockNotSet.en} · ${UI_STRINGS.clockNotSet.zh}`);
	});

	it("a timetable model without a notice still says live times are unavailable", () => {
		expect(alertTexts(model({ source: "timetable" }))).toContain(UI_STRINGS.stale.en);
	});

	it("an unknown notice is shown verbatim, not dropped", () => {
		expect(alertTexts(model({ source: "timetable", notice: "board from the future ignored" }))).toContain("board from the future ignored");
	});

	it("a live model shows only its alert, not inverted", () => {
		const ops = composeScreen(model({ alert: "Lift out of order" }), L, fonts, { bilingual: false }).filter((op) => inside(opBox(op), L.alert));
		expect(texts(ops)).toEqual(["Lift out of order"]);
		expect(ops.some((op) => op.op === "rect")).toBe(false);
	});

	it("the notice is never pushed off the line by a long alert", () => {
		const ops = composeScreen(model({ source: "timetable", notice: "offline", alert: "x".repeat(500) }), L, fonts, { bilingual: false });
		const line = ops.filter((op) => inside(opBox(op), L.alert) && op.op === "text");
		expect(line[0].op === "text" && line[0].text).toBe(UI_STRINGS.offline.en);
		const f = fonts(L.fonts.alert);
		expect(line[0].op === "text" && line[0].w >= f.measure(UI_STRINGS.offline.en)).toBe(true);
	});

	it('the footer always has "updated", with --:-- when there is no time', () => {
		const ops = composeScreen(model({ updated: undefined, source: "none", rows: [] }), L, fonts, { bilingual: false });
		const foot = texts(ops.filter((op) => inside(opBox(op), L.footer)));
		expect(foot).toContain(`${UI_STRINGS.updated.en} ${NO_TIME}`);
	});

	it("the update time is not cut by a long stop name", () => {
		const ops = composeScreen(model({ stopName: "S".repeat(500) }), LAYOUTS.epd290, fonts, { bilingual: true });
		const upd = ops.find((op) => op.op === "text" && op.text.includes("14:02"));
		expect(upd?.op === "text" && upd.w >= upd.font.measure(upd.text)).toBe(true);
	});

	it('no rows → "No departures" (both languages when bilingual)', () => {
		for (const name of LAYOUT_NAMES) {
			const Ln = LAYOUTS[name];
			const latin = texts(composeScreen(model({ rows: [] }), Ln, fonts, { bilingual: false }));
			expect(latin).toContain(UI_STRINGS.noDepartures.en);
			const bi = texts(composeScreen(model({ rows: [] }), Ln, fonts, { bilingual: true })).join("|");
			expect(bi).toContain(UI_STRINGS.noDepartures.en);
			expect(bi).toContain(UI_STRINGS.noDepartures.zh);
		}
	});
});

describe("composeScreen for the damage diff", () => {
	const L = LAYOUTS.m5paper;

	it("is deterministic: the same model gives an equal op list", () => {
		const a = composeScreen(model(), L, fonts, { bilingual: true });
		const b = composeScreen(model(), L, fonts, { bilingual: true });
		expect(a).toEqual(b);
		expect(a.length).toBeGreaterThan(20);
	});

	it("a change in one row's minutes changes only that row's ops", () => {
		for (const name of LAYOUT_NAMES) {
			const Ln = LAYOUTS[name];
			const before = composeScreen(model(), Ln, fonts, { bilingual: true });
			const m = model();
			m.rows[1] = { ...m.rows[1], when: { kind: "min", min: 4 } };
			const after = composeScreen(m, Ln, fonts, { bilingual: true });
			expect(after.length).toBe(before.length);
			const r = rowRect(Ln, 1);
			let changed = 0;
			for (let i = 0; i < before.length; i++) {
				const same = JSON.stringify({ ...before[i], font: undefined, icon: undefined }) === JSON.stringify({ ...after[i], font: undefined, icon: undefined });
				if (!same) {
					changed++;
					expect(inside(opBox(before[i]), r)).toBe(true);
					expect(inside(opBox(after[i]), r)).toBe(true);
				}
			}
			expect(changed).toBeGreaterThan(0);
		}
	});

	it("a huge model (50 rows, 500-character names) shows only layout.rows rows, all inside the screen", () => {
		const long = "Harbour Front ".repeat(36).slice(0, 500);
		const rows: ShownDeparture[] = [];
		for (let i = 0; i < 50; i++)
			rows.push({ route: "R".repeat(500), dest: long, destZh: "海".repeat(500), when: { kind: "min", min: i + 1 }, cars: ["low", null, "mid", "high"] });
		const m = model({ rows, stopName: long, stopNameZh: "站".repeat(500), alert: long, alertZh: "通".repeat(500), notice: long, source: "timetable" });
		for (const v of VARIANTS) {
			const Lv = layoutFor(v.name, v.large);
			const ops = composeScreen(m, Lv, fonts, { bilingual: v.bilingual });
			const screen = { x: 0, y: 0, w: Lv.width, h: Lv.height };
			for (const op of ops) expect(inside(opBox(op), screen)).toBe(true);
			const pills = ops.filter((op) => op.op === "rect" && op.x === Lv.route.x && op.gray === Lv.ink && op.w === Lv.route.w);
			expect(pills).toHaveLength(Lv.rows);
			for (const op of ops) if (op.op === "text") expect(op.x + op.w).toBeLessThanOrEqual(Lv.width);
		}
	});

	it("a missing font is an error from the font lookup, not a silent blank", () => {
		expect(() => composeScreen(model(), L, () => { throw new Error("no font b40"); }, { bilingual: false })).toThrow("no font b40");
	});
});
