/*
 * Moddable's `it8951` module (modules/drivers/it8951/it8951.js, SDK 8.2.3):
 * the M5Paper's IT8951 e-paper bridge as a PixelsOut-compatible `Display`
 * (960×540, Gray16 = 4 bpp, two pixels a byte). No typings declare it.
 * Contract read from the source:
 *   - begin(x, y, w, h) throws a bare Error when x or w is not a multiple
 *     of 4; it sends LD_IMG_AREA and holds chip select for `send`;
 *   - end() closes the load (LD_IMG_END) and, unless updateMode is "NONE",
 *     waits for the previous update (LUTAFSR poll, up to 3 s, Error "time
 *     out") and starts DPY_BUF_AREA over the area with updateMode;
 *   - continue() closes the load without an update and widens the area for
 *     the next begin; it does not flush the last partial 1 KB of `send`
 *     buffer (a driver quirk: keep each area a multiple of 1024 bytes or
 *     use end());
 *   - refresh() is a full-panel INIT update; there is no sleep or standby
 *     method (TCON_SLEEP/STANDBY are defined but never sent).
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
export type IT8951UpdateMode = "INIT" | "DU" | "GC16" | "GL16" | "GLR16" | "GLD16" | "DU4" | "A2" | "NONE";

export interface IT8951Configuration {
	/** unknown names fall back to GLD16 @default "GLD16" */
	updateMode?: IT8951UpdateMode;
	/** a named filter ("negative", "posterize", "monochrome", "bright", "contrast") or a 16-entry gray map */
	filter?: string | Uint8Array;
}

export default class Display {
	constructor(options?: Record<string, unknown>);
	/** starts loading pixels of an area; x and width multiples of 4 */
	begin(x: number, y: number, width: number, height: number): void;
	/** `byteLength` bytes of 4 bpp pixels (high nibble first) from `pixels` at `offset` */
	send(pixels: ArrayBuffer | ArrayBufferView, offset: number, byteLength: number): void;
	/** ends the load and updates the area with the configured updateMode */
	end(): void;
	/** ends the load without an update; the next begin's area is merged */
	continue(): void;
	configure(options: IT8951Configuration): void;
	/** rounds an area outward to the 4-pixel alignment begin needs */
	adaptInvalid(area: { x: number; y: number; w: number; h: number }): void;
	/** full-panel INIT update */
	refresh(): void;
	close(): void;
	readonly width: number;
	readonly height: number;
	/** degrees: 0, 90, 180, 270 */
	rotation: number;
	/** commodetto Bitmap.Gray16 (4) */
	readonly pixelFormat: number;
	pixelsToBytes(pixels: number): number;
}
