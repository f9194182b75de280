// Light-pole lamp policy (dusk/dawn, schedule, presence, override, fail-safe)
// and lamp energy counters. Pure logic with explicit time: no board needed.
// Portable: runs under vitest on Node and under the XS mini harness.
import { describe, it, expect } from "vitest";
import { LampPolicy, type LampPolicyConfig } from "../../firmware/apps/light-pole/lamp-policy";
import { LampEnergy, type LampEnergyRecord, type LampEnergyStore } from "../../firmware/apps/light-pole/lamp-energy";
import { ConfigError, StorageError } from "../../firmware/runtime/errors";

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	return undefined;
}

/** A policy that is online with a first reading of `lux` at t = 0. */
function policy(lux: number, config: Partial<LampPolicyConfig> = {}): LampPolicy {
	const p = new LampPolicy(config, 0);
	p.link(0, true);
	p.lux(0, lux);
	return p;
}

/** Feeds `lux` every 10 s from `fromMs` up to `toMs` (inclusive). */
function feed(p: LampPolicy, fromMs: number, toMs: number, lux: number): void {
	for (let t = fromMs; t <= toMs; t += 10 * S) p.lux(t, lux);
}

describe("LampPolicy dusk and dawn", () => {
	it("first reading classifies at once: bright is day, dim is night", () => {
		expect(policy(500).decide(0)).toEqual({ percent: 0, reason: "day" });
		expect(policy(5).decide(0)).toEqual({ percent: 100, reason: "night" });
	});

	it("dusk switches on only after the hold time", () => {
		const p = policy(500);
		feed(p, 10 * S, 10 * S + 110 * S, 10);
		expect(p.decide(120 * S).reason).toBe("day");
		p.lux(130 * S, 10); // 120 s after the first dark reading
		expect(p.decide(130 * S)).toEqual({ percent: 100, reason: "night" });
	});

	it("a 60 s dip (cloud, shadow) does not switch", () => {
		const p = policy(500);
		feed(p, 10 * S, 70 * S, 10);
		p.lux(80 * S, 500);
		feed(p, 90 * S, 600 * S, 500);
		expect(p.decide(600 * S).reason).toBe("day");
		expect(p.dark).toBe(false);
	});

	it("a 60 s flash of headlights at night does not switch off", () => {
		const p = policy(5);
		feed(p, 10 * S, 70 * S, 2000);
		feed(p, 80 * S, 600 * S, 5);
		expect(p.decide(600 * S).reason).toBe("night");
	});

	it("dawn switches off after the hold time", () => {
		const p = policy(5);
		feed(p, 10 * S, 120 * S, 80);
		expect(p.decide(120 * S).reason).toBe("night");
		p.lux(130 * S, 80);
		expect(p.decide(130 * S)).toEqual({ percent: 0, reason: "day" });
	});

	it("decide completes a switch whose hold ran out between readings", () => {
		const p = policy(500);
		p.lux(10 * S, 10);
		expect(p.decide(100 * S).reason).toBe("day");
		expect(p.decide(130 * S).reason).toBe("night");
	});

	it("inside the hysteresis band nothing switches, and a band reading cancels a pending switch", () => {
		const night = policy(5);
		feed(night, 10 * S, 900 * S, 45);
		expect(night.decide(900 * S).reason).toBe("night");
		const day = policy(500);
		feed(day, 10 * S, 900 * S, 45);
		expect(day.decide(900 * S).reason).toBe("day");
		// 29 lx for 100 s, then 31 lx (in the band), then 29 lx again: the hold restarts.
		const p = policy(500);
		feed(p, 10 * S, 110 * S, 29);
		p.lux(120 * S, 31);
		feed(p, 130 * S, 240 * S, 29);
		expect(p.decide(240 * S).reason).toBe("day");
		p.lux(250 * S, 29);
		expect(p.decide(250 * S).reason).toBe("night");
	});

	it("thresholds and hold are configurable", () => {
		const p = policy(500, { onBelowLux: 100, offAboveLux: 200, holdMs: 0 });
		p.lux(S, 99);
		expect(p.decide(S).reason).toBe("night");
		p.lux(2 * S, 150);
		expect(p.decide(2 * S).reason).toBe("night");
		p.lux(3 * S, 201);
		expect(p.decide(3 * S).reason).toBe("day");
	});
});

describe("LampPolicy schedule", () => {
	// 22:00–05:00 at 50 %, 01:00 is inside; 05:00–06:00 at 70 %.
	const schedule = [
		{ fromMin: 22 * 60, toMin: 5 * 60, percent: 50 },
		{ fromMin: 5 * 60, toMin: 6 * 60, percent: 70 },
	];

	it("applies across midnight, with from inclusive and to exclusive", () => {
		const p = policy(5, { schedule });
		expect(p.decide(0, 21 * 60 + 59)).toEqual({ percent: 100, reason: "night" });
		expect(p.decide(0, 22 * 60)).toEqual({ percent: 50, reason: "schedule" });
		expect(p.decide(0, 23 * 60 + 59.5)).toEqual({ percent: 50, reason: "schedule" });
		expect(p.decide(0, 0)).toEqual({ percent: 50, reason: "schedule" });
		expect(p.decide(0, 60)).toEqual({ percent: 50, reason: "schedule" });
		expect(p.decide(0, 5 * 60 - 1)).toEqual({ percent: 50, reason: "schedule" });
		expect(p.decide(0, 5 * 60)).toEqual({ percent: 70, reason: "schedule" });
		expect(p.decide(0, 6 * 60)).toEqual({ percent: 100, reason: "night" });
	});

	it("does not light the lamp by day", () => {
		expect(policy(500, { schedule }).decide(0, 60)).toEqual({ percent: 0, reason: "day" });
	});

	it("without local time the night level applies", () => {
		expect(policy(5, { schedule, nightPercent: 80 }).decide(0)).toEqual({ percent: 80, reason: "night" });
	});

	it("refuses a minute of day outside 0 ..= 1439", () => {
		const p = policy(5, { schedule });
		expect(() => p.decide(0, 1440)).toThrow(RangeError);
		expect(() => p.decide(0, -1)).toThrow(RangeError);
		expect(() => p.decide(0, NaN)).toThrow(RangeError);
	});
});

describe("LampPolicy presence", () => {
	const schedule = [{ fromMin: 0, toMin: 6 * 60, percent: 30 }];

	it("boosts a dimmed night for boostHoldMs after the last presence", () => {
		const p = policy(5, { schedule, boostPercent: 90, boostHoldMs: 60 * S });
		expect(p.decide(0, 120)).toEqual({ percent: 30, reason: "schedule" });
		p.presence(10 * S);
		expect(p.decide(10 * S, 120)).toEqual({ percent: 90, reason: "presence" });
		p.presence(50 * S); // extends
		expect(p.decide(100 * S, 120)).toEqual({ percent: 90, reason: "presence" });
		expect(p.decide(110 * S, 120)).toEqual({ percent: 30, reason: "schedule" });
	});

	it("never lowers the level and does nothing by day", () => {
		const night = policy(5, { boostPercent: 60 });
		night.presence(0);
		expect(night.decide(0)).toEqual({ percent: 100, reason: "night" });
		const day = policy(500);
		day.presence(0);
		expect(day.decide(0)).toEqual({ percent: 0, reason: "day" });
	});
});

describe("LampPolicy override", () => {
	it("holds until it expires, then automatic control resumes", () => {
		const p = policy(500, { sensorStaleMs: HOUR });
		p.override(0, { percent: 40, untilMs: 10 * MIN });
		expect(p.decide(10 * MIN - 1)).toEqual({ percent: 40, reason: "override" });
		expect(p.decide(10 * MIN)).toEqual({ percent: 0, reason: "day" });
	});

	it("clearOverride ends it at once", () => {
		const p = policy(5);
		p.override(0, { percent: 0, untilMs: HOUR });
		expect(p.decide(S).percent).toBe(0);
		p.clearOverride();
		expect(p.decide(S)).toEqual({ percent: 100, reason: "night" });
	});

	it("refuses bad commands and keeps the previous override", () => {
		const p = policy(5);
		p.override(0, { percent: 20, untilMs: HOUR });
		expect(() => p.override(S, { percent: 101, untilMs: HOUR })).toThrow(RangeError);
		expect(() => p.override(S, { percent: NaN, untilMs: HOUR })).toThrow(RangeError);
		expect(() => p.override(S, { percent: 50, untilMs: S })).toThrow(RangeError);
		expect(() => p.override(S, { percent: 50, untilMs: 25 * HOUR })).toThrow(/longer than/);
		expect(p.decide(2 * S)).toEqual({ percent: 20, reason: "override" });
	});
});

describe("LampPolicy fail-safe", () => {
	it("offline past the grace period at night → fail-safe:offline, no dimming (also from boot)", () => {
		const p = policy(5, { offlineGraceMs: 10 * MIN, sensorStaleMs: HOUR, schedule: [{ fromMin: 0, toMin: 1439, percent: 30 }] });
		p.link(MIN, false);
		expect(p.decide(11 * MIN, 60)).toEqual({ percent: 30, reason: "schedule" });
		expect(p.decide(11 * MIN + 1, 60)).toEqual({ percent: 100, reason: "fail-safe:offline" });
		p.link(12 * MIN, true);
		expect(p.decide(12 * MIN, 60).reason).toBe("schedule");
		const never = new LampPolicy({ offlineGraceMs: 10 * MIN, sensorStaleMs: HOUR }, 0);
		never.lux(0, 5);
		expect(never.decide(10 * MIN + 1).reason).toBe("fail-safe:offline");
	});

	it("offline by day with a working light sensor stays off: no pole burns at noon for a broker outage", () => {
		const p = policy(500, { offlineGraceMs: 10 * MIN, sensorStaleMs: HOUR });
		p.link(MIN, false);
		expect(p.decide(30 * MIN)).toEqual({ percent: 0, reason: "day" });
		p.sensorFailed(30 * MIN);
		expect(p.decide(30 * MIN).reason).toBe("fail-safe:sensor");
	});

	it("offlineGraceMs: Infinity disables the offline fail-safe", () => {
		const p = new LampPolicy({ offlineGraceMs: Infinity, sensorStaleMs: 100 * HOUR }, 0);
		p.lux(0, 500);
		expect(p.decide(99 * HOUR).reason).toBe("day");
	});

	it("sensor failed, silent or never read → fail-safe:sensor at failSafePercent", () => {
		const boot = new LampPolicy({ failSafePercent: 80 }, 0);
		expect(boot.decide(0)).toEqual({ percent: 80, reason: "fail-safe:sensor" });
		const failed = policy(500, { failSafePercent: 80 });
		failed.sensorFailed(S);
		expect(failed.decide(S)).toEqual({ percent: 80, reason: "fail-safe:sensor" });
		failed.lux(2 * S, 500); // the next good reading clears it
		expect(failed.decide(2 * S).reason).toBe("day");
		const bad = policy(500);
		bad.lux(S, NaN);
		expect(bad.decide(S).reason).toBe("fail-safe:sensor");
		const negative = policy(500);
		negative.lux(S, -3);
		expect(negative.decide(S).reason).toBe("fail-safe:sensor");
		const silent = policy(500, { sensorStaleMs: 5 * MIN });
		expect(silent.decide(5 * MIN).reason).toBe("day");
		expect(silent.decide(5 * MIN + 1).reason).toBe("fail-safe:sensor");
	});

	it("a sensor back after a silence classifies at once, without the hold", () => {
		const p = policy(500, { sensorStaleMs: 5 * MIN });
		p.lux(HOUR, 5);
		expect(p.decide(HOUR).reason).toBe("night");
	});

	it("safe mode → fail-safe:safe-mode until left", () => {
		const p = policy(500);
		p.safeMode(S, true);
		expect(p.decide(S)).toEqual({ percent: 100, reason: "fail-safe:safe-mode" });
		p.safeMode(2 * S, false);
		expect(p.decide(2 * S).reason).toBe("day");
	});

	it("OTA in progress → fail-safe:ota until done", () => {
		const p = policy(5, { schedule: [{ fromMin: 0, toMin: 1439, percent: 20 }], failSafePercent: 100 });
		p.ota(S, true);
		expect(p.decide(S, 60)).toEqual({ percent: 100, reason: "fail-safe:ota" });
		p.ota(2 * S, false);
		expect(p.decide(2 * S, 60)).toEqual({ percent: 20, reason: "schedule" });
	});

	it("several reasons: safe-mode > ota > sensor > offline", () => {
		const p = new LampPolicy({ offlineGraceMs: MIN }, 0);
		const t = 2 * MIN;
		p.safeMode(t, true);
		p.ota(t, true);
		expect(p.decide(t).reason).toBe("fail-safe:safe-mode");
		p.safeMode(t, false);
		expect(p.decide(t).reason).toBe("fail-safe:ota");
		p.ota(t, false);
		expect(p.decide(t).reason).toBe("fail-safe:sensor");
		p.lux(t, 5);
		expect(p.decide(t).reason).toBe("fail-safe:offline");
	});
});

describe("LampPolicy precedence (override > fail-safe > dark ? max(schedule, boost) : off)", () => {
	const schedule = [{ fromMin: 0, toMin: 6 * 60, percent: 30 }];
	const rows: [string, (p: LampPolicy) => void, number, string][] = [
		["day", () => {}, 0, "day"],
		["night, in schedule", (p) => p.lux(S, 5), 30, "schedule"],
		["night + presence", (p) => (p.lux(S, 5), p.presence(S)), 90, "presence"],
		["day + presence", (p) => p.presence(S), 0, "day"],
		["day + offline", (p) => p.link(S, false), 0, "day"],
		["night + offline", (p) => (p.lux(S, 5), p.link(S, false)), 75, "fail-safe:offline"],
		["night + presence + ota", (p) => (p.lux(S, 5), p.presence(S), p.ota(S, true)), 75, "fail-safe:ota"],
		["offline + override off", (p) => (p.link(S, false), p.override(S, { percent: 0, untilMs: HOUR })), 0, "override"],
		["safe mode + override 10", (p) => (p.safeMode(S, true), p.override(S, { percent: 10, untilMs: HOUR })), 10, "override"],
		["night + presence + override 5", (p) => (p.lux(S, 5), p.presence(S), p.override(S, { percent: 5, untilMs: HOUR })), 5, "override"],
	];
	for (const [name, setup, percent, reason] of rows) {
		it(name, () => {
			// holdMs 0 so one reading switches; offline after 1 ms.
			const p = policy(500, { schedule, holdMs: 0, boostPercent: 90, failSafePercent: 75, offlineGraceMs: 1 });
			setup(p);
			expect(p.decide(2 * S, 120)).toEqual({ percent, reason });
		});
	}
});

describe("LampPolicy config validation", () => {
	const cases: [Partial<LampPolicyConfig>, string][] = [
		[{ onBelowLux: -1 }, "onBelowLux"],
		[{ onBelowLux: 70 }, "offAboveLux"],
		[{ offAboveLux: NaN }, "offAboveLux"],
		[{ holdMs: -5 }, "holdMs"],
		[{ holdMs: Infinity }, "holdMs"],
		[{ nightPercent: 120 }, "nightPercent"],
		[{ boostPercent: -1 }, "boostPercent"],
		[{ failSafePercent: NaN }, "failSafePercent"],
		[{ boostHoldMs: "60" as never }, "boostHoldMs"],
		[{ offlineGraceMs: -1 }, "offlineGraceMs"],
		[{ sensorStaleMs: 0 }, "sensorStaleMs"],
		[{ maxOverrideMs: 0 }, "maxOverrideMs"],
		[{ schedule: "22-05" as never }, "schedule"],
		[{ schedule: [{ fromMin: 1440, toMin: 0, percent: 50 }] }, "schedule[0].fromMin"],
		[{ schedule: [{ fromMin: 0, toMin: 10.5, percent: 50 }] }, "schedule[0].toMin"],
		[{ schedule: [{ fromMin: 10, toMin: 10, percent: 50 }] }, "schedule[0]"],
		[{ schedule: [{ fromMin: 0, toMin: 10, percent: 150 }] }, "schedule[0].percent"],
		[{ schedule: [{ fromMin: 1320, toMin: 300, percent: 50 }, { fromMin: 240, toMin: 360, percent: 70 }] }, "schedule[1]"],
		[{ holdMS: 5 } as never, "holdMS"],
	];
	for (const [config, key] of cases) {
		it(`rejects ${JSON.stringify(config)} naming ${key}`, () => {
			const e = thrown(() => new LampPolicy(config));
			expect(e).toBeInstanceOf(ConfigError);
			expect((e as ConfigError).key).toBe(key);
		});
	}

	it("configure validates the merged result and keeps the old config on error", () => {
		const p = policy(5);
		expect(() => p.configure({ offAboveLux: 20 })).toThrow(ConfigError);
		expect(p.config.offAboveLux).toBe(60);
		p.configure({ nightPercent: 60 });
		expect(p.decide(0)).toEqual({ percent: 60, reason: "night" });
	});

	it("the config it keeps is frozen", () => {
		const p = new LampPolicy({ schedule: [{ fromMin: 0, toMin: 60, percent: 10 }] });
		expect(Object.isFrozen(p.config)).toBe(true);
		expect(Object.isFrozen(p.config.schedule[0])).toBe(true);
	});
});

/** An in-memory store that records what was saved. */
function memoryStore(initial?: unknown) {
	const store = {
		record: initial as LampEnergyRecord | undefined,
		writes: [] as LampEnergyRecord[],
		failSave: false,
		load: () => store.record,
		save(v: LampEnergyRecord) {
			if (store.failSave) throw new Error("nvs full");
			store.record = { ...v };
			store.writes.push({ ...v });
		},
	};
	return store;
}

describe("LampEnergy", () => {
	it("100 W at 50 % for 2 h is 100 Wh and 2 burn hours", () => {
		const e = new LampEnergy({ ratedW: 100, store: memoryStore() }, 0);
		e.update(0, 50);
		e.update(2 * HOUR, 0);
		expect(e.wh).toBe(100);
		expect(e.mWh).toBe(100_000);
		expect(e.burnMs).toBe(2 * HOUR);
		expect(e.burnHours).toBe(2);
	});

	it("many small steps add up without drift", () => {
		const e = new LampEnergy({ ratedW: 37, store: memoryStore() }, 0);
		e.update(0, 33);
		for (let t = 7; t <= 700_000; t += 7) e.update(t, 33);
		// 37 W × 33 % over 100 000 steps of 7 ms
		expect(e.wh).toBeCloseTo((37 * 0.33 * 700_000) / HOUR, 9);
	});

	it("burn hours count only time with level > 0; standby energy counts at 0 %", () => {
		const e = new LampEnergy({ ratedW: 100, standbyW: 1, store: memoryStore() }, 0);
		e.update(0, 0);
		e.update(HOUR, 100);
		e.update(2 * HOUR, 0);
		e.update(3 * HOUR, 0);
		expect(e.burnHours).toBe(1);
		expect(e.wh).toBe(102);
	});

	it("persists and reloads the lifetime counters", () => {
		const store = memoryStore();
		const a = new LampEnergy({ ratedW: 100, store, saveEveryBurnMs: 2 * HOUR }, 0);
		expect(a.origin).toBe("empty");
		a.update(0, 100);
		a.update(HOUR, 0);
		expect(a.flush(HOUR)).toBe(true);
		expect(store.record).toEqual({ mWh: 100_000, burnMs: HOUR });
		const b = new LampEnergy({ ratedW: 100, store }, 0); // after a reboot
		expect(b.origin).toBe("restored");
		expect(b.wh).toBe(100);
		b.update(0, 50);
		b.update(HOUR, 0);
		expect(b.wh).toBe(150);
		expect(b.burnHours).toBe(2);
	});

	it("stored values are integers", () => {
		const store = memoryStore();
		const e = new LampEnergy({ ratedW: 13.7, store }, 0);
		e.update(0, 41);
		e.update(1234.5, 0);
		e.flush(1234.5);
		expect(Number.isInteger(store.record!.mWh)).toBe(true);
		expect(Number.isInteger(store.record!.burnMs)).toBe(true);
	});

	it("saves at most once per saveEveryBurnMs of burn, never by day", () => {
		const store = memoryStore();
		const e = new LampEnergy({ ratedW: 60, store }, 0);
		e.update(0, 100);
		for (let t = MIN; t <= 2 * HOUR; t += MIN) e.update(t, 100);
		expect(store.writes).toHaveLength(8); // every 15 min of burn
		expect(store.writes[0]).toEqual({ mWh: 15_000, burnMs: 15 * MIN });
		e.update(2 * HOUR, 0);
		for (let t = 2 * HOUR + MIN; t <= 14 * HOUR; t += MIN) e.update(t, 0);
		expect(store.writes).toHaveLength(8);
		expect(e.saves).toBe(8);
	});

	it("a whole day of burning writes at most 96 times", () => {
		const store = memoryStore();
		const e = new LampEnergy({ ratedW: 100, store }, 0);
		e.update(0, 100);
		for (let t = 10 * S; t <= 24 * HOUR; t += 10 * S) e.update(t, 100);
		expect(store.writes.length).toBeLessThanOrEqual(96);
		expect(store.writes.length).toBe(96);
	});

	it("a reboot loses at most the burn since the last save", () => {
		const store = memoryStore();
		const e = new LampEnergy({ ratedW: 100, store }, 0);
		e.update(0, 100);
		for (let t = MIN; t <= 29 * MIN; t += MIN) e.update(t, 100);
		// power cut at 29 min: no flush
		const after = new LampEnergy({ ratedW: 100, store }, 0);
		expect(after.burnMs).toBe(15 * MIN);
		expect(e.burnMs - after.burnMs).toBeLessThan(15 * MIN);
	});

	it("flush writes only when something changed", () => {
		const store = memoryStore();
		const e = new LampEnergy({ ratedW: 100, store }, 0);
		expect(e.flush(HOUR)).toBe(false);
		e.update(HOUR, 10);
		expect(e.flush(HOUR + MIN)).toBe(true);
		expect(e.flush(HOUR + MIN)).toBe(false);
		expect(store.writes).toHaveLength(1);
	});

	it("a corrupt or unreadable record starts from zero", () => {
		expect(new LampEnergy({ ratedW: 100, store: memoryStore({ mWh: -1, burnMs: 0 }) }).origin).toBe("corrupt");
		expect(new LampEnergy({ ratedW: 100, store: memoryStore({ mWh: 1.5, burnMs: 0 }) }).origin).toBe("corrupt");
		expect(new LampEnergy({ ratedW: 100, store: memoryStore(null) }).origin).toBe("corrupt");
		const broken: LampEnergyStore = {
			load() {
				throw new Error("nvs read");
			},
			save() {},
		};
		const e = new LampEnergy({ ratedW: 100, store: broken });
		expect(e.origin).toBe("corrupt");
		expect(e.wh).toBe(0);
	});

	it("a failed save throws StorageError, or goes to onError, and is retried an interval later", () => {
		const store = memoryStore();
		store.failSave = true;
		const loud = new LampEnergy({ ratedW: 100, store }, 0);
		loud.update(0, 100);
		expect(() => loud.update(15 * MIN, 100)).toThrow(StorageError);
		const errors: unknown[] = [];
		const quiet = new LampEnergy({ ratedW: 100, store, onError: (err) => errors.push(err) }, 0);
		quiet.update(0, 100);
		for (let t = MIN; t <= 20 * MIN; t += MIN) quiet.update(t, 100);
		expect(errors).toHaveLength(1); // not retried every minute
		expect(errors[0]).toBeInstanceOf(StorageError);
		store.failSave = false;
		for (let t = 21 * MIN; t <= 30 * MIN; t += MIN) quiet.update(t, 100);
		expect(store.writes).toHaveLength(1);
		expect(store.writes[0].burnMs).toBe(30 * MIN);
	});

	it("refuses bad options, levels and time going back", () => {
		const store = memoryStore();
		expect((thrown(() => new LampEnergy({ ratedW: 0, store })) as ConfigError).key).toBe("ratedW");
		expect((thrown(() => new LampEnergy({ ratedW: 100, standbyW: -1, store })) as ConfigError).key).toBe("standbyW");
		expect((thrown(() => new LampEnergy({ ratedW: 100, saveEveryBurnMs: 1000, store })) as ConfigError).key).toBe("saveEveryBurnMs");
		expect((thrown(() => new LampEnergy({ ratedW: 100, store: {} as never })) as ConfigError).key).toBe("store");
		const e = new LampEnergy({ ratedW: 100, store }, 1000);
		expect(() => e.update(2000, 101)).toThrow(RangeError);
		expect(() => e.update(2000, NaN)).toThrow(RangeError);
		expect(() => e.update(500, 50)).toThrow(/time went back/);
	});
});
