/*
 * Vishay VEML7700 ambient light sensor (16-bit ALS, I2C, fixed address 0x10).
 * Datasheet (DS): Vishay "VEML7700 High Accuracy Ambient Light Sensor With
 * I2C Interface", document 84286, Rev. 1.7 (29-Nov-2023) or later,
 * https://www.vishay.com/docs/84286/veml7700.pdf — command register format,
 * Table 1 (ALS_CONF_0), Table 4 (power saving), Table 8 (ID), I2C word
 * protocol figures, basic characteristics (E_V max).
 * Application note (AN): Vishay "Designing the VEML7700 Into an Application",
 * document 84323, https://www.vishay.com/docs/84323/designingveml7700.pdf —
 * resolution table, auto-range flow chart, non-linearity correction.
 *
 * ECMA-419 sensor-class style: `new VEML7700({sensor: {...device.I2C.default,
 * io: device.io.I2C}, ticks})`, then `configure`, `sample`, `close`.
 *
 * Ranging — the AN flow chart, walked both ways. The AN starts at gain ×1/8,
 * 100 ms; while counts ≤ 100 it raises the gain (×1/8 → ×1/4 → ×1 → ×2) and
 * then the integration time (100 → 200 → 400 → 800 ms); when counts are
 * > 10 000 it shortens the integration time (down to 25 ms). Those steps form
 * one ladder of nine ranges (`LADDER`). From a reading the driver predicts
 * the counts at the other rungs (counts scale with the resolution ratio) and
 * moves straight to the rung the flow chart would stop at, skipping the
 * intermediate readings. Gains ×1 and ×2 are left above 100 lx (the AN: they
 * are not linear there). Full scale (65535) above the start rung restarts at
 * the start rung, at or below it goes to ×1/8, 25 ms. A reading inside
 * [100, 10 000] counts, or at an end of the ladder, is returned.
 *
 * Lux = counts × resolution (AN table, 0.0042 lx/count at ×2, 800 ms); at
 * gains ×1/8 and ×1/4 the AN's correction polynomial is applied:
 * lux = 6.0135e-13·x⁴ − 9.3924e-9·x³ + 8.1488e-5·x² + 1.0023·x.
 * Table choice: Vishay's product change notice for DS Rev. 1.7 says the
 * older 0.0036 lx/count and 120 klx were wrongly stated and replaces them by
 * 0.0042 lx/count and 140 klx (E_V max at ×1/8, 25 ms). The model
 * (host-sim/models/veml7700.ts) uses the same table.
 *
 * Sampling design — no waits, no timer. A range change shuts the part down,
 * writes the new gain/IT and powers it up again (the AN's reconfiguration
 * flow), so a clean integration starts 2.5 ms later; the data register still
 * holds the result of the old range until then. With `ticks`, `sample()`
 * returns undefined without touching the bus until 2.5 ms + 1.3 × IT have
 * passed (30 % margin for the internal oscillator, whose tolerance the DS
 * does not state). Without `ticks` the first reading after a change is read
 * and discarded (it may straddle the change) and the caller must poll slower
 * than 2 × 800 ms.
 *
 * Quirks and faults handled:
 *   - command 0x07 (ID, 0xC481, low byte 0x81) is documented only from DS
 *     Rev. 1.7; older parts are accepted when the ID read ACKs or when the
 *     part answers ALS_CONF, and identity then rests on writing the
 *     power-saving and ALS_CONF registers and reading them back;
 *   - every sample reads ALS_CONF back: a mismatch is garbage on the bus, and
 *     0x0001 (the power-on value, shut down) is a brown-out reset whose data
 *     register would otherwise stay frozen; both are reported and the range
 *     is rewritten on the next sample;
 *   - stuck: `stuckLimit` identical nonzero, non-full-scale readings in a row
 *     at the same gain/IT (with `ticks`, only readings one integration apart
 *     count, so fast polling does not count the same result twice);
 *   - saturation: full scale at ×1/8, 25 ms, or corrected lux beyond the
 *     DS maximum of 140 klx, reads as that maximum with `saturated: true`.
 */
import type I2C from "embedded:io/i2c";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type I2COptions = ConstructorParameters<typeof I2C>[0];
/** I2C as Moddable implements it; @moddable/typings 5.6 omit `close`. */
type I2CPort = I2C & { close(): void };

export type VEML7700Gain = 0.125 | 0.25 | 1 | 2;
export type VEML7700IntegrationMs = 25 | 50 | 100 | 200 | 400 | 800;

export interface VEML7700SensorOptions extends Omit<I2COptions, "hz" | "address"> {
	/** the I2C class, e.g. device.io.I2C */
	io: typeof I2C;
	/** SCL, Hz; the part does fast mode, 400 kHz (DS I2C timing) @default 400_000 */
	hz?: number;
}

export interface VEML7700Configuration {
	/** true: auto-range from ×1/8, 100 ms (AN flow chart); false: stay at the current range @default true */
	autoRange?: boolean;
	/** fixes the gain (turns auto-ranging off) */
	gain?: VEML7700Gain;
	/** fixes the integration time, ms (turns auto-ranging off) */
	integrationMs?: VEML7700IntegrationMs;
	/** identical readings in a row reported as stuck; 0 disables @default 12 */
	stuckLimit?: number;
}

export interface VEML7700Options extends VEML7700Configuration {
	sensor: VEML7700SensorOptions;
	/** When given, `sample()` hands its errors here and returns undefined instead of throwing. */
	onError?: (error: DriverError) => void;
	/** board time, ms; lets `sample()` know when an integration has finished */
	ticks?: () => number;
}

export interface VEML7700Sample {
	/** illuminance, lx (0 … 140 000) */
	lux: number;
	gain: VEML7700Gain;
	integrationMs: VEML7700IntegrationMs;
	/** true when the light is beyond what this range (×1/8, 25 ms: the DS maximum) can measure */
	saturated: boolean;
	/** raw ALS counts behind `lux` */
	counts: number;
}

interface Range {
	readonly gain: VEML7700Gain;
	readonly integrationMs: VEML7700IntegrationMs;
}

const ADDRESS = 0x10;

/** Command codes, DS command register format. */
const COMMAND = Object.freeze({
	alsConf: 0x00,
	powerSaving: 0x03,
	als: 0x04,
	id: 0x07,
} as const);

/** ALS_CONF_0, DS Table 1 (persistence 1 and ALS_INT_EN 0 are left at zero). */
const CONF = Object.freeze({
	shutdown: 0x0001,
	itShift: 6,
	gainShift: 11,
	powerOn: 0x0001,
} as const);

/** Low byte of the ID register, DS Table 8. */
const DEVICE_ID = 0x81;

/** Gain codes, DS Table 1 bits 12:11. */
const GAIN_CODE = Object.freeze({ "2": 0b01, "1": 0b00, "0.25": 0b11, "0.125": 0b10 } as const);
/** Integration time codes, DS Table 1 bits 9:6. */
const IT_CODE = Object.freeze({ "25": 0b1100, "50": 0b1000, "100": 0b0000, "200": 0b0001, "400": 0b0010, "800": 0b0011 } as const);
const GAINS: readonly number[] = Object.freeze([0.125, 0.25, 1, 2]);
const INTEGRATIONS_MS: readonly number[] = Object.freeze([25, 50, 100, 200, 400, 800]);

/** Resolution, lx/count, AN resolution table (the corrected 0.0042 table, see header). */
const RESOLUTION = Object.freeze({
	"2": Object.freeze({ 800: 0.0042, 400: 0.0084, 200: 0.0168, 100: 0.0336, 50: 0.0672, 25: 0.1344 }),
	"1": Object.freeze({ 800: 0.0084, 400: 0.0168, 200: 0.0336, 100: 0.0672, 50: 0.1344, 25: 0.2688 }),
	"0.25": Object.freeze({ 800: 0.0336, 400: 0.0672, 200: 0.1344, 100: 0.2688, 50: 0.5376, 25: 1.0752 }),
	"0.125": Object.freeze({ 800: 0.0672, 400: 0.1344, 200: 0.2688, 100: 0.5376, 50: 1.0752, 25: 2.1504 }),
} as const);

/** The AN flow chart's path, least to most sensitive. */
const LADDER: readonly Range[] = Object.freeze([
	{ gain: 0.125, integrationMs: 25 },
	{ gain: 0.125, integrationMs: 50 },
	{ gain: 0.125, integrationMs: 100 },
	{ gain: 0.25, integrationMs: 100 },
	{ gain: 1, integrationMs: 100 },
	{ gain: 2, integrationMs: 100 },
	{ gain: 2, integrationMs: 200 },
	{ gain: 2, integrationMs: 400 },
	{ gain: 2, integrationMs: 800 },
] as const);
/** The AN's start: ×1/8, 100 ms. */
const START_RUNG = 2;
/** AN flow chart thresholds, counts. */
const COUNTS_LOW = 100;
const COUNTS_HIGH = 10_000;
/** AN: gains ×1 and ×2 only below 100 lx. */
const HIGH_GAIN_MAX_LUX = 100;
const FULL_SCALE = 0xffff;
/** DS basic characteristics: E_V max at ×1/8, 25 ms (Rev. 1.7+). */
const LUX_MAX = 140_000;
/** AN: wait after ALS_SD 1 → 0 before the first integration, ms. */
const WAKE_MS = 2.5;
/** Integration time margin for the internal oscillator (not in the DS; chosen). */
const IT_MARGIN = 1.3;

export class VEML7700 {
	#io: I2CPort | undefined;
	#closed = false;
	#onError: ((error: DriverError) => void) | undefined;
	#ticks: (() => number) | undefined;
	#id: number | undefined;
	#auto = true;
	#rung = START_RUNG;
	#fixed: Range = LADDER[START_RUNG];
	/** range written to the part, and the ALS_CONF word expected back */
	#range: Range = LADDER[START_RUNG];
	#conf: number = CONF.powerOn;
	#needApply = true;
	#readyAt = 0;
	#discard = 0;
	#stuckLimit = 12;
	#lastCounts = -1;
	#sameCounts = 0;
	#countedAt = -Infinity;
	#command = new Uint8Array(1);
	#word = new Uint8Array(3);
	#data = new Uint8Array(2);

	/** lx per count at a gain and integration time (AN resolution table). */
	static resolution(gain: VEML7700Gain, integrationMs: VEML7700IntegrationMs): number {
		return RESOLUTION[String(gain) as keyof typeof RESOLUTION][integrationMs];
	}

	/** The AN's non-linearity correction: lux from uncorrected lux `x` (gains ×1/8, ×1/4). */
	static correct(x: number): number {
		return (((6.0135e-13 * x - 9.3924e-9) * x + 8.1488e-5) * x + 1.0023) * x;
	}

	/**
	 * Opens the I2C bus, identifies the part, turns power saving off and starts
	 * auto-ranging at ×1/8, 100 ms (or the fixed range given).
	 * @throws ConfigError on bad options; DriverError naming the part if it does
	 *   not answer or does not hold what is written; the bus is then released.
	 */
	constructor(options: VEML7700Options) {
		const { io: IO, ...rest } = options.sensor;
		if (options.ticks !== undefined && typeof options.ticks !== "function") throw new ConfigError("ticks", "VEML7700 ticks must be a function");
		this.#onError = options.onError;
		this.#ticks = options.ticks;
		this.configure(options);
		let io: I2CPort;
		try {
			io = new IO({ hz: 400_000, ...rest, address: ADDRESS }) as I2CPort;
		} catch (e) {
			throw this.#error("cannot open I2C", e);
		}
		try {
			this.#io = io;
			this.#checkPart();
			this.#apply();
		} catch (e) {
			this.#io = undefined;
			io.close();
			throw e instanceof DriverError ? e : this.#error("not found", e);
		}
	}

	/** ID register word as read (0xC481 on DS Rev. 1.7+ parts), undefined when command 0x07 was NACKed. */
	get id(): number | undefined {
		return this.#id;
	}
	/** Gain in use (or about to be written). */
	get gain(): VEML7700Gain {
		return this.#target().gain;
	}
	/** Integration time in use (or about to be written), ms. */
	get integrationMs(): VEML7700IntegrationMs {
		return this.#target().integrationMs;
	}
	get autoRange(): boolean {
		return this.#auto;
	}

	/**
	 * Changes ranging or the stuck limit. A new range is written by the next `sample()`.
	 * @throws ConfigError on an unknown gain or integration time, a bad stuckLimit,
	 *   or autoRange: true together with a fixed gain/IT; DriverError when closed
	 */
	configure(options: VEML7700Configuration): void {
		if (this.#closed) throw this.#error("closed");
		const { autoRange, gain, integrationMs, stuckLimit } = options;
		if (autoRange !== undefined && typeof autoRange !== "boolean") throw new ConfigError("autoRange", "VEML7700 autoRange must be a boolean");
		if (gain !== undefined && !GAINS.includes(gain)) throw new ConfigError("gain", `VEML7700 invalid gain ${String(gain)} (0.125, 0.25, 1 or 2)`);
		if (integrationMs !== undefined && !INTEGRATIONS_MS.includes(integrationMs))
			throw new ConfigError("integrationMs", `VEML7700 invalid integrationMs ${String(integrationMs)} (25, 50, 100, 200, 400 or 800)`);
		if (autoRange === true && (gain !== undefined || integrationMs !== undefined)) throw new ConfigError("autoRange", "VEML7700 a fixed gain or integrationMs cannot be combined with autoRange: true");
		if (stuckLimit !== undefined && (!Number.isInteger(stuckLimit) || stuckLimit < 0)) throw new ConfigError("stuckLimit", "VEML7700 invalid stuckLimit");
		if (stuckLimit !== undefined) this.#stuckLimit = stuckLimit;
		if (gain !== undefined || integrationMs !== undefined) {
			const base = this.#target();
			this.#fixed = { gain: gain ?? base.gain, integrationMs: integrationMs ?? base.integrationMs };
			this.#auto = false;
			this.#needApply = true;
		} else if (autoRange === true && !this.#auto) {
			this.#auto = true;
			this.#rung = START_RUNG;
			this.#needApply = true;
		} else if (autoRange === false && this.#auto) {
			this.#fixed = LADDER[this.#rung];
			this.#auto = false;
		}
	}

	/**
	 * The latest finished integration as lux, or undefined while a new range
	 * settles (see the header). Re-ranges for the next reading when the counts
	 * leave the AN's window.
	 * @throws DriverError on NACK, garbage, reset or stuck output (unless
	 *   `onError` was given), or when closed
	 */
	sample(): VEML7700Sample | undefined {
		if (!this.#io) throw this.#error("closed");
		try {
			if (this.#needApply) {
				this.#apply();
				return undefined;
			}
			const now = this.#ticks?.();
			if (now !== undefined && now < this.#readyAt) return undefined;
			const conf = this.#read(COMMAND.alsConf);
			if (conf !== this.#conf) {
				this.#needApply = true;
				if (conf === CONF.powerOn) throw this.#error("reset detected (ALS_CONF back at power-on 0x0001); range rewritten on the next sample");
				throw this.#error(`garbage: ALS_CONF reads 0x${hex4(conf)}, expected 0x${hex4(this.#conf)}`);
			}
			const counts = this.#read(COMMAND.als);
			if (this.#discard > 0) {
				this.#discard--;
				return undefined;
			}
			this.#checkStuck(counts, now);
			if (this.#auto) {
				const rung = this.#nextRung(counts);
				if (rung !== this.#rung) {
					this.#rung = rung;
					this.#needApply = true;
					this.#apply();
					return undefined;
				}
			}
			return this.#lux(counts);
		} catch (e) {
			this.#report(e);
			return undefined;
		}
	}

	/** Shuts the part down (ALS_SD = 1) and releases the bus. Safe to call twice. */
	close(): void {
		const io = this.#io;
		this.#closed = true;
		if (!io) return;
		this.#io = undefined;
		try {
			this.#writeWord(io, COMMAND.alsConf, this.#conf | CONF.shutdown);
		} catch {
			// gone already; nothing left to park
		}
		io.close();
	}

	#target(): Range {
		return this.#auto ? LADDER[this.#rung] : this.#fixed;
	}

	/** Throws `e` as a DriverError, or hands it to onError when one was given. */
	#report(e: unknown): void {
		const error = e instanceof DriverError ? e : this.#error("failed", e);
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	/**
	 * DS Table 8 ID where the part has one, then a write/read-back of the
	 * power-saving register (Table 4: 0x0000 = off) as proof of a register
	 * file that holds what is written. ALS_CONF follows in #apply.
	 */
	#checkPart(): void {
		try {
			this.#id = this.#read(COMMAND.id);
		} catch {
			this.#id = undefined; // pre-Rev. 1.7 part without command 0x07
		}
		try {
			this.#writeWord(this.#io!, COMMAND.powerSaving, 0);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(ADDRESS)} (NACK)`, e);
		}
		const psm = this.#read(COMMAND.powerSaving);
		const idLow = this.#id === undefined ? -1 : this.#id & 0xff;
		if (psm !== 0) throw this.#error(`not found: power-saving register reads 0x${hex4(psm)}, wrote 0x0000${idLow === DEVICE_ID ? "" : " (no VEML7700 ID)"}`);
	}

	/** Writes the target range: stand-by, new gain/IT, power on (AN), then verifies it. */
	#apply(): void {
		const io = this.#io!;
		const range = this.#target();
		const conf = (GAIN_CODE[String(range.gain) as keyof typeof GAIN_CODE] << CONF.gainShift) | (IT_CODE[String(range.integrationMs) as keyof typeof IT_CODE] << CONF.itShift);
		try {
			this.#writeWord(io, COMMAND.alsConf, conf | CONF.shutdown);
			this.#writeWord(io, COMMAND.alsConf, conf);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(ADDRESS)} (NACK)`, e);
		}
		const back = this.#read(COMMAND.alsConf);
		if (back !== conf) throw this.#error(`garbage: ALS_CONF reads 0x${hex4(back)}, wrote 0x${hex4(conf)}`);
		this.#range = range;
		this.#conf = conf;
		this.#needApply = false;
		const now = this.#ticks?.();
		this.#readyAt = now === undefined ? 0 : now + WAKE_MS + range.integrationMs * IT_MARGIN;
		this.#discard = now === undefined ? 1 : 0;
		this.#lastCounts = -1;
		this.#sameCounts = 0;
		this.#countedAt = -Infinity;
	}

	#checkStuck(counts: number, now: number | undefined): void {
		if (counts === 0 || counts >= FULL_SCALE) {
			this.#lastCounts = counts;
			this.#sameCounts = 0;
			return;
		}
		// With a clock, a read within one integration of the last counted one sees the same result.
		if (now !== undefined && now - this.#countedAt < this.#range.integrationMs * IT_MARGIN) return;
		this.#countedAt = now ?? 0;
		this.#sameCounts = counts === this.#lastCounts ? this.#sameCounts + 1 : 1;
		this.#lastCounts = counts;
		if (this.#stuckLimit && this.#sameCounts >= this.#stuckLimit)
			throw this.#error(`output stuck: ${this.#sameCounts} identical readings (${counts} counts at gain ${this.#range.gain}, ${this.#range.integrationMs} ms)`);
	}

	/** Highest count a rung may return before a less sensitive one is used. */
	#highLimit(rung: number): number {
		if (rung === 0) return Infinity;
		const r = LADDER[rung];
		const limit = r.gain >= 1 ? Math.floor(HIGH_GAIN_MAX_LUX / VEML7700.resolution(r.gain, r.integrationMs)) : COUNTS_HIGH;
		return Math.min(COUNTS_HIGH, limit);
	}

	/** The rung the AN flow chart would end on, predicted from `counts` at the current rung. */
	#nextRung(counts: number): number {
		const i = this.#rung;
		if (counts >= FULL_SCALE) return i > START_RUNG ? START_RUNG : 0;
		const at = (j: number) => (counts * resolutionOf(LADDER[i])) / resolutionOf(LADDER[j]);
		if (counts > this.#highLimit(i)) {
			for (let j = i - 1; j > 0; j--) if (at(j) <= this.#highLimit(j)) return j;
			return 0;
		}
		let j = i;
		if (counts < COUNTS_LOW) {
			while (j < LADDER.length - 1) {
				const predicted = at(j + 1);
				if (predicted > this.#highLimit(j + 1)) break;
				j++;
				if (predicted >= COUNTS_LOW) break;
			}
		}
		return j;
	}

	#lux(counts: number): VEML7700Sample {
		const { gain, integrationMs } = this.#range;
		const toLux = (c: number) => {
			const x = c * VEML7700.resolution(gain, integrationMs);
			return gain <= 0.25 ? VEML7700.correct(x) : x;
		};
		let lux = toLux(counts);
		const saturated = counts >= FULL_SCALE || lux > LUX_MAX;
		if (saturated) lux = Math.min(LUX_MAX, toLux(FULL_SCALE));
		return { lux, gain, integrationMs, saturated, counts };
	}

	/** Read word (DS): command, repeated START, LSB, MSB. */
	#read(command: number): number {
		const io = this.#io!;
		this.#command[0] = command;
		try {
			io.write(this.#command, false);
			io.read(this.#data);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(ADDRESS)} (NACK)`, e);
		}
		return this.#data[0] | (this.#data[1] << 8);
	}

	/** Write word (DS): command, LSB, MSB. */
	#writeWord(io: I2CPort, command: number, value: number): void {
		this.#word[0] = command;
		this.#word[1] = value & 0xff;
		this.#word[2] = (value >> 8) & 0xff;
		io.write(this.#word);
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`VEML7700 ${message}`, cause === undefined ? undefined : { cause });
	}
}

function resolutionOf(r: Range): number {
	return VEML7700.resolution(r.gain, r.integrationMs);
}

function hex(n: number): string {
	return n.toString(16);
}

function hex4(n: number): string {
	return n.toString(16).padStart(4, "0");
}

export default VEML7700;
