// VEML7700 driver against the VEML7700 bus model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board is built directly on a VirtualClock).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import {
	VEML7700Model,
	VEML7700_COMMAND,
	VEML7700_RESOLUTION,
	veml7700Correct,
	veml7700Resolution,
	veml7700Uncorrect,
	type LightScenario,
	type VEML7700ModelOptions,
} from "../../host-sim/models/veml7700";
import { VEML7700, type VEML7700Gain, type VEML7700IntegrationMs, type VEML7700Options, type VEML7700Sample, type VEML7700SensorOptions } from "../../drivers/veml7700";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const WIRING = { data: 21, clock: 22 };
const GAINS: VEML7700Gain[] = [0.125, 0.25, 1, 2];
const ITS: VEML7700IntegrationMs[] = [25, 50, 100, 200, 400, 800];
const constant = (lux: number): LightScenario => () => ({ lux });

/** A board with (or without) a VEML7700 on I2C 21/22 at 0x10, and driver options for it. */
function rig(model: VEML7700Model | null = new VEML7700Model({ scenario: constant(250) })) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	if (model) board.attachI2C(0, 0x10, model, WIRING);
	const device = board.provider({ I2C: { ...WIRING, port: 0 } });
	// The sim's I2C class stands in for the typings' `embedded:io/i2c` class.
	const sensor = { ...device.I2C!.default, io: device.io.I2C } as unknown as VEML7700SensorOptions;
	const ticks = () => clock.ticks();
	/** Driver with the board clock (pass ticks: undefined for none). */
	const open = (extra: Partial<VEML7700Options> = {}) => new VEML7700({ sensor, ticks, ...extra });
	return { clock, board, device, sensor, open, model: model as VEML7700Model };
}

function modelAt(lux: number, options: VEML7700ModelOptions = {}): VEML7700Model {
	return new VEML7700Model({ scenario: constant(lux), ...options });
}

/** Polls every `stepMs` until a sample arrives; its time is `ms` after the call. */
function poll(driver: VEML7700, clock: VirtualClock, stepMs = 50, limitMs = 30_000): { sample: VEML7700Sample; ms: number; skipped: number } {
	const start = clock.ticks();
	let skipped = 0;
	while (clock.ticks() - start <= limitMs) {
		const sample = driver.sample();
		if (sample) return { sample, ms: clock.ticks() - start, skipped };
		skipped++;
		clock.advance(stepMs);
	}
	throw new Error(`no VEML7700 sample within ${limitMs} ms`);
}

/**
 * Tolerance of the accuracy sweep. The model adds uniform noise of ±0.2 % and
 * ±1 count, and rounding adds ±0.5 count: |Δcounts| ≤ 0.2 % + 1.5 counts.
 * The driver accepts ≥ 100 counts except at the most sensitive range, so the
 * relative part is ≤ 1.7 %; at 120 klx the correction polynomial multiplies a
 * relative count error by x·P'(x)/P(x) ≈ 3.7, and 10 700 counts there give
 * 3.7 × 0.21 % ≈ 0.8 %. Below 100 counts (×2, 800 ms only) the absolute part
 * dominates: 1.5 counts × 0.0042 lx. So 2 % of the reading plus 2 counts of
 * the range's resolution holds everywhere, and any error in the tables, the
 * correction or the ranging (≥ 7/6 for the old 0.0036 table) breaks it.
 */
function tolerance(s: VEML7700Sample, lux: number): number {
	return 0.02 * lux + 2 * veml7700Resolution(s.gain, s.integrationMs);
}

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	return undefined;
}

describe("VEML7700 tables (AN 84323)", () => {
	it("driver and model use the same resolution table, 0.0042 lx/count at ×2, 800 ms", () => {
		for (const g of GAINS) for (const t of ITS) expect(VEML7700.resolution(g, t)).toBe(VEML7700_RESOLUTION[String(g)][t]);
		expect(VEML7700.resolution(2, 800)).toBe(0.0042);
		expect(VEML7700.resolution(0.125, 25)).toBe(2.1504);
		// Full scale at ×1/8, 25 ms is the DS maximum, ~140 klx.
		expect(Math.round(65535 * VEML7700.resolution(0.125, 25))).toBe(140_926);
	});

	it("correction matches the AN worked example: 5581 counts at ×1/4, 100 ms ≈ 1500 lx → 1658 lx", () => {
		const x = 5581 * VEML7700.resolution(0.25, 100);
		expect(x).toBeCloseTo(1500, 0);
		expect(VEML7700.correct(x)).toBeCloseTo(1658, 0);
		expect(veml7700Correct(x)).toBe(VEML7700.correct(x));
	});

	it("model's inverse correction round-trips from 0.01 lx to 140 klx", () => {
		for (let lux = 0.01; lux <= 140_000; lux *= 3.7) expect(Math.abs(veml7700Correct(veml7700Uncorrect(lux)) - lux)).toBeLessThan(1e-6 * lux);
		expect(veml7700Uncorrect(0)).toBe(0);
	});
});

describe("VEML7700 sampling", () => {
	it("log sweep 0.1 lx … 120 klx reads within 2 % + 2 counts", () => {
		const points: number[] = [];
		for (let k = 0; k <= 18; k++) points.push(0.1 * 10 ** (k / 3));
		points.push(120_000);
		for (const lux of points) {
			const r = rig(modelAt(lux));
			const als = r.open();
			const { sample } = poll(als, r.clock);
			const error = Math.abs(sample.lux - lux);
			if (!(error <= tolerance(sample, lux))) throw new Error(`${lux} lx read as ${sample.lux} (${sample.counts} counts at ×${sample.gain}, ${sample.integrationMs} ms)`);
			expect(sample.saturated).toBe(false);
			// The AN keeps gains ×1 and ×2 below 100 lx.
			if (sample.gain >= 1) expect(lux).toBeLessThan(100);
			// Inside the AN's count window unless at an end of the ladder.
			const top = sample.gain === 2 && sample.integrationMs === 800;
			const bottom = sample.gain === 0.125 && sample.integrationMs === 25;
			if (!top) expect(sample.counts).toBeGreaterThanOrEqual(100);
			if (!bottom) expect(sample.counts).toBeLessThanOrEqual(10_000);
			als.close();
		}
	});

	it("starts at ×1/8, 100 ms and keeps that range for light inside its window", () => {
		const r = rig(modelAt(250));
		const als = r.open();
		expect(als.gain).toBe(0.125);
		expect(als.integrationMs).toBe(100);
		const { sample } = poll(als, r.clock);
		expect(sample.gain).toBe(0.125);
		expect(sample.integrationMs).toBe(100);
		expect(Math.abs(sample.lux - 250)).toBeLessThan(tolerance(sample, 250));
	});

	it("converges from darkness to full sun and back", () => {
		let lux = 0.05;
		const r = rig(new VEML7700Model({ scenario: () => ({ lux }) }));
		const als = r.open();
		let s = poll(als, r.clock).sample;
		expect([s.gain, s.integrationMs]).toEqual([2, 800]);
		expect(Math.abs(s.lux - lux)).toBeLessThan(tolerance(s, lux));

		lux = 100_000; // sunrise in one step: full scale at ×2, 800 ms
		r.clock.advance(1_100); // until then the register holds the dark result
		const up = poll(als, r.clock);
		s = up.sample;
		expect([s.gain, s.integrationMs]).toEqual([0.125, 25]);
		expect(Math.abs(s.lux - lux)).toBeLessThan(tolerance(s, lux));
		expect(up.skipped).toBeGreaterThan(0); // re-ranging returned undefined meanwhile
		expect(up.ms).toBeLessThan(4_000);

		lux = 0.5; // and back to night
		r.clock.advance(100);
		const down = poll(als, r.clock);
		s = down.sample;
		expect([s.gain, s.integrationMs]).toEqual([2, 800]);
		expect(Math.abs(s.lux - lux)).toBeLessThan(tolerance(s, lux));
		expect(down.ms).toBeLessThan(4_000);
	});

	it("leaves gains ×1 and ×2 once the light passes 100 lx", () => {
		let lux = 20; // 37 counts at ×1/8, 100 ms: the flow chart stops at ×1 (~300 counts)
		const r = rig(new VEML7700Model({ scenario: () => ({ lux }) }));
		const als = r.open();
		expect(poll(als, r.clock).sample.gain).toBe(1);
		lux = 150;
		r.clock.advance(150);
		const s = poll(als, r.clock, 50).sample;
		expect(s.gain).toBeLessThan(1);
		expect(Math.abs(s.lux - lux)).toBeLessThan(tolerance(s, lux));
	});

	it("with ticks: no bus traffic until 2.5 ms + 1.3 × IT after a range change", () => {
		const r = rig(modelAt(250));
		const als = r.open(); // ×1/8, 100 ms written at t = 0
		const reads = r.model.stats.reads;
		r.clock.advance(132);
		expect(als.sample()).toBeUndefined();
		expect(r.model.stats.reads).toBe(reads);
		r.clock.advance(1);
		expect(als.sample()).toBeDefined();
		expect(r.model.stats.alsReads).toBe(1);
	});

	it("without ticks: the first reading after a range change is read and discarded", () => {
		const r = rig(modelAt(250));
		const als = r.open({ ticks: undefined });
		r.clock.advance(1_600);
		expect(als.sample()).toBeUndefined();
		expect(r.model.stats.alsReads).toBe(1);
		r.clock.advance(1_600);
		const s = als.sample()!;
		expect(Math.abs(s.lux - 250)).toBeLessThan(tolerance(s, 250));
	});

	it("without ticks: a re-range discards the next reading too", () => {
		const r = rig(modelAt(5));
		const als = r.open({ ticks: undefined });
		const results: (VEML7700Sample | undefined)[] = [];
		for (let i = 0; i < 4; i++) {
			r.clock.advance(1_600);
			results.push(als.sample());
		}
		// discard after open, re-range to ×2, 100 ms (~150 counts), discard, reading
		expect(results[0]).toBeUndefined();
		expect(results[1]).toBeUndefined();
		expect(results[2]).toBeUndefined();
		expect(Math.abs(results[3]!.lux - 5)).toBeLessThan(tolerance(results[3]!, 5));
	});

	it("changes range through stand-by (AN flow) so no integration straddles a change", () => {
		let lux = 0.5;
		const r = rig(new VEML7700Model({ scenario: () => ({ lux }) }));
		const als = r.open();
		poll(als, r.clock, 7);
		lux = 50_000;
		r.clock.advance(1_100);
		poll(als, r.clock, 7);
		expect(r.model.stats.wakes).toBeGreaterThanOrEqual(4);
		expect(r.model.stats.shutdowns).toBe(r.model.stats.wakes - 1);
		expect(r.model.stats.straddled).toBe(0);
	});

	it("tolerates an internal oscillator 25 % slow", () => {
		const r = rig(modelAt(3_000, { clockScale: 1.25 }));
		const als = r.open();
		const s = poll(als, r.clock, 10).sample;
		expect(Math.abs(s.lux - 3_000)).toBeLessThan(tolerance(s, 3_000));
	});

	it("polling faster than the integration does not count one result twice as stuck", () => {
		const r = rig(modelAt(1));
		const als = r.open({ stuckLimit: 3 });
		poll(als, r.clock);
		for (let i = 0; i < 200; i++) {
			r.clock.advance(10);
			als.sample(); // at ×2, 800 ms: ~80 reads of each result
		}
		expect(r.model.stats.alsReads).toBeGreaterThan(150);
	});

	it("noisy steady light is not taken for stuck", () => {
		const r = rig(modelAt(420));
		const als = r.open();
		poll(als, r.clock);
		for (let i = 0; i < 60; i++) {
			r.clock.advance(1_000);
			const s = als.sample()!;
			expect(Math.abs(s.lux - 420)).toBeLessThan(tolerance(s, 420));
		}
	});

	it("a fixed range is kept and reports its own full scale as saturated", () => {
		const r = rig(modelAt(1_000));
		const als = r.open({ gain: 2, integrationMs: 800 });
		expect(als.autoRange).toBe(false);
		const s = poll(als, r.clock).sample;
		expect([s.gain, s.integrationMs, s.counts, s.saturated]).toEqual([2, 800, 65535, true]);
		expect(s.lux).toBeCloseTo(65535 * 0.0042, 3);
	});

	it("configure: autoRange true restarts at ×1/8, 100 ms; autoRange false stays put", () => {
		const r = rig(modelAt(2));
		const als = r.open();
		poll(als, r.clock);
		const settled = [als.gain, als.integrationMs];
		als.configure({ autoRange: false });
		expect([als.gain, als.integrationMs]).toEqual(settled);
		const writes = r.model.stats.configWrites;
		r.clock.advance(2_000);
		expect(als.sample()).toBeDefined();
		expect(r.model.stats.configWrites).toBe(writes);
		als.configure({ autoRange: true });
		expect([als.gain, als.integrationMs]).toEqual([0.125, 100]);
		expect(als.sample()).toBeUndefined(); // writes the start range
		expect(r.model.stats.configWrites).toBe(writes + 2);
	});
});

describe("VEML7700 saturation and range", () => {
	it("full scale at ×1/8, 25 ms reads as the DS maximum, flagged", () => {
		const r = rig(modelAt(1e9));
		const als = r.open();
		const s = poll(als, r.clock).sample;
		expect([s.gain, s.integrationMs, s.counts]).toEqual([0.125, 25, 65535]);
		expect(s.saturated).toBe(true);
		expect(s.lux).toBe(140_000);
	});

	it("light past 140 klx below full scale is flagged, not extrapolated", () => {
		const r = rig(modelAt(200_000));
		const als = r.open();
		const s = poll(als, r.clock).sample;
		expect(s.counts).toBeLessThan(65535);
		expect(s.saturated).toBe(true);
		expect(s.lux).toBe(140_000);
	});

	it("130 klx is inside the range and not flagged", () => {
		const r = rig(modelAt(130_000));
		const als = r.open();
		const s = poll(als, r.clock).sample;
		expect(s.saturated).toBe(false);
		expect(Math.abs(s.lux - 130_000)).toBeLessThan(tolerance(s, 130_000));
	});
});

describe("VEML7700 faults", () => {
	it("no device: constructor throws DriverError naming the part, bus released", () => {
		const r = rig(null);
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toMatch(/^VEML7700 not responding at 0x10/);
		expect(r.board.pinOwner(21)).toBeUndefined();
	});

	it("part stops answering: DriverError, and it recovers", () => {
		const r = rig();
		const als = r.open();
		poll(als, r.clock);
		r.model.fault = "nack";
		r.clock.advance(200);
		expect(() => als.sample()).toThrow(/VEML7700 not responding/);
		r.model.fault = undefined;
		r.clock.advance(200);
		expect(als.sample()).toBeDefined();
	});

	it("garbage at construction: DriverError, bus released", () => {
		const r = rig();
		r.model.fault = "garbage";
		expect(() => r.open()).toThrow(DriverError);
		expect(r.board.pinOwner(21)).toBeUndefined();
		r.model.fault = undefined;
		r.open().close();
	});

	it("garbage while sampling: config read-back mismatch, then the range is rewritten", () => {
		const r = rig();
		const als = r.open();
		poll(als, r.clock);
		r.model.fault = "garbage";
		r.clock.advance(200);
		expect(() => als.sample()).toThrow(/VEML7700 garbage: ALS_CONF reads/);
		r.model.fault = undefined;
		const writes = r.model.stats.configWrites;
		expect(als.sample()).toBeUndefined();
		expect(r.model.stats.configWrites).toBe(writes + 2);
		const s = poll(als, r.clock).sample;
		expect(Math.abs(s.lux - 250)).toBeLessThan(tolerance(s, 250));
	});

	it("stuck converter is reported after stuckLimit identical readings", () => {
		const r = rig();
		const als = r.open({ stuckLimit: 4 });
		poll(als, r.clock);
		r.model.fault = "stuck";
		r.clock.advance(200); // the register froze at the last result, which was already read once
		for (let i = 0; i < 2; i++) {
			expect(als.sample()).toBeDefined();
			r.clock.advance(200);
		}
		expect(() => als.sample()).toThrow(/VEML7700 output stuck: 4 identical readings/);
	});

	it("stuck is counted only within one gain/IT", () => {
		let lux = 300;
		const r = rig(new VEML7700Model({ scenario: () => ({ lux }) }));
		const als = r.open({ stuckLimit: 3 });
		poll(als, r.clock);
		r.model.fault = "stuck"; // frozen at ~558 counts (×1/8, 100 ms)
		r.clock.advance(200);
		expect(als.sample()).toBeDefined();
		als.configure({ gain: 0.25 }); // same frozen counts, new range: the count starts again
		expect(als.sample()).toBeUndefined();
		for (let i = 0; i < 2; i++) {
			r.clock.advance(200);
			expect(als.sample()).toBeDefined();
		}
		r.clock.advance(200);
		expect(() => als.sample()).toThrow(/VEML7700 output stuck: 3 identical readings \(\d+ counts at gain 0.25, 100 ms\)/);
	});

	it("stuckLimit 0 disables the check", () => {
		const r = rig();
		const als = r.open({ stuckLimit: 0 });
		poll(als, r.clock);
		r.model.fault = "stuck";
		for (let i = 0; i < 30; i++) {
			r.clock.advance(200);
			expect(als.sample()).toBeDefined();
		}
	});

	it("covered sensor reads 0 lx at the most sensitive range, and zeros are not stuck", () => {
		const r = rig(modelAt(20_000));
		r.model.fault = "dark";
		const als = r.open({ stuckLimit: 2 });
		const s = poll(als, r.clock).sample;
		expect([s.lux, s.counts, s.gain, s.integrationMs, s.saturated]).toEqual([0, 0, 2, 800, false]);
		for (let i = 0; i < 5; i++) {
			r.clock.advance(1_100);
			expect(als.sample()!.lux).toBe(0);
		}
	});

	it("brown-out reset is detected and the range rewritten", () => {
		const r = rig();
		const als = r.open();
		poll(als, r.clock);
		r.model.powerCycle();
		r.clock.advance(200);
		expect(() => als.sample()).toThrow(/VEML7700 reset detected/);
		expect(als.sample()).toBeUndefined();
		expect(r.model.active).toBe(true);
		expect(poll(als, r.clock).sample.lux).toBeGreaterThan(200);
	});

	it("a part without the ID register (DS before Rev. 1.7) is accepted on read-back", () => {
		const r = rig(new VEML7700Model({ scenario: constant(250), idRegister: false }));
		const als = r.open();
		expect(als.id).toBe(0);
		expect(poll(als, r.clock).sample.lux).toBeGreaterThan(200);
	});

	it("a current part reports ID 0xC481", () => {
		const r = rig();
		expect(r.open().id).toBe(0xc481);
	});

	it("onError receives the error and sample returns undefined", () => {
		const r = rig();
		const errors: unknown[] = [];
		const als = r.open({ onError: (e) => errors.push(e) });
		poll(als, r.clock);
		r.model.fault = "nack";
		r.clock.advance(200);
		expect(als.sample()).toBeUndefined();
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(DriverError);
	});
});

describe("VEML7700 lifecycle", () => {
	it("close twice is safe and shuts the part down (ALS_SD = 1)", () => {
		let lux = 250;
		const r = rig(new VEML7700Model({ scenario: () => ({ lux }) }));
		const als = r.open();
		const last = poll(als, r.clock).sample.counts;
		expect(r.model.active).toBe(true);
		als.close();
		const writes = r.model.stats.writes;
		als.close();
		expect(r.model.stats.writes).toBe(writes);
		expect(r.model.config & 1).toBe(1);
		expect(r.model.active).toBe(false);
		expect(r.board.pinOwner(21)).toBeUndefined();
		// Shut down, the part keeps its last result and stops integrating.
		const integrations = r.model.stats.integrations;
		lux = 50_000;
		r.clock.advance(5_000);
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x10, hz: 100_000 });
		i2c.write(Uint8Array.of(VEML7700_COMMAND.als), false);
		const b = new Uint8Array(i2c.read(2) as ArrayBuffer);
		expect(b[0] | (b[1] << 8)).toBe(last);
		expect(r.model.stats.integrations).toBe(integrations);
		i2c.close();
	});

	it("use after close throws", () => {
		const r = rig();
		const als = r.open();
		als.close();
		expect(() => als.sample()).toThrow(DriverError);
		expect(() => als.sample()).toThrow("VEML7700 closed");
		expect(() => als.configure({ stuckLimit: 3 })).toThrow("VEML7700 closed");
	});

	it("configure rejects bad values", () => {
		const r = rig();
		const als = r.open();
		expect(() => als.configure({ gain: 3 as never })).toThrow(ConfigError);
		expect(() => als.configure({ gain: "2" as never })).toThrow(ConfigError);
		expect(() => als.configure({ integrationMs: 30 as never })).toThrow(ConfigError);
		expect(() => als.configure({ stuckLimit: -1 })).toThrow(ConfigError);
		expect(() => als.configure({ stuckLimit: 1.5 })).toThrow(ConfigError);
		expect(() => als.configure({ autoRange: "yes" as never })).toThrow(ConfigError);
		expect(() => als.configure({ autoRange: true, gain: 2 })).toThrow(ConfigError);
		// Nothing changed.
		expect([als.autoRange, als.gain, als.integrationMs]).toEqual([true, 0.125, 100]);
	});

	it("bad constructor options throw ConfigError before the bus is opened", () => {
		const r = rig();
		expect(() => r.open({ integrationMs: 75 as never })).toThrow(ConfigError);
		expect(() => r.open({ ticks: 5 as never })).toThrow(ConfigError);
		expect(r.board.pinOwner(21)).toBeUndefined();
		expect(r.model.stats.writes).toBe(0);
	});
});

describe("VEML7700 model at the bus", () => {
	function bus(model: VEML7700Model) {
		const r = rig(model);
		const i2c = new r.device.io.I2C({ ...WIRING, address: 0x10, hz: 100_000 });
		const read = (command: number, stop = false) => {
			i2c.write(Uint8Array.of(command), stop);
			const b = new Uint8Array(i2c.read(2) as ArrayBuffer);
			return b[0] | (b[1] << 8);
		};
		const write = (command: number, value: number) => i2c.write(Uint8Array.of(command, value & 0xff, value >> 8));
		return { ...r, i2c, read, write };
	}

	it("ID arrives LSB first: 0x81, 0xC4", () => {
		const b = bus(modelAt(1));
		b.i2c.write(Uint8Array.of(VEML7700_COMMAND.id), false);
		expect(Array.from(new Uint8Array(b.i2c.read(2) as ArrayBuffer))).toEqual([0x81, 0xc4]);
	});

	it("powers up shut down (ALS_CONF 0x0001) and does not integrate", () => {
		const b = bus(modelAt(100));
		expect(b.read(VEML7700_COMMAND.alsConf)).toBe(0x0001);
		b.clock.advance(1_000);
		expect(b.read(VEML7700_COMMAND.als)).toBe(0);
		expect(b.model.stats.integrations).toBe(0);
	});

	it("a register read after a STOP instead of a repeated START returns 0", () => {
		const b = bus(modelAt(1));
		expect(b.read(VEML7700_COMMAND.id, true)).toBe(0);
	});

	it("undefined command codes are NACKed", () => {
		const b = bus(modelAt(1));
		expect(() => b.i2c.write(Uint8Array.of(0x08), false)).toThrow("write failed");
	});

	it("the data register changes only at the end of an integration and holds through shutdown", () => {
		let lux = 100;
		const b = bus(new VEML7700Model({ scenario: () => ({ lux }), noiseCounts: 0, noiseFraction: 0 }));
		b.write(VEML7700_COMMAND.alsConf, 0x1000); // ×1/8, 100 ms, on
		b.clock.advance(102);
		expect(b.read(VEML7700_COMMAND.als)).toBe(0);
		b.clock.advance(1);
		const counts = b.read(VEML7700_COMMAND.als);
		expect(counts).toBe(Math.round(veml7700Uncorrect(100) / 0.5376));
		b.write(VEML7700_COMMAND.alsConf, 0x1001); // shut down
		lux = 10_000;
		b.clock.advance(1_000);
		expect(b.read(VEML7700_COMMAND.als)).toBe(counts);
	});

	it("a gain change on the fly straddles the integration in progress", () => {
		const b = bus(modelAt(100, { noiseCounts: 0, noiseFraction: 0 }));
		b.write(VEML7700_COMMAND.alsConf, 0x1000); // ×1/8, 100 ms: starts at 2.5 ms
		b.clock.advance(52.5);
		b.write(VEML7700_COMMAND.alsConf, 0x0800); // ×2, 100 ms without stand-by
		b.clock.advance(50);
		const counts = b.read(VEML7700_COMMAND.als);
		expect(b.model.stats.straddled).toBe(1);
		// Half at ×1/8 (~93) plus half at ×2 (~1488): neither setting's value.
		expect(counts).toBeGreaterThan(Math.round(100 / 0.5376) + 100);
		expect(counts).toBeLessThan(Math.round(100 / 0.0336) - 100);
	});
});
