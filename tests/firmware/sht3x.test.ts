// SHT3x driver against the SHT3x bus model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board is built directly on a VirtualClock).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import { SHT3xModel, SHT3X_COMMAND, sht3xCrc, type EnvironmentScenario } from "../../host-sim/models/sht3x";
import { SHT3x, type SHT3xOptions, type SHT3xSensorOptions } from "../../drivers/sht3x";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const WIRING = { data: 21, clock: 22 };
const steady: EnvironmentScenario = () => ({ celsius: 23.4, relativeHumidity: 56.7 });

/** A board with (or without) an SHT3x on I2C 21/22 at 0x44, and driver options for it. */
function rig(model: SHT3xModel | null = new SHT3xModel({ scenario: steady, noiseLsb: 0 })) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	if (model) board.attachI2C(0, 0x44, model, WIRING);
	const device = board.provider({ I2C: { ...WIRING, port: 0 } });
	// The sim's I2C class stands in for the typings' `embedded:io/i2c` class.
	const sensor = { ...device.I2C!.default, io: device.io.I2C } as unknown as SHT3xSensorOptions;
	const open = (extra: Partial<SHT3xOptions> = {}) => new SHT3x({ sensor, ...extra });
	return { clock, board, device, sensor, open, model: model as SHT3xModel };
}

describe("SHT3x CRC (datasheet §4.12)", () => {
	it("driver CRC of 0xBEEF is 0x92", () => {
		expect(SHT3x.crc8(Uint8Array.of(0xbe, 0xef))).toBe(0x92);
	});
	it("model CRC of 0xBEEF is 0x92", () => {
		expect(sht3xCrc([0xbe, 0xef])).toBe(0x92);
	});
});

describe("SHT3x sampling", () => {
	it("reads the scenario within conversion resolution", () => {
		const r = rig();
		const sht = r.open();
		r.clock.advance(16);
		const s = sht.sample()!;
		// One LSB is 175/65535 °C and 100/65535 %RH (§4.13); rounding costs half of it.
		expect(s.temperature).toBeCloseTo(23.4, 2);
		expect(s.humidity).toBeCloseTo(56.7, 2);
		sht.close();
	});

	it("returns the previous period's measurement and starts the next", () => {
		const ramp: EnvironmentScenario = (t) => ({ celsius: 10 + t / 1000, relativeHumidity: 50 });
		const r = rig(new SHT3xModel({ scenario: ramp, noiseLsb: 0 }));
		const sht = r.open(); // measurement 1 starts at t = 0, done at 15.5 ms
		r.clock.advance(1000);
		expect(sht.sample()!.temperature).toBeCloseTo(10.0155, 2);
		r.clock.advance(1000);
		expect(sht.sample()!.temperature).toBeCloseTo(11.0155, 2);
		expect(r.model.stats.measurements).toBe(3);
	});

	it("startMeasurement gives a fresh reading after a long idle", () => {
		const ramp: EnvironmentScenario = (t) => ({ celsius: 10 + t / 3_600_000, relativeHumidity: 50 });
		const r = rig(new SHT3xModel({ scenario: ramp, noiseLsb: 0 }));
		const sht = r.open();
		r.clock.advance(3_600_000);
		const waitMs = sht.startMeasurement();
		expect(waitMs).toBe(15.5);
		r.clock.advance(waitMs);
		expect(sht.sample()!.temperature).toBeCloseTo(11, 2);
	});

	it("startMeasurement while a conversion runs keeps that conversion", () => {
		const r = rig();
		const sht = r.open();
		r.clock.advance(5);
		expect(sht.startMeasurement()).toBe(15.5);
		r.clock.advance(11);
		expect(sht.sample()!.temperature).toBeCloseTo(23.4, 2);
	});

	it("read before the conversion is done returns undefined, then the value", () => {
		const r = rig();
		const sht = r.open();
		expect(sht.conversionMs).toBe(15.5);
		expect(sht.sample()).toBeUndefined();
		expect(r.model.stats.nacks).toBeGreaterThan(0);
		r.clock.advance(15);
		expect(sht.sample()).toBeUndefined();
		r.clock.advance(1);
		expect(sht.sample()!.temperature).toBeCloseTo(23.4, 2);
	});

	it("low repeatability converts faster", () => {
		const r = rig();
		const sht = r.open({ repeatability: "low" });
		expect(sht.conversionMs).toBe(4.5);
		r.clock.advance(5);
		expect(sht.sample()).toBeDefined();
		expect(r.model.stats.commands).toContain(SHT3X_COMMAND.measureLow);
	});

	it("noisy readings of a steady environment are not taken for stuck", () => {
		const r = rig(new SHT3xModel({ scenario: steady }));
		const sht = r.open();
		for (let i = 0; i < 20; i++) {
			r.clock.advance(1000);
			expect(sht.sample()!.temperature).toBeCloseTo(23.4, 1);
		}
	});
});

describe("SHT3x faults", () => {
	it("CRC fault throws DriverError, and the next sample recovers", () => {
		const r = rig();
		const sht = r.open();
		r.model.fault = "crc";
		r.clock.advance(16);
		let thrown: unknown;
		try {
			sht.sample();
		} catch (e) {
			thrown = e;
		}
		expect(thrown).toBeInstanceOf(DriverError);
		expect((thrown as Error).message).toMatch(/^SHT3x CRC mismatch/);
		// The failed read still started the next conversion.
		r.model.fault = undefined;
		r.clock.advance(16);
		expect(sht.sample()!.humidity).toBeCloseTo(56.7, 2);
	});

	it("no device at the address: constructor throws DriverError naming the part", () => {
		const r = rig(null);
		expect(() => r.open()).toThrow(DriverError);
		expect(() => r.open()).toThrow(/SHT3x not responding at 0x44/);
	});

	it("wrong address (ADDR strap high) is not found", () => {
		const r = rig();
		expect(() => new SHT3x({ sensor: { ...r.sensor, address: 0x45 } })).toThrow(/SHT3x not responding at 0x45/);
	});

	it("part stops answering: undefined while it may be converting, then DriverError", () => {
		const r = rig();
		const sht = r.open();
		r.model.fault = "nack";
		r.clock.advance(16);
		expect(sht.sample()).toBeUndefined();
		expect(sht.sample()).toBeUndefined();
		expect(() => sht.sample()).toThrow(/SHT3x not responding/);
		expect(() => sht.sample()).toThrow(DriverError);
		r.model.fault = undefined;
		expect(sht.sample()).toBeUndefined(); // restarted
		r.clock.advance(16);
		expect(sht.sample()).toBeDefined();
	});

	it("stuck converter is reported after stuckLimit identical readings", () => {
		const r = rig(new SHT3xModel({ scenario: steady }));
		const sht = r.open();
		sht.configure({ stuckLimit: 4 });
		r.model.fault = "stuck";
		for (let i = 0; i < 3; i++) {
			r.clock.advance(1000);
			expect(sht.sample()).toBeDefined();
		}
		r.clock.advance(1000);
		expect(() => sht.sample()).toThrow(/SHT3x output stuck/);
	});

	it("garbage on SDA surfaces as a DriverError", () => {
		const r = rig();
		const sht = r.open();
		r.model.fault = "garbage";
		r.clock.advance(16);
		expect(() => sht.sample()).toThrow(DriverError);
	});

	it("temperature beyond the specified range is rejected", () => {
		const r = rig(new SHT3xModel({ scenario: () => ({ celsius: 129, relativeHumidity: 10 }), noiseLsb: 0 }));
		const sht = r.open();
		r.clock.advance(16);
		expect(() => sht.sample()).toThrow(/SHT3x temperature out of range/);
	});

	it("onError receives the error and sample returns undefined", () => {
		const r = rig();
		const errors: unknown[] = [];
		const sht = r.open({ onError: (e) => errors.push(e) });
		r.model.fault = "crc";
		r.clock.advance(16);
		expect(sht.sample()).toBeUndefined();
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(DriverError);
	});
});

describe("SHT3x lifecycle", () => {
	it("constructor on an empty bus fails and releases the bus", () => {
		const r = rig(null);
		expect(() => r.open()).toThrow(DriverError);
		expect(r.board.pinOwner(21)).toBeUndefined();
		r.board.attachI2C(0, 0x44, new SHT3xModel({ scenario: steady }), WIRING);
		const sht = r.open();
		expect(r.board.pinOwner(21)).toBeDefined();
		sht.close();
	});

	it("constructor fails on a bad status CRC and releases the bus", () => {
		const r = rig();
		r.model.fault = "crc";
		expect(() => r.open()).toThrow("SHT3x CRC mismatch");
		r.model.fault = undefined;
		r.open().close();
	});

	it("close twice is safe and parks the part with a soft reset", () => {
		const r = rig();
		const sht = r.open();
		r.clock.advance(16);
		sht.close();
		sht.close();
		expect(r.model.stats.softResets).toBe(1);
		expect(r.board.pinOwner(21)).toBeUndefined();
	});

	it("use after close throws", () => {
		const r = rig();
		const sht = r.open();
		sht.close();
		expect(() => sht.sample()).toThrow(DriverError);
		expect(() => sht.sample()).toThrow("SHT3x closed");
		expect(() => sht.configure({ repeatability: "low" })).toThrow("SHT3x closed");
		expect(() => sht.startMeasurement()).toThrow("SHT3x closed");
	});

	it("configure rejects an unknown repeatability", () => {
		const r = rig();
		const sht = r.open();
		expect(() => sht.configure({ repeatability: "ultra" as never })).toThrow(ConfigError);
	});
});

describe("SHT3x model at the bus", () => {
	it("status after reset is 0x8010 with a valid CRC (§4.11)", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x44, hz: 100_000 });
		i2c.write(Uint8Array.of(0xf3, 0x2d), false);
		const status = new Uint8Array(i2c.read(3) as ArrayBuffer);
		expect([status[0], status[1]]).toEqual([0x80, 0x10]);
		expect(status[2]).toBe(sht3xCrc([0x80, 0x10]));
		i2c.close();
	});

	it("a clock-stretched high-repeatability read outlasts the ESP32 SCL timeout", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x44, hz: 100_000, timeout: 50 });
		i2c.write(Uint8Array.of(0x2c, 0x06));
		expect(() => i2c.read(6)).toThrow("read failed");
		i2c.close();
	});

	it("a clock-stretched low-repeatability read completes within a long timeout", () => {
		const r = rig();
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x44, hz: 100_000, timeout: 10 });
		i2c.write(Uint8Array.of(0x2c, 0x10));
		const data = new Uint8Array(i2c.read(6) as ArrayBuffer);
		expect(data[2]).toBe(sht3xCrc([data[0], data[1]]));
		expect(r.clock.ticks()).toBeGreaterThanOrEqual(4.5);
		i2c.close();
	});
});
