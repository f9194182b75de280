/*
 * What a 1 bpp e-paper glass shows, as gray levels for PNGs and the
 * dashboard: one byte a pixel, 0 (ink) or 15 (paper), row-major. Shared by
 * the SSD1680 and UC8179 models, whose shown images are both MSB-first rows
 * with bit 1 = white (the renderer's convention, firmware/gfx/types.ts).
 * Plain TypeScript: runs inside XS too.
 */
export function glassGray(packed: Uint8Array, width: number, height: number, stride: number): Uint8Array {
	const out = new Uint8Array(width * height);
	for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = packed[y * stride + (x >> 3)] & (0x80 >> (x & 7)) ? 15 : 0;
	return out;
}
