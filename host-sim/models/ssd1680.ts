/*
 * Solomon Systech SSD1680 e-paper controller with its panel (2.9" 128×296 or
 * 2.13" 122×250), modelled at the bus: SPI bytes sorted into commands and
 * data by the D/C pin, RES# watched, BUSY driven (ARCHITECTURE §2).
 * Datasheet: Solomon Systech "SSD1680 Product Preview" Rev 0.14 (Jun 2019).
 *
 * What the model does, by datasheet section:
 *   §6.1.2  4-wire SPI: D/C sampled with each byte (here: with each transfer;
 *           a driver flips D/C between transfers), CS# selects (SimBoard);
 *           SCLK above 20 MHz (§12 write cycle ≥ 50 ns) and SPI modes other
 *           than 0 are flagged;
 *   §7/§8   commands decoded: 0x01 driver output control (gates), 0x10 deep
 *           sleep (mode 1 keeps RAM, mode 2 loses it; BUSY stays high; only
 *           a hardware reset wakes the chip), 0x11 data entry mode (all four
 *           X/Y directions, X-first and Y-first), 0x12 SW reset (registers to
 *           their POR values, RAM unaffected, BUSY for `swResetMs`), 0x18,
 *           0x1A, 0x21, 0x3C, 0x32 and other set-up commands accepted, 0x20
 *           master activation runs the 0x22 sequence, 0x24/0x26 RAM writes
 *           auto-increment inside the 0x44/0x45 window from the 0x4E/0x4F
 *           counters and wrap at its edges; unknown commands are flagged;
 *   §8 0x22 sequence bits: 0x04 display, 0x08 display mode 2 (differential),
 *           0x10 load LUT. Mode 1 (full) shows BW RAM; mode 2 (partial)
 *           drives only pixels whose BW RAM (new) differs from RED RAM (old),
 *           so a pixel where new = old keeps what the panel showed: a driver
 *           that forgets to rewrite 0x26 leaves stale pixels, visible in the
 *           PNG. BUSY is high for `fullMs` / `partialMs` of board time and
 *           the image changes when it falls.
 * RAM starts as garbage after power-on (xorshift), as real RAM does; which
 * bytes were ever written is tracked, so a refresh showing unwritten RAM is
 * caught. Ghosting is counted (`ghost`: partial refreshes since the last
 * full one), not drawn.
 *
 * Protocol misuse goes to `violations` (never thrown into the driver):
 * bytes while BUSY is high (except a 0x2F status read), while RES# is low or
 * in deep sleep; RAM writes with no window set since reset or outside the
 * window; a refresh with no SW reset since the last hardware reset, or with
 * a gate count that is not the panel's; 0x20 with no 0x22 since reset; a
 * partial refresh while RED RAM holds bytes never written since power-on;
 * a refresh showing unwritten BW RAM; a short or long parameter list; no
 * deep sleep within `awakeLimitMs` after a refresh ended.
 *
 *   const epd = attachSSD1680(board, SSD1680_DEVKITC_PINS, { width: 128, height: 296 });
 */
import { glassGray } from "./glass";
import type { BoardTime, SPIBusContext, SPIModel } from "../io/models";
import type { SimPin } from "../io/pin";
import type { SimBoard } from "../io/board";
import { xorshift32 } from "./xorshift";

/** RAM of the chip: 176 sources (22 bytes) × 296 gates (§1). */
export const SSD1680_RAM_BYTES_X = 22;
export const SSD1680_RAM_ROWS = 296;

/** Commands the model knows (§7). */
export const SSD1680_MODEL_COMMAND = Object.freeze({
	driverOutputControl: 0x01,
	gateVoltage: 0x03,
	sourceVoltage: 0x04,
	boosterSoftStart: 0x0c,
	deepSleep: 0x10,
	dataEntryMode: 0x11,
	swReset: 0x12,
	temperatureSensor: 0x18,
	writeTemperature: 0x1a,
	readTemperature: 0x1b,
	masterActivation: 0x20,
	displayUpdateControl1: 0x21,
	displayUpdateControl2: 0x22,
	writeRamBW: 0x24,
	writeRamRed: 0x26,
	vcom: 0x2c,
	readStatus: 0x2f,
	writeLut: 0x32,
	otpOptions: 0x37,
	borderWaveform: 0x3c,
	endOption: 0x3f,
	ramXWindow: 0x44,
	ramYWindow: 0x45,
	ramXCounter: 0x4e,
	ramYCounter: 0x4f,
	nop: 0x7f,
} as const);

const C = SSD1680_MODEL_COMMAND;
/** Parameter bytes per command; -1 = variable (accepted as they come), "read" = the chip answers. */
const PARAMETERS: ReadonlyMap<number, number | "read"> = new Map<number, number | "read">([
	[C.driverOutputControl, 3],
	[C.gateVoltage, 1],
	[C.sourceVoltage, 3],
	[C.boosterSoftStart, -1],
	[C.deepSleep, 1],
	[C.dataEntryMode, 1],
	[C.swReset, 0],
	[C.temperatureSensor, 1],
	[C.writeTemperature, 2],
	[C.readTemperature, "read"],
	[C.masterActivation, 0],
	[C.displayUpdateControl1, -1],
	[C.displayUpdateControl2, 1],
	[C.vcom, 1],
	[C.readStatus, "read"],
	[C.writeLut, -1],
	[C.otpOptions, -1],
	[C.borderWaveform, 1],
	[C.endOption, 1],
	[C.ramXWindow, 2],
	[C.ramYWindow, 4],
	[C.ramXCounter, 1],
	[C.ramYCounter, 2],
	[C.nop, 0],
]);

export interface SSD1680Timings {
	/** BUSY high for a mode-1 (full) refresh, ms @default 3000 */
	fullMs?: number;
	/** BUSY high for a mode-2 (partial) refresh, ms @default 500 */
	partialMs?: number;
	/** BUSY high after 0x12, ms @default 2 */
	swResetMs?: number;
	/** BUSY high after RES# rises, ms @default 1 */
	hwResetMs?: number;
	/** BUSY high for a 0x22 sequence without display (e.g. load temperature), ms @default 50 */
	loadMs?: number;
	/** awake longer than this after a refresh ended without deep sleep is flagged, ms @default 60_000 */
	awakeLimitMs?: number;
}

export interface SSD1680ModelOptions {
	/** D/C, BUSY, RES# GPIOs */
	dc: number;
	busy: number;
	reset: number;
	/** CS# GPIO (used by attachSSD1680) */
	select?: number;
	/** panel source lines @default 128 */
	width?: number;
	/** panel gate lines @default 296 */
	height?: number;
	timings?: SSD1680Timings;
	/** seed of the power-on RAM garbage @default 0x1680 */
	seed?: number;
}

/** Pins of an SSD1680 module on the SPI bus. */
export interface SSD1680Pins {
	clock: number;
	out: number;
	select: number;
	dc: number;
	reset: number;
	busy: number;
}

/** A generic ESP32 DevKitC wired as GxEPD2's ESP32 examples: SCK 18, MOSI 23, CS 5, DC 17, RST 16, BUSY 4. */
export const SSD1680_DEVKITC_PINS: Readonly<SSD1680Pins> = Object.freeze({ clock: 18, out: 23, select: 5, dc: 17, reset: 16, busy: 4 });

/** What the model needs of the board: time and pins (SimBoard has both). */
export type SSD1680Board = BoardTime & { pin(n: number): SimPin };

type Ram = "bw" | "red";

export class SSD1680Model implements SPIModel {
	readonly width: number;
	readonly height: number;
	/** What the panel shows: 1 bpp, MSB-first, stride ceil(width / 8), 1 = white. */
	readonly shown: Uint8Array;
	readonly violations: string[] = [];
	fullRefreshes = 0;
	partialRefreshes = 0;
	/** partial refreshes since the last full one */
	ghost = 0;
	deepSleeps = 0;
	hardwareResets = 0;
	softwareResets = 0;
	/** every command byte accepted, in order (for tests and the dashboard) */
	readonly commands: number[] = [];
	/** longest single SPI transfer seen, bytes */
	maxTransferBytes = 0;
	#board: SSD1680Board;
	#dc: number;
	#busyPin: SimPin;
	#fullMs: number;
	#partialMs: number;
	#swResetMs: number;
	#hwResetMs: number;
	#loadMs: number;
	#awakeLimitMs: number;
	#bw = new Uint8Array(SSD1680_RAM_BYTES_X * SSD1680_RAM_ROWS);
	#red = new Uint8Array(SSD1680_RAM_BYTES_X * SSD1680_RAM_ROWS);
	#bwWritten = new Uint8Array(SSD1680_RAM_BYTES_X * SSD1680_RAM_ROWS);
	#redWritten = new Uint8Array(SSD1680_RAM_BYTES_X * SSD1680_RAM_ROWS);
	#rng: number;
	// registers (§7 POR values)
	#gates = SSD1680_RAM_ROWS;
	#entryMode = 0x03;
	#xStart = 0;
	#xEnd = SSD1680_RAM_BYTES_X - 1;
	#yStart = 0;
	#yEnd = SSD1680_RAM_ROWS - 1;
	#x = 0;
	#y = 0;
	#update2 = 0xff;
	#update2Set = false;
	#windowSet = false;
	#initialised = false;
	#lutLoaded = false;
	// state
	#inReset = false;
	/** 0 awake, 1 or 2 = deep sleep mode */
	#deepSleep = 0;
	#busy = false;
	#busyTimer = 0;
	#busyDone: (() => void) | undefined;
	#awakeTimer = 0;
	#command = -1;
	#params: number[] = [];
	#flaggedThisCommand = false;

	constructor(board: SSD1680Board, options: SSD1680ModelOptions) {
		this.#board = board;
		this.#dc = options.dc;
		this.width = options.width ?? 128;
		this.height = options.height ?? 296;
		if (this.width < 1 || this.width > SSD1680_RAM_BYTES_X * 8 || this.height < 1 || this.height > SSD1680_RAM_ROWS) throw new RangeError("SSD1680Model: panel larger than the RAM");
		const t = options.timings ?? {};
		this.#fullMs = t.fullMs ?? 3000;
		this.#partialMs = t.partialMs ?? 500;
		this.#swResetMs = t.swResetMs ?? 2;
		this.#hwResetMs = t.hwResetMs ?? 1;
		this.#loadMs = t.loadMs ?? 50;
		this.#awakeLimitMs = t.awakeLimitMs ?? 60_000;
		this.#rng = (options.seed ?? 0x1680) >>> 0 || 1;
		this.#garbage(this.#bw, this.#bwWritten);
		this.#garbage(this.#red, this.#redWritten);
		this.shown = new Uint8Array(this.#stride * this.height).fill(0xff);
		this.#busyPin = board.pin(options.busy);
		this.#busyPin.drive(0);
		const reset = board.pin(options.reset);
		this.#inReset = reset.level === 0 && reset.role === "output";
		reset.watch((e) => {
			if (e.kind !== "edge") return;
			if (e.level === 0) this.#enterReset();
			else this.#leaveReset();
		});
	}

	/** True while the model holds BUSY high for work (not deep sleep). */
	get busy(): boolean {
		return this.#busy;
	}

	/** 0 awake, 1 = Deep Sleep Mode 1, 2 = Deep Sleep Mode 2. */
	get deepSleepMode(): number {
		return this.#deepSleep;
	}

	/** Gate lines set by 0x01 (POR 296). */
	get gates(): number {
		return this.#gates;
	}

	get dataEntryMode(): number {
		return this.#entryMode;
	}

	/** The shown image as gray levels 0 (black) or 15 (white), width × height bytes, for PNG output. */
	shownGray(): Uint8Array {
		return glassGray(this.shown, this.width, this.height, this.#stride);
	}

	/** One RAM's panel area as 1 bpp (same layout as `shown`; RAM columns beyond `width` are cleared to white). */
	ramImage(which: Ram): Uint8Array {
		const ram = which === "bw" ? this.#bw : this.#red;
		const out = new Uint8Array(this.#stride * this.height);
		for (let y = 0; y < this.height; y++) for (let b = 0; b < this.#stride; b++) out[y * this.#stride + b] = ram[y * SSD1680_RAM_BYTES_X + b] | this.#padMask(b);
		return out;
	}

	/** The pixel the panel shows: true = white. */
	isWhite(x: number, y: number): boolean {
		return (this.shown[y * this.#stride + (x >> 3)] & (0x80 >> (x & 7))) !== 0;
	}

	/** Hardware-reset state (called on a RES# pulse): registers to POR, RAM kept. */
	reset(): void {
		this.#enterReset();
		this.#leaveReset();
	}

	transfer(mosi: Uint8Array, miso: Uint8Array, bus: SPIBusContext): void {
		this.maxTransferBytes = Math.max(this.maxTransferBytes, mosi.length);
		if (bus.hz > 20_000_000) this.#flagOnce(`SCLK ${bus.hz} Hz above 20 MHz (§12 write cycle ≥ 50 ns)`);
		if (bus.mode !== 0) this.#flagOnce(`SPI mode ${bus.mode}, the chip samples in mode 0 (§6.1.2)`);
		const isData = bus.pin(this.#dc).level === 1;
		if (this.#inReset) {
			this.#flag(`${mosi.length} byte(s) sent while RES# is low`);
			return;
		}
		if (this.#deepSleep) {
			if (!isData) this.#flag(`command 0x${hex(mosi[0])} in deep sleep: only a hardware reset wakes the chip (§8 0x10)`);
			return;
		}
		if (!isData) {
			for (let i = 0; i < mosi.length; i++) this.#onCommand(mosi[i]);
			return;
		}
		if (this.#busy && this.#command !== C.readStatus) {
			this.#flag(this.#command < 0 ? "data written while BUSY is high" : `data for 0x${hex(this.#command)} written while BUSY is high`);
			return;
		}
		const params = PARAMETERS.get(this.#command);
		if (this.#command === C.writeRamBW || this.#command === C.writeRamRed) {
			for (let i = 0; i < mosi.length; i++) this.#ramWrite(mosi[i]);
			return;
		}
		if (params === "read") {
			// Status (§8 0x2F): nothing pending, chip ID bits 0; temperature register 0x1B: 25 °C.
			miso.fill(this.#command === C.readTemperature ? 0x19 : 0x00);
			return;
		}
		if (params === undefined) return; // unknown command, already flagged
		for (let i = 0; i < mosi.length; i++) {
			if (params >= 0 && this.#params.length >= params) {
				this.#flag(`0x${hex(this.#command)}: more than ${params} parameter byte(s)`);
				return;
			}
			this.#params.push(mosi[i]);
			if (params < 0 || this.#params.length === params) this.#execute(this.#command, this.#params);
		}
	}

	// ---- commands ----

	#onCommand(command: number): void {
		this.#endCommand();
		if (this.#busy && command !== C.readStatus) {
			this.#flag(`command 0x${hex(command)} written while BUSY is high`);
			this.#command = -1;
			return;
		}
		this.#command = command;
		this.#params = [];
		this.#flaggedThisCommand = false;
		this.commands.push(command);
		const params = PARAMETERS.get(command);
		if (command === C.writeRamBW || command === C.writeRamRed) return;
		if (params === undefined) {
			this.#flag(`unknown command 0x${hex(command)}`);
			return;
		}
		if (params === 0) this.#execute(command, this.#params);
	}

	/** The previous command's parameters are complete. */
	#endCommand(): void {
		const command = this.#command;
		const params = PARAMETERS.get(command);
		if (typeof params === "number" && params > 0 && this.#params.length < params) {
			this.#flag(`0x${hex(command)}: ${this.#params.length} of ${params} parameter byte(s)`);
		}
		this.#command = -1;
	}

	#execute(command: number, p: readonly number[]): void {
		switch (command) {
			case C.driverOutputControl:
				this.#gates = (p[0] | ((p[1] & 1) << 8)) + 1;
				if (p[2] & 0x07) this.#flag(`0x01 GD/SM/TB = ${p[2] & 7} not modelled (scan order taken as 0)`);
				break;
			case C.dataEntryMode:
				this.#entryMode = p[0] & 0x07;
				break;
			case C.swReset:
				this.softwareResets++;
				this.#porRegisters();
				this.#initialised = true;
				this.#startBusy(this.#swResetMs);
				break;
			case C.deepSleep: {
				const mode = p[0] & 0x03;
				if (mode === 0) break;
				if (mode === 2) this.#flag("0x10 mode 0b10 is reserved; taken as Deep Sleep Mode 1");
				this.#deepSleep = mode === 3 ? 2 : 1;
				if (this.#deepSleep === 2) {
					// Mode 2 does not retain RAM (§8 0x10).
					this.#garbage(this.#bw, this.#bwWritten);
					this.#garbage(this.#red, this.#redWritten);
				}
				this.deepSleeps++;
				this.#cancelAwakeCheck();
				this.#busyPin.drive(1); // BUSY stays high in deep sleep (§8 0x10)
				break;
			}
			case C.masterActivation:
				this.#activate();
				break;
			case C.displayUpdateControl2:
				this.#update2 = p[0];
				this.#update2Set = true;
				break;
			case C.writeLut:
				this.#lutLoaded = true;
				break;
			case C.ramXWindow:
				this.#xStart = p[0] & 0x3f;
				this.#xEnd = p[1] & 0x3f;
				this.#windowSet = true;
				break;
			case C.ramYWindow:
				this.#yStart = p[0] | ((p[1] & 1) << 8);
				this.#yEnd = p[2] | ((p[3] & 1) << 8);
				this.#windowSet = true;
				break;
			case C.ramXCounter:
				this.#x = p[0] & 0x3f;
				break;
			case C.ramYCounter:
				this.#y = p[0] | ((p[1] & 1) << 8);
				break;
			default:
				// 0x03, 0x04, 0x0C, 0x18, 0x1A, 0x21, 0x2C, 0x37, 0x3C, 0x3F, 0x7F: accepted, no effect on the image.
				break;
		}
	}

	/** 0x20: run the 0x22 sequence (§8). */
	#activate(): void {
		if (!this.#update2Set) this.#flag("0x20 master activation without 0x22 since reset (POR sequence 0xFF used)");
		if (!this.#initialised) this.#flag("refresh with no init (SW reset 0x12) since the last reset");
		const sequence = this.#update2;
		if (sequence & 0x10) this.#lutLoaded = true;
		if (!(sequence & 0x04)) {
			this.#startBusy(this.#loadMs);
			return;
		}
		const partial = (sequence & 0x08) !== 0;
		if (!this.#lutLoaded) this.#flag("display with no LUT loaded (0x22 bit 4 or 0x32)");
		if (this.#gates !== this.height) this.#flag(`refresh with ${this.#gates} gates set by 0x01, the panel has ${this.height}`);
		if (!this.#panelWritten(this.#bwWritten)) this.#flag("refresh shows BW RAM 0x24 never written since power-on");
		if (partial && !this.#panelWritten(this.#redWritten)) this.#flag("partial refresh while RED RAM 0x26 holds data never written since power-on");
		this.#startBusy(partial ? this.#partialMs : this.#fullMs, () => {
			this.#show(partial);
			if (partial) {
				this.partialRefreshes++;
				this.ghost++;
			} else {
				this.fullRefreshes++;
				this.ghost = 0;
			}
			this.#armAwakeCheck();
		});
	}

	#show(partial: boolean): void {
		const stride = this.#stride;
		for (let y = 0; y < this.height; y++) {
			for (let b = 0; b < stride; b++) {
				const i = y * SSD1680_RAM_BYTES_X + b;
				const next = this.#bw[i];
				const j = y * stride + b;
				// Mode 2 drives only pixels where new (0x24) ≠ old (0x26); the rest keep their look.
				const driven = partial ? next ^ this.#red[i] : 0xff;
				this.shown[j] = ((this.shown[j] & ~driven) | (next & driven) | this.#padMask(b)) & 0xff;
			}
		}
	}

	// ---- RAM ----

	#ramWrite(byte: number): void {
		const ram = this.#command === C.writeRamBW ? this.#bw : this.#red;
		const written = this.#command === C.writeRamBW ? this.#bwWritten : this.#redWritten;
		const name = this.#command === C.writeRamBW ? "0x24" : "0x26";
		if (!this.#windowSet) this.#flagCommand(`${name} RAM write with no window (0x44/0x45) set since reset`);
		const xInc = (this.#entryMode & 1) !== 0;
		const yInc = (this.#entryMode & 2) !== 0;
		if ((xInc ? this.#xStart > this.#xEnd : this.#xStart < this.#xEnd) || (yInc ? this.#yStart > this.#yEnd : this.#yStart < this.#yEnd)) {
			this.#flagCommand(`${name} RAM window start/end do not match data entry mode 0x${hex(this.#entryMode)}`);
		}
		const x = this.#x;
		const y = this.#y;
		const inside = between(x, this.#xStart, this.#xEnd) && between(y, this.#yStart, this.#yEnd);
		if (!inside) this.#flagCommand(`${name} RAM write outside the window at x byte ${x}, y ${y}`);
		if (x < SSD1680_RAM_BYTES_X && y < SSD1680_RAM_ROWS) {
			ram[y * SSD1680_RAM_BYTES_X + x] = byte;
			written[y * SSD1680_RAM_BYTES_X + x] = 1;
		}
		this.#advance(xInc, yInc);
	}

	/** Address counter step (§8 0x11): along X (AM = 0) or Y (AM = 1), wrapping at the window edge into the other axis. */
	#advance(xInc: boolean, yInc: boolean): void {
		const xStep = xInc ? 1 : -1;
		const yStep = yInc ? 1 : -1;
		const stepX = (): boolean => {
			if (this.#x === this.#xEnd || this.#x + xStep < 0 || this.#x + xStep > 0x3f) {
				this.#x = this.#xStart;
				return true;
			}
			this.#x += xStep;
			return false;
		};
		const stepY = (): boolean => {
			if (this.#y === this.#yEnd || this.#y + yStep < 0 || this.#y + yStep > 0x1ff) {
				this.#y = this.#yStart;
				return true;
			}
			this.#y += yStep;
			return false;
		};
		if (this.#entryMode & 0x04) {
			if (stepY()) stepX();
		} else if (stepX()) stepY();
	}

	/** Every RAM byte the panel shows was written since power-on. */
	#panelWritten(written: Uint8Array): boolean {
		for (let y = 0; y < this.height; y++) for (let b = 0; b < this.#stride; b++) if (!written[y * SSD1680_RAM_BYTES_X + b]) return false;
		return true;
	}

	#garbage(ram: Uint8Array, written: Uint8Array): void {
		for (let i = 0; i < ram.length; i++) {
			this.#rng = xorshift32(this.#rng);
			ram[i] = this.#rng & 0xff;
		}
		written.fill(0);
	}

	// ---- BUSY, reset, deep sleep ----

	#startBusy(ms: number, then?: () => void): void {
		this.#busy = true;
		this.#busyDone = then;
		this.#busyPin.drive(1);
		this.#busyTimer = this.#board.schedule(ms, () => {
			this.#busyTimer = 0;
			this.#busy = false;
			const done = this.#busyDone;
			this.#busyDone = undefined;
			done?.();
			if (!this.#deepSleep && !this.#inReset) this.#busyPin.drive(0);
		});
	}

	#enterReset(): void {
		if (this.#inReset) return;
		this.#inReset = true;
		if (this.#busyTimer) {
			this.#board.cancel(this.#busyTimer);
			this.#busyTimer = 0;
			if (this.#busyDone) this.#flag("hardware reset while a refresh was running");
			this.#busyDone = undefined;
		}
		this.#busy = false;
		this.#busyPin.drive(0);
	}

	#leaveReset(): void {
		if (!this.#inReset) return;
		this.#inReset = false;
		this.hardwareResets++;
		this.#deepSleep = 0;
		this.#command = -1;
		this.#params = [];
		this.#porRegisters();
		this.#initialised = false;
		this.#startBusy(this.#hwResetMs);
	}

	/** Register values after reset (§7 POR column); RAM is unaffected (§8 0x12). */
	#porRegisters(): void {
		this.#gates = SSD1680_RAM_ROWS;
		this.#entryMode = 0x03;
		this.#xStart = 0;
		this.#xEnd = SSD1680_RAM_BYTES_X - 1;
		this.#yStart = 0;
		this.#yEnd = SSD1680_RAM_ROWS - 1;
		this.#x = 0;
		this.#y = 0;
		this.#update2 = 0xff;
		this.#update2Set = false;
		this.#windowSet = false;
		this.#lutLoaded = false;
	}

	#armAwakeCheck(): void {
		this.#cancelAwakeCheck();
		const since = this.#board.ticks();
		this.#awakeTimer = this.#board.schedule(this.#awakeLimitMs, () => {
			this.#awakeTimer = 0;
			if (!this.#deepSleep) this.#flag(`missing deep sleep: awake ${this.#board.ticks() - since} ms after a refresh (limit ${this.#awakeLimitMs} ms)`);
		});
	}

	#cancelAwakeCheck(): void {
		if (this.#awakeTimer) this.#board.cancel(this.#awakeTimer);
		this.#awakeTimer = 0;
	}

	// ---- helpers ----

	get #stride(): number {
		return (this.width + 7) >> 3;
	}

	/** Bits of panel byte `b` beyond `width` (RAM the panel does not show), kept white. */
	#padMask(b: number): number {
		const first = b * 8;
		if (first + 8 <= this.width) return 0;
		return (0xff >> Math.max(0, this.width - first)) & 0xff;
	}

	#flag(message: string): void {
		this.violations.push(`${this.#board.ticks()} ms: ${message}`);
	}

	/** Once per command (a RAM stream would otherwise flag every byte). */
	#flagCommand(message: string): void {
		if (this.#flaggedThisCommand) return;
		this.#flaggedThisCommand = true;
		this.#flag(message);
	}

	#flagOnce(message: string): void {
		if (!this.violations.some((v) => v.endsWith(message))) this.#flag(message);
	}
}

function between(v: number, a: number, b: number): boolean {
	return a <= b ? v >= a && v <= b : v >= b && v <= a;
}

function hex(n: number): string {
	return (n < 0x10 ? "0" : "") + n.toString(16);
}

export interface AttachSSD1680Options extends Omit<SSD1680ModelOptions, "dc" | "busy" | "reset" | "select"> {
	/** SPI bus key on the board @default 0 */
	bus?: number;
}

/**
 * Puts an SSD1680 panel on the board's SPI wires (clock/out) with its own CS#,
 * D/C, RES# and BUSY, and names it `board.parts.ssd1680`. Returns the model.
 */
export function attachSSD1680(board: SimBoard, pins: SSD1680Pins = SSD1680_DEVKITC_PINS, options: AttachSSD1680Options = {}): SSD1680Model {
	const model = new SSD1680Model(board, { ...options, dc: pins.dc, busy: pins.busy, reset: pins.reset, select: pins.select });
	board.attachSPI(options.bus ?? 0, model, { select: pins.select, wiring: { clock: pins.clock, out: pins.out } });
	board.parts.ssd1680 = model;
	return model;
}
