// BaySensor driver against the loop detector model on a SimBoard
// (ARCHITECTURE §2). Portable: runs under vitest on Node and under the XS
// mini harness — only vitest and project imports, only the harness's
// matchers, no Node APIs, no Moddable specifiers.
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import type { Level } from "../../host-sim/io/pin";
import { LoopDetectorModel, type LoopDetectorModelOptions } from "../../host-sim/models/loop-detector";
import { BaySensor, type BayInput, type BaySensorOptions } from "../../drivers/bay-sensor";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const PIN = 36;
/** The detector's response time (model default, Nortech TD136 §2.1). */
const RESPONSE_MS = 60;

function rig(model: LoopDetectorModelOptions | null = {}) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const device = board.provider();
	const loop = model ? new LoopDetectorModel(board.pin(PIN), board, model) : undefined;
	const changes: [boolean, number][] = [];
	const errors: DriverError[] = [];
	// The sim's Digital class stands in for the typings' `embedded:io/digital` class.
	const input = { io: device.io.Digital, pin: PIN } as unknown as BayInput;
	const open = (extra: Partial<BaySensorOptions> = {}) =>
		new BaySensor({
			input,
			ticks: () => clock.ticks(),
			onChange: (occupied, since) => changes.push([occupied, since]),
			onError: (e) => errors.push(e),
			...extra,
		});
	/** Runs the clock to `untilMs`, polling every `everyMs` as an app would. */
	const run = (bay: BaySensor, untilMs: number, everyMs = 500) => {
		while (clock.ticks() < untilMs) {
			clock.advance(Math.min(everyMs, untilMs - clock.ticks()));
			bay.poll();
		}
	};
	return { clock, board, device, loop: loop as LoopDetectorModel, changes, errors, input, open, run };
}

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	return undefined;
}

describe("BaySensor state changes", () => {
	it("starts unknown, then reports the settled free state once", () => {
		const r = rig();
		const bay = r.open();
		expect(bay.read()).toBeUndefined();
		expect(bay.status).toBe("unknown");
		r.run(bay, 1500);
		expect(r.changes).toEqual([]);
		r.run(bay, 10_000);
		expect(r.changes).toEqual([[false, 0]]);
		expect(bay.read()).toBe(false);
		expect(bay.status).toBe("free");
	});

	it("reports only changes: an arrival and a departure, once each, with when they began", () => {
		const r = rig({ visits: [{ arriveMs: 10_000, departMs: 100_000 }] });
		const bay = r.open();
		r.run(bay, 50_000, 250);
		expect(bay.read()).toBe(true);
		expect(bay.sinceTicks).toBe(10_000 + RESPONSE_MS);
		r.run(bay, 150_000, 250);
		expect(r.changes).toEqual([
			[false, 0],
			[true, 10_000 + RESPONSE_MS],
			[false, 100_000 + RESPONSE_MS],
		]);
		expect(r.errors).toHaveLength(0);
	});

	it("a state is believed only after settleMs", () => {
		const r = rig({ visits: [{ arriveMs: 10_000 }] });
		const bay = r.open();
		r.run(bay, 11_900, 100);
		expect(bay.read()).toBe(false);
		r.run(bay, 12_100, 100);
		expect(bay.read()).toBe(true);
	});

	it("a drive-over or a slow crossing shorter than settleMs is ignored", () => {
		const r = rig({
			visits: [
				{ arriveMs: 10_000, departMs: 10_800 },
				{ arriveMs: 20_000, departMs: 21_900 },
			],
		});
		const bay = r.open();
		r.run(bay, 40_000, 100);
		expect(r.loop.stats.detects).toBe(2);
		expect(r.changes).toEqual([[false, 0]]);
	});

	it("a short stop longer than settleMs is reported", () => {
		const r = rig({ visits: [{ arriveMs: 10_000, departMs: 12_500 }] });
		const bay = r.open();
		r.run(bay, 20_000, 100);
		expect(r.changes).toEqual([
			[false, 0],
			[true, 10_000 + RESPONSE_MS],
			[false, 12_500 + RESPONSE_MS],
		]);
	});

	it("settleMs is configurable", () => {
		const r = rig({ visits: [{ arriveMs: 10_000, departMs: 10_800 }] });
		const bay = r.open({ settleMs: 500 });
		r.run(bay, 20_000, 100);
		expect(r.changes).toEqual([
			[false, 0],
			[true, 10_000 + RESPONSE_MS],
			[false, 10_800 + RESPONSE_MS],
		]);
	});

	it("without poll() a level is confirmed at the next edge or read()", () => {
		const r = rig({ visits: [{ arriveMs: 10_000, departMs: 50_000 }] });
		const bay = r.open();
		r.clock.advance(40_000);
		// The arrival edge confirmed the free state before it; the arrival itself is not confirmed yet.
		expect(r.changes).toEqual([[false, 0]]);
		r.clock.advance(20_000);
		expect(r.changes).toEqual([
			[false, 0],
			[true, 10_000 + RESPONSE_MS],
		]);
		expect(bay.read()).toBe(false);
		expect(r.changes).toHaveLength(3);
	});

	it("an active-high push-pull detector output", () => {
		const r = rig({ activeLow: false, openCollector: false, visits: [{ arriveMs: 5000 }] });
		const bay = r.open({ activeLow: false });
		r.run(bay, 10_000);
		expect(r.changes).toEqual([
			[false, 0],
			[true, 5000 + RESPONSE_MS],
		]);
	});
});

describe("BaySensor faults", () => {
	it("a chattering detector is flapping: DriverError, state unknown, then recovery", () => {
		const r = rig({ visits: [{ arriveMs: 1000 }] });
		const bay = r.open();
		r.run(bay, 30_000);
		expect(bay.read()).toBe(true);
		r.loop.fault = "chatter";
		r.run(bay, 40_000);
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0]).toBeInstanceOf(DriverError);
		expect(r.errors[0].message).toMatch(/^BaySensor flapping/);
		expect(bay.read()).toBeUndefined();
		expect(bay.status).toBe("unknown");
		expect(bay.flapping).toBe(true);
		r.run(bay, 60_000);
		r.loop.fault = undefined;
		const changesBefore = r.changes.length;
		r.run(bay, 100_000);
		// Still within a minute of the chatter.
		expect(bay.read()).toBeUndefined();
		r.run(bay, 130_000);
		expect(bay.read()).toBe(true);
		expect(bay.flapping).toBe(false);
		expect(r.errors).toHaveLength(1);
		// Recovery is reported even though the state equals the one before the fault.
		expect(r.changes.length).toBe(changesBefore + 1);
		expect(r.changes[r.changes.length - 1][0]).toBe(true);
	});

	it("a few real changes with relay contact bounce are not flapping", () => {
		const r = rig(null);
		const pin = r.board.pin(PIN);
		pin.drive(1); // free (active low)
		const bay = r.open();
		const bounce = (t: number, level: Level) => {
			const other: Level = level ? 0 : 1;
			const steps: [number, Level][] = [
				[t, level],
				[t + 1, other],
				[t + 2, level],
				[t + 3, other],
				[t + 4, level],
			];
			for (const [ms, l] of steps) r.board.schedule(ms, () => pin.drive(l));
		};
		for (let i = 0; i < 4; i++) {
			bounce(5000 + i * 12_000, 0);
			bounce(11_000 + i * 12_000, 1);
		}
		r.run(bay, 60_000);
		expect(r.errors).toHaveLength(0);
		expect(r.changes.filter(([occupied]) => occupied)).toHaveLength(4);
	});

	it("a stuck output is reported once by poll(), and the state is kept", () => {
		const r = rig({ visits: [{ arriveMs: 1000, departMs: 20_000 }] });
		const bay = r.open({ stuckMs: 60_000 });
		r.run(bay, 10_000);
		r.loop.fault = "stuck";
		r.run(bay, 55_000);
		expect(r.errors).toHaveLength(0);
		r.run(bay, 90_000);
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0].message).toMatch(/^BaySensor output stuck occupied/);
		expect(bay.read()).toBe(true);
	});

	it("without onError, poll() throws for a stuck output", () => {
		const r = rig({ visits: [{ arriveMs: 1000 }] });
		const bay = r.open({ stuckMs: 10_000, onError: undefined });
		r.clock.advance(5000);
		bay.poll();
		r.clock.advance(10_000);
		expect(() => bay.poll()).toThrow(/stuck occupied/);
	});

	it("a dead fail-secure detector reads free; a dead fail-safe one reads occupied", () => {
		const secure = rig({ visits: [{ arriveMs: 1000 }] });
		const a = secure.open();
		secure.run(a, 10_000);
		secure.loop.fault = "dead";
		secure.run(a, 20_000);
		expect(a.read()).toBe(false);
		const safe = rig({ failSafe: true });
		const b = safe.open();
		safe.run(b, 10_000);
		safe.loop.fault = "dead";
		safe.run(b, 20_000);
		expect(b.read()).toBe(true);
	});

	it("a missing pull-up on an open-collector output floats low and looks occupied", () => {
		const r = rig();
		const bay = r.open({ input: { ...r.input, mode: r.device.io.Digital.Input } as unknown as BayInput });
		r.run(bay, 5000);
		expect(bay.read()).toBe(true);
	});
});

describe("BaySensor lifecycle and options", () => {
	it("close twice is safe, releases the pin, and no onChange runs after it", () => {
		const r = rig({ visits: [{ arriveMs: 10_000 }] });
		const bay = r.open();
		r.clock.advance(5000);
		bay.read();
		expect(r.changes).toHaveLength(1);
		bay.close();
		bay.close();
		expect(r.board.pinOwner(PIN)).toBeUndefined();
		r.clock.advance(20_000);
		expect(r.changes).toHaveLength(1);
	});

	it("use after close throws DriverError naming the part", () => {
		const r = rig();
		const bay = r.open();
		bay.close();
		expect(() => bay.read()).toThrow(DriverError);
		expect(() => bay.poll()).toThrow("BaySensor closed");
		expect(() => bay.status).toThrow("BaySensor closed");
	});

	it("a pin in use fails with DriverError naming the pin", () => {
		const r = rig();
		const held = new r.device.io.Digital({ pin: PIN, mode: r.device.io.Digital.Input });
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toMatch(/^BaySensor cannot open Digital on pin 36/);
		held.close();
		r.open().close();
	});

	it("bad options throw ConfigError and open nothing", () => {
		const r = rig();
		expect(() => new BaySensor(undefined as never)).toThrow(ConfigError);
		expect(() => r.open({ input: undefined as never })).toThrow(ConfigError);
		expect(() => r.open({ ticks: undefined as never })).toThrow(ConfigError);
		expect(() => r.open({ settleMs: -1 })).toThrow(ConfigError);
		expect(() => r.open({ settleMs: Number.NaN })).toThrow(ConfigError);
		expect(() => r.open({ maxChangesPerMinute: 1 })).toThrow(ConfigError);
		expect(() => r.open({ maxChangesPerMinute: 2.5 })).toThrow(ConfigError);
		expect(() => r.open({ stuckMs: -1 })).toThrow(ConfigError);
		expect(() => r.open({ onChange: 5 as never })).toThrow(ConfigError);
		const e = thrown(() => r.open({ settleMs: Infinity }));
		expect((e as ConfigError).key).toBe("settleMs");
		expect(r.board.pinOwner(PIN)).toBeUndefined();
	});
});

describe("Loop detector model", () => {
	it("presence output follows the vehicle after the response time", () => {
		const r = rig({ visits: [{ arriveMs: 1000, departMs: 3000 }] });
		const pin = r.board.pin(PIN);
		const digital = new r.device.io.Digital({ pin: PIN, mode: r.device.io.Digital.InputPullUp });
		r.clock.advance(1000 + RESPONSE_MS - 1);
		expect(pin.level).toBe(1);
		r.clock.advance(2);
		expect(pin.level).toBe(0);
		expect(r.loop.detecting).toBe(true);
		r.clock.advance(3000);
		expect(pin.level).toBe(1);
		expect(r.loop.stats).toEqual({ arrivals: 1, departures: 1, detects: 1, pulses: 0, outputChanges: 2 });
		digital.close();
	});

	it("pulse output gives one pulse of pulseMs per vehicle", () => {
		const r = rig({ output: "pulse", pulseMs: 150, visits: [{ arriveMs: 1000, departMs: 9000 }] });
		const digital = new r.device.io.Digital({ pin: PIN, mode: r.device.io.Digital.InputPullUp });
		r.clock.advance(1000 + RESPONSE_MS + 1);
		expect(digital.read()).toBe(0);
		r.clock.advance(150);
		expect(digital.read()).toBe(1);
		r.clock.advance(20_000);
		expect(r.loop.stats.pulses).toBe(1);
		digital.close();
	});
});
