/*
 * The renderer's vocabulary (ARCHITECTURE §3): what a screen is made of, as
 * plain data. A screen is a list of draw operations in layout coordinates;
 * the band renderer (firmware/gfx/band-renderer.ts) rasterises that list one
 * band at a time into a buffer of a few KB, so an 800×480 panel never needs a
 * full frame in RAM. Because the list is data, two lists can be compared
 * (firmware/gfx/damage.ts) to find the regions a partial refresh must cover.
 *
 * Pixel conventions, fixed for every host so golden images hold on Node and XS:
 *   - gray levels 0 (black ink) ..= 15 (white paper);
 *   - 1 bpp buffers: MSB-first, bit 1 = white, bit 0 = ink; a gray level < 8
 *     is ink (no dithering: e-paper text must stay crisp);
 *   - 4 bpp buffers: two pixels per byte, high nibble first (IT8951 4bpp order);
 *   - a band's rows are `stride` bytes apart, stride = ceil(w × bpp / 8).
 */

/** A rectangle; x,y inclusive top-left, w,h in pixels (w or h 0 = empty). */
export interface Rect {
	x: number;
	y: number;
	w: number;
	h: number;
}

/** Gray level 0 (black) ..= 15 (white). */
export type Gray = number;

export const BLACK: Gray = 0;
export const WHITE: Gray = 15;

export type Depth = 1 | 4;

/** A packed bitmap font as the renderer uses it (firmware/gfx/packed-font.ts reads the CSF1 format). */
export interface Font {
	/** nominal pixel size (em) */
	readonly size: number;
	/** pixels from the top of a line to the baseline */
	readonly ascent: number;
	/** pixels from the baseline to the bottom of a line */
	readonly descent: number;
	/** baseline-to-baseline distance */
	readonly lineHeight: number;
	/** whether the font has a glyph for `codePoint` */
	has(codePoint: number): boolean;
	/** advance of `codePoint` in pixels; a missing glyph advances by the missing-glyph box width */
	advance(codePoint: number): number;
	/** width of `text` in pixels (sum of advances) */
	measure(text: string): number;
}

/** A small 1-bit picture (crowding figures, cancelled mark, Wi-Fi-off): rows MSB-first, stride ceil(w/8), bit 1 = ink. */
export interface Icon {
	readonly w: number;
	readonly h: number;
	readonly bits: Uint8Array;
}

/**
 * One draw operation. Every op may carry `clip`: nothing outside it is touched
 * (intersected with the op's own box for text). Later ops paint over earlier ones.
 */
export type DrawOp =
	/** filled rectangle */
	| { op: "rect"; x: number; y: number; w: number; h: number; gray: Gray; clip?: Rect }
	/** rectangle outline `t` pixels thick, inside the box */
	| { op: "frame"; x: number; y: number; w: number; h: number; gray: Gray; t?: number; clip?: Rect }
	/** straight line, both end points inclusive, `t` pixels thick (Bresenham for diagonals) */
	| { op: "line"; x0: number; y0: number; x1: number; y1: number; gray: Gray; t?: number; clip?: Rect }
	/**
	 * One line of text in the box x,y,w,h: baseline at y + font.ascent, aligned in w.
	 * Text wider than w is cut at a glyph boundary and ends with "…" (U+2026, or "..." when the font lacks it): never overdrawn.
	 * A code point the font lacks draws a visible box outline, never nothing.
	 */
	| { op: "text"; x: number; y: number; w: number; h: number; text: string; font: Font; gray: Gray; align?: "left" | "right" | "center"; clip?: Rect }
	/** icon with its top-left at x,y, ink drawn in `gray`, 0 bits left untouched */
	| { op: "icon"; x: number; y: number; icon: Icon; gray: Gray; clip?: Rect };
