// PulseCounter and BeamPair drivers against the pulse source, loop detector
// and beam-pair models on a SimBoard (ARCHITECTURE §2: counters see pulses
// with realistic bounce). Portable: runs under vitest on Node and under the
// XS mini harness — only vitest and project imports, only the harness's
// matchers, no Node APIs, no Moddable specifiers.
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import type { Level } from "../../host-sim/io/pin";
import type { PulseSource } from "../../host-sim/io/pulse-source";
import { BeamPairModel, type BeamCrossing, type BeamPairModelOptions } from "../../host-sim/models/beam-pair";
import { LoopDetectorModel } from "../../host-sim/models/loop-detector";
import { PulseCounter, type PulseCounterCounter, type PulseCounterInput, type PulseCounterOptions } from "../../drivers/pulse-counter";
import { BeamPair, type BeamCounts, type BeamPairOptions } from "../../drivers/beam-pair";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const PIN = 34;
const PCNT_PIN = 35;
const BEAM_A = 32;
const BEAM_B = 33;

function rig() {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const device = board.provider({ PulseCount: { signal: PCNT_PIN } });
	const ticks = () => clock.ticks();
	// The sim's IO classes stand in for the typings' `embedded:io/*` classes.
	const input = (pin: number) => ({ io: device.io.Digital, pin }) as unknown as PulseCounterInput;
	const counter = (signal = PCNT_PIN) => ({ ...device.PulseCount!.default, signal }) as unknown as PulseCounterCounter;
	const open = (extra: Partial<PulseCounterOptions> = {}) => new PulseCounter({ input: input(PIN), ticks, ...extra } as PulseCounterOptions);
	return { clock, board, device, ticks, input, counter, open };
}

/** Emits `count` pulses in batches (keeps the clock's queue short on XS), then lets the last one finish. */
function emitAll(clock: VirtualClock, source: PulseSource, count: number, periodMs: number, batch = 20): void {
	for (let done = 0; done < count; done += batch) {
		const n = Math.min(batch, count - done);
		source.emit(n, periodMs);
		clock.advance(n * periodMs);
	}
	clock.advance(periodMs);
}

/** Drives `pin` through `steps` of [ms from now, level]. */
function drive(board: SimBoard, pin: number, steps: readonly [number, Level][]): void {
	for (const [ms, level] of steps) board.schedule(ms, () => board.pin(pin).drive(level));
}

/** A contact closing at `t` for `widthMs`, bouncing `n` times 0.3 ms apart on both edges. */
function bouncyClosure(t: number, widthMs: number, n = 3): [number, Level][] {
	const steps: [number, Level][] = [[t, 1]];
	for (let k = 1; k <= n; k++) steps.push([t + (2 * k - 1) * 0.3, 0], [t + 2 * k * 0.3, 1]);
	steps.push([t + widthMs, 0]);
	for (let k = 1; k <= n; k++) steps.push([t + widthMs + (2 * k - 1) * 0.3, 1], [t + widthMs + 2 * k * 0.3, 0]);
	return steps;
}

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	return undefined;
}

/** Deterministic test PRNG in [0, 1). */
function prng(seed: number): () => number {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 0x1_0000_0000;
	};
}

describe("PulseCounter debounce", () => {
	it("1000 pulses with 3 bounces each count exactly 1000", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const pc = r.open();
		emitAll(r.clock, source, 1000, 100);
		expect(source.emitted).toBe(1000);
		expect(pc.read()).toBe(1000);
		// Each bounce is two edges inside the lockout.
		expect(pc.ignored).toBe(6000);
	});

	it("debounce 0 counts every bounce: the model really bounces", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const pc = r.open({ debounceMs: 0 });
		emitAll(r.clock, source, 100, 100);
		expect(pc.read()).toBe(400);
	});

	it("the hardware PCNT counts the bounces too (its filter is ≤ 12.8 µs)", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PCNT_PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const pcnt = new r.device.io.PulseCount({ signal: PCNT_PIN, filter: 1023 });
		emitAll(r.clock, source, 100, 100);
		expect(pcnt.read()).toBe(400);
		pcnt.close();
	});

	it("a debounce shorter than the bounce lets bounces through", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const pc = r.open({ debounceMs: 0.3 });
		emitAll(r.clock, source, 10, 100);
		expect(pc.read()).toBe(40);
	});

	it("falling edge: an idle-high open-collector line counts its low pulses", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { idle: 1, widthMs: 40, bounces: 2, bounceMs: 1 });
		const pc = r.open({ edge: "falling" });
		emitAll(r.clock, source, 250, 120);
		expect(pc.read()).toBe(250);
	});

	it("a long closure that bounces on release too counts once", () => {
		const r = rig();
		const pc = r.open();
		r.board.pin(PIN).drive(0);
		for (let i = 0; i < 10; i++) drive(r.board, PIN, bouncyClosure(1000 + i * 1000, 200));
		r.clock.advance(12_000);
		expect(pc.read()).toBe(10);
	});

	it("pulses closer than the debounce merge (documented limit)", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 5 });
		const pc = r.open({ debounceMs: 20 });
		emitAll(r.clock, source, 100, 10);
		// One count per 20 ms lockout at most, never more than the pulses.
		expect(pc.read()).toBeLessThan(100);
		expect(pc.read()).toBeGreaterThanOrEqual(45);
	});

	it("onPulse gets the ticks of each counted pulse", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const at: number[] = [];
		r.open({ onPulse: (t) => at.push(t) });
		source.emit(3, 100, 500);
		r.clock.advance(1000);
		expect(at).toEqual([500, 600, 700]);
	});
});

describe("PulseCounter with a busy event loop (coalesced interrupts)", () => {
	it("a pulse that comes and goes while JS is busy still counts once", () => {
		const r = rig();
		const pc = r.open();
		r.board.pin(PIN).drive(0);
		r.board.schedule(1000, () => r.clock.delay(50)); // e.g. an e-paper refresh
		drive(r.board, PIN, [
			[1010, 1],
			[1030, 0],
		]);
		r.clock.advance(2000);
		expect(pc.read()).toBe(1);
	});

	it("a release and a new press hidden in one busy spell count as a new pulse", () => {
		const r = rig();
		const pc = r.open();
		r.board.pin(PIN).drive(0);
		drive(r.board, PIN, [
			[900, 1],
			[1010, 0],
			[1030, 1],
			[1200, 0],
		]);
		r.board.schedule(1000, () => r.clock.delay(50));
		r.clock.advance(2000);
		expect(pc.read()).toBe(2);
	});
});

describe("PulseCounter windows", () => {
	it("take() windows add up to the running total; nothing is lost", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30, bounces: 3, bounceMs: 0.5 });
		const pc = r.open();
		let sum = 0;
		let emitted = 0;
		const bursts: number[] = [];
		const windows: number[] = [];
		for (let w = 0; w < 30; w++) {
			// Bursts start mid-window and run past its end, so windows cut through them.
			const n = 5 + ((w * 7) % 13);
			source.emit(n, 70, 600);
			emitted += n;
			bursts.push(n);
			r.clock.advance(1234);
			const taken = pc.take();
			windows.push(taken);
			sum += taken;
		}
		r.clock.advance(2000);
		sum += pc.take();
		// Some windows ended mid-burst: their count is not their own burst's size.
		expect(windows.some((n, i) => n !== bursts[i])).toBe(true);
		expect(sum).toBe(emitted);
		expect(pc.read()).toBe(emitted);
		expect(pc.take()).toBe(0);
		expect(pc.read()).toBe(emitted);
	});
});

describe("PulseCounter on the PCNT (counter mode)", () => {
	it("counts a loop detector's pulse output, one per vehicle", () => {
		const r = rig();
		const visits = [];
		for (let i = 0; i < 20; i++) visits.push({ arriveMs: 1000 + i * 5000, departMs: 3000 + i * 5000 });
		const loop = new LoopDetectorModel(r.board.pin(PCNT_PIN), r.board, { visits, output: "pulse", activeLow: false, openCollector: false });
		const pc = new PulseCounter({ counter: r.counter() });
		r.clock.advance(50_000);
		expect(pc.take()).toBe(10);
		r.clock.advance(60_000);
		expect(pc.take()).toBe(10);
		expect(pc.read()).toBe(20);
		expect(loop.stats.pulses).toBe(20);
	});

	it("the count goes past the 16-bit hardware limit without wrapping", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PCNT_PIN, { widthMs: 1 });
		const pc = new PulseCounter({ counter: r.counter() });
		emitAll(r.clock, source, 33_000, 2);
		expect(pc.read()).toBe(33_000);
	});

	it("close gives the PCNT unit and the pin back", () => {
		const r = rig();
		const pc = new PulseCounter({ counter: r.counter() });
		expect(r.board.pinOwner(PCNT_PIN)).toBeDefined();
		pc.close();
		pc.close();
		expect(r.board.pinOwner(PCNT_PIN)).toBeUndefined();
		expect(() => pc.read()).toThrow(DriverError);
	});

	it("rejects a falling edge, a debounce and onPulse (ConfigError)", () => {
		const r = rig();
		expect(() => new PulseCounter({ counter: r.counter(), edge: "falling" } as never)).toThrow(ConfigError);
		expect(() => new PulseCounter({ counter: r.counter(), debounceMs: 20 } as never)).toThrow(ConfigError);
		expect(() => new PulseCounter({ counter: r.counter(), onPulse: () => {} } as never)).toThrow(ConfigError);
		// Nothing was left open.
		expect(r.board.pinOwner(PCNT_PIN)).toBeUndefined();
	});
});

describe("PulseCounter lifecycle and options", () => {
	it("close twice is safe, releases the pin, and no onPulse runs after it", () => {
		const r = rig();
		const source = r.board.attachPulseSource(PIN, { widthMs: 30 });
		let calls = 0;
		const pc = r.open({ onPulse: () => calls++ });
		source.emit(5, 100);
		r.clock.advance(250);
		expect(calls).toBe(3);
		pc.close();
		pc.close();
		r.clock.advance(1000);
		expect(calls).toBe(3);
		expect(r.board.pinOwner(PIN)).toBeUndefined();
	});

	it("use after close throws DriverError naming the part", () => {
		const r = rig();
		const pc = r.open();
		pc.close();
		expect(() => pc.read()).toThrow(DriverError);
		expect(() => pc.take()).toThrow(/^PulseCounter .*closed/);
		expect(() => pc.active).toThrow(DriverError);
	});

	it("a pin already in use fails with DriverError naming the pin", () => {
		const r = rig();
		const held = new r.device.io.Digital({ pin: PIN, mode: r.device.io.Digital.Input });
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toMatch(/pin 34/);
		held.close();
		r.open().close();
	});

	it("bad options throw ConfigError", () => {
		const r = rig();
		expect(() => new PulseCounter({} as never)).toThrow(ConfigError);
		expect(() => new PulseCounter({ input: r.input(PIN), counter: r.counter(), ticks: r.ticks } as never)).toThrow(ConfigError);
		expect(() => new PulseCounter({ input: r.input(PIN) } as never)).toThrow(ConfigError);
		expect(() => r.open({ debounceMs: -1 })).toThrow(ConfigError);
		expect(() => r.open({ debounceMs: Number.NaN })).toThrow(ConfigError);
		expect(() => r.open({ edge: "both" as never })).toThrow(ConfigError);
		const e = thrown(() => r.open({ debounceMs: Infinity }));
		expect((e as ConfigError).key).toBe("debounceMs");
		expect(r.board.pinOwner(PIN)).toBeUndefined();
	});
});

// ---- BeamPair ----

function beamRig(model: BeamPairModelOptions = {}, extra: Partial<BeamPairOptions> = {}) {
	const r = rig();
	const beams = new BeamPairModel(r.board.pin(BEAM_A), r.board.pin(BEAM_B), r.board, model);
	const errors: DriverError[] = [];
	const open = (more: Partial<BeamPairOptions> = {}) =>
		new BeamPair({ a: r.input(BEAM_A), b: r.input(BEAM_B), ticks: r.ticks, onError: (e) => errors.push(e), ...extra, ...more });
	return { ...r, beams, errors, open };
}

function crossings(n: number, direction: "towards" | "away", startMs: number, everyMs: number): BeamCrossing[] {
	const out: BeamCrossing[] = [];
	for (let i = 0; i < n; i++) out.push({ atMs: startMs + i * everyMs, direction });
	return out;
}

function sum(windows: BeamCounts[]): BeamCounts {
	const s = { towards: 0, away: 0, unknown: 0 };
	for (const w of windows) {
		s.towards += w.towards;
		s.away += w.away;
		s.unknown += w.unknown;
	}
	return s;
}

describe("BeamPair direction", () => {
	it("A then B counts towards, B then A counts away", () => {
		const r = beamRig({ crossings: [...crossings(10, "towards", 1000, 2000), ...crossings(7, "away", 30_000, 2000)] });
		const bp = r.open();
		r.clock.advance(50_000);
		expect(bp.take()).toEqual({ towards: 10, away: 7, unknown: 0 });
		expect(r.beams.stats.towards).toBe(10);
		expect(r.errors).toHaveLength(0);
	});

	it("bouncing receivers still give exact counts", () => {
		const r = beamRig({ bounces: 3, bounceMs: 0.5, crossings: [...crossings(20, "towards", 1000, 1000), ...crossings(20, "away", 30_000, 1000)] });
		const bp = r.open();
		r.clock.advance(60_000);
		expect(bp.totals()).toEqual({ towards: 20, away: 20, unknown: 0 });
	});

	it("without debounce the same bounces wreck the count (the model bounces)", () => {
		const r = beamRig({ bounces: 3, bounceMs: 0.5, crossings: crossings(20, "towards", 1000, 1000) });
		const bp = r.open({ debounceMs: 0 });
		r.clock.advance(30_000);
		const t = bp.totals();
		expect(t.towards + t.away + t.unknown).toBeGreaterThan(20);
	});

	it("reverse swaps towards and away for a pair mounted the other way round", () => {
		const r = beamRig({ crossings: [...crossings(3, "towards", 1000, 2000), ...crossings(5, "away", 10_000, 2000)] }, { reverse: true });
		const bp = r.open();
		r.clock.advance(30_000);
		expect(bp.totals()).toEqual({ towards: 5, away: 3, unknown: 0 });
	});

	it("active-high sensors with push-pull outputs", () => {
		const r = beamRig({ activeLow: false, openCollector: false, crossings: crossings(4, "away", 1000, 1500) }, { activeLow: false });
		const bp = r.open();
		r.clock.advance(10_000);
		expect(bp.totals()).toEqual({ towards: 0, away: 4, unknown: 0 });
	});
});

describe("BeamPair crowds", () => {
	it("two people close together, same direction, count as two", () => {
		const r = beamRig({ crossings: [{ atMs: 1000, direction: "towards" }, { atMs: 1450, direction: "towards" }] });
		const bp = r.open();
		r.clock.advance(5000);
		expect(bp.totals()).toEqual({ towards: 2, away: 0, unknown: 0 });
	});

	it("two people close together, opposite directions, count one each way", () => {
		const r = beamRig({ crossings: [{ atMs: 1000, direction: "towards" }, { atMs: 1500, direction: "away" }] });
		const bp = r.open();
		r.clock.advance(5000);
		expect(bp.totals()).toEqual({ towards: 1, away: 1, unknown: 0 });
	});

	it("an interleaved stream of 300 people in both directions counts exactly", () => {
		const rand = prng(7);
		const list: BeamCrossing[] = [];
		let t = 1000;
		let towards = 0;
		for (let i = 0; i < 300; i++) {
			const direction = rand() < 0.5 ? "towards" : "away";
			if (direction === "towards") towards++;
			list.push({ atMs: t, direction, offsetMs: 20 + rand() * 100, breakMs: 250 + rand() * 100 });
			t += 600 + rand() * 900;
		}
		const r = beamRig({ crossings: list, bounces: 2, bounceMs: 0.4 });
		const bp = r.open();
		r.clock.advance(t + 5000);
		expect(bp.totals()).toEqual({ towards, away: 300 - towards, unknown: 0 });
		expect(towards).toBeGreaterThan(100);
	});

	it("bodies closer than one body depth merge into one crossing (a limit of beams)", () => {
		const r = beamRig({ crossings: [{ atMs: 1000, direction: "towards" }, { atMs: 1200, direction: "towards" }] });
		const bp = r.open();
		r.clock.advance(5000);
		expect(r.beams.stats.towards).toBe(2);
		expect(bp.totals()).toEqual({ towards: 1, away: 0, unknown: 0 });
	});
});

describe("BeamPair lone breaks", () => {
	it("a lone beam break becomes unknown after maxGapMs, not before", () => {
		const r = beamRig({ crossings: [{ atMs: 1000, direction: "towards", turnBack: true }] });
		const bp = r.open();
		r.clock.advance(2000);
		expect(bp.take()).toEqual({ towards: 0, away: 0, unknown: 0 });
		expect(bp.pending).toBe(1);
		r.clock.advance(600);
		expect(bp.take()).toEqual({ towards: 0, away: 0, unknown: 1 });
		expect(bp.pending).toBe(0);
	});

	it("a lone break does not steal the partner of a later crossing", () => {
		const r = beamRig({
			crossings: [
				{ atMs: 1000, direction: "away", turnBack: true },
				{ atMs: 5000, direction: "towards" },
			],
		});
		const bp = r.open();
		r.clock.advance(10_000);
		expect(bp.totals()).toEqual({ towards: 1, away: 0, unknown: 1 });
	});

	it("a dead beam turns every crossing into unknown, never into a direction", () => {
		const r = beamRig({ crossings: crossings(5, "towards", 1000, 2000) });
		r.beams.fault = "dead-b";
		const bp = r.open();
		r.clock.advance(15_000);
		expect(bp.totals()).toEqual({ towards: 0, away: 0, unknown: 5 });
	});

	it("a chattering receiver shows up as a flood of unknowns", () => {
		const r = beamRig();
		const bp = r.open();
		r.beams.fault = "chatter-a";
		r.clock.advance(10_000);
		r.beams.fault = undefined;
		r.clock.advance(2000);
		const t = bp.totals();
		expect(t.unknown).toBeGreaterThan(10);
		expect(t.towards + t.away).toBe(0);
	});
});

describe("BeamPair windows", () => {
	it("totals are never lost across take(), even with breaks pending at a window edge", () => {
		const rand = prng(11);
		const list: BeamCrossing[] = [];
		let t = 500;
		const expected = { towards: 0, away: 0, unknown: 0 };
		for (let i = 0; i < 200; i++) {
			const direction = rand() < 0.5 ? "towards" : "away";
			const turnBack = rand() < 0.15;
			if (turnBack) expected.unknown++;
			else expected[direction]++;
			list.push({ atMs: t, direction, turnBack, offsetMs: 30 + rand() * 1000 });
			t += 1600 + rand() * 1500;
		}
		const r = beamRig({ crossings: list });
		const bp = r.open();
		const windows: BeamCounts[] = [];
		let sawPending = false;
		for (let now = 0; now < t + 5000; now += 777) {
			r.clock.advance(777);
			windows.push(bp.take());
			if (bp.pending) sawPending = true;
		}
		expect(sawPending).toBe(true);
		expect(sum(windows)).toEqual(expected);
		expect(bp.totals()).toEqual(expected);
	});
});

describe("BeamPair faults and lifecycle", () => {
	it("a blocked beam is reported once by poll(), after blockedMs", () => {
		const r = beamRig({}, { blockedMs: 60_000 });
		const bp = r.open();
		r.clock.advance(1000);
		r.beams.fault = "blocked-a";
		r.clock.advance(30_000);
		bp.poll();
		expect(r.errors).toHaveLength(0);
		r.clock.advance(31_000);
		bp.poll();
		bp.poll();
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0]).toBeInstanceOf(DriverError);
		expect(r.errors[0].message).toMatch(/^BeamPair beam A stuck broken/);
		r.beams.fault = undefined;
		r.clock.advance(100);
		bp.poll();
		expect(r.errors).toHaveLength(1);
	});

	it("without onError, poll() throws for a blocked beam", () => {
		const r = beamRig({}, { blockedMs: 5000, onError: undefined });
		const bp = r.open({ onError: undefined });
		r.beams.fault = "blocked-b";
		r.clock.advance(6000);
		expect(() => bp.poll()).toThrow(/beam B stuck broken/);
	});

	it("close twice is safe, releases both pins, and counting stops", () => {
		const r = beamRig({ crossings: crossings(5, "towards", 1000, 2000) });
		const bp = r.open();
		r.clock.advance(4000);
		bp.close();
		bp.close();
		expect(r.board.pinOwner(BEAM_A)).toBeUndefined();
		expect(r.board.pinOwner(BEAM_B)).toBeUndefined();
		r.clock.advance(10_000);
		expect(() => bp.take()).toThrow(DriverError);
		expect(() => bp.totals()).toThrow("BeamPair closed");
		expect(() => bp.poll()).toThrow("BeamPair closed");
	});

	it("a pin in use fails the constructor with DriverError and leaves nothing open", () => {
		const r = beamRig();
		const held = new r.device.io.Digital({ pin: BEAM_B, mode: r.device.io.Digital.Input });
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toMatch(/^BeamPair beam B/);
		expect(r.board.pinOwner(BEAM_A)).toBeUndefined();
		held.close();
		r.open().close();
	});

	it("both beams on one pin is refused", () => {
		const r = beamRig();
		expect(() => r.open({ b: r.input(BEAM_A) })).toThrow(DriverError);
		expect(r.board.pinOwner(BEAM_A)).toBeUndefined();
	});

	it("bad options throw ConfigError", () => {
		const r = beamRig();
		expect(() => r.open({ maxGapMs: 0 })).toThrow(ConfigError);
		expect(() => r.open({ maxGapMs: Number.NaN })).toThrow(ConfigError);
		expect(() => r.open({ blockedMs: -1 })).toThrow(ConfigError);
		expect(() => r.open({ ticks: undefined as never })).toThrow(ConfigError);
		expect(() => r.open({ a: undefined as never })).toThrow(ConfigError);
		const e = thrown(() => r.open({ debounceMs: -5 }));
		expect(e).toBeInstanceOf(ConfigError);
		expect((e as ConfigError).key).toBe("debounceMs");
		expect(r.board.pinOwner(BEAM_A)).toBeUndefined();
	});
});
