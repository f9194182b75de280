/*
 * Sensirion SHT3x-DIS (SHT30/SHT31/SHT35) humidity and temperature sensor.
 * Datasheet: Sensirion "Datasheet SHT3x-DIS" (v5 2018, v6/v7),
 * https://sensirion.com/products/catalog/SHT30-DIS-B
 *
 * ECMA-419 sensor-class style: `new SHT3x({sensor: {...device.I2C.default,
 * io: device.io.I2C}})`, then `configure`, `sample`, `close`.
 *
 * Sampling design — pipelined single shot. A high-repeatability conversion
 * takes up to 15.5 ms (§2.2 Table 4) and this driver has no clock: it must
 * not import `timer` (it runs unchanged on the simulator's virtual clock,
 * where a busy-wait never ends) and a blocking Timer.delay would stall the
 * whole XS event loop. So `sample()` returns the result of the conversion
 * already in flight (started by the constructor, the previous `sample()`
 * or `startMeasurement()`) and starts the next one; a call before that
 * conversion is done gets `undefined` (the sensor NACKs its address while
 * measuring, §4.4). Two ways to use it:
 *   - poll `sample()` every P ms (P ≥ `conversionMs`): readings are up to
 *     P old, fine when P is within the sensor's own response time (τ63 of
 *     > 2 s for T and 8 s for RH, §1 Tables 1–2);
 *   - for a fresh value after a long idle: `startMeasurement()`, then
 *     `sample()` once the returned number of ms has passed (Timer.set or
 *     the scheduler's `after`).
 *
 * Quirks handled:
 *   - no clock stretching: the 0x2Cxx commands hold SCL for the whole
 *     conversion, longer than the ESP32 I2C timeout can ever be (20-bit
 *     APB-cycle register ≈ 13 ms), so only the 0x24xx commands are used;
 *   - a NACK while a measurement is pending means "not ready" (§4.4), and
 *     also "gone"; three in a row are reported as not responding;
 *   - every word is CRC-checked (§4.12), values are range-checked against
 *     the specified −40 … 125 °C, and a converter that repeats the exact
 *     same raw words `stuckLimit` times is reported: real conversions carry
 *     a few LSB of noise (§1 repeatability), so a frozen output is a fault.
 */
import type I2C from "embedded:io/i2c";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type I2COptions = ConstructorParameters<typeof I2C>[0];
/** I2C as Moddable implements it; @moddable/typings 5.6 omit `close`. */
type I2CPort = I2C & { close(): void };

export type SHT3xRepeatability = "high" | "medium" | "low";

export interface SHT3xSensorOptions extends Omit<I2COptions, "hz" | "address"> {
	/** the I2C class, e.g. device.io.I2C */
	io: typeof I2C;
	/** ADDR pin low 0x44, high 0x45 (§3.1) @default 0x44 */
	address?: 0x44 | 0x45;
	/** SCL, Hz; the part does up to 1 MHz (§4.14 Table 21) @default 400_000 */
	hz?: number;
}

export interface SHT3xOptions {
	sensor: SHT3xSensorOptions;
	/** @default "high" */
	repeatability?: SHT3xRepeatability;
	/** When given, `sample()` hands its errors here and returns undefined instead of throwing. */
	onError?: (error: DriverError) => void;
}

export interface SHT3xConfiguration {
	/** conversion repeatability (§4.3 Table 9); lower is faster and noisier */
	repeatability?: SHT3xRepeatability;
	/** identical raw readings in a row reported as stuck; 0 disables @default 8 */
	stuckLimit?: number;
}

export interface SHT3xSample {
	/** °C */
	temperature: number;
	/** %RH */
	humidity: number;
}

/** Commands, §4.3 Table 9 (no clock stretching), §4.9, §4.11 Table 16. */
const COMMAND = Object.freeze({
	measureHigh: 0x2400,
	measureMedium: 0x240b,
	measureLow: 0x2416,
	softReset: 0x30a2,
	readStatus: 0xf32d,
} as const);

/** Command and maximum conversion time (ms, §2.2 Table 4) per repeatability. */
const MEASURE: Readonly<Record<SHT3xRepeatability, { command: number; ms: number }>> = Object.freeze({
	high: { command: COMMAND.measureHigh, ms: 15.5 },
	medium: { command: COMMAND.measureMedium, ms: 6.5 },
	low: { command: COMMAND.measureLow, ms: 4.5 },
});

/** Specified temperature range, °C (§1 Table 2). */
const CELSIUS_MIN = -40;
const CELSIUS_MAX = 125;
/** NACKs in a row on a pending measurement before the part counts as gone. */
const NOT_READY_LIMIT = 3;

export class SHT3x {
	#io: I2CPort | undefined;
	#closed = false;
	#address: number;
	#onError: ((error: DriverError) => void) | undefined;
	#repeatability: SHT3xRepeatability = "high";
	#stuckLimit = 8;
	#pending = false;
	#notReady = 0;
	#lastRaw = -1;
	#sameRaw = 0;
	#command = new Uint8Array(2);
	#data = new Uint8Array(6);

	/** CRC-8 of §4.12 Table 20 (poly 0x31, init 0xFF) over `length` bytes at `offset`. */
	static crc8(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
		let crc = 0xff;
		for (let i = offset; i < offset + length; i++) {
			crc ^= bytes[i];
			for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
		}
		return crc;
	}

	/**
	 * Opens the I2C bus, checks the part by reading its status register with
	 * a valid CRC, and starts the first measurement.
	 * @throws DriverError naming the part if it does not answer; the bus is released.
	 */
	constructor(options: SHT3xOptions) {
		const { io: IO, ...rest } = options.sensor;
		const address = options.sensor.address ?? 0x44;
		this.#address = address;
		if (address !== 0x44 && address !== 0x45) throw new ConfigError("address", `SHT3x invalid address 0x${hex(address)}`);
		this.#onError = options.onError;
		if (options.repeatability) this.configure({ repeatability: options.repeatability });
		let io: I2CPort;
		try {
			io = new IO({ hz: 400_000, ...rest, address }) as I2CPort;
		} catch (e) {
			throw this.#error("cannot open I2C", e);
		}
		try {
			this.#io = io;
			this.#checkPart();
			this.#start();
		} catch (e) {
			this.#io = undefined;
			io.close();
			throw e instanceof DriverError ? e : this.#error("not found", e);
		}
	}

	/** Worst-case time a conversion takes at the current repeatability, ms. */
	get conversionMs(): number {
		return MEASURE[this.#repeatability].ms;
	}

	/** Changes repeatability or the stuck limit; applies from the next measurement. */
	configure(options: SHT3xConfiguration): void {
		if (this.#closed) throw this.#error("closed");
		if (options.repeatability !== undefined) {
			if (!(options.repeatability in MEASURE)) throw new ConfigError("repeatability", `SHT3x invalid repeatability "${options.repeatability}"`);
			this.#repeatability = options.repeatability;
		}
		if (options.stuckLimit !== undefined) {
			if (!Number.isInteger(options.stuckLimit) || options.stuckLimit < 0) throw new ConfigError("stuckLimit", "SHT3x invalid stuckLimit");
			this.#stuckLimit = options.stuckLimit;
		}
	}

	/**
	 * Starts a conversion now, replacing any finished one not yet read, so
	 * that `sample()` after the returned delay gives a fresh reading.
	 * @returns ms to wait before `sample()` (the worst-case conversion time)
	 * @throws DriverError if the part does not answer (unless `onError` was given), or when closed
	 */
	startMeasurement(): number {
		if (!this.#io) throw this.#error("closed");
		try {
			this.#start();
		} catch (e) {
			// Still converting: it NACKs while busy (§4.4), and that result is fresh anyway.
			if (!this.#pending) this.#report(e);
		}
		return this.conversionMs;
	}

	/**
	 * Returns the conversion in flight and starts the next (see the header).
	 * Undefined while that conversion is still running.
	 * @throws DriverError on NACK, CRC mismatch, out-of-range or stuck output
	 *   (unless `onError` was given), or when closed
	 */
	sample(): SHT3xSample | undefined {
		if (!this.#io) throw this.#error("closed");
		try {
			let reading: SHT3xSample | undefined;
			let failure: unknown;
			if (this.#pending) {
				if (!this.#fetch()) {
					if (++this.#notReady < NOT_READY_LIMIT) return undefined;
					this.#pending = false;
					this.#notReady = 0;
					throw this.#error(`not responding at 0x${hex(this.#address)} (NACK)`);
				}
				try {
					reading = this.#decode();
				} catch (e) {
					failure = e;
				}
			}
			// Start the next conversion even after a bad word, so the next call has fresh data.
			this.#start();
			if (failure) throw failure;
			return reading;
		} catch (e) {
			this.#report(e);
			return undefined;
		}
	}

	/** Soft-resets the part (heater off, idle; §4.9) and releases the bus. Safe to call twice. */
	close(): void {
		const io = this.#io;
		this.#closed = true;
		if (!io) return;
		this.#io = undefined;
		try {
			// Best effort: mid-conversion the part NACKs, and in single-shot
			// mode it drops to sleep by itself once the conversion ends (§4.1).
			this.#write(io, COMMAND.softReset);
		} catch {
			// parked either way
		}
		io.close();
	}

	/** Throws `e` as a DriverError, or hands it to onError when one was given. */
	#report(e: unknown): void {
		const error = e instanceof DriverError ? e : this.#error("failed", e);
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	/** The part answers a status read (§4.11 Table 16) with a word whose CRC is right. */
	#checkPart(): void {
		const io = this.#io!;
		const status = new Uint8Array(3);
		try {
			this.#write(io, COMMAND.readStatus);
			io.read(status);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(this.#address)} (NACK)`, e);
		}
		this.#checkCrc(status, 0, "status");
	}

	#start(): void {
		try {
			this.#write(this.#io!, MEASURE[this.#repeatability].command);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(this.#address)} (NACK)`, e);
		}
		this.#pending = true;
		this.#notReady = 0;
	}

	/** Reads the pending result; false when the part NACKs (not ready, or gone). */
	#fetch(): boolean {
		try {
			this.#io!.read(this.#data);
		} catch {
			return false;
		}
		this.#pending = false;
		this.#notReady = 0;
		return true;
	}

	#decode(): SHT3xSample {
		const d = this.#data;
		this.#checkCrc(d, 0, "temperature");
		this.#checkCrc(d, 3, "humidity");
		const st = (d[0] << 8) | d[1];
		const srh = (d[3] << 8) | d[4];
		// §4.13 conversion formulas.
		const temperature = -45 + (175 * st) / 65535;
		const humidity = (100 * srh) / 65535;
		// RH is 0 … 100 by construction; T can leave the specified range.
		if (temperature < CELSIUS_MIN || temperature > CELSIUS_MAX) throw this.#error(`temperature out of range: ${temperature.toFixed(2)} °C`);
		const raw = st * 65536 + srh;
		this.#sameRaw = raw === this.#lastRaw ? this.#sameRaw + 1 : 1;
		this.#lastRaw = raw;
		if (this.#stuckLimit && this.#sameRaw >= this.#stuckLimit) throw this.#error(`output stuck: ${this.#sameRaw} identical readings`);
		return { temperature, humidity };
	}

	#checkCrc(bytes: Uint8Array, offset: number, what: string): void {
		if (SHT3x.crc8(bytes, offset, 2) !== bytes[offset + 2]) throw this.#error(`CRC mismatch (${what} word at 0x${hex(this.#address)})`);
	}

	#write(io: I2CPort, command: number): void {
		this.#command[0] = command >> 8;
		this.#command[1] = command & 0xff;
		io.write(this.#command);
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`SHT3x ${message}`, cause === undefined ? undefined : { cause });
	}
}

function hex(n: number): string {
	return n.toString(16);
}

export default SHT3x;
