/*
 * Screen geometry of the stop sign, per panel, in plain numbers (pixels, the
 * layout's own landscape coordinates), so tests can prove that rows, the
 * alert line and the footer never overlap and fit the screen.
 *
 *   ┌──────────────────────────────────────────────────────┐
 *   │ [route] destination / 目的地        time   crowding  │  row 0
 *   │ [route] …                                            │  row 1 … rows−1
 *   │                                                      │  (leftover px)
 *   │ ▲ notice (inverted) · alert text                     │  alert line
 *   │──────────────────────────────────────────────────────│
 *   │ stop name · 站名                       updated 14:05 │  footer
 *   └──────────────────────────────────────────────────────┘
 *
 * Panels (issue #4): "epd290" 296×128 (a 128×296 portrait SSD1680 shown
 * rotated 90°: the layout is landscape, rotation is the renderer's business,
 * firmware/gfx/rotate.ts), "epd420" 400×300, "epd750" 800×480 (UC8179), all
 * 1 bpp; "m5paper" 960×540 (IT8951, 16 grays). Each has a normal and a
 * large-text accessibility variant: fewer rows, larger fonts.
 *
 * Column widths hold "~59 min" and a 3-character route ("N12") in the shipped
 * fonts (measured with resources/fonts/*.csf), "Not stopping" whole in the
 * destination column, and at least four carriages in the crowding column
 * (seven or eight on the 4.2" normal, 7.5" and M5Paper layouts).
 * Font sizes were chosen for line boxes of 1.45 em (Noto Sans CJK's hhea
 * ascent 1.16 em + descent 0.288 em, the worst case of the fonts built by
 * tools/fonts): every single-line text fits its row, and a row stacks Latin
 * over Chinese only where both lines fit (screen.ts checks the real metrics).
 * Font names are the resources the firmware ships: r12 r16 r24 r32 r48
 * (Noto Sans CJK SC Regular), b24 b40 (Bold).
 */
import type { Depth, Gray, Rect } from "../../gfx/types";

export type LayoutName = "epd290" | "epd420" | "epd750" | "m5paper";

export const LAYOUT_NAMES: readonly LayoutName[] = Object.freeze(["epd290", "epd420", "epd750", "m5paper"]);

/** What each font is for. */
export type FontRole = "route" | "dest" | "destZh" | "time" | "small" | "alert";

/** A column of the departure rows: absolute x and width. */
export interface Column {
	readonly x: number;
	readonly w: number;
}

export interface Layout {
	readonly name: LayoutName;
	readonly largeText: boolean;
	readonly width: number;
	readonly height: number;
	readonly depth: Depth;
	/** paper left around the edges */
	readonly margin: number;
	/** departure rows shown at most */
	readonly rows: number;
	/** the first row's top, each row's left, height and width (row i spans rowsY + i·rowH … + rowH − 1) */
	readonly rowsY: number;
	readonly rowX: number;
	readonly rowH: number;
	readonly rowW: number;
	/** columns of a row, left to right: route, destination, time, crowding */
	readonly route: Column;
	readonly dest: Column;
	readonly time: Column;
	readonly crowd: Column;
	/** gap between columns and between texts side by side */
	readonly gap: number;
	readonly alert: Rect;
	/** includes the 1 px separator line on its top row and a 1 px gap under it */
	readonly footer: Rect;
	/** font resource name per role */
	readonly fonts: Readonly<Record<FontRole, string>>;
	readonly icons: "small" | "large";
	/** thickness of the line through a cancelled row */
	readonly strikeT: number;
	/** ink and paper */
	readonly ink: Gray;
	readonly paper: Gray;
	/** secondary text (the Chinese line under the Latin one): a mid gray on the gray panel, ink on 1 bpp */
	readonly secondary: Gray;
	/** background of every other row on the gray panel; undefined on 1 bpp (rows are separated by lines there) */
	readonly shade: Gray | undefined;
}

interface Spec {
	name: LayoutName;
	largeText: boolean;
	width: number;
	height: number;
	depth: Depth;
	margin: number;
	rows: number;
	alertH: number;
	footerH: number;
	routeW: number;
	timeW: number;
	crowdW: number;
	gap: number;
	fonts: Record<FontRole, string>;
	icons: "small" | "large";
	strikeT: number;
}

/** Lays the spec out top-down (rows) and bottom-up (footer, then the alert line); leftover pixels go between rows and alert. */
function build(s: Spec): Layout {
	const rowX = s.margin;
	const rowW = s.width - 2 * s.margin;
	const footer = { x: rowX, y: s.height - s.margin - s.footerH, w: rowW, h: s.footerH };
	const alert = { x: rowX, y: footer.y - s.alertH, w: rowW, h: s.alertH };
	const rowsY = s.margin;
	const rowH = Math.floor((alert.y - rowsY) / s.rows);
	const route = { x: rowX, w: s.routeW };
	const crowd = { x: rowX + rowW - s.crowdW, w: s.crowdW };
	const time = { x: crowd.x - s.gap - s.timeW, w: s.timeW };
	const destX = route.x + route.w + s.gap;
	const dest = { x: destX, w: time.x - s.gap - destX };
	const gray = s.depth === 4;
	return Object.freeze({
		name: s.name,
		largeText: s.largeText,
		width: s.width,
		height: s.height,
		depth: s.depth,
		margin: s.margin,
		rows: s.rows,
		rowsY,
		rowX,
		rowH,
		rowW,
		route: Object.freeze(route),
		dest: Object.freeze(dest),
		time: Object.freeze(time),
		crowd: Object.freeze(crowd),
		gap: s.gap,
		alert: Object.freeze(alert),
		footer: Object.freeze(footer),
		fonts: Object.freeze({ ...s.fonts }),
		icons: s.icons,
		strikeT: s.strikeT,
		ink: 0,
		paper: 15,
		secondary: gray ? 5 : 0,
		shade: gray ? 13 : undefined,
	});
}

const SMALL_FONTS = { route: "r16", dest: "r16", destZh: "r12", time: "r16", small: "r12", alert: "r12" };

const NORMAL: Record<LayoutName, Layout> = {
	// 3 rows of 30 px: everything in r16; Latin · 中文 on one line (two lines do not fit).
	epd290: build({ name: "epd290", largeText: false, width: 296, height: 128, depth: 1, margin: 1, rows: 3, alertH: 17, footerH: 19,
		routeW: 44, timeW: 64, crowdW: 30, gap: 4, fonts: SMALL_FONTS, icons: "small", strikeT: 2 }),
	// 5 rows of 48 px: r16 Latin over r16 Chinese.
	epd420: build({ name: "epd420", largeText: false, width: 400, height: 300, depth: 1, margin: 4, rows: 5, alertH: 24, footerH: 26,
		routeW: 64, timeW: 92, crowdW: 56, gap: 4, fonts: { route: "b24", dest: "r16", destZh: "r16", time: "r24", small: "r16", alert: "r16" }, icons: "small", strikeT: 2 }),
	// 5 rows of 78 px: r24 over r24, times in b40.
	epd750: build({ name: "epd750", largeText: false, width: 800, height: 480, depth: 1, margin: 8, rows: 5, alertH: 35, footerH: 37,
		routeW: 108, timeW: 160, crowdW: 96, gap: 8, fonts: { route: "b40", dest: "r24", destZh: "r24", time: "b40", small: "r24", alert: "r24" }, icons: "large", strikeT: 3 }),
	// 6 rows of 75 px, 16 grays.
	m5paper: build({ name: "m5paper", largeText: false, width: 960, height: 540, depth: 4, margin: 8, rows: 6, alertH: 35, footerH: 37,
		routeW: 108, timeW: 160, crowdW: 96, gap: 8, fonts: { route: "b40", dest: "r24", destZh: "r24", time: "b40", small: "r24", alert: "r24" }, icons: "large", strikeT: 3 }),
};

const LARGE: Record<LayoutName, Layout> = {
	// 2 rows of 38 px in r24, footer and alert in r16.
	epd290: build({ name: "epd290", largeText: true, width: 296, height: 128, depth: 1, margin: 1, rows: 2, alertH: 24, footerH: 26,
		routeW: 52, timeW: 92, crowdW: 28, gap: 4, fonts: { route: "b24", dest: "r24", destZh: "r16", time: "r24", small: "r16", alert: "r16" }, icons: "small", strikeT: 3 }),
	// 3 rows of 73 px: r24 over r24, times in r32.
	epd420: build({ name: "epd420", largeText: true, width: 400, height: 300, depth: 1, margin: 4, rows: 3, alertH: 35, footerH: 37,
		routeW: 80, timeW: 122, crowdW: 30, gap: 4, fonts: { route: "b40", dest: "r24", destZh: "r24", time: "r32", small: "r24", alert: "r24" }, icons: "small", strikeT: 3 }),
	// 3 rows of 123 px: r48 over r32.
	epd750: build({ name: "epd750", largeText: true, width: 800, height: 480, depth: 1, margin: 8, rows: 3, alertH: 46, footerH: 48,
		routeW: 120, timeW: 190, crowdW: 96, gap: 8, fonts: { route: "b40", dest: "r48", destZh: "r32", time: "r48", small: "r32", alert: "r32" }, icons: "large", strikeT: 4 }),
	// 3 rows of 143 px: r48 over r48.
	m5paper: build({ name: "m5paper", largeText: true, width: 960, height: 540, depth: 4, margin: 8, rows: 3, alertH: 46, footerH: 48,
		routeW: 120, timeW: 200, crowdW: 96, gap: 8, fonts: { route: "b40", dest: "r48", destZh: "r48", time: "r48", small: "r32", alert: "r32" }, icons: "large", strikeT: 4 }),
};

/** The normal-text layout of each panel. */
export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = Object.freeze(NORMAL);
/** The large-text (accessibility) layout of each panel. */
export const LARGE_LAYOUTS: Readonly<Record<LayoutName, Layout>> = Object.freeze(LARGE);

/** The layout of panel `name`. @throws RangeError for an unknown name */
export function layoutFor(name: LayoutName, largeText: boolean): Layout {
	const table = largeText ? LARGE : NORMAL;
	if (!Object.prototype.hasOwnProperty.call(table, name)) throw new RangeError(`unknown layout "${String(name)}" (known: ${LAYOUT_NAMES.join(", ")})`);
	return table[name];
}

/** The box of departure row `i` (0-based). */
export function rowRect(layout: Layout, i: number): Rect {
	return { x: layout.rowX, y: layout.rowsY + i * layout.rowH, w: layout.rowW, h: layout.rowH };
}

/** The box of all departure rows together (where "No departures" goes). */
export function rowsArea(layout: Layout): Rect {
	return { x: layout.rowX, y: layout.rowsY, w: layout.rowW, h: layout.rows * layout.rowH };
}
