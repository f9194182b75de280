// BME280 driver against the BME280 bus model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board is built directly on a VirtualClock).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import {
	BME280Model,
	BME280_REGISTER,
	BME280_TYPICAL_TRIMMING,
	bme280Pressure,
	bme280Temperature,
	bme280TrimmingBytes,
	type BME280Environment,
	type BME280Scenario,
} from "../../host-sim/models/bme280";
import { BME280, type BME280Options, type BME280SensorOptions } from "../../drivers/bme280";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const WIRING = { data: 21, clock: 22 };
const steady: BME280Scenario = () => ({ celsius: 23.4, relativeHumidity: 56.7, hPa: 1013.25 });
/** Worst-case conversion at ×1/×1/×1, §9.1: 1.25 + 2.3 + 2.875 + 2.875 ms. */
const X1_MS = 9.3;

/** A board with (or without) a BME280 on I2C 21/22 at 0x76, and driver options for it. */
function rig(model: BME280Model | null = new BME280Model({ scenario: steady, noiseSteps: 0 })) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	if (model) board.attachI2C(0, 0x76, model, WIRING);
	const device = board.provider({ I2C: { ...WIRING, port: 0 } });
	// The sim's I2C class stands in for the typings' `embedded:io/i2c` class.
	const sensor = { ...device.I2C!.default, io: device.io.I2C } as unknown as BME280SensorOptions;
	const open = (extra: Partial<BME280Options> = {}) => new BME280({ sensor, ...extra });
	return { clock, board, device, sensor, open, model: model as BME280Model };
}

function thrown(fn: () => unknown): Error {
	try {
		fn();
	} catch (e) {
		return e as Error;
	}
	throw new Error("expected a throw");
}

/** Register writes [reg, value] the model saw to `register`. */
function writesTo(model: BME280Model, register: number): number[] {
	return model.stats.writes.filter((w) => w[0] === register).map((w) => w[1]);
}

describe("BME280 chip id (§5.4.1)", () => {
	it("accepts chip id 0x60 and reads it from register 0xD0", () => {
		const r = rig();
		const bme = r.open();
		expect(r.model.register(BME280_REGISTER.id)).toBe(0x60);
		expect(r.board.pinOwner(21)).toBeDefined();
		bme.close();
	});

	it("refuses a BMP280 (0x58) by name and releases the bus", () => {
		const r = rig();
		r.model.fault = "wrong-id";
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect(e.message).toMatch(/^BME280 chip id 0x58 is a BMP280/);
		expect(r.board.pinOwner(21)).toBeUndefined();
		expect(r.model.stats.measurements).toBe(0);
	});

	it("no device at the address: constructor throws DriverError naming the part", () => {
		const r = rig(null);
		expect(() => r.open()).toThrow(DriverError);
		expect(() => r.open()).toThrow(/BME280 not responding at 0x76/);
		expect(r.board.pinOwner(21)).toBeUndefined();
	});

	it("wrong address (SDO high, 0x77) is not found", () => {
		const r = rig();
		expect(() => new BME280({ sensor: { ...r.sensor, address: 0x77 } })).toThrow(/BME280 not responding at 0x77/);
	});

	it("a part that NACKs fails the constructor and a later one on the same pins works", () => {
		const r = rig();
		r.model.fault = "nack";
		expect(() => r.open()).toThrow(/BME280 not responding/);
		r.model.fault = undefined;
		const bme = r.open();
		expect(bme.calibration.digT1).toBe(27504);
		bme.close();
	});

	it("garbage while identifying fails the constructor with a DriverError", () => {
		const r = rig();
		r.model.fault = "garbage";
		expect(() => r.open()).toThrow(DriverError);
		expect(r.board.pinOwner(21)).toBeUndefined();
	});
});

describe("BME280 calibration (§4.2.2 Table 16)", () => {
	it("parses the typical trimming from the part", () => {
		const r = rig();
		const bme = r.open();
		expect(bme.calibration).toEqual({ ...BME280_TYPICAL_TRIMMING });
	});

	it("dig_H4/dig_H5 share 0xE5: 0x145 and 0x032 pack as E4 0x14, E5 0x25, E6 0x03", () => {
		const r = rig();
		const bme = r.open();
		expect([r.model.register(0xe4), r.model.register(0xe5), r.model.register(0xe6)]).toEqual([0x14, 0x25, 0x03]);
		expect(bme.calibration.digH4).toBe(325);
		expect(bme.calibration.digH5).toBe(50);
	});

	it("negative 12-bit dig_H4/dig_H5 are sign-extended from their MSB byte", () => {
		const model = new BME280Model({ scenario: steady, trimming: { digH4: -300, digH5: -30, digH6: -7, digH2: -2 } });
		const r = rig(model);
		// -300 = 0xED4, -30 = 0xFE2 (12 bits): E4 0xED, E5 0x24, E6 0xFE.
		expect([model.register(0xe4), model.register(0xe5), model.register(0xe6)]).toEqual([0xed, 0x24, 0xfe]);
		const bme = r.open();
		expect(bme.calibration.digH4).toBe(-300);
		expect(bme.calibration.digH5).toBe(-30);
		expect(bme.calibration.digH6).toBe(-7);
		expect(bme.calibration.digH2).toBe(-2);
	});

	it("parseCalibration reads the extreme 12-bit values 0x7FF and -0x800", () => {
		const { tp, h } = bme280TrimmingBytes({ ...BME280_TYPICAL_TRIMMING, digH4: 2047, digH5: -2048 });
		const cal = BME280.parseCalibration(tp, h);
		expect(cal.digH4).toBe(2047);
		expect(cal.digH5).toBe(-2048);
		expect(cal.digP1).toBe(36477);
		expect(cal.digP8).toBe(-14600);
	});

	it("an all-zero trimming block is refused", () => {
		const zero = { digT1: 0, digP1: 0 };
		const r = rig(new BME280Model({ scenario: steady, trimming: zero }));
		expect(() => r.open()).toThrow(/BME280 trimming parameters invalid/);
		expect(r.board.pinOwner(21)).toBeUndefined();
	});
});

describe("BME280 compensation (§4.2.3, §8.1)", () => {
	it("driver reproduces Bosch's worked example: adc_T 519888 → 25.08 °C, adc_P 415148 → 100653.27 Pa", () => {
		const c = BME280.compensate(BME280_TYPICAL_TRIMMING, { adcT: 519888, adcP: 415148, adcH: 30000 });
		expect(c.tFine).toBe(128422);
		expect(Math.abs(c.temperature - 25.08)).toBeLessThan(0.005);
		expect(Math.abs(c.pressure - 1006.5327)).toBeLessThan(0.0005);
	});

	it("model's forward formulas agree with the worked example", () => {
		const t = bme280Temperature(BME280_TYPICAL_TRIMMING, 519888);
		expect(t.tFine).toBe(128422);
		expect(Math.abs(bme280Pressure(BME280_TYPICAL_TRIMMING, 415148, t.tFine) - 100653.27)).toBeLessThan(0.05);
	});

	it("humidity is clamped to 0 … 100 %RH, the unclamped value kept", () => {
		const c = BME280.compensate(BME280_TYPICAL_TRIMMING, { adcT: 519888, adcP: 415148, adcH: 60000 });
		expect(c.humidity).toBe(100);
		expect(c.humidityUnclamped).toBeGreaterThan(100);
		expect(BME280.compensate(BME280_TYPICAL_TRIMMING, { adcT: 519888, adcP: 415148, adcH: 0 }).humidity).toBe(0);
	});

	it("reads back the scenario within a resolution step across -40 … 85 °C, 300 … 1100 hPa, 0 … 100 %RH", () => {
		let env: BME280Environment = { celsius: 0, relativeHumidity: 0, hPa: 1000 };
		const r = rig(new BME280Model({ scenario: () => env, noiseSteps: 0 }));
		const bme = r.open({ stuckLimit: 0 });
		let checked = 0;
		let worst = { t: 0, p: 0, h: 0 };
		for (const celsius of [-39.95, -20, 0, 25, 60, 84.95]) {
			for (const hPa of [300.1, 650, 1013.25, 1099.9]) {
				for (const relativeHumidity of [0, 35.5, 100]) {
					env = { celsius, relativeHumidity, hPa };
					// The reading in flight was taken with the old env: start afresh.
					r.clock.advance(X1_MS);
					r.clock.advance(bme.startMeasurement());
					const s = bme.sample()!;
					worst = {
						t: Math.max(worst.t, Math.abs(s.temperature - celsius)),
						p: Math.max(worst.p, Math.abs(s.pressure - hPa)),
						h: Math.max(worst.h, Math.abs(s.humidity - relativeHumidity)),
					};
					checked++;
				}
			}
		}
		expect(checked).toBe(72);
		// ×1 words carry 16 bits (§3.4): 16 LSB20 ≈ 0.005 °C, ≈ 2.7 Pa; humidity LSB ≈ 0.006 %RH.
		expect(worst.t).toBeLessThan(0.005);
		expect(worst.p).toBeLessThan(0.03);
		expect(worst.h).toBeLessThan(0.01);
	});

	it("×16 oversampling gives the finer 20-bit words", () => {
		const r = rig(new BME280Model({ scenario: () => ({ celsius: 12.3456, relativeHumidity: 40, hPa: 987.654 }), noiseSteps: 0 }));
		const bme = r.open({ oversampling: { temperature: 16, pressure: 16, humidity: 16 } });
		r.clock.advance(bme.measurementMs);
		const s = bme.sample()!;
		expect(Math.abs(s.temperature - 12.3456)).toBeLessThan(0.0005);
		expect(Math.abs(s.pressure - 987.654)).toBeLessThan(0.002);
	});
});

describe("BME280 sampling (forced mode, §3.3.3)", () => {
	it("measuring → undefined, then the value after the §9.1 maximum", () => {
		const r = rig();
		const bme = r.open();
		expect(bme.measurementMs).toBe(X1_MS);
		expect(bme.sample()).toBeUndefined();
		r.clock.advance(9);
		expect(bme.sample()).toBeUndefined();
		r.clock.advance(0.5);
		const s = bme.sample()!;
		expect(Math.abs(s.temperature - 23.4)).toBeLessThan(0.005);
		expect(Math.abs(s.humidity - 56.7)).toBeLessThan(0.01);
		expect(Math.abs(s.pressure - 1013.25)).toBeLessThan(0.03);
	});

	it("the status measuring bit is set while converting and the part returns to sleep", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x76, hz: 400_000 });
		i2c.write(Uint8Array.of(0xf2, 0x01, 0xf4, 0x25));
		i2c.write(Uint8Array.of(0xf3), false);
		let regs = new Uint8Array(i2c.read(2) as ArrayBuffer);
		expect(regs[0] & 0x08).toBe(0x08);
		expect(regs[1]).toBe(0x25);
		r.clock.advance(X1_MS);
		i2c.write(Uint8Array.of(0xf3), false);
		regs = new Uint8Array(i2c.read(2) as ArrayBuffer);
		expect(regs[0] & 0x08).toBe(0);
		expect(regs[1]).toBe(0x24);
		expect(r.model.mode).toBe("sleep");
		i2c.close();
	});

	it("writes ctrl_hum before ctrl_meas (§5.4.3) and the settings as configured", () => {
		const r = rig();
		r.open({ oversampling: { temperature: 2, pressure: 16, humidity: 4 }, filter: 4 });
		const writes = r.model.stats.writes.map((w) => w[0]);
		const hum = writes.indexOf(BME280_REGISTER.ctrlHum);
		const forced = r.model.stats.writes.findIndex((w) => w[0] === BME280_REGISTER.ctrlMeas && (w[1] & 3) === 1);
		expect(hum).toBeGreaterThanOrEqual(0);
		expect(hum).toBeLessThan(forced);
		expect(r.model.register(BME280_REGISTER.ctrlHum)).toBe(0b011);
		expect(r.model.register(BME280_REGISTER.ctrlMeas)).toBe((0b010 << 5) | (0b101 << 2) | 1);
		expect(r.model.register(BME280_REGISTER.config)).toBe(0b010 << 2);
	});

	it("returns the previous period's conversion and starts the next", () => {
		const ramp: BME280Scenario = (t) => ({ celsius: 10 + t / 1000, relativeHumidity: 50, hPa: 1000 });
		const r = rig(new BME280Model({ scenario: ramp, noiseSteps: 0 }));
		const bme = r.open(); // conversion 1 ends at 9.3 ms
		r.clock.advance(1000);
		expect(Math.abs(bme.sample()!.temperature - 10.0093)).toBeLessThan(0.005);
		r.clock.advance(1000);
		expect(Math.abs(bme.sample()!.temperature - 11.0093)).toBeLessThan(0.005);
		expect(r.model.stats.measurements).toBe(3);
	});

	it("startMeasurement gives a fresh reading after a long idle", () => {
		const ramp: BME280Scenario = (t) => ({ celsius: 10 + t / 3_600_000, relativeHumidity: 50, hPa: 1000 });
		const r = rig(new BME280Model({ scenario: ramp, noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(3_600_000);
		const waitMs = bme.startMeasurement();
		expect(waitMs).toBe(X1_MS);
		r.clock.advance(waitMs);
		expect(Math.abs(bme.sample()!.temperature - 11)).toBeLessThan(0.005);
	});

	it("startMeasurement while a conversion runs keeps that conversion", () => {
		const r = rig();
		const bme = r.open();
		r.clock.advance(5);
		expect(bme.startMeasurement()).toBe(X1_MS);
		expect(r.model.stats.measurements).toBe(1);
		expect(r.model.stats.ignoredStarts).toBe(0);
		r.clock.advance(5);
		expect(bme.sample()).toBeDefined();
	});

	it("×16 oversampling: startMeasurement returns 112.8 ms and a poll before then gets undefined", () => {
		const r = rig();
		const bme = r.open();
		bme.configure({ oversampling: { temperature: 16, pressure: 16, humidity: 16 } });
		r.clock.advance(X1_MS);
		expect(bme.startMeasurement()).toBe(112.8);
		r.clock.advance(100);
		expect(bme.sample()).toBeUndefined();
		r.clock.advance(13);
		expect(bme.sample()).toBeDefined();
	});

	it("the IIR filter (§3.4.4) smooths a temperature step", () => {
		const step: BME280Scenario = (t) => ({ celsius: t < 350 ? 20 : 30, relativeHumidity: 50, hPa: 1000 });
		const r = rig(new BME280Model({ scenario: step, noiseSteps: 0 }));
		const bme = r.open({ filter: 16, stuckLimit: 0 });
		for (let i = 0; i < 4; i++) {
			r.clock.advance(100);
			expect(Math.abs(bme.sample()!.temperature - 20)).toBeLessThan(0.001);
		}
		r.clock.advance(100);
		const t = bme.sample()!.temperature; // converted at 409.3 ms, after the step
		// One step of x = (15·x + new)/16 moves 1/16 of the way: ≈ 20.6 °C.
		expect(t).toBeGreaterThan(20.4);
		expect(t).toBeLessThan(20.9);
	});

	it("noisy readings of a steady environment are not taken for stuck", () => {
		const r = rig(new BME280Model({ scenario: steady }));
		const bme = r.open();
		for (let i = 0; i < 20; i++) {
			r.clock.advance(1000);
			expect(Math.abs(bme.sample()!.temperature - 23.4)).toBeLessThan(0.02);
		}
	});
});

describe("BME280 faults", () => {
	it("part stops answering: DriverError, and recovery once it answers again", () => {
		const r = rig();
		const bme = r.open();
		r.clock.advance(10);
		r.model.fault = "nack";
		const e = thrown(() => bme.sample());
		expect(e).toBeInstanceOf(DriverError);
		expect(e.message).toMatch(/^BME280 not responding at 0x76/);
		r.model.fault = undefined;
		expect(bme.sample()).toBeDefined();
	});

	it("garbage on SDA is caught by the register readback", () => {
		const r = rig();
		const bme = r.open();
		r.clock.advance(10);
		r.model.fault = "garbage";
		for (let i = 0; i < 5; i++) {
			r.clock.advance(10);
			expect(() => bme.sample()).toThrow(/BME280 register readback mismatch/);
		}
		r.model.fault = undefined;
		r.clock.advance(10);
		expect(bme.sample()).toBeDefined();
	});

	it("a part that reset (settings lost) is detected and reconfigured", () => {
		const r = rig();
		const bme = r.open({ oversampling: { humidity: 2 } });
		r.clock.advance(10);
		r.model.powerOnReset(r.clock.ticks()); // a brown-out behind the driver's back
		expect(() => bme.sample()).toThrow(/readback mismatch.*ctrl_meas 0x0/);
		expect(r.model.register(BME280_REGISTER.ctrlHum)).toBe(0b010);
		r.clock.advance(bme.measurementMs); // 11.6 ms with humidity ×2
		expect(bme.sample()).toBeDefined();
	});

	it("stuck converter is reported after stuckLimit identical readings", () => {
		const r = rig(new BME280Model({ scenario: steady }));
		const bme = r.open({ stuckLimit: 4 });
		r.clock.advance(10);
		expect(bme.sample()).toBeDefined(); // reading 1; conversion 2 runs
		r.model.fault = "stuck";
		for (let i = 0; i < 2; i++) {
			r.clock.advance(1000);
			expect(bme.sample()).toBeDefined();
		}
		r.clock.advance(1000);
		expect(() => bme.sample()).toThrow(/BME280 output stuck: 4 identical/);
	});

	it("skipped words 0x80000/0x8000 are reported, settings rewritten, then recovery", () => {
		const r = rig();
		const bme = r.open();
		r.model.fault = "skipped";
		r.clock.advance(10);
		const e = thrown(() => bme.sample());
		expect(e).toBeInstanceOf(DriverError);
		expect(e.message).toMatch(/^BME280 measurement skipped \(raw 0x80000\/0x80000\/0x8000/);
		expect(writesTo(r.model, BME280_REGISTER.ctrlHum)).toHaveLength(2);
		r.model.fault = undefined;
		r.clock.advance(10);
		expect(bme.sample()).toBeDefined();
	});

	it("temperature beyond the operating range is rejected", () => {
		const r = rig(new BME280Model({ scenario: () => ({ celsius: 90, relativeHumidity: 10, hPa: 1000 }), noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 temperature out of range: 90\.0/);
	});

	it("temperature below the operating range is rejected", () => {
		const r = rig(new BME280Model({ scenario: () => ({ celsius: -45, relativeHumidity: 10, hPa: 1000 }), noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 temperature out of range: -45\.0/);
	});

	it("pressure beyond 300 … 1100 hPa is rejected", () => {
		let hPa = 250;
		const r = rig(new BME280Model({ scenario: () => ({ celsius: 20, relativeHumidity: 10, hPa }), noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 pressure out of range: 2(49\.9|50\.0)\d hPa/);
		hPa = 1150;
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 pressure out of range: 11(49\.9|50\.0)\d hPa/);
	});

	it("humidity far beyond 100 %RH is rejected; slightly beyond is clamped", () => {
		let relativeHumidity = 120;
		const r = rig(new BME280Model({ scenario: () => ({ celsius: 20, relativeHumidity, hPa: 1000 }), noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 humidity out of range: 120\.0/);
		relativeHumidity = 103;
		r.clock.advance(10);
		expect(bme.sample()!.humidity).toBe(100);
	});

	it("an implausible compensated value is reported as such", () => {
		const r = rig(new BME280Model({ scenario: () => ({ celsius: 170, relativeHumidity: 10, hPa: 1000 }), noiseSteps: 0 }));
		const bme = r.open();
		r.clock.advance(10);
		expect(() => bme.sample()).toThrow(/BME280 implausible reading: 170\.0/);
	});

	it("onError receives the error and sample returns undefined", () => {
		const r = rig();
		const errors: unknown[] = [];
		const bme = r.open({ onError: (e) => errors.push(e) });
		r.model.fault = "skipped";
		r.clock.advance(10);
		expect(bme.sample()).toBeUndefined();
		r.model.fault = "nack";
		expect(bme.sample()).toBeUndefined();
		expect(bme.startMeasurement()).toBe(X1_MS);
		expect(errors).toHaveLength(3);
		expect(errors[0]).toBeInstanceOf(DriverError);
		expect((errors[1] as Error).message).toMatch(/not responding/);
	});
});

describe("BME280 lifecycle", () => {
	it("close twice is safe and writes sleep mode (ctrl_meas mode 00)", () => {
		const r = rig();
		const bme = r.open();
		r.clock.advance(10);
		expect(bme.sample()).toBeDefined(); // the next conversion is running
		bme.close();
		bme.close();
		const sleeps = writesTo(r.model, BME280_REGISTER.ctrlMeas).filter((v) => (v & 3) === 0);
		expect(sleeps).toHaveLength(2); // park in the constructor, then close
		expect(r.model.mode).toBe("sleep");
		expect(r.model.register(BME280_REGISTER.ctrlMeas) & 3).toBe(0);
		expect(r.board.pinOwner(21)).toBeUndefined();
		r.clock.advance(1000);
		expect(r.model.stats.measurements).toBe(2);
	});

	it("close on a part that stopped answering still releases the bus", () => {
		const r = rig();
		const bme = r.open();
		r.model.fault = "nack";
		bme.close();
		expect(r.board.pinOwner(21)).toBeUndefined();
	});

	it("use after close throws", () => {
		const r = rig();
		const bme = r.open();
		bme.close();
		expect(() => bme.sample()).toThrow(DriverError);
		expect(() => bme.sample()).toThrow("BME280 closed");
		expect(() => bme.startMeasurement()).toThrow("BME280 closed");
		expect(() => bme.configure({ filter: 2 })).toThrow("BME280 closed");
	});

	it("configure rejects values the part does not offer and changes nothing", () => {
		const r = rig();
		const bme = r.open();
		expect(() => bme.configure({ oversampling: { temperature: 3 as never } })).toThrow(ConfigError);
		expect(() => bme.configure({ oversampling: { humidity: 0 as never } })).toThrow(/BME280 invalid humidity oversampling 0/);
		expect(() => bme.configure({ oversampling: { pressure: 32 as never } })).toThrow(ConfigError);
		expect(() => bme.configure({ filter: 5 as never })).toThrow(/BME280 invalid filter 5/);
		expect(() => bme.configure({ stuckLimit: -1 })).toThrow(ConfigError);
		expect(() => bme.configure({ stuckLimit: 1.5 })).toThrow(ConfigError);
		expect(() => bme.configure({ oversampling: "x16" as never })).toThrow(ConfigError);
		expect(thrown(() => bme.configure({ oversampling: { temperature: 16, pressure: 7 as never } }))).toBeInstanceOf(ConfigError);
		expect(bme.measurementMs).toBe(X1_MS); // temperature ×16 was not applied
	});

	it("bad constructor options fail with ConfigError before the bus is opened", () => {
		const r = rig();
		expect(() => r.open({ filter: 3 as never })).toThrow(ConfigError);
		expect(() => new BME280({ sensor: { ...r.sensor, address: 0x44 as never } })).toThrow(/BME280 invalid address 0x44/);
		expect(r.board.pinOwner(21)).toBeUndefined();
		expect(r.model.stats.writes).toHaveLength(0);
	});
});

describe("BME280 model at the bus", () => {
	it("ctrl_hum takes effect only with the next ctrl_meas write (§5.4.3)", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x76, hz: 400_000 });
		// Wrong order: forced first, ctrl_hum after: humidity is skipped (0x8000).
		i2c.write(Uint8Array.of(0xf4, 0x25, 0xf2, 0x01));
		r.clock.advance(X1_MS);
		i2c.write(Uint8Array.of(0xfd), false);
		let hum = new Uint8Array(i2c.read(2) as ArrayBuffer);
		expect([hum[0], hum[1]]).toEqual([0x80, 0x00]);
		i2c.write(Uint8Array.of(0xf4, 0x25));
		r.clock.advance(X1_MS);
		i2c.write(Uint8Array.of(0xfd), false);
		hum = new Uint8Array(i2c.read(2) as ArrayBuffer);
		expect(hum[0]).not.toBe(0x80);
		i2c.close();
	});

	it("soft reset restores reset values and sets im_update for the start-up time", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x76, hz: 400_000 });
		i2c.write(Uint8Array.of(0xf2, 0x05, 0xf5, 0x10));
		i2c.write(Uint8Array.of(0xe0, 0xb6));
		i2c.write(Uint8Array.of(0xf2), false);
		const regs = new Uint8Array(i2c.read(4) as ArrayBuffer);
		expect(Array.from(regs)).toEqual([0, 0x01, 0, 0]);
		expect(r.model.stats.softResets).toBe(1);
		r.clock.advance(2);
		i2c.write(Uint8Array.of(0xf3), false);
		expect(new Uint8Array(i2c.read(1) as ArrayBuffer)[0]).toBe(0);
		i2c.close();
	});

	it("the constructor refuses a part still copying its NVM (im_update)", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x76, hz: 400_000 });
		i2c.write(Uint8Array.of(0xe0, 0xb6));
		i2c.close();
		expect(() => r.open()).toThrow(/BME280 NVM copy in progress/);
		r.clock.advance(2);
		r.open().close();
	});
});
