/*
 * One glyph as the font tools carry it between the rasterizer or BDF parser
 * and the CSF1 writer: a 1-bit bitmap cropped to its ink, placed relative to
 * the pen on the baseline. Same conventions as the CSF1 format (notes/helper-common-4.md):
 * rows MSB-first, ceil(width/8) bytes per row, bit 1 = ink; `top` counts rows
 * from the bitmap's top row up to the baseline (row 0 sits at baseline − top).
 */
export interface GlyphBitmap {
	codePoint: number;
	/** bitmap width and height in pixels (0 × 0 for a blank glyph such as the space) */
	width: number;
	height: number;
	/** pen x to the bitmap's left column, pixels (may be negative) */
	left: number;
	/** rows from the bitmap's top row up to the baseline */
	top: number;
	/** pen advance, whole pixels */
	advance: number;
	/** height × ceil(width/8) bytes */
	bits: Uint8Array;
}

/** Bytes per bitmap row for a glyph `width` pixels wide. */
export function rowBytes(width: number): number {
	return (width + 7) >> 3;
}

/** "站 (U+7AD9)": how a warning names a character. */
export function describeCodePoint(cp: number): string {
	const hex = cp.toString(16).toUpperCase().padStart(4, "0");
	return `${String.fromCodePoint(cp)} (U+${hex})`;
}
