/*
 * UltraChip UC8179 (GD7965) e-paper controller, modelled at its pins
 * (ARCHITECTURE §2): SPI MOSI bytes while CS is low, D/C sampled at each
 * transfer (low = command, high = data), RST_N watched, BUSY_N driven.
 * Datasheet: UltraChip UC8179 command table (§7, entries named "R50h CDI"
 * etc.) and pin description (§4: BUSY_N low = busy).
 *
 * What it decodes: PSR, PWR, BTST, PON/POF (power), TRES (resolution; the
 * panel is 800×480 or 400×300 glass and TRES must match it), CDI (DDX data
 * polarity, N2OCP new-to-old copy, BDZ), PTIN/PTL/PTOUT (partial window),
 * DTM1 (OLD RAM) / DTM2 (NEW RAM) with the address auto-incrementing inside
 * the full frame or, after PTIN, the PTL window, DRF (refresh: BUSY_N low for
 * `fullMs` or, inside PTIN, `partialMs`; the shown image becomes NEW RAM, in
 * the window only for a partial, and with N2OCP OLD := NEW afterwards),
 * DSLP with check code 0xA5 (deep sleep: the SPI is ignored until a
 * hardware reset). LUT, VCOM, temperature and PLL registers are accepted and
 * not interpreted (the image the panel ends with does not depend on them).
 *
 * Misuse is recorded in `violations` (one line each), never thrown: a
 * command while BUSY_N is low (FLG status reads excepted), DTM before
 * PON/TRES, DRF while powered off, DSLP without 0xA5, SPI in deep sleep or
 * with RST_N low, data outside the window, a DTM byte count that does not
 * fill its window, wrong parameter counts, unknown commands, and "missing
 * deep sleep" (still awake `awakeLimitMs` after a refresh).
 * Not modelled: the waveform itself (only counters: `ghost` counts partials
 * since the last full refresh; `oldMismatches` counts partial refreshes whose
 * OLD RAM differed from what the glass showed, which drives wrong
 * transitions on real glass). RAM is kept through deep sleep and reset (the
 * datasheet does not promise either way; a driver must not rely on it
 * without a full refresh after power loss).
 * Plain TypeScript: also runs inside XS.
 */
import { glassGray } from "./glass";
import type { SPIBusContext, SPIModel } from "../io/models";
import type { SimBoard } from "../io/board";
import type { SimPin } from "../io/pin";

export interface UC8179Timings {
	/** DRF outside PTIN, ms @default 4000 */
	fullMs: number;
	/** DRF inside PTIN, ms @default 800 */
	partialMs: number;
	/** PON, ms @default 150 */
	powerOnMs: number;
	/** POF, ms @default 40 */
	powerOffMs: number;
	/** still awake this long after a refresh = "missing deep sleep", ms @default 60_000 */
	awakeLimitMs: number;
}

export interface UC8179ModelOptions {
	/** D/C GPIO */
	dc: number;
	/** BUSY_N GPIO (the model drives it) */
	busy: number;
	/** RST_N GPIO */
	reset: number;
	/** glass width, px: 800 or 400 @default 800 */
	width?: number;
	/** glass height, px: 480 or 300 @default 480 */
	height?: number;
	timings?: Partial<UC8179Timings>;
}

const DEFAULT_TIMINGS: UC8179Timings = Object.freeze({ fullMs: 4000, partialMs: 800, powerOnMs: 150, powerOffMs: 40, awakeLimitMs: 60_000 });

/** Parameter byte counts of the commands the model knows (min, max); -1 = a data stream. */
const PARAMS: Readonly<Record<number, readonly [number, number]>> = Object.freeze({
	0x00: [1, 2], // PSR
	0x01: [4, 5], // PWR
	0x02: [0, 0], // POF
	0x03: [1, 1], // PFS
	0x04: [0, 0], // PON
	0x05: [0, 0], // PMES
	0x06: [4, 4], // BTST
	0x07: [1, 1], // DSLP
	0x10: [-1, -1], // DTM1
	0x11: [0, 1], // DSP (data stop; a status read)
	0x12: [0, 0], // DRF
	0x13: [-1, -1], // DTM2
	0x15: [1, 1], // DUSPI
	0x17: [1, 1], // AUTO
	0x20: [0, 60], // LUTC
	0x21: [0, 60], // LUTWW
	0x22: [0, 60], // LUTKW / LUTR
	0x23: [0, 60], // LUTWK / LUTW
	0x24: [0, 60], // LUTKK / LUTK
	0x25: [0, 60], // LUTBD
	0x2b: [0, 1], // KWOPT
	0x30: [1, 1], // PLL
	0x40: [0, 2], // TSC (read)
	0x41: [1, 1], // TSE
	0x42: [3, 3], // TSW
	0x43: [0, 3], // TSR
	0x44: [1, 1], // PBC
	0x50: [1, 2], // CDI
	0x51: [1, 1], // LPD
	0x60: [1, 1], // TCON
	0x61: [4, 4], // TRES
	0x65: [4, 4], // GSST
	0x70: [0, 7], // REV (read)
	0x71: [0, 1], // FLG (read)
	0x80: [0, 1], // AMV
	0x81: [0, 1], // VV
	0x82: [1, 1], // VDCS
	0x90: [9, 9], // PTL
	0x91: [0, 0], // PTIN
	0x92: [0, 0], // PTOUT
	0xa0: [1, 1], // PGM
	0xe0: [1, 1], // CCSET
	0xe3: [1, 1], // PWS
	0xe5: [1, 1], // TSSET
});
const FLG = 0x71;
/** Shortest RST_N low pulse that resets the chip, ms (§11 reset timing: 50 µs). */
const RESET_MIN_MS = 0.05;
const DTM1 = 0x10;
const DTM2 = 0x13;

interface Window {
	x: number;
	y: number;
	w: number;
	h: number;
}

export class UC8179Model implements SPIModel {
	readonly width: number;
	readonly height: number;
	/** what the glass shows: 1 bpp MSB-first, 1 = white, stride width/8 */
	readonly shown: Uint8Array;
	/** OLD (DTM1) and NEW (DTM2) RAM as the controller stores them (data polarity applied: 1 = white) */
	readonly oldRam: Uint8Array;
	readonly newRam: Uint8Array;
	fullRefreshes = 0;
	partialRefreshes = 0;
	deepSleeps = 0;
	/** partial refreshes since the last full one */
	ghost = 0;
	/** partial refreshes that found OLD RAM different from the shown image in their window */
	oldMismatches = 0;
	/** every command byte received, in order (for tests) */
	readonly commands: number[] = [];
	readonly violations: string[] = [];
	#board: SimBoard;
	#timings: UC8179Timings;
	#dcPin: SimPin;
	#busyPin: SimPin;
	#resetPin: SimPin;
	#busyUntil = 0;
	#busyTimer = 0;
	#awakeTimer = 0;
	#deepSleep = false;
	#powered = false;
	#tres: { w: number; h: number } | undefined;
	#ptin = false;
	#ptl: Window | undefined;
	#n2ocp = false;
	#ddxWhiteIsOne = true;
	#command = -1;
	#params: number[] = [];
	#written = 0;
	#target: Window = { x: 0, y: 0, w: 0, h: 0 };
	#resetAt: number | undefined;

	constructor(board: SimBoard, options: UC8179ModelOptions) {
		this.#board = board;
		this.width = options.width ?? 800;
		this.height = options.height ?? 480;
		if (!((this.width === 800 && this.height === 480) || (this.width === 400 && this.height === 300))) throw new RangeError(`UC8179 model: glass ${this.width}×${this.height} not 800×480 or 400×300`);
		this.#timings = { ...DEFAULT_TIMINGS, ...options.timings };
		const size = (this.width >> 3) * this.height;
		this.shown = new Uint8Array(size).fill(0xff);
		this.oldRam = new Uint8Array(size);
		this.newRam = new Uint8Array(size);
		this.#dcPin = board.pin(options.dc);
		this.#busyPin = board.pin(options.busy);
		this.#resetPin = board.pin(options.reset);
		this.#busyPin.drive(1);
		this.#resetPin.watch((e) => {
			if (e.kind !== "edge") return;
			if (e.level === 0) {
				this.#resetAt = e.ticks;
				this.#endCommand();
				this.#command = -1;
				return;
			}
			// A pulse shorter than the minimum (a glitch within one tick, e.g. a pad reset) resets nothing.
			if (this.#resetAt === undefined || e.ticks - this.#resetAt >= RESET_MIN_MS) this.#leaveReset();
			this.#resetAt = undefined;
		});
	}

	/** BUSY_N is low (a PON, POF or DRF is running). */
	get busy(): boolean {
		return this.#busyPin.level === 0 && this.#busyTimer !== 0;
	}
	get deepSleeping(): boolean {
		return this.#deepSleep;
	}
	get powered(): boolean {
		return this.#powered;
	}
	/** the shown image as gray levels (0 black, 15 white), one byte a pixel, row-major */
	shownGray(): Uint8Array {
		return glassGray(this.shown, this.width, this.height, this.width >> 3);
	}

	transfer(mosi: Uint8Array, miso: Uint8Array, _bus: SPIBusContext): void {
		if (this.#resetPin.level === 0) {
			this.#flag("SPI transfer while RST_N is low");
			return;
		}
		if (this.#deepSleep) {
			this.#flag("SPI transfer in deep sleep (only a hardware reset wakes the UC8179)");
			return;
		}
		const isData = this.#dcPin.level === 1;
		for (let i = 0; i < mosi.length; i++) {
			if (isData) miso[i] = this.#data(mosi[i]);
			else this.#begin(mosi[i]);
			if (this.#deepSleep) return;
		}
	}

	#flag(message: string): void {
		this.violations.push(`${this.#board.ticks()} ms: ${message}`);
	}

	/** RST_N rising: registers to their defaults, power off, out of deep sleep (RAM kept, see the header). */
	#leaveReset(): void {
		if (this.#busyTimer) this.#board.cancel(this.#busyTimer);
		this.#busyTimer = 0;
		this.#busyPin.drive(1);
		this.#deepSleep = false;
		this.#powered = false;
		this.#tres = undefined;
		this.#ptin = false;
		this.#ptl = undefined;
		this.#n2ocp = false;
		this.#ddxWhiteIsOne = true;
		this.#command = -1;
		this.#params = [];
	}

	/** A command byte (D/C low). */
	#begin(code: number): void {
		this.#endCommand();
		this.commands.push(code);
		if (this.busy && code !== FLG) this.#flag(`command 0x${hex(code)} while BUSY`);
		this.#command = code;
		this.#params = [];
		this.#written = 0;
		const spec = PARAMS[code];
		if (!spec) {
			this.#flag(`unknown command 0x${hex(code)}`);
			return;
		}
		if (code === DTM1 || code === DTM2) {
			const name = code === DTM1 ? "DTM1" : "DTM2";
			if (!this.#powered) this.#flag(`${name} before PON`);
			if (!this.#tres) this.#flag(`${name} before TRES`);
			this.#target = this.#ptin && this.#ptl ? this.#ptl : { x: 0, y: 0, w: this.width, h: this.height };
		}
		if (spec[0] === 0 && spec[1] === 0) this.#execute();
	}

	/** A data byte (D/C high): a parameter, or pixels for DTM1/DTM2. Returns the MISO byte. */
	#data(byte: number): number {
		const code = this.#command;
		if (code === DTM1 || code === DTM2) {
			this.#pixels(code === DTM1 ? this.oldRam : this.newRam, byte);
			return 0xff;
		}
		if (code === FLG) return this.busy ? 0x00 : 0x02;
		const spec = PARAMS[code];
		if (!spec) return 0xff;
		if (this.#params.length >= spec[1]) {
			if (this.#params.length === spec[1]) this.#flag(`command 0x${hex(code)}: more than ${spec[1]} parameter bytes`);
			this.#params.push(byte);
			return 0xff;
		}
		this.#params.push(byte);
		if (this.#params.length === spec[1]) this.#execute();
		return 0xff;
	}

	/** The previous command ends (a new command byte or reset): check what it got. */
	#endCommand(): void {
		const code = this.#command;
		if (code < 0) return;
		if (code === DTM1 || code === DTM2) {
			const need = (this.#target.w >> 3) * this.#target.h;
			if (this.#written !== need) this.#flag(`${code === DTM1 ? "DTM1" : "DTM2"} wrote ${this.#written} bytes, its ${this.#target.w}×${this.#target.h} window needs ${need}`);
			return;
		}
		const spec = PARAMS[code];
		if (!spec || this.#params.length === spec[1]) return;
		if (this.#params.length < spec[0]) this.#flag(`command 0x${hex(code)}: ${this.#params.length} parameter bytes, needs ${spec[0]}`);
		else if (this.#params.length < spec[1]) this.#execute();
	}

	#pixels(ram: Uint8Array, byte: number): void {
		const t = this.#target;
		const rowBytes = t.w >> 3;
		const i = this.#written++;
		if (i >= rowBytes * t.h) {
			if (i === rowBytes * t.h) this.#flag(this.#ptin ? "DTM data outside the PTL window" : "DTM data beyond the frame");
			return;
		}
		const y = t.y + Math.floor(i / rowBytes);
		const xb = (t.x >> 3) + (i % rowBytes);
		ram[y * (this.width >> 3) + xb] = this.#ddxWhiteIsOne ? byte : ~byte & 0xff;
	}

	#execute(): void {
		const p = this.#params;
		switch (this.#command) {
			case 0x02: // POF
				this.#powered = false;
				this.#setBusy(this.#timings.powerOffMs, () => {});
				break;
			case 0x04: // PON
				this.#setBusy(this.#timings.powerOnMs, () => {
					this.#powered = true;
				});
				break;
			case 0x07: // DSLP
				if (p[0] !== 0xa5) {
					this.#flag(`DSLP without check code 0xA5 (got 0x${hex(p[0])})`);
					break;
				}
				if (this.#powered) this.#flag("DSLP while powered on (POF first)");
				this.#deepSleep = true;
				this.deepSleeps++;
				if (this.#awakeTimer) this.#board.cancel(this.#awakeTimer);
				this.#awakeTimer = 0;
				this.#command = -1;
				break;
			case 0x12: // DRF
				this.#refresh();
				break;
			case 0x50: // CDI: [BDZ BDV1 BDV0 N2OCP - DDX1 DDX0] (KW mode: DDX0 = 1 makes 1 = white)
				this.#n2ocp = (p[0] & 0x08) !== 0;
				this.#ddxWhiteIsOne = (p[0] & 0x01) !== 0;
				break;
			case 0x61: {
				// TRES: HRES[9:3] (byte columns), VRES[9:0]
				const w = ((p[0] << 8) | p[1]) & 0x3f8;
				const h = ((p[2] << 8) | p[3]) & 0x3ff;
				if (w !== this.width || h !== this.height) this.#flag(`TRES ${w}×${h} does not match the ${this.width}×${this.height} glass`);
				this.#tres = { w, h };
				break;
			}
			case 0x90: {
				// PTL: HRST, HRED (byte aligned: HRED low bits 111b), VRST, VRED, PT_SCAN
				const hrst = ((p[0] << 8) | p[1]) & 0x3f8;
				const hred = ((p[2] << 8) | p[3]) | 7;
				const vrst = ((p[4] << 8) | p[5]) & 0x3ff;
				const vred = ((p[6] << 8) | p[7]) & 0x3ff;
				if (hred < hrst || vred < vrst || hred >= this.width || vred >= this.height) {
					this.#flag(`PTL window ${hrst}..${hred} × ${vrst}..${vred} outside the ${this.width}×${this.height} glass`);
					this.#ptl = undefined;
					break;
				}
				this.#ptl = { x: hrst, y: vrst, w: hred - hrst + 1, h: vred - vrst + 1 };
				break;
			}
			case 0x91: // PTIN
				this.#ptin = true;
				break;
			case 0x92: // PTOUT
				this.#ptin = false;
				break;
		}
	}

	#refresh(): void {
		if (!this.#powered) {
			this.#flag("DRF while powered off (PON first)");
			return;
		}
		if (!this.#tres) this.#flag("DRF before TRES");
		const partial = this.#ptin;
		if (partial && !this.#ptl) {
			this.#flag("DRF inside PTIN without a valid PTL window");
			return;
		}
		const window: Window = partial ? { ...this.#ptl! } : { x: 0, y: 0, w: this.width, h: this.height };
		if (partial && !this.#same(this.oldRam, this.shown, window)) this.oldMismatches++;
		const n2ocp = this.#n2ocp;
		this.#setBusy(partial ? this.#timings.partialMs : this.#timings.fullMs, () => {
			this.#copy(this.newRam, this.shown, window);
			if (n2ocp) this.#copy(this.newRam, this.oldRam, window);
			if (partial) {
				this.partialRefreshes++;
				this.ghost++;
			} else {
				this.fullRefreshes++;
				this.ghost = 0;
			}
			if (this.#awakeTimer) this.#board.cancel(this.#awakeTimer);
			this.#awakeTimer = this.#board.schedule(this.#timings.awakeLimitMs, () => {
				this.#awakeTimer = 0;
				if (!this.#deepSleep) this.#flag(`missing deep sleep: awake ${this.#timings.awakeLimitMs} ms after a refresh`);
			});
		});
	}

	#setBusy(ms: number, done: () => void): void {
		if (this.#busyTimer) this.#board.cancel(this.#busyTimer);
		this.#busyPin.drive(0);
		this.#busyUntil = this.#board.ticks() + ms;
		this.#busyTimer = this.#board.schedule(ms, () => {
			this.#busyTimer = 0;
			done();
			this.#busyPin.drive(1);
		});
	}

	/** ms left until BUSY_N goes high (0 when idle). */
	get busyRemainingMs(): number {
		return this.#busyTimer ? Math.max(0, this.#busyUntil - this.#board.ticks()) : 0;
	}

	#copy(from: Uint8Array, to: Uint8Array, r: Window): void {
		const stride = this.width >> 3;
		for (let y = r.y; y < r.y + r.h; y++) {
			const at = y * stride + (r.x >> 3);
			to.set(from.subarray(at, at + (r.w >> 3)), at);
		}
	}

	#same(a: Uint8Array, b: Uint8Array, r: Window): boolean {
		const stride = this.width >> 3;
		for (let y = r.y; y < r.y + r.h; y++) {
			for (let xb = r.x >> 3; xb < (r.x + r.w) >> 3; xb++) if (a[y * stride + xb] !== b[y * stride + xb]) return false;
		}
		return true;
	}
}

/** GPIOs of a UC8179 panel on an ESP32 (GxEPD2's ESP32 wiring: SCK 18, MOSI 23, CS 5, DC 17, RST 16, BUSY 4). */
export interface UC8179Pins {
	clock: number;
	out: number;
	select: number;
	dc: number;
	reset: number;
	busy: number;
}

export const UC8179_ESP32_PINS: Readonly<UC8179Pins> = Object.freeze({ clock: 18, out: 23, select: 5, dc: 17, reset: 16, busy: 4 });

export interface UC8179AttachOptions {
	width?: number;
	height?: number;
	timings?: Partial<UC8179Timings>;
	/** SimBoard SPI bus id (any controller on the same wires reaches it) @default 1 */
	bus?: number;
}

/** Puts a UC8179 panel on `board` at `pins` and names it `board.parts.uc8179`. */
export function attachUC8179(board: SimBoard, pins: UC8179Pins = UC8179_ESP32_PINS, options: UC8179AttachOptions = {}): UC8179Model {
	const model = new UC8179Model(board, { dc: pins.dc, busy: pins.busy, reset: pins.reset, width: options.width, height: options.height, timings: options.timings });
	board.attachSPI(options.bus ?? 1, model, { select: pins.select, wiring: { clock: pins.clock, out: pins.out } });
	board.parts.uc8179 = model;
	return model;
}

function hex(n: number | undefined): string {
	return n === undefined ? "??" : n.toString(16).padStart(2, "0");
}
