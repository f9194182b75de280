/*
 * The one interface every e-paper panel driver offers the stop-sign screen
 * (SSD1680, UC8179, and the IT8951 adapter for M5Paper). It is shaped by what
 * the controllers share:
 *   - the image goes into controller RAM window by window, so the caller can
 *     stream bands and never hold a frame;
 *   - a refresh is started by a command and takes seconds; the controller
 *     drives BUSY while it runs, and the driver waits for it from a timer or
 *     an interrupt, never by spinning the event loop;
 *   - afterwards the controller should go to deep sleep, the only state in
 *     which an e-paper panel is safe to leave powered for hours.
 * Coordinates are panel-native (the driver's own width × height, rotation is
 * the caller's business, see firmware/gfx/rotate.ts).
 */
import type { Rect } from "../firmware/gfx/types";

export type RefreshMode = "full" | "partial";

/** Which controller RAM a window write fills. */
export type RamTarget = "new" | "previous" | "both";

export interface EPaperPanel {
	/** panel-native pixels */
	readonly width: number;
	readonly height: number;
	/** bits per pixel of the RAM this driver takes: 1 (black/white) or 4 (16 grays) */
	readonly depth: 1 | 4;
	/** window x and w must be multiples of this (8 for 1 bpp byte columns, 4 for IT8951) */
	readonly xAlign: number;
	/**
	 * True when, after a partial refresh, the caller must write the same window again with target "previous"
	 * (SSD1680: the differential waveform compares RAM 0x24 with 0x26 and nothing copies one into the other).
	 * False when the controller copies new to old itself (UC8179 CDI N2OCP) or has no old RAM (IT8951).
	 */
	readonly rewritePrevious: boolean;
	/** the controller is out of deep sleep and initialised */
	readonly awake: boolean;
	/** a refresh is running (BUSY asserted) */
	readonly busy: boolean;
	/** Hardware reset and init sequence; `done` when BUSY released. Calling it while awake is a no-op that completes at once. */
	wake(done: (error?: Error) => void): void;
	/**
	 * Writes one window of pixels into controller RAM. `bytes` holds `window.h` rows of
	 * ceil(window.w × depth / 8) bytes, in the renderer's convention (firmware/gfx/types.ts), the driver converts.
	 * @throws Error when asleep, busy, or the window is out of bounds or misaligned
	 */
	writeWindow(window: Rect, bytes: Uint8Array, target?: RamTarget): void;
	/** Starts a refresh of what RAM holds (`area` = the changed window for partial; ignored for full). `done` once BUSY is released. */
	refresh(mode: RefreshMode, area: Rect | undefined, done: (error?: Error) => void): void;
	/** Deep sleep (RAM kept where the controller can). The next write needs wake(). */
	sleep(): void;
	close(): void;
}
