/*
 * Solomon Systech SSD1680 e-paper controller (176 source × 296 gate), on the
 * black/white panels the stop sign uses: 2.9" 128×296 (GDEY029T94 and
 * alike) and 2.13" 122×250 (GDEY0213B74 and alike).
 * Datasheet: Solomon Systech "SSD1680 Product Preview" Rev 0.14 (Jun 2019),
 * https://www.solomon-systech.com/ (SSD1680):
 *   §6.1.2  4-wire SPI: D/C low = command byte, high = parameter/data byte
 *           (sampled with each byte), CS# low selects;
 *   §7      command table (every command and parameter used below);
 *   §8      command descriptions: 0x01 driver output control, 0x11 data
 *           entry mode, 0x44/0x45 RAM window, 0x4E/0x4F address counters,
 *           0x22 display update sequence, 0x10 deep sleep;
 *   §9      operation flow: power on → HW reset (RES# low ≥ 10 ms) → wait
 *           BUSY low → SW reset 0x12 → wait BUSY low → init → write RAM →
 *           0x22/0x20 → wait BUSY low → 0x10 deep sleep.
 * Implements drivers/epaper.ts (EPaperPanel). The transport (SPI, D/C,
 * RESET, BUSY, non-blocking BUSY wait) is drivers/epaper-io.ts.
 *
 *   const panel = new SSD1680({ spi: { ...device.SPI.default, io: device.io.SPI, select: 5 },
 *                               dc: { io: device.io.Digital, pin: 17 }, reset: { io: device.io.Digital, pin: 16 },
 *                               busy: { io: device.io.Digital, pin: 4 }, timer: Timer });
 *   panel.wake((e) => { panel.writeWindow(rect, bits, "both"); panel.refresh("full", undefined, (e) => panel.sleep()); });
 *
 * Pixels: the renderer's 1 bpp MSB-first with 1 = white (firmware/gfx/types.ts)
 * is exactly the BW RAM (0x24) convention (§8, "Write RAM (Black White)":
 * 0 = black, 1 = white), so bytes go out unconverted.
 *
 * Refresh modes (§8 command 0x22 "Display Update Control 2", bit 3 selects
 * display mode 2):
 *   - full: 0xF7 = clock on, analog on, load temperature, load LUT from OTP,
 *     display mode 1, analog and clock off. Shows BW RAM; every pixel is
 *     driven through black and white (the flashing waveform).
 *   - partial: 0xFF = the same in display mode 2, the differential waveform:
 *     a pixel is driven only where BW RAM (new) differs from RED RAM 0x26
 *     (taken as the old image). Nothing copies 0x24 into 0x26, so after a
 *     partial refresh the caller writes the window again into "previous"
 *     (`rewritePrevious`); before a full refresh it writes "both".
 *     Analog off at the end (bits 1, 0) because the sign deep-sleeps after
 *     every refresh anyway.
 *
 * Quirks:
 *   - the 2.13" panel has 122 source lines but RAM columns come in bytes: a
 *     window touching the right edge may be 122 − x wide; its last byte's
 *     low 6 bits land in RAM columns the panel does not show;
 *   - BUSY stays high in deep sleep (§8 0x10), and only RES# wakes the chip,
 *     so wake() always does a hardware reset; Deep Sleep Mode 1 keeps both
 *     RAMs (§8 0x10), and neither HW reset nor SW reset 0x12 clears them
 *     (§8 0x12: "RAM are unaffected"), so a partial refresh after wake still
 *     has a valid old image;
 *   - the panels wire 128 sources to S8…S135: 0x21 B = 0x80 selects that
 *     source range (§8 0x21), as the panel makers' init code does.
 */
import { ConfigError, DriverError } from "../firmware/runtime/errors";
import type { Rect } from "../firmware/gfx/types";
import type { EPaperPanel, RamTarget, RefreshMode } from "./epaper";
import {
	type BusyWait,
	type EPaperIO,
	type EPaperPinOptions,
	type EPaperSPIOptions,
	type EPaperTimer,
	after,
	openEPaperIO,
	waitWhileBusy,
} from "./epaper-io";

/** Commands, §7 command table. */
export const SSD1680_COMMAND = Object.freeze({
	driverOutputControl: 0x01,
	deepSleep: 0x10,
	dataEntryMode: 0x11,
	swReset: 0x12,
	temperatureSensor: 0x18,
	masterActivation: 0x20,
	displayUpdateControl1: 0x21,
	displayUpdateControl2: 0x22,
	writeRamBW: 0x24,
	writeRamRed: 0x26,
	borderWaveform: 0x3c,
	ramXWindow: 0x44,
	ramYWindow: 0x45,
	ramXCounter: 0x4e,
	ramYCounter: 0x4f,
} as const);

/** 0x22 sequences (§8): see the header. */
export const SSD1680_UPDATE = Object.freeze({ full: 0xf7, partial: 0xff } as const);

/** Panels this driver knows: geometry and typical refresh times (GxEPD2-style panel constants). */
export const SSD1680_PANELS = Object.freeze({
	/** 2.9" 128×296 */
	"2.9": Object.freeze({ width: 128, height: 296, fullRefreshMs: 3000, partialRefreshMs: 500 }),
	/** 2.13" 122×250 */
	"2.13": Object.freeze({ width: 122, height: 250, fullRefreshMs: 3000, partialRefreshMs: 500 }),
} as const);

/** RAM: 176 sources = 22 bytes, 296 gates (§1). */
const RAM_COLUMNS = 176;
const RAM_ROWS = 296;
/** Data entry mode: AM = 0 (X first), ID = 11 (X and Y increment), §8 0x11. */
const DATA_ENTRY_X_INC_Y_INC = 0x03;
/** Border follows LUT1 (white) with VBD transition, §8 0x3C. */
const BORDER_WAVEFORM = 0x05;
/** Internal temperature sensor, §8 0x18. */
const INTERNAL_SENSOR = 0x80;
/** Deep Sleep Mode 1: RAM retained, §8 0x10. */
const DEEP_SLEEP_MODE_1 = 0x01;
/** §6.1.2/§12: the serial write cycle is ≥ 50 ns (20 MHz); 4 MHz is safe over a ribbon cable. */
const DEFAULT_HZ = 4_000_000;

export interface SSD1680Options {
	spi: EPaperSPIOptions;
	/** D/C output */
	dc: EPaperPinOptions;
	/** RES# output (active low) */
	reset: EPaperPinOptions;
	/** BUSY input (high = busy) */
	busy: EPaperPinOptions;
	/** one-shot timers for the reset pulse and BUSY polling; on the device pass Moddable's `Timer` */
	timer: EPaperTimer;
	/** source lines shown @default 128 */
	width?: 128 | 122;
	/** gate lines @default 296 */
	height?: 296 | 250;
	/** a BUSY wait longer than this fails, ms @default 10_000 */
	busyTimeoutMs?: number;
	/** BUSY poll period, ms @default 10 */
	busyPollMs?: number;
	/** RES# low time, and the wait after it, ms (§9: ≥ 10 ms) @default 10 */
	resetMs?: number;
	/** Bus faults of sleep()/writeWindow() come here instead of being thrown. */
	onError?: (error: DriverError) => void;
}

type State = "asleep" | "waking" | "idle" | "refreshing" | "closed";

export class SSD1680 implements EPaperPanel {
	readonly width: number;
	readonly height: number;
	readonly depth = 1 as const;
	readonly xAlign = 8;
	readonly rewritePrevious = true;
	#io: EPaperIO;
	#timer: EPaperTimer;
	#busyTimeoutMs: number;
	#busyPollMs: number;
	#resetMs: number;
	#onError: ((error: DriverError) => void) | undefined;
	#state: State = "asleep";
	#wait: BusyWait | undefined;
	#cancelDelay: (() => void) | undefined;

	/**
	 * Opens the IO; the controller stays as it is until wake().
	 * @throws ConfigError on bad options; DriverError when an IO cannot be opened (nothing stays open)
	 */
	constructor(options: SSD1680Options) {
		if (!options || typeof options !== "object") throw new ConfigError("options", "ssd1680: options required");
		const width = options.width ?? 128;
		const height = options.height ?? 296;
		if (width !== 128 && width !== 122) throw new ConfigError("width", "ssd1680: width must be 128 or 122");
		if (height !== 296 && height !== 250) throw new ConfigError("height", "ssd1680: height must be 296 or 250");
		const timer = options.timer;
		if (!timer || typeof timer.set !== "function" || typeof timer.clear !== "function") throw new ConfigError("timer", "ssd1680: timer with set/clear required");
		this.#busyTimeoutMs = positive(options.busyTimeoutMs ?? 10_000, "busyTimeoutMs");
		this.#busyPollMs = positive(options.busyPollMs ?? 10, "busyPollMs");
		this.#resetMs = positive(options.resetMs ?? 10, "resetMs");
		if (options.onError !== undefined && typeof options.onError !== "function") throw new ConfigError("onError", "ssd1680: onError must be a function");
		this.width = width;
		this.height = height;
		this.#timer = timer;
		this.#onError = options.onError;
		this.#io = openEPaperIO("ssd1680", options, DEFAULT_HZ);
	}

	get awake(): boolean {
		return this.#state === "idle" || this.#state === "refreshing";
	}

	get busy(): boolean {
		return this.#state === "waking" || this.#state === "refreshing";
	}

	/**
	 * HW reset, SW reset and init (§9); `done` once BUSY is low after init. No-op (done at once) when awake.
	 * @throws DriverError when closed or busy
	 */
	wake(done: (error?: Error) => void): void {
		this.#usable(false);
		if (this.#state === "idle") {
			done();
			return;
		}
		this.#state = "waking";
		const fail = (e: unknown) => {
			this.#state = "asleep";
			done(asDriverError(e, "wake failed"));
		};
		const step = (next: () => void) => () => {
			try {
				next();
			} catch (e) {
				fail(e);
			}
		};
		const io = this.#io;
		try {
			io.setReset(0);
		} catch (e) {
			fail(e);
			return;
		}
		// §9: RES# low ≥ 10 ms, then ≥ 10 ms before the first command.
		this.#cancelDelay = after(this.#timer, this.#resetMs, step(() => {
			io.setReset(1);
			this.#cancelDelay = after(this.#timer, this.#resetMs, step(() => {
				this.#cancelDelay = undefined;
				this.#afterBusy(fail, () => {
					io.command(SSD1680_COMMAND.swReset);
					io.release();
					this.#afterBusy(fail, () => {
						this.#init();
						this.#state = "idle";
						done();
					});
				});
			}));
		}));
	}

	/**
	 * Writes a window into BW RAM ("new", 0x24), RED RAM ("previous", 0x26) or both.
	 * `bytes`: window.h rows of ceil(window.w / 8) bytes, 1 = white.
	 * @throws DriverError when closed, asleep or busy; RangeError when the window is misaligned, out of the panel or bytes are short
	 */
	writeWindow(window: Rect, bytes: Uint8Array, target: RamTarget = "new"): void {
		this.#usable(true);
		const { x, y, w, h } = window;
		if (![x, y, w, h].every((n) => Number.isInteger(n) && n >= 0)) throw new RangeError("ssd1680: window must be whole non-negative numbers");
		if (w === 0 || h === 0) return;
		if (x % 8 !== 0) throw new RangeError(`ssd1680: window x ${x} not a multiple of 8`);
		if (w % 8 !== 0 && x + w !== this.width) throw new RangeError(`ssd1680: window w ${w} not a multiple of 8`);
		if (x + w > this.width || y + h > this.height) throw new RangeError(`ssd1680: window ${x},${y} ${w}×${h} outside ${this.width}×${this.height}`);
		const stride = (w + 7) >> 3;
		const length = stride * h;
		if (!(bytes instanceof Uint8Array) || bytes.length < length) throw new RangeError(`ssd1680: window needs ${length} bytes`);
		if (target !== "new" && target !== "previous" && target !== "both") throw new RangeError(`ssd1680: unknown RAM target "${target}"`);
		const data = bytes.length === length ? bytes : bytes.subarray(0, length);
		try {
			this.#window(x >> 3, y, (x >> 3) + stride - 1, y + h - 1);
			if (target !== "previous") this.#ram(SSD1680_COMMAND.writeRamBW, x >> 3, y, data);
			if (target !== "new") this.#ram(SSD1680_COMMAND.writeRamRed, x >> 3, y, data);
		} catch (e) {
			this.#report(e);
		} finally {
			this.#io.release();
		}
	}

	/**
	 * Starts a full or partial (differential) refresh of what RAM holds; `done` once BUSY is low.
	 * `area` is not needed: the controller compares the whole RAM in mode 2.
	 * A BUSY timeout leaves the driver asleep (the next wake() resets the chip).
	 * @throws DriverError when closed, asleep or busy; ConfigError on an unknown mode
	 */
	refresh(mode: RefreshMode, _area: Rect | undefined, done: (error?: Error) => void): void {
		this.#usable(true);
		if (mode !== "full" && mode !== "partial") throw new ConfigError("mode", `ssd1680: unknown refresh mode "${mode}"`);
		const io = this.#io;
		try {
			io.command(SSD1680_COMMAND.displayUpdateControl2, [SSD1680_UPDATE[mode]]);
			io.command(SSD1680_COMMAND.masterActivation);
		} catch (e) {
			this.#state = "asleep";
			done(asDriverError(e, "refresh failed"));
			return;
		} finally {
			io.release();
		}
		this.#state = "refreshing";
		this.#afterBusy(
			(e) => {
				this.#state = "asleep";
				done(asDriverError(e, "refresh failed"));
			},
			() => {
				this.#state = "idle";
				done();
			},
		);
	}

	/**
	 * Deep Sleep Mode 1 (§8 0x10; RAM kept). No-op when already asleep or closed.
	 * @throws DriverError when busy, and on a bus fault unless onError was given
	 */
	sleep(): void {
		if (this.#state === "closed" || this.#state === "asleep") return;
		if (this.busy) throw new DriverError("ssd1680: busy");
		this.#state = "asleep";
		try {
			this.#io.command(SSD1680_COMMAND.deepSleep, [DEEP_SLEEP_MODE_1]);
		} catch (e) {
			this.#report(e);
		} finally {
			this.#io.release();
		}
	}

	/**
	 * Parks the controller in deep sleep when it is idle and releases the IO. No callback runs after close.
	 * A refresh still running is left to finish (cutting it would leave the waveform half applied).
	 * Safe to call twice.
	 */
	close(): void {
		if (this.#state === "closed") return;
		this.#wait?.cancel();
		this.#wait = undefined;
		this.#cancelDelay?.();
		this.#cancelDelay = undefined;
		if (this.#state === "idle") {
			try {
				this.sleep();
			} catch {
				// releasing the IO matters more
			}
		}
		this.#state = "closed";
		this.#io.close();
	}

	/** §8 init after SW reset: gates, data entry, border, sources, temperature sensor, whole-panel window. */
	#init(): void {
		const io = this.#io;
		const gates = this.height - 1;
		io.command(SSD1680_COMMAND.driverOutputControl, [gates & 0xff, gates >> 8, 0x00]);
		io.command(SSD1680_COMMAND.dataEntryMode, [DATA_ENTRY_X_INC_Y_INC]);
		io.command(SSD1680_COMMAND.borderWaveform, [BORDER_WAVEFORM]);
		io.command(SSD1680_COMMAND.displayUpdateControl1, [0x00, 0x80]);
		io.command(SSD1680_COMMAND.temperatureSensor, [INTERNAL_SENSOR]);
		this.#window(0, 0, ((this.width + 7) >> 3) - 1, this.height - 1);
		this.#counters(0, 0);
		io.release();
	}

	/** 0x44 X start/end in bytes, 0x45 Y start/end in gates (§8). */
	#window(xStart: number, yStart: number, xEnd: number, yEnd: number): void {
		this.#io.command(SSD1680_COMMAND.ramXWindow, [xStart, xEnd]);
		this.#io.command(SSD1680_COMMAND.ramYWindow, [yStart & 0xff, yStart >> 8, yEnd & 0xff, yEnd >> 8]);
	}

	#counters(x: number, y: number): void {
		this.#io.command(SSD1680_COMMAND.ramXCounter, [x]);
		this.#io.command(SSD1680_COMMAND.ramYCounter, [y & 0xff, y >> 8]);
	}

	#ram(command: number, x: number, y: number, data: Uint8Array): void {
		this.#counters(x, y);
		this.#io.command(command);
		this.#io.data(data, command);
	}

	/** Waits for BUSY low, then runs `next` (its throw goes to `fail`). */
	#afterBusy(fail: (e: unknown) => void, next: () => void): void {
		this.#wait = waitWhileBusy(this.#io, { busyLevel: 1, timer: this.#timer, timeoutMs: this.#busyTimeoutMs, pollMs: this.#busyPollMs }, (error) => {
			this.#wait = undefined;
			if (error) {
				fail(error);
				return;
			}
			try {
				next();
			} catch (e) {
				fail(e);
			}
		});
	}

	/** Throws the state errors of the EPaperPanel contract. */
	#usable(needAwake: boolean): void {
		if (this.#state === "closed") throw new DriverError("ssd1680: closed");
		if (this.busy) throw new DriverError("ssd1680: busy");
		if (needAwake && this.#state === "asleep") throw new DriverError("ssd1680: asleep, call wake() first");
	}

	#report(e: unknown): void {
		const error = asDriverError(e, "bus fault");
		if (!this.#onError) throw error;
		this.#onError(error);
	}
}

function positive(value: number, key: string): number {
	if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new ConfigError(key, `ssd1680: ${key} must be a positive number of ms`);
	return value;
}

function asDriverError(e: unknown, what: string): DriverError {
	return e instanceof DriverError ? e : new DriverError(`ssd1680: ${what}`, { cause: e });
}

/** RAM geometry, for models and tests. */
export const SSD1680_RAM = Object.freeze({ columns: RAM_COLUMNS, rows: RAM_ROWS } as const);

export default SSD1680;
