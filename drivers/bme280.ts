/*
 * Bosch Sensortec BME280 combined humidity, pressure and temperature sensor
 * on I2C.
 * Datasheet: Bosch "BME280 Combined humidity and pressure sensor",
 * BST-BME280-DS002, https://www.bosch-sensortec.com/media/boschsensortec/downloads/datasheets/bst-bme280-ds002.pdf
 * Sections used: §1 (operating range), §3.3.3 (forced mode), §3.4 (measurement
 * flow, resolution, IIR filter), §4 (data readout, shadowing), §4.2.2 Table 16
 * (trimming parameters), §4.2.3 and §8.1 (compensation, double precision),
 * §5.3–5.4 (memory map, registers), §6.2 (I2C protocol), §9.1 (measurement time).
 *
 * ECMA-419 sensor-class style: `new BME280({sensor: {...device.I2C.default,
 * io: device.io.I2C}})`, then `configure`, `sample`, `close`.
 *
 * Sampling design — pipelined forced mode (as drivers/sht3x.ts). A forced
 * conversion (§3.3.3) takes up to `measurementMs` (9.3 ms at ×1, 112.8 ms at
 * ×16, §9.1) and this driver has no clock: it must not import `timer` (it runs
 * on the simulator's virtual clock) and must not block the XS event loop. So
 * `sample()` returns the conversion already in flight (started by the
 * constructor, the previous `sample()` or `startMeasurement()`) and starts the
 * next; while that conversion still runs it returns `undefined`. Either poll
 * `sample()` every P ms (P ≥ `measurementMs`; readings are up to P old), or
 * call `startMeasurement()` and `sample()` after the ms it returns.
 *
 * Quirks handled:
 *   - chip id 0xD0 must read 0x60 (§5.4.1); a BMP280 (0x58, no humidity) is
 *     refused by name;
 *   - dig_H4/dig_H5 are 12-bit values packed across 0xE4–0xE6, sharing the
 *     nibbles of 0xE5, sign taken from their MSB byte (§4.2.2 Table 16);
 *   - ctrl_hum (0xF2) only takes effect on the next ctrl_meas (0xF4) write
 *     (§5.4.3): every configuration write sends 0xF2 before 0xF4, as
 *     register/value pairs in one transaction (§6.2.1);
 *   - config (0xF5) writes may be ignored in normal mode (§5.4.6): the part is
 *     put to sleep before it is written; this driver never uses normal mode;
 *   - "done" is status.measuring (0xF3 bit 3) clear AND the ctrl_meas mode
 *     bits back at 00 (§3.3.3: the part returns to sleep after a forced
 *     conversion). The mode bits close the short window right after the
 *     forced write in which `measuring` may not be set yet;
 *   - every sample reads back ctrl_hum/ctrl_meas/config (0xF2–0xF5, 4 bytes)
 *     before the data burst: a mismatch means SDA noise or a part that reset
 *     (brown-out) and lost its settings; the settings are written again;
 *   - data is burst-read 0xF7–0xFE in one transaction so the shadowed
 *     registers belong to one conversion (§4);
 *   - raw 0x80000 (press/temp) / 0x8000 (hum) are the "skipped" / reset
 *     values (§5.4.7–5.4.9). One such word alone is a legitimate reading
 *     (0x80000 is ≈ 26 °C on a typical part), so two or more at once are
 *     reported as a skipped measurement;
 *   - humidity is clamped to 0…100 %RH by the datasheet formula; an unclamped
 *     value more than 10 %RH outside is reported as out of range;
 *   - no soft reset in the constructor: after 0xE0 ← 0xB6 the part needs the
 *     2 ms start-up time (§1 Table 1) and this driver cannot wait. It parks
 *     the part in sleep instead, which is all that settings writes need.
 */
import type I2C from "embedded:io/i2c";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type I2COptions = ConstructorParameters<typeof I2C>[0];
/** I2C as Moddable implements it; @moddable/typings 5.6 omit `close`. */
type I2CPort = I2C & { close(): void };

/** Oversampling factor (§3.4, §5.4.3, §5.4.5); ×0 (skip) is not offered. */
export type BME280Oversampling = 1 | 2 | 4 | 8 | 16;
/** IIR filter coefficient, 0 = off (§3.4.4, §5.4.6). */
export type BME280Filter = 0 | 2 | 4 | 8 | 16;

export interface BME280SensorOptions extends Omit<I2COptions, "hz" | "address"> {
	/** the I2C class, e.g. device.io.I2C */
	io: typeof I2C;
	/** SDO to GND 0x76, to VDDIO 0x77 (§6.2) @default 0x76 */
	address?: 0x76 | 0x77;
	/** SCL, Hz; the part does up to 3.4 MHz (§6.2) @default 400_000 */
	hz?: number;
}

export interface BME280OversamplingOptions {
	/** osrs_t @default 1 */
	temperature?: BME280Oversampling;
	/** osrs_p @default 1 */
	pressure?: BME280Oversampling;
	/** osrs_h @default 1 */
	humidity?: BME280Oversampling;
}

export interface BME280Configuration {
	/** per-channel oversampling; applies from the next conversion (§3.5 "weather monitoring" is ×1/×1/×1) */
	oversampling?: BME280OversamplingOptions;
	/** IIR filter coefficient for temperature and pressure @default 0 (off) */
	filter?: BME280Filter;
	/** identical raw readings in a row reported as stuck; 0 disables, else ≥ 2 @default 8 */
	stuckLimit?: number;
}

export interface BME280Options extends BME280Configuration {
	sensor: BME280SensorOptions;
	/** When given, `sample()` hands its errors here and returns undefined instead of throwing. */
	onError?: (error: DriverError) => void;
}

export interface BME280Sample {
	/** °C */
	temperature: number;
	/** %RH, 0 ..= 100 */
	humidity: number;
	/** hPa */
	pressure: number;
}

/** Trimming parameters, §4.2.2 Table 16 (names as dig_T1 … dig_H6). */
export interface BME280Calibration {
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

/** Raw ADC words: 20-bit temperature and pressure, 16-bit humidity (§5.4.7–5.4.9). */
export interface BME280Raw {
	adcT: number;
	adcP: number;
	adcH: number;
}

/** Compensated values plus the intermediates a caller may want to check. */
export interface BME280Compensated extends BME280Sample {
	/** fine temperature carried into P and H compensation (§4.2.3) */
	tFine: number;
	/** %RH before the datasheet's 0…100 clamp */
	humidityUnclamped: number;
}

/** Registers, §5.3 memory map. */
const REGISTER = Object.freeze({
	/** calib00…calib25, 26 bytes, §4.2.2 Table 16 */
	calibTP: 0x88,
	/** chip_id, §5.4.1 */
	id: 0xd0,
	/** calib26…calib32, 7 bytes (dig_H2 … dig_H6), §4.2.2 Table 16 */
	calibH: 0xe1,
	/** ctrl_hum osrs_h[2:0], §5.4.3 */
	ctrlHum: 0xf2,
	/** status: measuring bit 3, im_update bit 0, §5.4.4 */
	status: 0xf3,
	/** ctrl_meas osrs_t[7:5] osrs_p[4:2] mode[1:0], §5.4.5 */
	ctrlMeas: 0xf4,
	/** config t_sb[7:5] filter[4:2] spi3w_en[0], §5.4.6 */
	config: 0xf5,
	/** press_msb … hum_lsb, 8 bytes, §5.4.7–5.4.9 */
	data: 0xf7,
} as const);

const CHIP_ID = 0x60;
/** Chip ids of related parts, for a useful refusal message. */
const OTHER_PARTS: Readonly<Record<number, string>> = Object.freeze({
	0x56: "a BMP280 sample (no humidity sensor)",
	0x57: "a BMP280 sample (no humidity sensor)",
	0x58: "a BMP280 (no humidity sensor)",
	0x61: "a BME680 (different register map)",
});
const STATUS_MEASURING = 1 << 3;
const STATUS_IM_UPDATE = 1 << 0;
/** ctrl_meas mode[1:0], §5.4.5. */
const MODE = Object.freeze({ sleep: 0b00, forced: 0b01, normal: 0b11 } as const);
/** osrs_x register codes, §5.4.3 / §5.4.5. */
const OSRS_CODE: Readonly<Record<number, number>> = Object.freeze({ 1: 1, 2: 2, 4: 3, 8: 4, 16: 5 });
/** filter register codes, §5.4.6. */
const FILTER_CODE: Readonly<Record<number, number>> = Object.freeze({ 0: 0, 2: 1, 4: 2, 8: 3, 16: 4 });
/** Raw values of a skipped measurement / after reset (§4, §5.4.7–5.4.9). */
const SKIPPED_20 = 0x80000;
const SKIPPED_16 = 0x8000;

/** Operating range, §1 specification. */
const RANGE = Object.freeze({ celsiusMin: -40, celsiusMax: 85, hPaMin: 300, hPaMax: 1100, humiditySlackRH: 10 } as const);
/**
 * Beyond any air a light pole can see, and beyond what the formula gives for a
 * good part: a corrupted word or corrupted trimming, reported as implausible.
 */
const PLAUSIBLE = Object.freeze({ celsiusMin: -100, celsiusMax: 150, hPaMin: 10, hPaMax: 2000, rhMin: -50, rhMax: 150 } as const);

export class BME280 {
	#io: I2CPort | undefined;
	#closed = false;
	#address: number;
	#onError: ((error: DriverError) => void) | undefined;
	#osT: BME280Oversampling = 1;
	#osP: BME280Oversampling = 1;
	#osH: BME280Oversampling = 1;
	#filter: BME280Filter = 0;
	#stuckLimit = 8;
	/** settings changed since last written: write ctrl_hum and config again */
	#dirty = true;
	/** register values of the conversion in flight: ctrl_hum, ctrl_meas (mode 00), config */
	#applied = { hum: 0, meas: 0, config: 0, ms: 0 };
	#pending = false;
	#cal: Readonly<BME280Calibration> | undefined;
	#last = { adcT: -1, adcP: -1, adcH: -1 };
	#same = 0;
	#register = new Uint8Array(1);
	#pairs = new Uint8Array(6);
	#control = new Uint8Array(4);
	#data = new Uint8Array(8);

	/**
	 * Maximum forced-conversion time, ms, §9.1 (Appendix B):
	 * 1.25 + 2.3·T + (2.3·P + 0.575) + (2.3·H + 0.575), oversampling factors, a
	 * term dropped when its channel is skipped (factor 0).
	 */
	static measurementMs(temperature: number, pressure: number, humidity: number): number {
		let ms = 1.25;
		if (temperature) ms += 2.3 * temperature;
		if (pressure) ms += 2.3 * pressure + 0.575;
		if (humidity) ms += 2.3 * humidity + 0.575;
		return Math.round(ms * 1000) / 1000;
	}

	/**
	 * Trimming parameters from the two NVM blocks (§4.2.2 Table 16): `tp` is
	 * 0x88–0xA1 (26 bytes), `h` is 0xE1–0xE7 (7 bytes).
	 */
	static parseCalibration(tp: Uint8Array, h: Uint8Array): BME280Calibration {
		const u16 = (i: number) => tp[i] | (tp[i + 1] << 8);
		const s16 = (i: number) => (u16(i) << 16) >> 16;
		const s8 = (b: number) => (b << 24) >> 24;
		return {
			digT1: u16(0),
			digT2: s16(2),
			digT3: s16(4),
			digP1: u16(6),
			digP2: s16(8),
			digP3: s16(10),
			digP4: s16(12),
			digP5: s16(14),
			digP6: s16(16),
			digP7: s16(18),
			digP8: s16(20),
			digP9: s16(22),
			digH1: tp[25],
			digH2: ((h[0] | (h[1] << 8)) << 16) >> 16,
			digH3: h[2],
			// 0xE4 = dig_H4[11:4], 0xE5[3:0] = dig_H4[3:0]
			digH4: s8(h[3]) * 16 + (h[4] & 0x0f),
			// 0xE5[7:4] = dig_H5[3:0], 0xE6 = dig_H5[11:4]
			digH5: s8(h[5]) * 16 + (h[4] >> 4),
			digH6: s8(h[6]),
		};
	}

	/**
	 * Compensation in double precision, §8.1 (the floating-point form of
	 * §4.2.3), which runs identically on XS and Node. Pressure in hPa.
	 */
	static compensate(c: BME280Calibration, raw: BME280Raw): BME280Compensated {
		const { adcT, adcP, adcH } = raw;
		// BME280_compensate_T_double
		let v1 = (adcT / 16384 - c.digT1 / 1024) * c.digT2;
		const dt = adcT / 131072 - c.digT1 / 8192;
		let v2 = dt * dt * c.digT3;
		const tFine = Math.trunc(v1 + v2); // (BME280_S32_t) cast
		const temperature = (v1 + v2) / 5120;
		// BME280_compensate_P_double
		let pa = 0;
		v1 = tFine / 2 - 64000;
		v2 = (v1 * v1 * c.digP6) / 32768;
		v2 = v2 + v1 * c.digP5 * 2;
		v2 = v2 / 4 + c.digP4 * 65536;
		v1 = ((c.digP3 * v1 * v1) / 524288 + c.digP2 * v1) / 524288;
		v1 = (1 + v1 / 32768) * c.digP1;
		if (v1 !== 0) {
			pa = 1048576 - adcP;
			pa = ((pa - v2 / 4096) * 6250) / v1;
			v1 = (c.digP9 * pa * pa) / 2147483648;
			v2 = (pa * c.digP8) / 32768;
			pa = pa + (v1 + v2 + c.digP7) / 16;
		}
		// bme280_compensate_H_double
		let h = tFine - 76800;
		h = (adcH - (c.digH4 * 64 + (c.digH5 / 16384) * h)) * ((c.digH2 / 65536) * (1 + (c.digH6 / 67108864) * h * (1 + (c.digH3 / 67108864) * h)));
		h = h * (1 - (c.digH1 * h) / 524288);
		const humidity = h > 100 ? 100 : h < 0 ? 0 : h;
		return { temperature, humidity, pressure: pa / 100, tFine, humidityUnclamped: h };
	}

	/**
	 * Opens the I2C bus, checks the chip id, reads the trimming parameters,
	 * parks the part in sleep, writes the settings and starts the first
	 * forced conversion.
	 * @throws ConfigError on bad options (nothing opened); DriverError naming
	 *   the part if it does not answer, is not a BME280 or has bad trimming
	 *   (the bus is released)
	 */
	constructor(options: BME280Options) {
		const { io: IO, ...rest } = options.sensor;
		const address = options.sensor.address ?? 0x76;
		this.#address = address;
		if (address !== 0x76 && address !== 0x77) throw new ConfigError("address", `BME280 invalid address 0x${hex(address)} (0x76 or 0x77)`);
		this.#onError = options.onError;
		this.configure({ oversampling: options.oversampling, filter: options.filter, stuckLimit: options.stuckLimit });
		let io: I2CPort;
		try {
			io = new IO({ hz: 400_000, ...rest, address }) as I2CPort;
		} catch (e) {
			throw this.#error("cannot open I2C", e);
		}
		try {
			this.#io = io;
			this.#checkPart();
			this.#readCalibration();
			this.#writePairs(REGISTER.ctrlMeas, MODE.sleep);
			this.#start();
		} catch (e) {
			this.#io = undefined;
			io.close();
			throw e instanceof DriverError ? e : this.#error("not found", e);
		}
	}

	/** Worst-case time of a conversion at the configured oversampling, ms (§9.1). */
	get measurementMs(): number {
		return BME280.measurementMs(this.#osT, this.#osP, this.#osH);
	}

	/** The trimming parameters read from the part (§4.2.2). */
	get calibration(): Readonly<BME280Calibration> {
		return this.#cal!;
	}

	/**
	 * Changes oversampling, filter or the stuck limit; applies from the next
	 * conversion. Validates everything before changing anything.
	 * @throws ConfigError on a value the part does not offer; DriverError when closed
	 */
	configure(options: BME280Configuration): void {
		if (this.#closed) throw this.#error("closed");
		const os = options.oversampling;
		if (os !== undefined && (typeof os !== "object" || os === null)) throw new ConfigError("oversampling", "BME280 invalid oversampling (an object of factors)");
		const t = checkOversampling(os?.temperature, "temperature");
		const p = checkOversampling(os?.pressure, "pressure");
		const h = checkOversampling(os?.humidity, "humidity");
		const filter = options.filter;
		if (filter !== undefined && !(typeof filter === "number" && filter in FILTER_CODE)) throw new ConfigError("filter", `BME280 invalid filter ${String(filter)} (0, 2, 4, 8 or 16)`);
		const stuck = options.stuckLimit;
		if (stuck !== undefined && (!Number.isInteger(stuck) || stuck < 0 || stuck === 1)) throw new ConfigError("stuckLimit", `BME280 invalid stuckLimit ${String(stuck)} (0 = off, or 2 or more)`);
		if (t !== undefined) this.#osT = t;
		if (p !== undefined) this.#osP = p;
		if (h !== undefined) this.#osH = h;
		if (filter !== undefined) this.#filter = filter;
		if (stuck !== undefined) this.#stuckLimit = stuck;
		if (t !== undefined || p !== undefined || h !== undefined || filter !== undefined) this.#dirty = true;
	}

	/**
	 * Starts a forced conversion now, replacing a finished one not yet read,
	 * so that `sample()` after the returned delay gives a fresh reading. A
	 * conversion still running is kept.
	 * @returns ms to wait before `sample()` (the §9.1 maximum)
	 * @throws DriverError if the part does not answer or lost its settings
	 *   (unless `onError` was given), or when closed
	 */
	startMeasurement(): number {
		if (!this.#io) throw this.#error("closed");
		try {
			if (this.#pending && this.#converting()) return this.#applied.ms;
			this.#start();
		} catch (e) {
			this.#report(e);
		}
		return this.#applied.ms || this.measurementMs;
	}

	/**
	 * Returns the conversion in flight and starts the next (see the header).
	 * Undefined while that conversion is still running.
	 * @throws DriverError on NACK, lost settings or garbage, skipped, stuck,
	 *   implausible or out-of-range output (unless `onError` was given), or when closed
	 */
	sample(): BME280Sample | undefined {
		if (!this.#io) throw this.#error("closed");
		try {
			if (!this.#pending) {
				// The last start failed (NACK): try again.
				this.#start();
				return undefined;
			}
			if (this.#converting()) return undefined;
			this.#read(REGISTER.data, this.#data);
			this.#pending = false;
			let reading: BME280Sample | undefined;
			let failure: unknown;
			try {
				reading = this.#decode();
			} catch (e) {
				failure = e;
			}
			// Start the next conversion even after a bad reading, so the next call has fresh data.
			this.#start();
			if (failure) throw failure;
			return reading;
		} catch (e) {
			this.#report(e);
			return undefined;
		}
	}

	/** Puts the part in sleep mode (ctrl_meas mode 00, §3.3.1) and releases the bus. Safe to call twice. */
	close(): void {
		const io = this.#io;
		this.#closed = true;
		if (!io) return;
		try {
			this.#writePairs(REGISTER.ctrlMeas, this.#applied.meas | MODE.sleep);
		} catch {
			// Best effort: after a forced conversion the part sleeps by itself (§3.3.3).
		}
		this.#io = undefined;
		this.#pending = false;
		io.close();
	}

	/** Throws `e` as a DriverError, or hands it to onError when one was given. */
	#report(e: unknown): void {
		const error = e instanceof DriverError ? e : this.#error("failed", e);
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	/** Chip id 0xD0 = 0x60 (§5.4.1) and trimming copied from NVM (status.im_update clear, §5.4.4). */
	#checkPart(): void {
		const id = new Uint8Array(1);
		this.#read(REGISTER.id, id);
		if (id[0] !== CHIP_ID) {
			const other = OTHER_PARTS[id[0]];
			throw this.#error(`chip id 0x${hex(id[0])} is ${other ?? "not a BME280"}; expected 0x60 at 0x${hex(this.#address)}`);
		}
		const status = new Uint8Array(1);
		this.#read(REGISTER.status, status);
		if (status[0] & STATUS_IM_UPDATE) throw this.#error("NVM copy in progress (status.im_update); not started up yet (2 ms after power-on)");
	}

	#readCalibration(): void {
		const tp = new Uint8Array(26);
		const h = new Uint8Array(7);
		this.#read(REGISTER.calibTP, tp);
		this.#read(REGISTER.calibH, h);
		const cal = BME280.parseCalibration(tp, h);
		// Erased or unreadable NVM reads all 0x00 or 0xFF; dig_T1/dig_P1 are never 0 (§8.1 divides by dig_P1 terms).
		if (cal.digT1 === 0 || cal.digP1 === 0 || cal.digT1 === 0xffff || cal.digP1 === 0xffff || cal.digH2 === 0) {
			throw this.#error(`trimming parameters invalid (dig_T1 ${cal.digT1}, dig_P1 ${cal.digP1}, dig_H2 ${cal.digH2})`);
		}
		this.#cal = Object.freeze(cal);
	}

	/** Writes the settings when changed (ctrl_hum before ctrl_meas, §5.4.3) and starts a forced conversion (§3.3.3). */
	#start(): void {
		const hum = OSRS_CODE[this.#osH];
		const meas = (OSRS_CODE[this.#osT] << 5) | (OSRS_CODE[this.#osP] << 2);
		const config = FILTER_CODE[this.#filter] << 2;
		if (this.#dirty) this.#writePairs(REGISTER.ctrlHum, hum, REGISTER.config, config, REGISTER.ctrlMeas, meas | MODE.forced);
		else this.#writePairs(REGISTER.ctrlMeas, meas | MODE.forced);
		this.#dirty = false;
		this.#applied = { hum, meas, config, ms: this.measurementMs };
		this.#pending = true;
	}

	/**
	 * Reads back ctrl_hum, status, ctrl_meas and config (0xF2–0xF5); true while
	 * the conversion runs. Settings that differ from those written mean SDA
	 * noise or a part that reset: they are written again and a DriverError thrown.
	 */
	#converting(): boolean {
		const r = this.#control;
		this.#read(REGISTER.ctrlHum, r);
		const a = this.#applied;
		const mode = r[2] & 0b11;
		if ((r[0] & 0b111) !== a.hum || (r[2] & 0xfc) !== a.meas || (r[3] & 0xfc) !== a.config || mode === MODE.normal) {
			this.#pending = false;
			this.#dirty = true;
			try {
				this.#start();
			} catch {
				// reported on the next call
			}
			const got = `ctrl_hum 0x${hex(r[0])} ctrl_meas 0x${hex(r[2])} config 0x${hex(r[3])}`;
			const want = `0x${hex(a.hum)}, 0x${hex(a.meas)}|mode, 0x${hex(a.config)}`;
			throw this.#error(`register readback mismatch: ${got}, expected ${want} (garbage on the bus, or the part reset)`);
		}
		return (r[1] & STATUS_MEASURING) !== 0 || mode !== MODE.sleep;
	}

	#decode(): BME280Sample {
		const d = this.#data;
		const adcP = (d[0] << 12) | (d[1] << 4) | (d[2] >> 4);
		const adcT = (d[3] << 12) | (d[4] << 4) | (d[5] >> 4);
		const adcH = (d[6] << 8) | d[7];
		const skipped = (adcT === SKIPPED_20 ? 1 : 0) + (adcP === SKIPPED_20 ? 1 : 0) + (adcH === SKIPPED_16 ? 1 : 0);
		if (skipped >= 2) {
			this.#dirty = true;
			throw this.#error(`measurement skipped (raw 0x${hex(adcT)}/0x${hex(adcP)}/0x${hex(adcH)}: oversampling 0, or the part reset or is unpowered)`);
		}
		const last = this.#last;
		this.#same = adcT === last.adcT && adcP === last.adcP && adcH === last.adcH ? this.#same + 1 : 1;
		last.adcT = adcT;
		last.adcP = adcP;
		last.adcH = adcH;
		if (this.#stuckLimit && this.#same >= this.#stuckLimit) throw this.#error(`output stuck: ${this.#same} identical readings`);
		const c = BME280.compensate(this.#cal!, { adcT, adcP, adcH });
		const { temperature, pressure, humidityUnclamped: rh } = c;
		if (
			!(temperature >= PLAUSIBLE.celsiusMin && temperature <= PLAUSIBLE.celsiusMax) ||
			!(pressure >= PLAUSIBLE.hPaMin && pressure <= PLAUSIBLE.hPaMax) ||
			!(rh >= PLAUSIBLE.rhMin && rh <= PLAUSIBLE.rhMax)
		) {
			throw this.#error(`implausible reading: ${temperature.toFixed(2)} °C, ${pressure.toFixed(2)} hPa, ${rh.toFixed(1)} %RH (garbage?)`);
		}
		if (temperature < RANGE.celsiusMin || temperature > RANGE.celsiusMax) throw this.#error(`temperature out of range: ${temperature.toFixed(2)} °C (operating range -40 … 85 °C)`);
		if (pressure < RANGE.hPaMin || pressure > RANGE.hPaMax) throw this.#error(`pressure out of range: ${pressure.toFixed(2)} hPa (operating range 300 … 1100 hPa)`);
		if (rh < -RANGE.humiditySlackRH || rh > 100 + RANGE.humiditySlackRH) throw this.#error(`humidity out of range: ${rh.toFixed(1)} %RH (operating range 0 … 100 %RH)`);
		return { temperature, humidity: c.humidity, pressure };
	}

	/** Register read (§6.2.2): write the address, repeated START, read `into.length` bytes (auto-increment). */
	#read(register: number, into: Uint8Array): void {
		const io = this.#io!;
		this.#register[0] = register;
		try {
			io.write(this.#register, false);
			io.read(into);
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(this.#address)} (NACK)`, e);
		}
	}

	/** Register writes as address/value pairs in one transaction (§6.2.1); up to three pairs. */
	#writePairs(...pairs: number[]): void {
		const bytes = this.#pairs;
		for (let i = 0; i < pairs.length; i++) bytes[i] = pairs[i];
		try {
			this.#io!.write(bytes.subarray(0, pairs.length));
		} catch (e) {
			throw this.#error(`not responding at 0x${hex(this.#address)} (NACK)`, e);
		}
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`BME280 ${message}`, cause === undefined ? undefined : { cause });
	}
}

function checkOversampling(value: unknown, channel: string): BME280Oversampling | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !(value in OSRS_CODE)) throw new ConfigError(`oversampling.${channel}`, `BME280 invalid ${channel} oversampling ${String(value)} (1, 2, 4, 8 or 16)`);
	return value as BME280Oversampling;
}

function hex(n: number): string {
	return n.toString(16);
}

export default BME280;
