/*
 * Sensirion SHT3x-DIS (SHT30/SHT31/SHT35) humidity and temperature sensor,
 * modelled at the I2C bus.
 * Datasheet: Sensirion "Datasheet SHT3x-DIS" (v5 2018, v6/v7),
 * https://sensirion.com/products/catalog/SHT30-DIS-B
 *
 * What the model does, by datasheet section:
 *   §4.3 Table 9   single-shot measurement commands, high/medium/low
 *                  repeatability, with (0x2Cxx) and without (0x24xx) clock
 *                  stretching;
 *   §2.2 Table 4   measurement duration (maxima below). While measuring the
 *                  sensor does not acknowledge its address (§4.4: "if the
 *                  measurement is not yet completed … NACK"); with clock
 *                  stretching a read header is ACKed and SCL held low until
 *                  the result is ready, which fails on an ESP32 whose SCL
 *                  timeout is shorter (see host-sim/io/i2c.ts);
 *   §4.4           readout: T word, CRC, RH word, CRC; the result is gone
 *                  once read;
 *   §4.9 / Table 4 soft reset 0x30A2: the sensor ignores the bus for t_SR
 *                  (max 1.5 ms) and comes back with the status at default;
 *   §4.10          heater on 0x306D / off 0x3066;
 *   §4.11 Table 17 status register read 0xF32D (word + CRC), clear 0x3041;
 *                  after reset: alert pending (bit 15) and reset detected
 *                  (bit 4) set = 0x8010; a command it does not process
 *                  sets bit 1;
 *   §4.12 Table 20 CRC-8, polynomial 0x31, init 0xFF, no reflection, no
 *                  final XOR: CRC(0xBEEF) = 0x92;
 *   §4.13          S_T = (T + 45) · 65535 / 175, S_RH = RH · 65535 / 100.
 * Not modelled: periodic mode and ART (§4.5–4.8; commands are ACKed and
 * flagged as not processed), alert limits, power-up time t_PU (an ESP32
 * boots far slower than 1.5 ms), nRESET and the ALERT pin.
 *
 * Faults (`fault`): "nack" the part is dead or unplugged, no ACK at all;
 * "crc" every CRC byte arrives corrupted; "stuck" the converter freezes and
 * every measurement repeats the same raw words (valid CRCs); "garbage" SDA
 * noise: every byte read is random.
 */
import type { I2CBusContext, I2CModel } from "../io/models";
import { xorshift32 } from "./xorshift";

export type SHT3xFault = "nack" | "crc" | "stuck" | "garbage" | undefined;

/** Conditions at the sensor at one moment. */
export interface Environment {
	/** °C */
	celsius: number;
	/** %RH, 0 ..= 100 */
	relativeHumidity: number;
}

/** The environment as a function of board time (ms since boot). */
export type EnvironmentScenario = (ticksMs: number) => Environment;

/** Commands, datasheet §4.3 Table 9, §4.8–4.11. */
export const SHT3X_COMMAND = Object.freeze({
	measureHighStretch: 0x2c06,
	measureMediumStretch: 0x2c0d,
	measureLowStretch: 0x2c10,
	measureHigh: 0x2400,
	measureMedium: 0x240b,
	measureLow: 0x2416,
	break: 0x3093,
	softReset: 0x30a2,
	heaterOn: 0x306d,
	heaterOff: 0x3066,
	readStatus: 0xf32d,
	clearStatus: 0x3041,
} as const);

/**
 * Measurement duration maxima, ms (§2.2 Table 4). High repeatability is
 * 15.5 ms in the current revision; rev. 5 lists 4/6/15 ms. The model takes
 * the longer figures (+0.5 ms on medium/low by analogy) so a driver that
 * waits only the older maxima is caught.
 */
export const SHT3X_MEASUREMENT_MS = Object.freeze({ high: 15.5, medium: 6.5, low: 4.5 } as const);
/** Soft reset time t_SR max, ms (§2.2 Table 4). */
export const SHT3X_SOFT_RESET_MS = 1.5;

const SINGLE_SHOT: Record<number, { ms: number; stretch: boolean }> = {
	[SHT3X_COMMAND.measureHighStretch]: { ms: SHT3X_MEASUREMENT_MS.high, stretch: true },
	[SHT3X_COMMAND.measureMediumStretch]: { ms: SHT3X_MEASUREMENT_MS.medium, stretch: true },
	[SHT3X_COMMAND.measureLowStretch]: { ms: SHT3X_MEASUREMENT_MS.low, stretch: true },
	[SHT3X_COMMAND.measureHigh]: { ms: SHT3X_MEASUREMENT_MS.high, stretch: false },
	[SHT3X_COMMAND.measureMedium]: { ms: SHT3X_MEASUREMENT_MS.medium, stretch: false },
	[SHT3X_COMMAND.measureLow]: { ms: SHT3X_MEASUREMENT_MS.low, stretch: false },
};

/** Status register bits, §4.11 Table 17. */
const STATUS = Object.freeze({
	alertPending: 1 << 15,
	heater: 1 << 13,
	rhAlert: 1 << 11,
	tAlert: 1 << 10,
	resetDetected: 1 << 4,
	commandFailed: 1 << 1,
	writeChecksumFailed: 1 << 0,
});
const STATUS_AFTER_RESET = STATUS.alertPending | STATUS.resetDetected;

/** CRC-8 of §4.12 Table 20 over `bytes`. */
export function sht3xCrc(bytes: ArrayLike<number>): number {
	let crc = 0xff;
	for (let i = 0; i < bytes.length; i++) {
		crc ^= bytes[i];
		for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
	}
	return crc;
}

/** Raw words for an environment, §4.13 inverted and clamped to 16 bits. */
export function sht3xRaw(env: Environment): { st: number; srh: number } {
	const clamp = (x: number) => Math.min(0xffff, Math.max(0, Math.round(x)));
	return { st: clamp(((env.celsius + 45) * 65535) / 175), srh: clamp((env.relativeHumidity * 65535) / 100) };
}

export interface SHT3xModelOptions {
	/** @default a constant 21 °C, 50 %RH */
	scenario?: EnvironmentScenario;
	/** peak conversion noise, LSB (uniform ±), the order of the §1 repeatability figures @default 3 */
	noiseLsb?: number;
	/** PRNG seed for noise and garbage @default 1 */
	seed?: number;
}

export class SHT3xModel implements I2CModel {
	scenario: EnvironmentScenario;
	fault: SHT3xFault;
	noiseLsb: number;
	/** What happened on the bus, for tests and the dashboard. */
	readonly stats = { measurements: 0, softResets: 0, nacks: 0, commands: [] as number[] };
	#status = STATUS_AFTER_RESET;
	#busyUntil = -Infinity;
	#stretching = false;
	#pointer: "status" | "measurement" | undefined;
	#measuredAt = 0;
	#frozen: { st: number; srh: number } | undefined;
	#rng: number;

	constructor(options: SHT3xModelOptions = {}) {
		this.scenario = options.scenario ?? (() => ({ celsius: 21, relativeHumidity: 50 }));
		this.noiseLsb = options.noiseLsb ?? 3;
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
	}

	/** Status register as the part holds it (§4.11). */
	get status(): number {
		return this.#status;
	}

	write(bytes: Uint8Array, _stop: boolean, bus: I2CBusContext): boolean {
		const now = bus.ticks();
		if (this.fault === "nack" || now < this.#busyUntil) return this.#nack(false);
		if (bytes.length === 0) return true; // address probe
		if (bytes.length !== 2) {
			// Only the alert-limit writes carry data (§4.11); not modelled.
			this.#status |= STATUS.commandFailed;
			return true;
		}
		const command = (bytes[0] << 8) | bytes[1];
		this.stats.commands.push(command);
		if (this.stats.commands.length > 64) this.stats.commands.shift();
		this.#pointer = undefined;
		this.#status &= ~STATUS.commandFailed;
		const shot = SINGLE_SHOT[command];
		if (shot) {
			this.stats.measurements++;
			this.#busyUntil = now + shot.ms;
			this.#stretching = shot.stretch;
			this.#measuredAt = this.#busyUntil;
			this.#pointer = "measurement";
			return true;
		}
		switch (command) {
			case SHT3X_COMMAND.readStatus:
				this.#pointer = "status";
				break;
			case SHT3X_COMMAND.clearStatus:
				this.#status &= ~(STATUS.alertPending | STATUS.rhAlert | STATUS.tAlert | STATUS.resetDetected);
				break;
			case SHT3X_COMMAND.softReset:
				this.stats.softResets++;
				this.#status = STATUS_AFTER_RESET;
				this.#busyUntil = now + SHT3X_SOFT_RESET_MS;
				this.#stretching = false;
				break;
			case SHT3X_COMMAND.heaterOn:
				this.#status |= STATUS.heater;
				break;
			case SHT3X_COMMAND.heaterOff:
				this.#status &= ~STATUS.heater;
				break;
			case SHT3X_COMMAND.break:
				break; // already in single-shot mode (§4.8)
			default:
				this.#status |= STATUS.commandFailed;
		}
		return true;
	}

	read(count: number, _stop: boolean, bus: I2CBusContext): Uint8Array | null {
		if (this.fault === "nack") return this.#nack(null);
		const now = bus.ticks();
		if (now < this.#busyUntil) {
			// Measuring with clock stretching: ACK and hold SCL until done (§4.3).
			if (!(this.#stretching && this.#pointer === "measurement")) return this.#nack(null);
			if (!bus.stretch(this.#busyUntil - now)) return null;
		}
		let out: Uint8Array;
		if (this.#pointer === "measurement") out = this.#measurement();
		else if (this.#pointer === "status") out = word(this.#status);
		else return this.#nack(null); // no data: NACK the read header (§4.4)
		this.#pointer = undefined;
		if (this.fault === "crc") {
			out[2] ^= 0x01;
			if (out.length > 3) out[5] ^= 0x01;
		} else if (this.fault === "garbage") {
			for (let i = 0; i < out.length; i++) out[i] = this.#random() & 0xff;
		}
		// A controller may stop early (NACK after any byte, §4.4).
		return out.subarray(0, count);
	}

	#measurement(): Uint8Array {
		if (this.fault !== "stuck") this.#frozen = undefined;
		let raw = this.#frozen;
		if (!raw) {
			const exact = sht3xRaw(this.scenario(this.#measuredAt));
			const jitter = () => Math.round((this.#random() / 0xffffffff) * 2 * this.noiseLsb - this.noiseLsb);
			raw = { st: clamp16(exact.st + jitter()), srh: clamp16(exact.srh + jitter()) };
			if (this.fault === "stuck") this.#frozen = raw;
		}
		const out = new Uint8Array(6);
		out.set(word(raw.st), 0);
		out.set(word(raw.srh), 3);
		return out;
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

function clamp16(x: number): number {
	return Math.min(0xffff, Math.max(0, x));
}

/** A 16-bit word, MSB first, followed by its CRC (§4.4). */
function word(value: number): Uint8Array {
	const out = Uint8Array.of((value >> 8) & 0xff, value & 0xff, 0);
	out[2] = sht3xCrc(out.subarray(0, 2));
	return out;
}
