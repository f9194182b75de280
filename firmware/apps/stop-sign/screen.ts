/*
 * The stop sign's screen: a ScreenModel (what to show, screen-model.ts) laid
 * out on a Layout (layouts.ts) as a list of draw ops (firmware/gfx/types.ts)
 * for the band renderer. No pixels here, so the list can be compared with the
 * previous one (firmware/gfx/damage.ts) to find what a partial refresh covers.
 *
 * Rules the composition keeps (issue #4, "never lie"):
 *   - a notice (stale, offline, clock not set) is always drawn, inverted, at
 *     the start of the alert line; the service alert gets the rest of it;
 *   - the footer always shows "updated HH:MM" ("--:--" when nothing was ever
 *     received: an em dash is not in the UI glyph set, ui-strings.ts);
 *   - a cancelled row keeps its scheduled clock, says "Cancelled" and is
 *     struck through; a skipped stop says "Not stopping";
 *   - text boxes are exact: the renderer cuts what does not fit with "…".
 * Output is deterministic (same model → equal list, no time or randomness)
 * and grouped: each row's ops are contiguous and lie inside that row's box,
 * so a change in one row changes only that row's ops, and the damage stays
 * one row high.
 * Bilingual rows stack Chinese under Latin when both lines fit the row
 * (by the fonts' real ascent + descent), else "Latin · 中文" on one line;
 * the time and the cancelled/skipped labels follow the same rule (Chinese
 * second line only when stacked: digits and "min" read in both languages).
 */
import type { DrawOp, Font, Gray, Icon, Rect } from "../../gfx/types";
import { ICONS, type CarIcon, type IconSet } from "./icons";
import { rowRect, rowsArea, type FontRole, type Layout } from "./layouts";
import type { Crowding, ScreenModel, ShownDeparture, ShownTime } from "./screen-model";
import { NOTICE_TEXT, type Notice } from "./departures";
import { UI_STRINGS } from "./ui-strings";

export interface ScreenOptions {
	/** Latin and Chinese; false = Latin only */
	bilingual: boolean;
}

/** Shown in the footer when the model has no update time. */
export const NO_TIME = "--:--";
/** Joins Latin and Chinese on one line. */
export const JOIN = " · ";

type Fonts = Record<FontRole, Font>;

interface Ctx {
	layout: Layout;
	fonts: Fonts;
	icons: IconSet;
	bilingual: boolean;
	ops: DrawOp[];
}

function lineH(font: Font): number {
	return font.ascent + font.descent;
}

/** Both lines fit `h` one above the other. */
function stacks(h: number, a: Font, b: Font): boolean {
	return lineH(a) + lineH(b) <= h;
}

/** A text op in `slot`, vertically centred; the box never leaves the slot (a font taller than the slot keeps its top and loses its descent). */
function text(c: Ctx, slot: Rect, s: string, font: Font, gray: Gray, align: "left" | "right" | "center" = "left"): void {
	if (!s || slot.w <= 0 || slot.h <= 0) return;
	const lh = lineH(font);
	const h = Math.min(slot.h, lh);
	const y = slot.y + Math.max(0, (slot.h - lh) >> 1);
	c.ops.push({ op: "text", x: slot.x, y, w: slot.w, h, text: s, font, gray, align });
}

/** Two lines (top in `fa`, bottom in `fb`) centred together in `slot`. */
function twoLines(c: Ctx, slot: Rect, top: string, fa: Font, ga: Gray, bottom: string, fb: Font, gb: Gray, align: "left" | "right" | "center"): void {
	const ha = lineH(fa);
	const hb = lineH(fb);
	const y = slot.y + Math.max(0, (slot.h - ha - hb) >> 1);
	text(c, { x: slot.x, y, w: slot.w, h: ha }, top, fa, ga, align);
	text(c, { x: slot.x, y: y + ha, w: slot.w, h: Math.min(hb, slot.y + slot.h - y - ha) }, bottom, fb, gb, align);
}

function icon(c: Ctx, x: number, slot: Rect, pic: Icon, gray: Gray): void {
	const y = slot.y + Math.max(0, (slot.h - pic.h) >> 1);
	const op: DrawOp = { op: "icon", x, y, icon: pic, gray };
	// An icon taller than its row (never with the shipped layouts) is cut to the row rather than drawn over the next one.
	if (pic.h > slot.h) op.clip = { x: slot.x, y: slot.y, w: slot.w, h: slot.h };
	c.ops.push(op);
}

/** Width of `s` rounded up by one pixel, so a measured box never cuts the last glyph. */
function widthOf(font: Font, s: string): number {
	return s ? font.measure(s) + 1 : 0;
}

/** The time as shown, in English or Chinese. */
export function timeText(when: ShownTime, approx: boolean | undefined, lang: "en" | "zh"): string {
	const tilde = approx ? "~" : "";
	switch (when.kind) {
		case "due":
			return tilde + UI_STRINGS.due[lang];
		case "min":
			// A negative or non-integer minute count is a producer bug; never show "-2 min" as if coming.
			if (!Number.isFinite(when.min) || when.min < 1) return tilde + UI_STRINGS.due[lang];
			return `${tilde}${Math.floor(when.min)} ${UI_STRINGS.min[lang]}`;
		case "clock":
			return tilde + when.hhmm;
		case "skipped":
		case "canceled":
			return when.hhmm;
	}
	return "";
}

/** The notice line for the model, or undefined when the sign is live and has nothing to own up to. */
export function noticeText(model: ScreenModel, lang: "en" | "zh"): string | undefined {
	const n = model.notice;
	if (n !== undefined && n !== "") {
		// departures.ts's reasons are internal names: each maps to the rider's words (a board from the future reads as "live times unavailable").
		if (Object.prototype.hasOwnProperty.call(NOTICE_TEXT, n)) return UI_STRINGS[NOTICE_TEXT[n as Notice]][lang];
		if (n === "noStop") return UI_STRINGS.noStop[lang];
		return n; // an unknown reason is still shown, verbatim: hiding it would be worse
	}
	// A model that is not live must say so even if its producer forgot the reason.
	if (model.source === "timetable") return UI_STRINGS.stale[lang];
	if (model.source === "none") return UI_STRINGS.noData[lang];
	return undefined;
}

function both(c: Ctx, en: string | undefined, zh: string | undefined): string {
	if (!c.bilingual) return en ?? zh ?? "";
	if (en && zh && en !== zh) return en + JOIN + zh;
	return en ?? zh ?? "";
}

function carIcon(c: Crowding | null): CarIcon {
	return c === null ? "none" : c;
}

const RANK: Record<Crowding, number> = { low: 1, mid: 2, high: 3, noboard: 4 };

/** The vehicle level when the carriages do not fit the column: the most crowded carriage with data. */
function worstCar(cars: readonly (Crowding | null)[]): Crowding | undefined {
	let worst: Crowding | undefined;
	for (const car of cars) if (car !== null && RANK[car] !== undefined && (worst === undefined || RANK[car] > RANK[worst])) worst = car;
	return worst;
}

function crowding(c: Ctx, d: ShownDeparture, row: Rect): void {
	const L = c.layout;
	const slot = { x: L.crowd.x, y: row.y, w: L.crowd.w, h: row.h };
	const cars = Array.isArray(d.cars) ? d.cars : undefined;
	const pitch = c.icons.carPitch;
	if (cars && cars.length > 0) {
		const width = (cars.length - 1) * pitch + c.icons.car.none.w;
		if (width <= slot.w) {
			for (let i = 0; i < cars.length; i++) {
				const pic = c.icons.car[carIcon(cars[i])] ?? c.icons.car.none;
				icon(c, slot.x + i * pitch, slot, pic, L.ink);
			}
			return;
		}
	}
	const level = d.crowd ?? (cars ? worstCar(cars) : undefined);
	const pic = level ? c.icons.crowd[level] : undefined;
	if (pic) icon(c, slot.x, slot, pic, L.ink);
}

function departureRow(c: Ctx, d: ShownDeparture, i: number): void {
	const L = c.layout;
	const f = c.fonts;
	const row = rowRect(L, i);
	if (L.shade !== undefined && i % 2 === 1) c.ops.push({ op: "rect", x: row.x, y: row.y, w: row.w, h: row.h, gray: L.shade });

	// Route: ink box with the route in paper color, centred.
	const pillH = Math.min(row.h - 2, lineH(f.route) + 2);
	const pill = { x: L.route.x, y: row.y + ((row.h - pillH) >> 1), w: L.route.w, h: pillH };
	c.ops.push({ op: "rect", x: pill.x, y: pill.y, w: pill.w, h: pill.h, gray: L.ink });
	text(c, { x: pill.x + 1, y: pill.y + 1, w: pill.w - 2, h: pill.h - 2 }, String(d.route ?? ""), f.route, L.paper, "center");

	// Destination, and for a cancelled or skipped trip its label, which must stay legible.
	const stacked = c.bilingual && stacks(row.h, f.dest, f.destZh);
	const kind = d.when.kind;
	const label = kind === "canceled" ? UI_STRINGS.canceled : kind === "skipped" ? UI_STRINGS.skipped : undefined;
	const dest = String(d.dest ?? "");
	// Where the cancelled strike goes: the row's middle, or the destination line's middle when the label sits under it.
	let strikeY = row.y + (row.h >> 1);
	if (label && stacks(row.h, f.dest, f.dest)) {
		// Room for two lines of the destination font: destination on top, the label under it, both full width.
		// The label line is the longest wording that fits whole: both languages, English, then the same in the small font.
		const slot = { x: L.dest.x, y: row.y, w: L.dest.w, h: row.h };
		let line: string = label.en;
		let lf = f.small;
		for (const [t, font] of [[both(c, label.en, label.zh), f.dest], [label.en, f.dest], [both(c, label.en, label.zh), f.small]] as const)
			if (widthOf(font, t) <= slot.w) {
				line = t;
				lf = font;
				break;
			}
		twoLines(c, slot, both(c, dest, d.destZh), f.dest, L.ink, line, lf, L.ink, "left");
		strikeY = row.y + Math.max(0, (row.h - lineH(f.dest) - lineH(lf)) >> 1) + Math.round(f.dest.ascent * 0.6);
	} else {
		let destW = L.dest.w;
		if (label) {
			// One line: the label at the right end, whole (in the small font where the destination font is too wide);
			// the destination gets what is left, or is left out when that would show only "…" (route and time still tell the trip).
			// The label takes at most half the column in the destination font, so a destination stays readable beside it.
			const lf = widthOf(f.dest, label.en) <= L.dest.w / 2 ? f.dest : f.small;
			const labelW = Math.min(Math.max(widthOf(lf, label.en), stacked ? widthOf(f.destZh, label.zh) : 0), L.dest.w);
			const slot = { x: L.dest.x + L.dest.w - labelW, y: row.y, w: labelW, h: row.h };
			if (stacked) twoLines(c, slot, label.en, lf, L.ink, label.zh, f.destZh, L.secondary, "right");
			else text(c, slot, label.en, lf, L.ink, "right");
			destW -= labelW + L.gap;
			if (destW < 2 * f.dest.size) destW = 0;
		}
		const destSlot = { x: L.dest.x, y: row.y, w: destW, h: row.h };
		if (stacked && d.destZh) twoLines(c, destSlot, dest, f.dest, L.ink, d.destZh, f.destZh, L.secondary, "left");
		else text(c, destSlot, both(c, dest, d.destZh), f.dest, L.ink, "left");
	}

	// Time, right-aligned.
	const timeSlot = { x: L.time.x, y: row.y, w: L.time.w, h: row.h };
	const en = timeText(d.when, d.approx, "en");
	const zh = timeText(d.when, d.approx, "zh");
	if (stacked && zh !== en && stacks(row.h, f.time, f.destZh)) twoLines(c, timeSlot, en, f.time, L.ink, zh, f.destZh, L.secondary, "right");
	else text(c, timeSlot, en, f.time, L.ink, "right");

	crowding(c, d, row);

	// A cancelled bus must not read as coming: one line through destination and time.
	if (kind === "canceled") {
		const y = strikeY - (L.strikeT >> 1);
		c.ops.push({ op: "line", x0: L.dest.x, y0: y, x1: L.time.x + L.time.w - 1, y1: y, gray: L.ink, t: L.strikeT });
	}
	if (L.shade === undefined) c.ops.push({ op: "line", x0: row.x, y0: row.y + row.h - 1, x1: row.x + row.w - 1, y1: row.y + row.h - 1, gray: L.ink });
}

function noDepartures(c: Ctx): void {
	const area = rowsArea(c.layout);
	const f = c.fonts;
	const { en, zh } = UI_STRINGS.noDepartures;
	if (c.bilingual && stacks(area.h, f.dest, f.dest)) twoLines(c, area, en, f.dest, c.layout.ink, zh, f.dest, c.layout.secondary, "center");
	else text(c, area, both(c, en, zh), f.dest, c.layout.ink, "center");
}

function alertLine(c: Ctx, model: ScreenModel): void {
	const L = c.layout;
	const a = L.alert;
	const font = c.fonts.alert;
	const notice = c.bilingual ? both(c, noticeText(model, "en"), noticeText(model, "zh")) : noticeText(model, "en");
	const alert = both(c, model.alert || undefined, model.alertZh || undefined);
	let x = a.x;
	if (notice) {
		// Inverted: the one thing on the sign that must be seen first.
		const pad = 2;
		const pic = c.icons.warning;
		const textX = a.x + pad + pic.w + pad;
		const boxW = Math.min(a.w, textX - a.x + widthOf(font, notice) + pad);
		c.ops.push({ op: "rect", x: a.x, y: a.y, w: boxW, h: a.h, gray: L.ink });
		icon(c, a.x + pad, a, pic, L.paper);
		text(c, { x: textX, y: a.y, w: a.x + boxW - pad - textX, h: a.h }, notice, font, L.paper, "left");
		x = a.x + boxW + L.gap;
	}
	const rest = a.x + a.w - x;
	// A sliver of alert text (a few glyphs and "…") says nothing: it is left out rather than shown as noise.
	if (alert && rest >= 3 * font.size) text(c, { x, y: a.y, w: rest, h: a.h }, alert, font, L.ink, "left");
}

function footer(c: Ctx, model: ScreenModel): void {
	const L = c.layout;
	const r = L.footer;
	const font = c.fonts.small;
	c.ops.push({ op: "line", x0: r.x, y0: r.y, x1: r.x + r.w - 1, y1: r.y, gray: L.ink });
	const slot = { x: r.x, y: r.y + 2, w: r.w, h: r.h - 2 };
	const hhmm = model.updated || NO_TIME;
	// The update time is never cut: the longest wording that fits 2/3 of the footer, down to the bare time; the stop name gets the rest.
	const room = ((r.w * 2) / 3) | 0;
	const wordings = [`${UI_STRINGS.updated.en} ${hhmm}`, hhmm];
	if (c.bilingual) wordings.unshift(`${UI_STRINGS.updated.en}${JOIN}${UI_STRINGS.updated.zh} ${hhmm}`);
	// A wording is taken only when the stop name still fits beside it; the 2/3 cap is the last resort for a name too long anyway.
	const stop = both(c, String(model.stopName ?? ""), model.stopNameZh);
	const stopW = widthOf(font, stop);
	let updated = hhmm;
	for (const w of wordings)
		if (widthOf(font, w) + L.gap + stopW <= r.w) {
			updated = w;
			break;
		}
	if (updated === hhmm)
		for (const w of wordings)
			if (widthOf(font, w) <= room) {
				updated = w;
				break;
			}
	const updW = Math.min(widthOf(font, updated), r.w);
	text(c, { x: r.x + r.w - updW, y: slot.y, w: updW, h: slot.h }, updated, font, L.ink, "right");
	text(c, { x: r.x, y: slot.y, w: r.w - updW - L.gap, h: slot.h }, stop, font, L.ink, "left");
}

/**
 * The draw ops of the whole screen, in layout coordinates.
 * `fonts(name)` returns the font resource of that name (layout.fonts); whatever it throws propagates.
 */
export function composeScreen(model: ScreenModel, layout: Layout, fonts: (name: string) => Font, options: ScreenOptions): DrawOp[] {
	const names = layout.fonts;
	const c: Ctx = {
		layout,
		fonts: {
			route: fonts(names.route),
			dest: fonts(names.dest),
			destZh: fonts(names.destZh),
			time: fonts(names.time),
			small: fonts(names.small),
			alert: fonts(names.alert),
		},
		icons: ICONS[layout.icons],
		bilingual: options.bilingual,
		ops: [],
	};
	const rows = Array.isArray(model.rows) ? model.rows : [];
	if (rows.length === 0) noDepartures(c);
	const n = Math.min(rows.length, layout.rows);
	for (let i = 0; i < n; i++) departureRow(c, rows[i], i);
	alertLine(c, model);
	footer(c, model);
	return c.ops;
}
