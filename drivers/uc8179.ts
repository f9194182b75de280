/*
 * UltraChip UC8179 (sold as GD7965) e-paper controller, black/white "KW"
 * mode: the 7.5" 800×480 GDEW075T7 / Waveshare 7.5" V2 panels, and 400×300
 * glass through the TRES resolution setting. Implements EPaperPanel
 * (drivers/epaper.ts).
 * Datasheet: UltraChip "UC8179 All-in-one driver IC w/ Timing Controller for
 * Black/White/Red EPD", command table §7 (section numbers below are the
 * command-table entries, e.g. "R50h CDI"); pin description §4.
 * Sequences cross-checked (not copied) against GxEPD2 GxEPD2_750_T7 and
 * Waveshare's epd7in5_V2.
 *
 *   const panel = new UC8179({ spi: { io: device.io.SPI, clock: 18, out: 23, select: 5 },
 *     dc: { io: device.io.Digital, pin: 17 }, reset: { io: device.io.Digital, pin: 16 },
 *     busy: { io: device.io.Digital, pin: 4 } });
 *   panel.wake(() => { panel.writeWindow(full, bytes, "both"); panel.refresh("full", undefined, () => panel.sleep()); });
 *
 * Quirks handled:
 *   - BUSY_N is ACTIVE LOW (§4 pin description: "BUSY_N: low = driver busy,
 *     host must not send commands"); every wait polls it from a timer every
 *     `pollMs` (never spins the event loop) with a deadline, `busyTimeoutMs`;
 *   - data polarity: CDI (R50h) DDX[1:0] = 01 makes RAM bit 1 = white in KW
 *     mode, the renderer's own convention, so bytes go to RAM unconverted;
 *   - CDI N2OCP (R50h bit 3) = 1: after each refresh the controller copies
 *     NEW (DTM2, R13h) into OLD (DTM1, R10h) itself, so the caller never
 *     rewrites "previous" after a partial refresh (`rewritePrevious` false);
 *   - windows go through PTIN (R91h) + PTL (R90h) so DTM writes auto-increment
 *     inside the window; HRST/HRED are byte columns (low 3 bits ignored,
 *     HRED ends in 111b), hence x and w multiples of 8;
 *   - partial refresh = DRF (R12h) inside PTIN/PTL: the OTP KW waveform is
 *     differential (OLD vs NEW per pixel), restricted to the window; the
 *     border is left floating (CDI BDZ = 1) so it does not flash. No custom
 *     LUT and no forced-temperature fast waveform (R E0h/E5h) are used;
 *   - deep sleep (R07h) needs the check code 0xA5 and only a hardware reset
 *     wakes the chip, so wake() always pulses RST_N;
 *   - transport (D/C, chunked SPI writes ≤ 4096 bytes, BUSY polling) is the
 *     shared drivers/epaper-io.ts.
 */
import Timer from "timer";
import type { Rect } from "../firmware/gfx/types";
import type { EPaperPanel, RamTarget, RefreshMode } from "./epaper";
import { ConfigError, DriverError } from "../firmware/runtime/errors";
import { after, openEPaperIO, waitWhileBusy, type BusyWait, type EPaperIO, type EPaperPinOptions, type EPaperSPIOptions, type EPaperTimer } from "./epaper-io";

export type UC8179Timer = EPaperTimer;

export interface UC8179Options {
	/** SCLK default 10 MHz (the serial interface is specified to 20 MHz, §11 AC characteristics) */
	spi: EPaperSPIOptions;
	/** D/C: low = command, high = data */
	dc: EPaperPinOptions;
	/** RST_N, active low */
	reset: EPaperPinOptions;
	/** BUSY_N input, low = busy */
	busy: EPaperPinOptions;
	/** source pixels, multiple of 8 (TRES HRES) @default 800 */
	width?: number;
	/** gate lines (TRES VRES) @default 480 */
	height?: number;
	/** @default Moddable's `timer` */
	timer?: UC8179Timer;
	/** deadline of each BUSY wait, ms @default 20_000 */
	busyTimeoutMs?: number;
	/** BUSY poll interval, ms @default 10 */
	pollMs?: number;
	/** errors with no `done` to go to (a failed sleep); otherwise they are dropped silently only after close */
	onError?: (error: DriverError) => void;
}

/** Command codes, UC8179 command table (§7). */
export const UC8179_COMMAND = Object.freeze({
	PSR: 0x00, // R00h panel setting
	PWR: 0x01, // R01h power setting
	POF: 0x02, // R02h power off
	PON: 0x04, // R04h power on
	BTST: 0x06, // R06h booster soft start
	DSLP: 0x07, // R07h deep sleep
	DTM1: 0x10, // R10h data start transmission 1 (OLD)
	DRF: 0x12, // R12h display refresh
	DTM2: 0x13, // R13h data start transmission 2 (NEW)
	DUSPI: 0x15, // R15h dual SPI
	CDI: 0x50, // R50h VCOM and data interval setting
	TCON: 0x60, // R60h TCON setting
	TRES: 0x61, // R61h resolution setting
	FLG: 0x71, // R71h get status
	PTL: 0x90, // R90h partial window
	PTIN: 0x91, // R91h partial in
	PTOUT: 0x92, // R92h partial out
} as const);

/** R07h check code: any other value leaves the chip awake. */
export const UC8179_DEEP_SLEEP_CHECK = 0xa5;

/**
 * Init after reset, as data (STYLE rule 6). PON comes between BTST and PSR
 * and is awaited; TRES is appended with the panel's resolution.
 */
const POWER_UP: readonly (readonly number[])[] = Object.freeze([
	// R01h: internal DC/DC, VGH/VGL = ±20 V, VDH/VDL = ±15 V.
	[UC8179_COMMAND.PWR, 0x07, 0x07, 0x3f, 0x3f],
	// R06h: booster soft start phases A/B/C (+ phase C2).
	[UC8179_COMMAND.BTST, 0x17, 0x17, 0x28, 0x17],
]);
const PANEL_SETUP: readonly (readonly number[])[] = Object.freeze([
	// R00h: RES from TRES, REG = 0 (LUT from OTP), KW/R = 1 (black/white), UD/SHL up and right, SHD_N, RST_N.
	[UC8179_COMMAND.PSR, 0x1f],
]);
const PANEL_SETUP_TAIL: readonly (readonly number[])[] = Object.freeze([
	// R15h: single SPI.
	[UC8179_COMMAND.DUSPI, 0x00],
	// R50h: border from LUT (BDV), N2OCP = 1, DDX = 01 (1 = white); CDI interval 10 hsync.
	[UC8179_COMMAND.CDI, 0x29, 0x07],
	// R60h: source-to-gate and gate-to-source non-overlap periods.
	[UC8179_COMMAND.TCON, 0x22],
]);
/** R50h byte 1 for each refresh mode: full drives the border; partial floats it (BDZ = bit 7). */
const CDI_FULL = 0x29;
const CDI_PARTIAL = 0xa9;
/** R90h PT_SCAN = 1: gates scan inside and outside the window (GxEPD2 uses the same). */
const PT_SCAN = 0x01;
/** RST_N low and recovery, ms (§11 reset timing asks ≥ 50 µs; panels' app notes use 10 ms). */
const RESET_MS = 10;

type State = "asleep" | "waking" | "ready" | "refreshing" | "sleeping" | "closed";

const MODDABLE_TIMER: UC8179Timer = {
	set: (callback, ms) => Timer.set(() => callback(), ms),
	clear: (id) => Timer.clear(id as Timer),
};

export class UC8179 implements EPaperPanel {
	readonly width: number;
	readonly height: number;
	readonly depth = 1 as const;
	readonly xAlign = 8;
	readonly rewritePrevious = false;
	#io: EPaperIO;
	#timer: UC8179Timer;
	#busyTimeoutMs: number;
	#pollMs: number;
	#onError: ((error: DriverError) => void) | undefined;
	#state: State = "asleep";
	#closing = false;
	#cancelTimer: (() => void) | undefined;
	#wait: BusyWait | undefined;
	#sleepAfter = false;
	#wakeAfter: ((error?: Error) => void) | undefined;

	/**
	 * Opens SPI, D/C, RST_N (released high) and BUSY_N. The controller stays
	 * asleep until wake().
	 * @throws ConfigError for a bad geometry or option; DriverError naming the part when an IO cannot be opened (all opened IO is released)
	 */
	constructor(options: UC8179Options) {
		this.width = options.width ?? 800;
		this.height = options.height ?? 480;
		if (!Number.isInteger(this.width) || this.width <= 0 || this.width % 8 || this.width > 800) throw new ConfigError("width", `UC8179: invalid width ${this.width} (multiple of 8, ≤ 800)`);
		if (!Number.isInteger(this.height) || this.height <= 0 || this.height > 600) throw new ConfigError("height", `UC8179: invalid height ${this.height} (≤ 600)`);
		this.#busyTimeoutMs = options.busyTimeoutMs ?? 20_000;
		this.#pollMs = options.pollMs ?? 10;
		if (!(this.#busyTimeoutMs > 0)) throw new ConfigError("busyTimeoutMs", "UC8179: busyTimeoutMs must be > 0");
		if (!(this.#pollMs > 0)) throw new ConfigError("pollMs", "UC8179: pollMs must be > 0");
		this.#timer = options.timer ?? MODDABLE_TIMER;
		this.#onError = options.onError;
		// D/C low, RST_N high (out of reset), BUSY_N input; all or nothing (drivers/epaper-io.ts).
		this.#io = openEPaperIO("UC8179", options, 10_000_000);
	}

	get awake(): boolean {
		return this.#state === "ready" || this.#state === "refreshing";
	}

	get busy(): boolean {
		return this.#state === "waking" || this.#state === "refreshing" || this.#state === "sleeping";
	}

	/** Reset pulse and init (PWR, BTST, PON, PSR, TRES, DUSPI, CDI, TCON); `done` once PON's BUSY is released. */
	wake(done: (error?: Error) => void): void {
		switch (this.#state) {
			case "ready":
			case "refreshing":
				done();
				return;
			case "sleeping":
				if (this.#wakeAfter) return this.#later(done, this.#error("wake already pending"));
				this.#wakeAfter = done;
				return;
			case "waking":
				return this.#later(done, this.#error("busy (waking)"));
			case "closed":
				return this.#later(done, this.#error("closed"));
		}
		if (this.#closing) return this.#later(done, this.#error("closed"));
		this.#state = "waking";
		const fail = (e: unknown) => this.#finish(done, this.#asError("wake failed", e), "asleep");
		try {
			this.#io.setReset(0);
		} catch (e) {
			return fail(e);
		}
		this.#after(RESET_MS, () => {
			try {
				this.#io.setReset(1);
			} catch (e) {
				return fail(e);
			}
			this.#after(RESET_MS, () =>
				this.#waitBusy((e) => {
					if (e) return this.#finish(done, e, "asleep");
					try {
						for (const c of POWER_UP) this.#command(c);
						this.#command([UC8179_COMMAND.PON]);
					} catch (e) {
						return fail(e);
					}
					this.#waitBusy((e) => {
						if (e) return this.#finish(done, e, "asleep");
						try {
							for (const c of PANEL_SETUP) this.#command(c);
							const w = this.width;
							const h = this.height;
							this.#command([UC8179_COMMAND.TRES, w >> 8, w & 0xff, h >> 8, h & 0xff]);
							for (const c of PANEL_SETUP_TAIL) this.#command(c);
						} catch (e) {
							return fail(e);
						}
						this.#finish(done, undefined, "ready");
					});
				}),
			);
		});
	}

	/**
	 * Writes `window` (1 bpp, MSB-first, bit 1 = white) into OLD (DTM1), NEW (DTM2) or both.
	 * A full-screen window is written directly, any other inside PTIN/PTL.
	 * @throws DriverError when asleep or busy; ConfigError when the window is misaligned, out of bounds or `bytes` has the wrong length
	 */
	writeWindow(window: Rect, bytes: Uint8Array, target: RamTarget = "new"): void {
		if (this.#state === "closed" || this.#closing) throw this.#error("closed");
		if (this.#state === "refreshing" || this.#state === "waking" || this.#state === "sleeping") throw this.#error("busy: wait for the refresh to finish before writing RAM");
		if (this.#state !== "ready") throw this.#error("asleep: call wake() before writing RAM");
		this.#checkWindow(window, "window");
		const need = (window.w >> 3) * window.h;
		if (bytes.length !== need) throw new ConfigError("bytes", `UC8179: window ${window.w}×${window.h} needs ${need} bytes, got ${bytes.length}`);
		if (target !== "new" && target !== "previous" && target !== "both") throw new ConfigError("target", `UC8179: invalid RAM target ${String(target)}`);
		const full = this.#isFull(window);
		try {
			if (!full) {
				this.#command([UC8179_COMMAND.PTIN]);
				this.#partialWindow(window);
			}
			if (target !== "new") this.#ram(UC8179_COMMAND.DTM1, bytes);
			if (target !== "previous") this.#ram(UC8179_COMMAND.DTM2, bytes);
			if (!full) this.#command([UC8179_COMMAND.PTOUT]);
		} catch (e) {
			throw this.#asError("RAM write failed", e);
		}
	}

	/**
	 * Starts DRF. "full" refreshes the whole panel; "partial" only `area` (the whole panel when absent)
	 * through PTIN/PTL. `done` once BUSY_N is released, with a DriverError on a BUSY timeout.
	 */
	refresh(mode: RefreshMode, area: Rect | undefined, done: (error?: Error) => void): void {
		if (this.#state === "closed" || this.#closing) return this.#later(done, this.#error("closed"));
		if (this.#state !== "ready") return this.#later(done, this.#error(this.busy ? "busy: refresh already running" : "asleep: call wake() before refresh"));
		if (mode !== "full" && mode !== "partial") return this.#later(done, new ConfigError("mode", `UC8179: invalid refresh mode ${String(mode)}`));
		const window = mode === "partial" ? (area ?? { x: 0, y: 0, w: this.width, h: this.height }) : undefined;
		if (window) {
			try {
				this.#checkWindow(window, "area");
			} catch (e) {
				return this.#later(done, e as Error);
			}
		}
		this.#state = "refreshing";
		try {
			this.#command([UC8179_COMMAND.CDI, window ? CDI_PARTIAL : CDI_FULL, 0x07]);
			if (window) {
				this.#command([UC8179_COMMAND.PTIN]);
				this.#partialWindow(window);
			}
			this.#command([UC8179_COMMAND.DRF]);
		} catch (e) {
			return this.#finish(done, this.#asError("refresh failed", e), "asleep");
		}
		// The first BUSY_N look comes pollMs after DRF, by when the controller has taken it low.
		this.#waitBusy((e) => {
			if (e) return this.#finish(done, e, "asleep");
			try {
				if (window) this.#command([UC8179_COMMAND.PTOUT]);
			} catch (e) {
				return this.#finish(done, this.#asError("refresh failed", e), "asleep");
			}
			this.#finish(done, undefined, "ready");
		});
	}

	/** POF (awaits BUSY), then DSLP with check code 0xA5. Runs after a refresh or wake in flight; no-op when asleep. */
	sleep(): void {
		if (this.#state === "waking" || this.#state === "refreshing") {
			this.#sleepAfter = true;
			return;
		}
		if (this.#state !== "ready") return;
		this.#state = "sleeping";
		const end = (e?: Error) => {
			this.#state = "asleep";
			if (e && !this.#closing) this.#onError?.(e instanceof DriverError ? e : this.#asError("sleep failed", e));
			if (this.#closing) return this.#release();
			const wake = this.#wakeAfter;
			this.#wakeAfter = undefined;
			if (wake) this.wake(wake);
		};
		try {
			this.#command([UC8179_COMMAND.POF]);
		} catch (e) {
			return end(this.#asError("sleep failed", e));
		}
		this.#waitBusy((e) => {
			if (e) return end(e);
			try {
				this.#command([UC8179_COMMAND.DSLP, UC8179_DEEP_SLEEP_CHECK]);
			} catch (e) {
				return end(this.#asError("sleep failed", e));
			}
			end();
		});
	}

	/** Parks the controller in deep sleep (after any refresh in flight) and releases the IO. No callback fires after it. Safe to call twice. */
	close(): void {
		if (this.#closing) return;
		this.#closing = true;
		this.#wakeAfter = undefined;
		switch (this.#state) {
			case "ready":
				this.sleep();
				return;
			case "waking":
			case "refreshing":
				this.#sleepAfter = true;
				return;
			case "sleeping":
				return;
			default:
				this.#release();
		}
	}

	#release(): void {
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
		this.#wait?.cancel();
		this.#wait = undefined;
		this.#state = "closed";
		this.#io.close();
	}

	/** Ends a wake or refresh: new state, `done` (unless closing), then a deferred sleep. */
	#finish(done: (error?: Error) => void, error: Error | undefined, state: State): void {
		this.#state = state;
		if (!this.#closing) done(error);
		if (this.#sleepAfter) {
			this.#sleepAfter = false;
			if (this.#state === "ready") return this.sleep();
		}
		if (this.#closing && this.#state === "asleep") this.#release();
	}

	/** BUSY_N polled every pollMs (first look after pollMs) until high, or a DriverError after busyTimeoutMs. */
	#waitBusy(done: (error?: Error) => void): void {
		this.#wait = waitWhileBusy(this.#io, { busyLevel: 0, timer: this.#timer, timeoutMs: this.#busyTimeoutMs, pollMs: this.#pollMs }, (e) => {
			this.#wait = undefined;
			done(e);
		});
	}

	#after(ms: number, fn: () => void): void {
		this.#cancelTimer = after(this.#timer, ms, () => {
			this.#cancelTimer = undefined;
			fn();
		});
	}

	/** Calls `done(error)` from a timer, never from inside the caller's call. */
	#later(done: (error?: Error) => void, error: Error): void {
		this.#timer.set(() => {
			if (this.#state !== "closed") done(error);
		}, 0);
	}

	#checkWindow(r: Rect, key: string): void {
		const ok = [r.x, r.y, r.w, r.h].every((v) => Number.isInteger(v));
		if (!ok || r.w <= 0 || r.h <= 0 || r.x < 0 || r.y < 0) throw new ConfigError(key, `UC8179: invalid ${key} ${r.x},${r.y} ${r.w}×${r.h}`);
		if (r.x % 8 || r.w % 8) throw new ConfigError(key, `UC8179: ${key} x and w must be multiples of 8 (got x=${r.x}, w=${r.w})`);
		if (r.x + r.w > this.width || r.y + r.h > this.height) throw new ConfigError(key, `UC8179: ${key} ${r.x},${r.y} ${r.w}×${r.h} outside the ${this.width}×${this.height} panel`);
	}

	#isFull(r: Rect): boolean {
		return r.x === 0 && r.y === 0 && r.w === this.width && r.h === this.height;
	}

	/** R90h PTL: HRST, HRED (byte columns, HRED low bits 111b), VRST, VRED, PT_SCAN. */
	#partialWindow(r: Rect): void {
		const xe = (r.x + r.w - 1) | 7;
		const ye = r.y + r.h - 1;
		this.#command([UC8179_COMMAND.PTL, r.x >> 8, r.x & 0xf8, xe >> 8, xe & 0xff, r.y >> 8, r.y & 0xff, ye >> 8, ye & 0xff, PT_SCAN]);
	}

	/** A command byte (D/C low) and its parameters (D/C high). */
	#command(bytes: readonly number[]): void {
		this.#io.command(bytes[0], bytes.slice(1));
	}

	/** DTM1/DTM2 and the pixel data (epaper-io chunks it to ≤ 4096-byte transfers). */
	#ram(command: number, bytes: Uint8Array): void {
		this.#io.command(command);
		this.#io.data(bytes, command);
	}

	#asError(message: string, cause: unknown): DriverError {
		return cause instanceof DriverError ? cause : this.#error(message, cause);
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`UC8179: ${message}`, cause === undefined ? undefined : { cause });
	}
}

export default UC8179;
