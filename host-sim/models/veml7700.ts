/*
 * Vishay VEML7700 ambient light sensor, modelled at the I2C bus.
 * Datasheet: Vishay "VEML7700 High Accuracy Ambient Light Sensor With I2C
 * Interface", document 84286, Rev. 1.7 (29-Nov-2023) or later,
 * https://www.vishay.com/docs/84286/veml7700.pdf
 * Application note: Vishay "Designing the VEML7700 Into an Application",
 * document 84323, https://www.vishay.com/docs/84323/designingveml7700.pdf
 *
 * What the model does, by source:
 *   DS command register format   command codes 0x00 ALS_CONF_0, 0x01 ALS_WH,
 *                                0x02 ALS_WL, 0x03 power saving, 0x04 ALS,
 *                                0x05 WHITE, 0x06 ALS_INT, 0x07 ID; ALS_CONF_0
 *                                powers up as 0x0001 (shut down);
 *   DS I2C protocol figures       write word = [command, LSB, MSB]; read word
 *                                = [command], repeated START, read LSB, MSB;
 *   DS Table 1 (ALS_CONF_0)      gain bits 12:11, IT bits 9:6, persistence
 *                                5:4, INT_EN bit 1, ALS_SD bit 0; reserved
 *                                bits are not stored (they read back 0);
 *   DS Table 4 / refresh table   power-saving mode adds 500/1000/2000/4000 ms
 *                                between integrations;
 *   DS Table 8 (ID, Rev. 1.7+)   0xC481: device ID 0x81 in the low byte,
 *                                address option 0xC4 (= 0x20/0x10) high;
 *   AN "activating the sensor"   a new integration starts ≥ 2.5 ms after
 *                                ALS_SD goes 1 → 0; the data registers keep
 *                                the last result while shut down and until
 *                                the next integration ends;
 *   AN resolution table          lx/count per gain and IT (below), 0.0042
 *                                lx/count at ×2, 800 ms. Vishay's product
 *                                change notice for Rev. 1.7 says the earlier
 *                                0.0036 lx/count and 120 klx were wrongly
 *                                stated; the 0.0042 table is used here and
 *                                in drivers/veml7700.ts;
 *   AN non-linearity correction  real lux = P(x) with x = counts × resolution,
 *                                P(x) = 6.0135e-13·x⁴ − 9.3924e-9·x³ +
 *                                8.1488e-5·x² + 1.0023·x, for gains ×1/8 and
 *                                ×1/4. The model runs it backwards: at those
 *                                gains counts = P⁻¹(lux) / resolution; at ×1
 *                                and ×2 counts = lux / resolution (the AN
 *                                keeps those gains below 100 lx).
 * Counts are quantised, saturate at 65535 and carry a little noise (uniform
 * ±noiseFraction relative plus ±noiseCounts absolute). The ALS and WHITE
 * registers change only when an integration period ends.
 *
 * Behaviour the sources do not state, chosen here and named as such:
 *   - a gain/IT change written while the part is active (ALS_SD stays 0) does
 *     not restart the integration in progress: counts collected so far at the
 *     old setting are kept and the period ends IT(new) after it began, so the
 *     next result straddles both settings (`stats.straddled`). The AN's flow
 *     sets ALS_SD = 1 before any reconfiguration, which avoids this;
 *   - a register read without a repeated START after the command byte (a STOP
 *     in between) returns 0x0000, as users report for real parts;
 *   - undefined command codes (> 0x07) are NACKed; writes to read-only
 *     registers are ACKed and ignored; an IT code outside Table 1 runs as 100 ms;
 *   - ALS_INT flags reflect the last integration (persistence not modelled);
 *   - `clockScale` stretches every integration (internal oscillator error;
 *     the datasheet gives no tolerance) without changing the counts.
 *
 * Faults (`fault`): "nack" the part is gone, nothing is ACKed; "garbage" SDA
 * noise, every byte read is random; "stuck" the converter freezes, ALS/WHITE
 * keep their last value; "dark" the window is covered, every integration
 * reads 0 whatever the light. `powerCycle()` is a brown-out: registers back
 * to their power-on values.
 */
import type { I2CBusContext, I2CModel } from "../io/models";
import { xorshift32 } from "./xorshift";

export type VEML7700Fault = "nack" | "garbage" | "stuck" | "dark" | undefined;

/** Light at the sensor at one moment. */
export interface LightLevel {
	/** illuminance, lx (≥ 0) */
	lux: number;
}

/** Light as a function of board time (ms since boot). */
export type LightScenario = (ticksMs: number) => LightLevel;

/** Fixed 7-bit address (DS "slave address" 0x20 write / 0x21 read). */
export const VEML7700_ADDRESS = 0x10;

/** Command codes, DS command register format. */
export const VEML7700_COMMAND = Object.freeze({
	alsConf: 0x00,
	alsWh: 0x01,
	alsWl: 0x02,
	powerSaving: 0x03,
	als: 0x04,
	white: 0x05,
	alsInt: 0x06,
	id: 0x07,
} as const);

/** ID register word, DS Table 8 (Rev. 1.7+). */
export const VEML7700_ID = 0xc481;

/** ALS_CONF_0 fields, DS Table 1. */
export const VEML7700_CONF = Object.freeze({
	shutdown: 0x0001,
	interruptEnable: 0x0002,
	persistenceShift: 4,
	itShift: 6,
	gainShift: 11,
	/** bits the part holds: 12:11, 9:6, 5:4, 1, 0 */
	defined: 0x1bf3,
	powerOn: 0x0001,
} as const);

/** Gain codes, DS Table 1 bits 12:11 (the order is not the magnitude order). */
export const VEML7700_GAIN_CODE: Readonly<Record<number, number>> = Object.freeze({ 0b00: 1, 0b01: 2, 0b10: 0.125, 0b11: 0.25 });
/** Integration time codes, DS Table 1 bits 9:6, ms. */
export const VEML7700_IT_CODE: Readonly<Record<number, number>> = Object.freeze({ 0b1100: 25, 0b1000: 50, 0b0000: 100, 0b0001: 200, 0b0010: 400, 0b0011: 800 });

/** Resolution, lx/count, AN 84323 resolution table (0.0042 at ×2, 800 ms). */
export const VEML7700_RESOLUTION: Readonly<Record<string, Readonly<Record<number, number>>>> = Object.freeze({
	"2": Object.freeze({ 800: 0.0042, 400: 0.0084, 200: 0.0168, 100: 0.0336, 50: 0.0672, 25: 0.1344 }),
	"1": Object.freeze({ 800: 0.0084, 400: 0.0168, 200: 0.0336, 100: 0.0672, 50: 0.1344, 25: 0.2688 }),
	"0.25": Object.freeze({ 800: 0.0336, 400: 0.0672, 200: 0.1344, 100: 0.2688, 50: 0.5376, 25: 1.0752 }),
	"0.125": Object.freeze({ 800: 0.0672, 400: 0.1344, 200: 0.2688, 100: 0.5376, 50: 1.0752, 25: 2.1504 }),
});

/** Power-saving wait between integrations, ms, by PSM code (DS refresh-time table). */
const PSM_WAIT_MS = Object.freeze([500, 1000, 2000, 4000] as const);
/** Wake-up time after ALS_SD 1 → 0, ms (AN). */
export const VEML7700_WAKE_MS = 2.5;
const FULL_SCALE = 0xffff;

/** lx/count for a gain and integration time. */
export function veml7700Resolution(gain: number, integrationMs: number): number {
	const r = VEML7700_RESOLUTION[String(gain)]?.[integrationMs];
	if (r === undefined) throw new RangeError(`no VEML7700 resolution for gain ${gain}, ${integrationMs} ms`);
	return r;
}

/** The AN's correction: real lux from uncorrected lux `x` (gains ×1/8, ×1/4). */
export function veml7700Correct(x: number): number {
	return (((6.0135e-13 * x - 9.3924e-9) * x + 8.1488e-5) * x + 1.0023) * x;
}

/**
 * Inverse of `veml7700Correct`: the uncorrected lux the part reports for a
 * real `lux`. P is increasing and convex on x ≥ 0 (P'' > 0 there), and
 * P(x) > 1.0023·x, so Newton from x = lux / 1.0023 falls monotonically onto
 * the root.
 */
export function veml7700Uncorrect(lux: number): number {
	if (!(lux > 0)) return 0;
	let x = lux / 1.0023;
	for (let i = 0; i < 60; i++) {
		const f = veml7700Correct(x) - lux;
		const slope = ((4 * 6.0135e-13 * x - 3 * 9.3924e-9) * x + 2 * 8.1488e-5) * x + 1.0023;
		const step = f / slope;
		x -= step;
		if (Math.abs(step) <= 1e-12 * x) break;
	}
	return x;
}

export interface VEML7700ModelOptions {
	/** @default a constant 250 lx */
	scenario?: LightScenario;
	/** relative noise per integration, uniform ± @default 0.002 */
	noiseFraction?: number;
	/** absolute noise per integration, counts, uniform ± @default 1 */
	noiseCounts?: number;
	/** WHITE counts per ALS count (spectrum dependent) @default 1.2 */
	whiteRatio?: number;
	/** false: a part from before datasheet Rev. 1.7, whose command 0x07 reads 0x0000 @default true */
	idRegister?: boolean;
	/** real integration length ÷ nominal (oscillator error) @default 1 */
	clockScale?: number;
	/** PRNG seed for noise and garbage @default 1 */
	seed?: number;
}

export class VEML7700Model implements I2CModel {
	scenario: LightScenario;
	fault: VEML7700Fault;
	noiseFraction: number;
	noiseCounts: number;
	whiteRatio: number;
	clockScale: number;
	/** What happened on the bus and in the converter, for tests and the dashboard. */
	readonly stats = {
		/** completed integration periods */
		integrations: 0,
		/** integrations that spanned a gain/IT change */
		straddled: 0,
		/** ALS_SD 0 → 1 */
		shutdowns: 0,
		/** ALS_SD 1 → 0 */
		wakes: 0,
		/** words written to ALS_CONF_0 */
		configWrites: 0,
		/** ALS register reads */
		alsReads: 0,
		/** every read transaction */
		reads: 0,
		/** every write transaction */
		writes: 0,
		nacks: 0,
		/** IT codes outside Table 1, run as 100 ms */
		badSettings: 0,
		/** writes to read-only registers, or of a length other than 1 or 3 bytes */
		ignoredWrites: 0,
	};
	#idRegister: boolean;
	#rng: number;
	#conf: number = VEML7700_CONF.powerOn;
	#psm = 0;
	#wh = 0;
	#wl = 0;
	#als = 0;
	#white = 0;
	#interrupt = 0;
	#pointer: number | undefined;
	// Integration in progress (only while active).
	#active = false;
	#gain = 1;
	#itMs = 100;
	#cycleStart = 0;
	#cycleEnd = 0;
	/** start of the part of the period run at the current gain */
	#segmentStart = 0;
	/** ALS counts (unrounded) collected before a mid-period change */
	#carry = 0;
	#straddle = false;

	constructor(options: VEML7700ModelOptions = {}) {
		this.scenario = options.scenario ?? (() => ({ lux: 250 }));
		this.noiseFraction = options.noiseFraction ?? 0.002;
		this.noiseCounts = options.noiseCounts ?? 1;
		this.whiteRatio = options.whiteRatio ?? 1.2;
		this.clockScale = options.clockScale ?? 1;
		this.#idRegister = options.idRegister ?? true;
		// Spread small seeds: xorshift32 from 1 starts with a run of near-zero
		// outputs, which would bias the first readings low.
		this.#rng = Math.imul((options.seed ?? 1) >>> 0 || 1, 0x9e3779b1) >>> 0 || 1;
		for (let i = 0; i < 8; i++) this.#random();
	}

	/** ALS_CONF_0 as the part holds it. */
	get config(): number {
		return this.#conf;
	}
	/** True while integrating (ALS_SD = 0). */
	get active(): boolean {
		return this.#active;
	}
	/** The ALS register as it stands (no bus transaction). */
	get als(): number {
		return this.#als;
	}

	/** Brown-out: every register back to its power-on value, converter stopped. */
	powerCycle(): void {
		this.#conf = VEML7700_CONF.powerOn;
		this.#psm = this.#wh = this.#wl = this.#als = this.#white = this.#interrupt = 0;
		this.#pointer = undefined;
		this.#active = false;
	}

	write(bytes: Uint8Array, stop: boolean, bus: I2CBusContext): boolean {
		if (this.fault === "nack") return this.#nack(false);
		this.stats.writes++;
		if (bytes.length === 0) return true; // address probe
		const command = bytes[0];
		if (command > VEML7700_COMMAND.id) return this.#nack(false);
		this.#pointer = undefined;
		if (bytes.length === 1) {
			// Read-word header: the read must follow after a repeated START.
			if (!stop) this.#pointer = command;
			return true;
		}
		if (bytes.length !== 3 || command > VEML7700_COMMAND.powerSaving) {
			this.stats.ignoredWrites++;
			return true;
		}
		const value = bytes[1] | (bytes[2] << 8);
		const now = bus.ticks();
		this.#advance(now);
		switch (command) {
			case VEML7700_COMMAND.alsConf:
				this.stats.configWrites++;
				this.#setConf(value & VEML7700_CONF.defined, now);
				break;
			case VEML7700_COMMAND.alsWh:
				this.#wh = value;
				break;
			case VEML7700_COMMAND.alsWl:
				this.#wl = value;
				break;
			case VEML7700_COMMAND.powerSaving:
				this.#psm = value & 0x0007; // Table 4: bits 15:3 reserved
				break;
		}
		return true;
	}

	read(count: number, _stop: boolean, bus: I2CBusContext): Uint8Array | null {
		if (this.fault === "nack") return this.#nack(null);
		this.stats.reads++;
		this.#advance(bus.ticks());
		const pointer = this.#pointer;
		this.#pointer = undefined;
		let value = 0;
		switch (pointer) {
			case VEML7700_COMMAND.alsConf:
				value = this.#conf;
				break;
			case VEML7700_COMMAND.alsWh:
				value = this.#wh;
				break;
			case VEML7700_COMMAND.alsWl:
				value = this.#wl;
				break;
			case VEML7700_COMMAND.powerSaving:
				value = this.#psm;
				break;
			case VEML7700_COMMAND.als:
				this.stats.alsReads++;
				value = this.#als;
				break;
			case VEML7700_COMMAND.white:
				value = this.#white;
				break;
			case VEML7700_COMMAND.alsInt:
				value = this.#interrupt;
				break;
			case VEML7700_COMMAND.id:
				value = this.#idRegister ? VEML7700_ID : 0;
				break;
		}
		const out = Uint8Array.of(value & 0xff, value >> 8);
		if (this.fault === "garbage") for (let i = 0; i < out.length; i++) out[i] = this.#random() & 0xff;
		// Past the word the part stops driving SDA (the board reads 0xFF).
		return out.subarray(0, Math.min(count, 2));
	}

	#setConf(value: number, now: number): void {
		const wasActive = this.#active;
		const gain = VEML7700_GAIN_CODE[(value >> VEML7700_CONF.gainShift) & 0b11];
		let itMs = VEML7700_IT_CODE[(value >> VEML7700_CONF.itShift) & 0b1111];
		if (itMs === undefined) {
			this.stats.badSettings++;
			itMs = 100;
		}
		const active = !(value & VEML7700_CONF.shutdown);
		this.#conf = value;
		if (!active) {
			if (wasActive) this.stats.shutdowns++;
			this.#active = false;
			this.#gain = gain;
			this.#itMs = itMs;
			return;
		}
		if (!wasActive) {
			// Wake: a fresh integration after the start-up time (AN).
			this.stats.wakes++;
			this.#active = true;
			this.#gain = gain;
			this.#itMs = itMs;
			this.#begin(now + VEML7700_WAKE_MS);
			return;
		}
		if (gain === this.#gain && itMs === this.#itMs) return;
		// Changed on the fly: the period in progress carries on (see header).
		if (now > this.#segmentStart) {
			this.#carry += this.#collect(this.#segmentStart, now);
			this.#segmentStart = now;
			this.#straddle = true;
		}
		this.#gain = gain;
		this.#itMs = itMs;
		this.#cycleEnd = Math.max(now, this.#cycleStart + itMs * this.clockScale);
	}

	#begin(start: number): void {
		this.#cycleStart = start;
		this.#segmentStart = start;
		this.#cycleEnd = start + this.#itMs * this.clockScale;
		this.#carry = 0;
		this.#straddle = false;
	}

	/** Completes every integration period that has ended by `now`. */
	#advance(now: number): void {
		while (this.#active && this.#cycleEnd <= now) {
			const end = this.#cycleEnd;
			this.#complete(this.#carry + this.#collect(this.#segmentStart, end));
			const wait = this.#psm & 1 ? PSM_WAIT_MS[(this.#psm >> 1) & 0b11] : 0;
			const period = this.#itMs * this.clockScale + wait;
			let next = end + wait;
			// Only the last period that ends by `now` can be seen: skip the rest.
			const skip = Math.floor((now - next - this.#itMs * this.clockScale) / period);
			if (skip > 0) {
				next += skip * period;
				this.stats.integrations += skip;
			}
			this.#begin(next);
		}
	}

	/** Unrounded ALS counts collected at the current gain over [from, to) ms. */
	#collect(from: number, to: number): number {
		if (to <= from || this.fault === "dark") return 0;
		const lux = Math.max(0, this.scenario((from + to) / 2).lux);
		const reported = this.#gain <= 0.25 ? veml7700Uncorrect(lux) : lux;
		// Counts per nominal ms are set by the gain alone: resolution × IT is
		// constant for a given gain (AN table).
		const perMs = reported / (veml7700Resolution(this.#gain, 800) * 800);
		return (perMs * (to - from)) / this.clockScale;
	}

	#complete(exact: number): void {
		this.stats.integrations++;
		if (this.#straddle) this.stats.straddled++;
		if (this.fault === "stuck") return;
		let counts = 0;
		if (this.fault !== "dark") {
			const u1 = this.#uniform();
			const u2 = this.#uniform();
			counts = clamp16(Math.round(exact * (1 + this.noiseFraction * u1) + this.noiseCounts * u2));
		}
		this.#als = counts;
		this.#white = clamp16(Math.round(counts * this.whiteRatio));
		this.#interrupt = 0;
		if (this.#conf & VEML7700_CONF.interruptEnable) {
			if (counts > this.#wh) this.#interrupt |= 0x4000; // Table 7: int_th_high
			if (counts < this.#wl) this.#interrupt |= 0x8000; // int_th_low
		}
	}

	#nack<T extends false | null>(value: T): T {
		this.stats.nacks++;
		return value;
	}

	/** Uniform in [−1, 1]. */
	#uniform(): number {
		return (this.#random() / 0xffffffff) * 2 - 1;
	}

	/** xorshift32: deterministic on every host. */
	#random(): number {
		return (this.#rng = xorshift32(this.#rng));
	}
}

function clamp16(x: number): number {
	return Math.min(FULL_SCALE, Math.max(0, x));
}
