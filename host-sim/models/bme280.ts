/*
 * Bosch Sensortec BME280 humidity, pressure and temperature sensor, modelled
 * at the I2C bus.
 * Datasheet: Bosch "BME280 Combined humidity and pressure sensor",
 * BST-BME280-DS002, https://www.bosch-sensortec.com/media/boschsensortec/downloads/datasheets/bst-bme280-ds002.pdf
 *
 * What the model does, by datasheet section:
 *   §6.2           register-pointer protocol: a write of one byte sets the
 *                  pointer, longer writes are register/value pairs (§6.2.1);
 *                  reads start at the pointer and auto-increment (§6.2.2);
 *   §5.3           memory map: chip_id 0xD0 = 0x60, reset 0xE0, ctrl_hum
 *                  0xF2, status 0xF3, ctrl_meas 0xF4, config 0xF5, data
 *                  0xF7–0xFE; reset values (data 0x80000/0x80000/0x8000);
 *   §4.2.2 Table 16 trimming parameters at 0x88–0xA1 and 0xE1–0xE7, with the
 *                  12-bit dig_H4/dig_H5 sharing 0xE5;
 *   §5.4.3         ctrl_hum is latched only by a write to ctrl_meas;
 *   §5.4.6         config writes in normal mode are ignored;
 *   §3.3.3         forced mode: one conversion, status.measuring (bit 3) set
 *                  while it runs, ctrl_meas mode bits back to 00 (sleep) when
 *                  done; results appear in the data registers at the end;
 *   §9.1           conversion time = the maximum 1.25 + 2.3·T + 2.3·P + 0.575
 *                  + 2.3·H + 0.575 ms, so a driver that waits only the
 *                  typical time is caught;
 *   §3.4           resolution: temperature and pressure words carry
 *                  16 + (osrs − 1) bits with the filter off, 20 bits with it
 *                  on; humidity 16 bits; a skipped channel (osrs 0) reads
 *                  0x80000 / 0x8000;
 *   §3.4.4         IIR filter on temperature and pressure:
 *                  x = (x_prev · (c − 1) + x_new) / c;
 *   §5.4.2         soft reset 0xE0 ← 0xB6: registers to reset values,
 *                  status.im_update set for the 2 ms start-up (§1 Table 1);
 *   §4.2.3 / §8.1  raw words are found by inverting the double-precision
 *                  compensation (bisection on the integer raw word), so the
 *                  datasheet formula gives back the scenario within one
 *                  resolution step.
 * Not modelled: normal mode cycling and t_sb (mode 11 is stored, no
 * conversions run), SPI and 3-wire mode, power-up time at attach, the
 * physical cross-sensitivities. A forced-mode write while a conversion runs
 * is ignored (the datasheet does not say); a sleep write aborts it.
 *
 * Faults (`fault`): "nack" dead or unplugged, no ACK at all; "garbage" SDA
 * noise, every byte read is random; "stuck" the converter freezes, the data
 * registers keep their last values while conversions appear to run;
 * "skipped" the data registers read the skipped/reset words 0x80000 /
 * 0x80000 / 0x8000; "wrong-id" the part answers chip id 0x58 like a BMP280.
 */
import type { I2CBusContext, I2CModel } from "../io/models";
import { xorshift32 } from "./xorshift";

export type BME280Fault = "nack" | "garbage" | "stuck" | "skipped" | "wrong-id" | undefined;

/** Conditions at the sensor at one moment. */
export interface BME280Environment {
	/** °C */
	celsius: number;
	/** %RH, normally 0 ..= 100 */
	relativeHumidity: number;
	/** hPa */
	hPa: number;
}

/** The environment as a function of board time (ms since boot). */
export type BME280Scenario = (ticksMs: number) => BME280Environment;

/** Trimming parameters, §4.2.2 Table 16. */
export interface BME280Trimming {
	digT1: number;
	digT2: number;
	digT3: number;
	digP1: number;
	digP2: number;
	digP3: number;
	digP4: number;
	digP5: number;
	digP6: number;
	digP7: number;
	digP8: number;
	digP9: number;
	digH1: number;
	digH2: number;
	digH3: number;
	digH4: number;
	digH5: number;
	digH6: number;
}

/**
 * Typical trimming: temperature and pressure words are the worked example of
 * Bosch's BMP280 datasheet (BST-BMP280-DS001, same T/P compensation:
 * adc_T 519888 → 25.08 °C, adc_P 415148 → 100653.27 Pa); the humidity words
 * are those of a production BME280 (dig_H4 = 0x145, dig_H5 = 0x032, so 0xE5
 * holds nibbles of both: 0x25).
 */
export const BME280_TYPICAL_TRIMMING: Readonly<BME280Trimming> = Object.freeze({
	digT1: 27504,
	digT2: 26435,
	digT3: -1000,
	digP1: 36477,
	digP2: -10685,
	digP3: 3024,
	digP4: 2855,
	digP5: 140,
	digP6: -7,
	digP7: 15500,
	digP8: -14600,
	digP9: 6000,
	digH1: 75,
	digH2: 362,
	digH3: 0,
	digH4: 325,
	digH5: 50,
	digH6: 30,
});

/** Registers, §5.3 memory map. */
export const BME280_REGISTER = Object.freeze({
	calibTP: 0x88,
	id: 0xd0,
	reset: 0xe0,
	calibH: 0xe1,
	ctrlHum: 0xf2,
	status: 0xf3,
	ctrlMeas: 0xf4,
	config: 0xf5,
	pressMsb: 0xf7,
	tempMsb: 0xfa,
	humMsb: 0xfd,
} as const);

export const BME280_CHIP_ID = 0x60;
export const BMP280_CHIP_ID = 0x58;
/** Soft-reset command, §5.4.2. */
export const BME280_RESET_COMMAND = 0xb6;
/** Start-up time after power-on or soft reset, ms (§1 Table 1). */
export const BME280_STARTUP_MS = 2;
const STATUS_MEASURING = 1 << 3;
const STATUS_IM_UPDATE = 1 << 0;
/** osrs_x code → factor, §5.4.3 / §5.4.5 (101 and above are ×16). */
const OVERSAMPLING = [0, 1, 2, 4, 8, 16, 16, 16] as const;
/** filter code → coefficient, §5.4.6 (100 and above are 16). */
const FILTER = [1, 2, 4, 8, 16, 16, 16, 16] as const;

/** Max conversion time, ms, for oversampling factors (0 = skipped), §9.1. */
export function bme280MeasurementMs(t: number, p: number, h: number): number {
	let ms = 1.25;
	if (t) ms += 2.3 * t;
	if (p) ms += 2.3 * p + 0.575;
	if (h) ms += 2.3 * h + 0.575;
	return Math.round(ms * 1000) / 1000;
}

/** The trimming as stored in the part: 26 bytes at 0x88 and 7 bytes at 0xE1 (§4.2.2 Table 16). */
export function bme280TrimmingBytes(c: BME280Trimming): { tp: Uint8Array; h: Uint8Array } {
	const tp = new Uint8Array(26);
	const words = [c.digT1, c.digT2, c.digT3, c.digP1, c.digP2, c.digP3, c.digP4, c.digP5, c.digP6, c.digP7, c.digP8, c.digP9];
	words.forEach((w, i) => {
		tp[2 * i] = w & 0xff;
		tp[2 * i + 1] = (w >> 8) & 0xff;
	});
	tp[24] = 0; // 0xA0 not used
	tp[25] = c.digH1 & 0xff;
	const h = Uint8Array.of(
		c.digH2 & 0xff,
		(c.digH2 >> 8) & 0xff,
		c.digH3 & 0xff,
		(c.digH4 >> 4) & 0xff, // 0xE4: dig_H4[11:4]
		((c.digH5 & 0x0f) << 4) | (c.digH4 & 0x0f), // 0xE5: dig_H5[3:0] | dig_H4[3:0]
		(c.digH5 >> 4) & 0xff, // 0xE6: dig_H5[11:4]
		c.digH6 & 0xff,
	);
	return { tp, h };
}

/** §8.1 temperature: { °C, t_fine }. */
export function bme280Temperature(c: BME280Trimming, adcT: number): { celsius: number; tFine: number } {
	const v1 = (adcT / 16384 - c.digT1 / 1024) * c.digT2;
	const d = adcT / 131072 - c.digT1 / 8192;
	const v2 = d * d * c.digT3;
	return { celsius: (v1 + v2) / 5120, tFine: Math.trunc(v1 + v2) };
}

/** §8.1 pressure, Pa (0 when the datasheet's division guard trips). */
export function bme280Pressure(c: BME280Trimming, adcP: number, tFine: number): number {
	let v1 = tFine / 2 - 64000;
	let v2 = (v1 * v1 * c.digP6) / 32768;
	v2 += v1 * c.digP5 * 2;
	v2 = v2 / 4 + c.digP4 * 65536;
	v1 = ((c.digP3 * v1 * v1) / 524288 + c.digP2 * v1) / 524288;
	v1 = (1 + v1 / 32768) * c.digP1;
	if (v1 === 0) return 0;
	let p = 1048576 - adcP;
	p = ((p - v2 / 4096) * 6250) / v1;
	return p + ((c.digP9 * p * p) / 2147483648 + (p * c.digP8) / 32768 + c.digP7) / 16;
}

/** §8.1 humidity, %RH, before the datasheet's 0…100 clamp. */
export function bme280HumidityUnclamped(c: BME280Trimming, adcH: number, tFine: number): number {
	const x = tFine - 76800;
	let h = (adcH - (c.digH4 * 64 + (c.digH5 / 16384) * x)) * ((c.digH2 / 65536) * (1 + (c.digH6 / 67108864) * x * (1 + (c.digH3 / 67108864) * x)));
	h *= 1 - (c.digH1 * h) / 524288;
	return h;
}

/** Integer k in [0, max] whose f(k) is nearest `target`, f monotonic (bisection). */
function solve(max: number, f: (k: number) => number, target: number): number {
	const increasing = f(max) >= f(0);
	let lo = 0;
	let hi = max;
	while (hi - lo > 1) {
		const mid = (lo + hi) >>> 1;
		const v = f(mid);
		if (increasing ? v < target : v > target) lo = mid;
		else hi = mid;
	}
	return Math.abs(f(lo) - target) <= Math.abs(f(hi) - target) ? lo : hi;
}

export interface BME280ModelOptions {
	/** @default a constant 21 °C, 50 %RH, 1013.25 hPa */
	scenario?: BME280Scenario;
	/** @default BME280_TYPICAL_TRIMMING */
	trimming?: Partial<BME280Trimming>;
	/** peak conversion noise in resolution steps (uniform ±, per channel) @default 1 */
	noiseSteps?: number;
	/** PRNG seed for noise and garbage @default 1 */
	seed?: number;
}

export class BME280Model implements I2CModel {
	scenario: BME280Scenario;
	fault: BME280Fault;
	noiseSteps: number;
	readonly trimming: Readonly<BME280Trimming>;
	/** What happened on the bus, for tests and the dashboard. */
	readonly stats = {
		measurements: 0,
		softResets: 0,
		nacks: 0,
		/** register writes as [register, value], the last 64 */
		writes: [] as [number, number][],
		/** forced-mode writes ignored because a conversion was running */
		ignoredStarts: 0,
	};
	#regs = new Uint8Array(256);
	#pointer = 0;
	/** osrs_h as latched by the last ctrl_meas write (§5.4.3) */
	#humLatched = 0;
	#convertingUntil: number | undefined;
	#imUpdateUntil = -Infinity;
	#filterT: number | undefined;
	#filterP: number | undefined;
	#rng: number;

	constructor(options: BME280ModelOptions = {}) {
		this.scenario = options.scenario ?? (() => ({ celsius: 21, relativeHumidity: 50, hPa: 1013.25 }));
		this.trimming = Object.freeze({ ...BME280_TYPICAL_TRIMMING, ...options.trimming });
		this.noiseSteps = options.noiseSteps ?? 1;
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
		const { tp, h } = bme280TrimmingBytes(this.trimming);
		this.#regs.set(tp, BME280_REGISTER.calibTP);
		this.#regs.set(h, BME280_REGISTER.calibH);
		this.#regs[BME280_REGISTER.id] = BME280_CHIP_ID;
		this.#resetRegisters();
	}

	/** Register `address` as the part holds it now (no fault applied). */
	register(address: number, ticksMs?: number): number {
		if (ticksMs !== undefined) this.#settle(ticksMs);
		return this.#regs[address & 0xff];
	}

	/** Power mode from ctrl_meas (§5.4.5), as of the last bus access. */
	get mode(): "sleep" | "forced" | "normal" {
		const m = this.#regs[BME280_REGISTER.ctrlMeas] & 0b11;
		return m === 0 ? "sleep" : m === 3 ? "normal" : "forced";
	}

	/**
	 * Power-on reset (a brown-out, or power cycled): registers to their reset
	 * values, a conversion in flight lost, im_update for the start-up time.
	 */
	powerOnReset(ticksMs: number): void {
		this.#resetRegisters();
		this.#imUpdateUntil = ticksMs + BME280_STARTUP_MS;
	}

	write(bytes: Uint8Array, _stop: boolean, bus: I2CBusContext): boolean {
		if (this.fault === "nack") return this.#nack(false);
		const now = bus.ticks();
		this.#settle(now);
		if (bytes.length === 0) return true; // address probe
		this.#pointer = bytes[0];
		for (let i = 0; i + 1 < bytes.length; i += 2) this.#writeRegister(bytes[i], bytes[i + 1], now);
		return true;
	}

	read(count: number, _stop: boolean, bus: I2CBusContext): Uint8Array | null {
		if (this.fault === "nack") return this.#nack(null);
		const now = bus.ticks();
		this.#settle(now);
		const out = new Uint8Array(count);
		for (let i = 0; i < count; i++) {
			const address = (this.#pointer + i) & 0xff;
			out[i] = address === BME280_REGISTER.status ? this.#status(now) : address === BME280_REGISTER.id && this.fault === "wrong-id" ? BMP280_CHIP_ID : this.#regs[address];
		}
		this.#pointer = (this.#pointer + count) & 0xff;
		if (this.fault === "garbage") for (let i = 0; i < count; i++) out[i] = this.#random() & 0xff;
		return out;
	}

	#status(now: number): number {
		let s = 0;
		if (this.#convertingUntil !== undefined && now < this.#convertingUntil) s |= STATUS_MEASURING;
		if (now < this.#imUpdateUntil) s |= STATUS_IM_UPDATE;
		return s;
	}

	#writeRegister(register: number, value: number, now: number): void {
		this.stats.writes.push([register, value]);
		if (this.stats.writes.length > 64) this.stats.writes.shift();
		const r = BME280_REGISTER;
		switch (register) {
			case r.reset:
				if (value === BME280_RESET_COMMAND) {
					this.stats.softResets++;
					this.#resetRegisters();
					this.#imUpdateUntil = now + BME280_STARTUP_MS;
				}
				break;
			case r.ctrlHum:
				this.#regs[r.ctrlHum] = value & 0b111;
				break;
			case r.config:
				if ((this.#regs[r.ctrlMeas] & 0b11) !== 0b11) this.#regs[r.config] = value & 0xfd;
				break;
			case r.ctrlMeas: {
				const mode = value & 0b11;
				if (this.#convertingUntil !== undefined) {
					if (mode !== 0) {
						this.stats.ignoredStarts++;
						break;
					}
					this.#convertingUntil = undefined; // sleep aborts the conversion
				}
				this.#regs[r.ctrlMeas] = value;
				this.#humLatched = this.#regs[r.ctrlHum] & 0b111;
				if (mode === 0b01 || mode === 0b10) {
					this.stats.measurements++;
					const t = OVERSAMPLING[value >> 5];
					const p = OVERSAMPLING[(value >> 2) & 0b111];
					const h = OVERSAMPLING[this.#humLatched];
					this.#convertingUntil = now + bme280MeasurementMs(t, p, h);
				}
				break;
			}
			default:
				break; // read-only
		}
	}

	/** Finishes a conversion whose time is up: results to the data registers, back to sleep (§3.3.3). */
	#settle(now: number): void {
		const until = this.#convertingUntil;
		if (until === undefined || now < until) return;
		this.#convertingUntil = undefined;
		this.#regs[BME280_REGISTER.ctrlMeas] &= 0xfc;
		this.#convert(until);
	}

	#convert(at: number): void {
		const regs = this.#regs;
		const r = BME280_REGISTER;
		if (this.fault === "stuck") return; // the data registers keep their last words
		if (this.fault === "skipped") {
			regs.set([0x80, 0, 0, 0x80, 0, 0, 0x80, 0], r.pressMsb);
			return;
		}
		const c = this.trimming;
		const env = this.scenario(at);
		const meas = regs[r.ctrlMeas];
		const osT = OVERSAMPLING[meas >> 5];
		const osP = OVERSAMPLING[(meas >> 2) & 0b111];
		const osH = OVERSAMPLING[this.#humLatched];
		const coefficient = FILTER[(regs[r.config] >> 2) & 0b111];
		const jitter = () => Math.round((this.#random() / 0xffffffff) * 2 * this.noiseSteps - this.noiseSteps);

		// Temperature: nearest word on the resolution grid, noise, IIR filter.
		const bitsT = coefficient > 1 ? 20 : 15 + osT;
		const stepT = 2 ** (20 - bitsT);
		const maxT = 2 ** bitsT - 1;
		const kT = solve(maxT, (k) => bme280Temperature(c, k * stepT).celsius, env.celsius);
		let adcT = clamp(kT + jitter(), maxT) * stepT;
		if (coefficient > 1) adcT = Math.round((this.#filterT = filter(this.#filterT, adcT, coefficient)));
		const { tFine } = bme280Temperature(c, adcT);

		// Pressure, compensated with the t_fine the driver will see.
		const bitsP = coefficient > 1 ? 20 : 15 + osP;
		const stepP = 2 ** (20 - bitsP);
		const maxP = 2 ** bitsP - 1;
		const kP = solve(maxP, (k) => bme280Pressure(c, k * stepP, tFine), env.hPa * 100);
		let adcP = clamp(kP + jitter(), maxP) * stepP;
		if (coefficient > 1) adcP = Math.round((this.#filterP = filter(this.#filterP, adcP, coefficient)));

		// Humidity: 16 bits, not filtered (§3.4.4 filters T and P only).
		const adcH = clamp(solve(0xffff, (k) => bme280HumidityUnclamped(c, k, tFine), env.relativeHumidity) + jitter(), 0xffff);

		if (osT) put20(regs, r.tempMsb, adcT);
		else put20(regs, r.tempMsb, 0x80000);
		if (osP) put20(regs, r.pressMsb, adcP);
		else put20(regs, r.pressMsb, 0x80000);
		regs[r.humMsb] = osH ? adcH >> 8 : 0x80;
		regs[r.humMsb + 1] = osH ? adcH & 0xff : 0;
	}

	/** Reset values, §5.3 (trimming and chip id are NVM, untouched). */
	#resetRegisters(): void {
		const r = BME280_REGISTER;
		this.#regs[r.ctrlHum] = 0;
		this.#regs[r.ctrlMeas] = 0;
		this.#regs[r.config] = 0;
		this.#regs.set([0x80, 0, 0, 0x80, 0, 0, 0x80, 0], r.pressMsb);
		this.#humLatched = 0;
		this.#convertingUntil = undefined;
		this.#filterT = undefined;
		this.#filterP = undefined;
	}

	#nack<T extends false | null>(value: T): T {
		this.stats.nacks++;
		return value;
	}

	/** xorshift32: deterministic on every host. */
	#random(): number {
		return (this.#rng = xorshift32(this.#rng));
	}
}

function clamp(k: number, max: number): number {
	return Math.min(max, Math.max(0, k));
}

/** IIR step, §3.4.4; the first sample initialises the filter. */
function filter(previous: number | undefined, sample: number, coefficient: number): number {
	return previous === undefined ? sample : (previous * (coefficient - 1) + sample) / coefficient;
}

/** A 20-bit word as msb, lsb, xlsb[7:4] (§5.4.7, §5.4.8). */
function put20(regs: Uint8Array, at: number, value: number): void {
	regs[at] = (value >> 12) & 0xff;
	regs[at + 1] = (value >> 4) & 0xff;
	regs[at + 2] = (value & 0x0f) << 4;
}
