/*
 * M5Paper (960×540, 16 grays) as an EPaperPanel, over Moddable's `it8951`
 * Display (modules/drivers/it8951/it8951.js; types/it8951.d.ts lists the
 * contract read from its source). The firmware constructs the Display and
 * hands it over:  new IT8951Panel(new (await import("it8951")).default())
 *
 * How the PixelsOut API is used, precisely:
 *   - writeWindow: configure({updateMode: "NONE"}), begin(window), send(bytes),
 *     end(). With "NONE" the driver's end() closes the load (LD_IMG_END) and
 *     returns before DPY_BUF_AREA, so pixels reach the IT8951 image buffer
 *     and nothing on the glass changes. continue() is not used: it drops the
 *     last partial 1 KB of the driver's send buffer;
 *   - refresh: configure({updateMode}), begin(area), end() with no send:
 *     the load carries zero pixels (the image buffer keeps what the windows
 *     wrote) and end() issues DPY_BUF_AREA over the area. "full" is GC16
 *     (flashing, clears ghosting); "partial" is GL16 (gray text on white,
 *     no flash) by default, or DU (`partialMode`);
 *   - the driver starts an update and returns; it exposes no completion
 *     (LUTAFSR is polled only inside the next update), so `busy` lasts the
 *     mode's nominal time from the driver's table (GC16/GL16 450 ms, DU
 *     260 ms) plus `settleMs`, and `done` fires after it from a timer;
 *   - sleep: the driver has no sleep or standby call, so sleep() only marks
 *     the panel asleep (writes throw until wake()); the IT8951 idles on its
 *     own and the glass is bistable. Cutting EPD power (M5Paper GPIO 23) is
 *     the board's business;
 *   - pixels: the renderer's 4 bpp (high nibble first, 0 black .. 15 white)
 *     is the driver's Gray16 as it sends it, so bytes pass through;
 *   - there is no OLD RAM: target "previous" is accepted and ignored.
 */
import type { Rect } from "../firmware/gfx/types";
import type { EPaperPanel, RamTarget, RefreshMode } from "./epaper";
import Timer from "timer";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

/** What the adapter needs of Moddable's it8951 Display. */
export interface IT8951Display {
	readonly width: number;
	readonly height: number;
	begin(x: number, y: number, width: number, height: number): void;
	send(pixels: ArrayBuffer | ArrayBufferView, offset: number, byteLength: number): void;
	end(): void;
	configure(options: { updateMode?: "GC16" | "GL16" | "DU" | "NONE" }): void;
	close(): void;
}

/** The subset of Moddable's Timer the adapter uses. */
export interface IT8951Timer {
	set(callback: () => void, ms: number): unknown;
	clear(id: unknown): void;
}

export interface IT8951PanelOptions {
	/** waveform for partial refreshes @default "GL16" */
	partialMode?: "GL16" | "DU";
	/** added to the nominal update time before `done`, ms @default 50 */
	settleMs?: number;
	/** @default Moddable's `timer` */
	timer?: IT8951Timer;
}

/** Nominal update times, ms (the driver's UpdateMode table). */
const UPDATE_MS = Object.freeze({ GC16: 450, GL16: 450, DU: 260 } as const);

const MODDABLE_TIMER: IT8951Timer = {
	set: (callback, ms) => Timer.set(() => callback(), ms),
	clear: (id) => Timer.clear(id as Timer),
};

export class IT8951Panel implements EPaperPanel {
	readonly width: number;
	readonly height: number;
	readonly depth = 4 as const;
	readonly xAlign = 4;
	readonly rewritePrevious = false;
	#display: IT8951Display | undefined;
	#timer: IT8951Timer;
	#partialMode: "GL16" | "DU";
	#settleMs: number;
	#awake = false;
	#busy = false;
	#pending: unknown;

	/** @throws ConfigError for a bad option */
	constructor(display: IT8951Display, options: IT8951PanelOptions = {}) {
		this.#partialMode = options.partialMode ?? "GL16";
		if (this.#partialMode !== "GL16" && this.#partialMode !== "DU") throw new ConfigError("partialMode", `IT8951: invalid partialMode ${String(this.#partialMode)}`);
		this.#settleMs = options.settleMs ?? 50;
		if (!(this.#settleMs >= 0)) throw new ConfigError("settleMs", "IT8951: settleMs must be ≥ 0");
		this.#timer = options.timer ?? MODDABLE_TIMER;
		this.#display = display;
		this.width = display.width;
		this.height = display.height;
	}

	get awake(): boolean {
		return this.#awake;
	}
	get busy(): boolean {
		return this.#busy;
	}

	/** The bridge needs no init sequence (the Display's constructor ran it); completes at once. */
	wake(done: (error?: Error) => void): void {
		if (!this.#display) return this.#later(done, this.#error("closed"));
		this.#awake = true;
		done();
	}

	/**
	 * Loads a window of 4 bpp pixels into the IT8951 image buffer without an update.
	 * @throws DriverError when asleep, busy, closed or the driver fails; ConfigError for a misaligned or out-of-bounds window or a wrong byte count
	 */
	writeWindow(window: Rect, bytes: Uint8Array, target: RamTarget = "new"): void {
		const display = this.#ready("writing");
		this.#check(window, "window");
		const need = (window.w >> 1) * window.h;
		if (bytes.length !== need) throw new ConfigError("bytes", `IT8951: window ${window.w}×${window.h} needs ${need} bytes, got ${bytes.length}`);
		if (target === "previous") return;
		try {
			display.configure({ updateMode: "NONE" });
			display.begin(window.x, window.y, window.w, window.h);
			display.send(bytes, 0, bytes.length);
			display.end();
		} catch (e) {
			throw this.#error("image load failed", e);
		}
	}

	/** Updates the glass from the image buffer: GC16 for "full", GL16/DU inside `area` for "partial". `done` after the nominal update time. */
	refresh(mode: RefreshMode, area: Rect | undefined, done: (error?: Error) => void): void {
		let display: IT8951Display;
		try {
			display = this.#ready("refresh");
			if (mode !== "full" && mode !== "partial") throw new ConfigError("mode", `IT8951: invalid refresh mode ${String(mode)}`);
		} catch (e) {
			return this.#later(done, e as Error);
		}
		const waveform = mode === "full" ? "GC16" : this.#partialMode;
		const r = mode === "partial" && area ? area : { x: 0, y: 0, w: this.width, h: this.height };
		try {
			this.#check(r, "area");
			display.configure({ updateMode: waveform });
			display.begin(r.x, r.y, r.w, r.h);
			display.end();
		} catch (e) {
			return this.#later(done, e instanceof ConfigError ? e : this.#error(`${waveform} update failed`, e));
		}
		this.#busy = true;
		this.#pending = this.#timer.set(() => {
			this.#pending = undefined;
			this.#busy = false;
			if (this.#display) done();
		}, UPDATE_MS[waveform] + this.#settleMs);
	}

	/** Marks the panel asleep (see the header: the driver has no sleep command). */
	sleep(): void {
		this.#awake = false;
	}

	/** Closes the Display; no callback fires after it. Safe to call twice. */
	close(): void {
		const display = this.#display;
		if (!display) return;
		this.#display = undefined;
		this.#awake = false;
		if (this.#pending !== undefined) this.#timer.clear(this.#pending);
		this.#pending = undefined;
		this.#busy = false;
		display.close();
	}

	#ready(what: string): IT8951Display {
		if (!this.#display) throw this.#error("closed");
		if (this.#busy) throw this.#error(`busy: update running, ${what} must wait`);
		if (!this.#awake) throw this.#error(`asleep: call wake() before ${what}`);
		return this.#display;
	}

	#check(r: Rect, key: string): void {
		const ok = [r.x, r.y, r.w, r.h].every((v) => Number.isInteger(v));
		if (!ok || r.w <= 0 || r.h <= 0 || r.x < 0 || r.y < 0) throw new ConfigError(key, `IT8951: invalid ${key} ${r.x},${r.y} ${r.w}×${r.h}`);
		if (r.x % 4 || r.w % 4) throw new ConfigError(key, `IT8951: ${key} x and w must be multiples of 4 (got x=${r.x}, w=${r.w})`);
		if (r.x + r.w > this.width || r.y + r.h > this.height) throw new ConfigError(key, `IT8951: ${key} ${r.x},${r.y} ${r.w}×${r.h} outside the ${this.width}×${this.height} panel`);
	}

	#later(done: (error?: Error) => void, error: Error): void {
		this.#timer.set(() => done(error), 0);
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`IT8951: ${message}`, cause === undefined ? undefined : { cause });
	}
}

export default IT8951Panel;
