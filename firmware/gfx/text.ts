/*
 * Text measuring and fitting for one line of a DrawOp "text" (firmware/gfx/types.ts):
 * text wider than its box is cut at a glyph boundary and ends with an
 * ellipsis, so a long stop name is never overdrawn into the next column.
 * Strings are walked by code point (`for … of`), never by UTF-16 index:
 * `length` counts code points on XS but UTF-16 units on Node, and CJK
 * extension-B names need surrogate pairs on Node.
 *
 * The missing-glyph box geometry lives here too, so the band renderer and
 * the naive reference renderer (bench/naive-render.ts) draw the same box.
 */
import type { Font } from "./types";

const ELLIPSIS = 0x2026;

/** Width of `text` in pixels (sum of advances; missing glyphs count their box advance). */
export function textWidth(font: Font, text: string): number {
	return font.measure(text);
}

/** "…" when the font has U+2026, else "..." */
export function ellipsisFor(font: Font): string {
	return font.has(ELLIPSIS) ? "\u2026" : "...";
}

/**
 * `text` when it fits `maxWidth` pixels; otherwise its longest prefix (whole code points)
 * followed by the ellipsis that fits; "" when not even the ellipsis fits.
 */
export function fitText(font: Font, text: string, maxWidth: number): string {
	if (font.measure(text) <= maxWidth) return text;
	const ellipsis = ellipsisFor(font);
	const room = maxWidth - font.measure(ellipsis);
	if (room < 0) return "";
	let width = 0;
	let prefix = "";
	for (const ch of text) {
		width += font.advance(ch.codePointAt(0)!);
		if (width > room) break;
		prefix += ch;
	}
	return prefix + ellipsis;
}

/** Width of the missing-glyph box: about 0.6 em, inside the advance when it can be, at least 2 px. */
export function missingBoxWidth(font: Font, advance: number): number {
	const w = Math.min(Math.round((font.size * 3) / 5), advance - 1);
	return w < 2 ? 2 : w;
}

/** Height of the missing-glyph box: the ascent (line top to baseline), at least 2 px. */
export function missingBoxHeight(font: Font): number {
	return font.ascent < 2 ? 2 : font.ascent;
}

/** Pen-relative x of the missing-glyph box: centred in the advance. */
export function missingBoxLeft(advance: number, boxWidth: number): number {
	return advance > boxWidth ? (advance - boxWidth) >> 1 : 0;
}
