// E-paper refresh policy: partial by default, full every N partials once the
// minimum interval has passed, full at least daily, no refresh when cold,
// full after a cold boot; counters persisted in NVS and restored. A table of
// single decisions, then simulated 24-hour runs. Portable: vitest and XS.
import { describe, it, expect } from "vitest";
import Preference from "preference";
import { RefreshPolicy, freshCounters, type RefreshAction, type RefreshCounters, type RefreshPolicyOptions, type RefreshStore } from "../../firmware/apps/stop-sign/refresh-policy";
import { NvsRefreshStore, REFRESH_KEY, RECORD_BYTES, decodeCounters, encodeCounters } from "../../firmware/apps/stop-sign/refresh-store";

class MemoryStore implements RefreshStore {
	saved: RefreshCounters | undefined;
	saves = 0;
	load(): RefreshCounters | undefined {
		return this.saved && { ...this.saved };
	}
	save(c: RefreshCounters): void {
		this.saves++;
		this.saved = { ...c };
	}
}

/** The same counters as `after(partials)`, in a policy booted afresh on them with `options`. */
function rebooted(partials: number, options: RefreshPolicyOptions): RefreshPolicy {
	const store = new MemoryStore();
	after(partials, {}, store);
	return new RefreshPolicy(store, options);
}

/** A policy whose panel got a full refresh at t = 0, then `partials` partials at t = 1, 2, …. */
function after(partials: number, options: RefreshPolicyOptions = {}, store = new MemoryStore()): RefreshPolicy {
	const p = new RefreshPolicy(store, options);
	p.done("full", 0);
	for (let i = 1; i <= partials; i++) p.done("partial", i);
	return p;
}

interface Row {
	name: string;
	policy: () => RefreshPolicy;
	at: [nowS: number, celsius: number | undefined, changed: boolean];
	action: RefreshAction;
	reason?: string;
}

const TABLE: Row[] = [
	{ name: "a change after a recent full → partial", policy: () => after(0), at: [10, 20, true], action: "partial", reason: "changed" },
	{ name: "nothing changed → none", policy: () => after(3), at: [60, 20, false], action: "none", reason: "unchanged" },
	{ name: "29 partials → still partial", policy: () => after(29), at: [500, 20, true], action: "partial" },
	{ name: "30 partials, 179 s after the full → partial while waiting out 180 s", policy: () => after(30), at: [179, 20, true], action: "partial", reason: "only 179 s" },
	{ name: "30 partials, 180 s after the full → full", policy: () => after(30), at: [180, 20, true], action: "full", reason: "30 partials" },
	{ name: "45 partials (waited) → full at 180 s", policy: () => after(45), at: [200, 20, true], action: "full" },
	{ name: "fullEvery 5 → full at the 5th", policy: () => after(5, { fullEvery: 5 }), at: [200, 20, true], action: "full" },
	{ name: "24 h unchanged → full anyway (ghosting)", policy: () => after(1), at: [86_400, 20, false], action: "full", reason: "86400 s" },
	{ name: "24 h − 1 s unchanged → none", policy: () => after(1), at: [86_399, 20, false], action: "none" },
	{ name: "fullMaxIntervalS 3600 → full after an hour", policy: () => after(1, { fullMaxIntervalS: 3600 }), at: [3600, 20, false], action: "full" },
	{ name: "below 0 °C → skip, the last image stays", policy: () => after(2), at: [60, -3.2, true], action: "skip", reason: "cold: -3.2 °C < 0 °C" },
	{ name: "cold and unchanged → none", policy: () => after(2), at: [60, -3.2, false], action: "none" },
	{ name: "cold and a full overdue → skip", policy: () => after(2), at: [90_000, -1, false], action: "skip", reason: "cold: -1 °C" },
	{ name: "exactly 0 °C → refresh", policy: () => after(2), at: [60, 0, true], action: "partial" },
	{ name: "minCelsius −10 → refresh at −3.2 °C", policy: () => after(2, { minCelsius: -10 }), at: [60, -3.2, true], action: "partial" },
	{ name: "minCelsius −10 → skip at −10.5 °C", policy: () => after(2, { minCelsius: -10 }), at: [60, -10.5, true], action: "skip", reason: "cold: -10.5 °C < -10 °C" },
	{ name: "temperature unknown → refresh, and the reason says so", policy: () => after(2), at: [60, undefined, true], action: "partial", reason: "temperature unknown" },
	{ name: "temperature unknown, 30 partials, 180 s → full", policy: () => after(30), at: [180, undefined, true], action: "full", reason: "temperature unknown" },
	{ name: "cold boot (option) → full although the counters say recent", policy: () => rebooted(1, { coldBoot: true }), at: [5, 20, true], action: "full", reason: "cold boot" },
	{ name: "cold boot and unchanged → full (the panel image is unknown)", policy: () => rebooted(1, { coldBoot: true }), at: [5, 20, false], action: "full" },
	{ name: "cold boot below 0 °C → skip", policy: () => rebooted(1, { coldBoot: true }), at: [5, -5, true], action: "skip" },
	{
		name: "coldBoot() method → full",
		policy: () => {
			const p = after(1);
			p.coldBoot();
			return p;
		},
		at: [5, 20, true],
		action: "full",
	},
	{ name: "no full ever recorded (fresh store) → full", policy: () => new RefreshPolicy(new MemoryStore()), at: [100, 20, true], action: "full", reason: "no full" },
	{
		name: "clock went back before the last full → full",
		policy: () => {
			const p = new RefreshPolicy(new MemoryStore());
			p.done("full", 1_700_000_000);
			return p;
		},
		at: [1000, 20, true],
		action: "full",
		reason: "clock went back",
	},
];

describe("RefreshPolicy decisions (table)", () => {
	for (const row of TABLE)
		it(row.name, () => {
			const p = row.policy();
			const before = p.counters();
			const d = p.decide(...row.at);
			expect(d.action).toBe(row.action);
			if (row.reason) expect(d.reason).toContain(row.reason);
			expect(p.counters()).toEqual(before); // decide never changes state
		});
});

describe("RefreshPolicy counters", () => {
	it("a full resets the partial count and ghosting and records its time", () => {
		const p = after(12);
		expect(p.counters()).toEqual({ partialsSinceFull: 12, fullTotal: 1, partialTotal: 12, skippedCold: 0, lastFullS: 0, ghost: 12 });
		p.done("full", 500);
		expect(p.counters()).toEqual({ partialsSinceFull: 0, fullTotal: 2, partialTotal: 12, skippedCold: 0, lastFullS: 500, ghost: 0 });
	});

	it("a cold skip keeps every counter except skippedCold", () => {
		const p = after(7);
		const before = p.counters();
		expect(p.decide(100, -3.2, true).action).toBe("skip");
		p.done("skip", 100);
		expect(p.counters()).toEqual({ ...before, skippedCold: 1 });
		// once warm again it goes on where it was
		expect(p.decide(200, 5, true).action).toBe("partial");
	});

	it('"none" persists nothing; every other action saves', () => {
		const store = new MemoryStore();
		const p = new RefreshPolicy(store);
		p.done("none", 1);
		expect(store.saves).toBe(0);
		p.done("full", 1);
		p.done("partial", 2);
		p.done("skip", 3);
		expect(store.saves).toBe(3);
	});

	it("counters persist through a new RefreshPolicy on the same store (reboot, deep sleep)", () => {
		const store = new MemoryStore();
		const p = after(29, {}, store);
		p.done("skip", 40);
		const reborn = new RefreshPolicy(store);
		expect(reborn.counters()).toEqual(p.counters());
		reborn.done("partial", 300);
		expect(reborn.decide(301, 20, true).action).toBe("full"); // the 30 partials span the reboot
	});

	it("a corrupt or throwing store gives fresh counters, and the first refresh is full", () => {
		const bad: RefreshStore = { load: () => ({ partialsSinceFull: -1, fullTotal: "x" }) as unknown as RefreshCounters, save() {} };
		const p = new RefreshPolicy(bad);
		expect(p.counters()).toEqual(freshCounters());
		expect(p.decide(10, 20, true).action).toBe("full");
		const throwing: RefreshStore = {
			load() {
				throw new Error("NVS read failed");
			},
			save() {},
		};
		expect(new RefreshPolicy(throwing).counters()).toEqual(freshCounters());
	});

	it("a store that fails to save throws from done, with the counters in memory already updated", () => {
		const store: RefreshStore = {
			load: () => undefined,
			save() {
				throw new Error("NVS full");
			},
		};
		const p = new RefreshPolicy(store);
		expect(() => p.done("full", 10)).toThrow("NVS full");
		expect(p.counters().fullTotal).toBe(1);
		expect(p.decide(20, 20, true).action).toBe("partial");
	});

	it("bad options and an unknown action are clear errors", () => {
		expect(() => new RefreshPolicy(new MemoryStore(), { fullEvery: 0 })).toThrow("fullEvery");
		expect(() => new RefreshPolicy(new MemoryStore(), { fullMinIntervalS: -1 })).toThrow("fullMinIntervalS");
		expect(() => new RefreshPolicy(new MemoryStore(), { fullMaxIntervalS: Number.NaN })).toThrow("fullMaxIntervalS");
		expect(() => new RefreshPolicy(new MemoryStore(), { minCelsius: Number.POSITIVE_INFINITY })).toThrow("minCelsius");
		expect(() => new RefreshPolicy(new MemoryStore()).done("flash" as RefreshAction, 0)).toThrow('unknown action "flash"');
	});
});

describe("NvsRefreshStore", () => {
	it("round-trips the counters through Preference (domain epd by default)", () => {
		Preference.delete("epd", REFRESH_KEY);
		const store = new NvsRefreshStore();
		expect(store.load()).toBeUndefined();
		const c: RefreshCounters = { partialsSinceFull: 7, fullTotal: 3, partialTotal: 1234, skippedCold: 2, lastFullS: 1_767_225_600, ghost: 7 };
		store.save(c);
		expect(new NvsRefreshStore().load()).toEqual(c);
		const v = Preference.get("epd", REFRESH_KEY);
		expect(v instanceof ArrayBuffer && v.byteLength).toBe(RECORD_BYTES);
	});

	it("keeps lastFullS undefined apart from 0", () => {
		const store = new NvsRefreshStore("epdt1");
		store.save(freshCounters());
		expect(store.load()).toEqual(freshCounters());
		expect(store.load()?.lastFullS).toBeUndefined();
		store.save({ ...freshCounters(), lastFullS: 0 });
		expect(store.load()?.lastFullS).toBe(0);
	});

	it("a corrupt value reads as no counters, and the policy starts fresh", () => {
		const store = new NvsRefreshStore("epdt2");
		const good = encodeCounters({ partialsSinceFull: 5, fullTotal: 1, partialTotal: 5, skippedCold: 0, lastFullS: 100, ghost: 5 });
		const flipped = good.slice();
		flipped[9] ^= 0x40;
		Preference.set("epdt2", REFRESH_KEY, flipped.buffer as ArrayBuffer);
		expect(store.load()).toBeUndefined();
		expect(new RefreshPolicy(store).counters()).toEqual(freshCounters());
		Preference.set("epdt2", REFRESH_KEY, good.slice(0, 20).buffer as ArrayBuffer); // torn/short
		expect(store.load()).toBeUndefined();
		Preference.set("epdt2", REFRESH_KEY, "not a record");
		expect(store.load()).toBeUndefined();
		Preference.set("epdt2", REFRESH_KEY, 42);
		expect(store.load()).toBeUndefined();
		const otherVersion = good.slice();
		otherVersion[2] = 2;
		expect(decodeCounters(otherVersion)).toBeUndefined();
		expect(decodeCounters(good)).toEqual({ partialsSinceFull: 5, fullTotal: 1, partialTotal: 5, skippedCold: 0, lastFullS: 100, ghost: 5 });
	});

	it("the policy's counters survive a reboot through NVS", () => {
		const p = new RefreshPolicy(new NvsRefreshStore("epdt3"));
		p.done("full", 1000);
		for (let i = 0; i < 4; i++) p.done("partial", 1001 + i);
		const reborn = new RefreshPolicy(new NvsRefreshStore("epdt3"));
		expect(reborn.counters()).toEqual({ partialsSinceFull: 4, fullTotal: 1, partialTotal: 4, skippedCold: 0, lastFullS: 1000, ghost: 4 });
		expect(reborn.decide(1010, 20, true).action).toBe("partial");
	});
});

interface Run {
	fulls: number[];
	partials: number;
	skips: number;
	nones: number;
	/** partials counted since the last full, and whether each one past fullEvery happened within fullMinIntervalS of it */
	maxRun: number;
	overrunOutsideWait: number;
}

/** Runs the policy every `stepS` from `fromS` to `toS`; `changed(t)` and `celsius(t)` drive it. */
function simulate(p: RefreshPolicy, fromS: number, toS: number, stepS: number, changed: (t: number) => boolean, celsius: (t: number) => number | undefined): Run {
	const run: Run = { fulls: [], partials: 0, skips: 0, nones: 0, maxRun: 0, overrunOutsideWait: 0 };
	let sincefull = 0;
	for (let t = fromS; t <= toS; t += stepS) {
		const d = p.decide(t, celsius(t), changed(t));
		if (d.action === "full") {
			run.fulls.push(t);
			sincefull = 0;
		} else if (d.action === "partial") {
			run.partials++;
			sincefull++;
			run.maxRun = Math.max(run.maxRun, sincefull);
			const last = run.fulls[run.fulls.length - 1];
			if (sincefull > p.fullEvery && (last === undefined || t - last >= p.fullMinIntervalS)) run.overrunOutsideWait++;
		} else if (d.action === "skip") run.skips++;
		else run.nones++;
		p.done(d.action, t);
	}
	return run;
}

describe("RefreshPolicy over simulated days", () => {
	const DAY = 86_400;

	it("a change every 30 s for 24 h: full at least daily, never two fulls < 180 s apart, ≤ 30 partials between fulls, totals add up", () => {
		const store = new MemoryStore();
		const p = new RefreshPolicy(store, { coldBoot: true });
		const run = simulate(p, 0, DAY, 30, () => true, () => 18);
		expect(run.fulls.length).toBeGreaterThanOrEqual(1);
		expect(run.fulls[0]).toBe(0); // cold boot
		for (let i = 1; i < run.fulls.length; i++) expect(run.fulls[i] - run.fulls[i - 1]).toBeGreaterThanOrEqual(180);
		expect(run.maxRun).toBeLessThanOrEqual(30);
		expect(run.overrunOutsideWait).toBe(0);
		const c = p.counters();
		expect(c.fullTotal).toBe(run.fulls.length);
		expect(c.partialTotal).toBe(run.partials);
		expect(c.fullTotal + c.partialTotal + c.skippedCold + run.nones).toBe(DAY / 30 + 1);
		expect(store.saved).toEqual(c);
		// 30 partials at 30 s = 900 s, then a full: one full per 31 refreshes
		expect(c.fullTotal).toBe(Math.ceil((DAY / 30 + 1) / 31));
	});

	it("a change every 5 s: partials continue past 30 only while waiting out the 180 s", () => {
		const p = new RefreshPolicy(new MemoryStore(), { coldBoot: true });
		const run = simulate(p, 0, DAY, 5, () => true, () => 18);
		expect(run.maxRun).toBeGreaterThan(30);
		expect(run.maxRun).toBeLessThanOrEqual(180 / 5);
		expect(run.overrunOutsideWait).toBe(0);
		for (let i = 1; i < run.fulls.length; i++) expect(run.fulls[i] - run.fulls[i - 1]).toBeGreaterThanOrEqual(180);
	});

	it("three days without a change: one full per day clears the ghosting", () => {
		const p = new RefreshPolicy(new MemoryStore(), { coldBoot: true });
		const run = simulate(p, 0, 3 * DAY, 60, (t) => t === 0, () => 18);
		expect(run.fulls).toEqual([0, DAY, 2 * DAY, 3 * DAY]);
		expect(run.partials).toBe(0);
	});

	it("a frosty night: nothing refreshes below 0 °C, counting resumes after, and the counters add up", () => {
		const p = new RefreshPolicy(new MemoryStore(), { coldBoot: true });
		const cold = (t: number) => t >= 2 * 3600 && t < 6 * 3600;
		const run = simulate(p, 0, DAY, 30, () => true, (t) => (cold(t) ? -4 : t % 600 === 0 ? undefined : 6));
		expect(run.skips).toBe((4 * 3600) / 30);
		for (const t of run.fulls) expect(cold(t)).toBe(false);
		const c = p.counters();
		expect(c.skippedCold).toBe(run.skips);
		expect(c.fullTotal + c.partialTotal + c.skippedCold).toBe(DAY / 30 + 1);
		expect(run.overrunOutsideWait).toBe(0);
	});

	it("a reboot mid-day (new policy, same store, not a cold boot) keeps the rhythm", () => {
		const store = new MemoryStore();
		const first = new RefreshPolicy(store, { coldBoot: true });
		const a = simulate(first, 0, 40_000, 30, () => true, () => 18);
		const second = new RefreshPolicy(store);
		const b = simulate(second, 40_030, DAY, 30, () => true, () => 18);
		expect(second.counters().fullTotal).toBe(a.fulls.length + b.fulls.length);
		expect(second.counters().partialTotal).toBe(a.partials + b.partials);
		const all = [...a.fulls, ...b.fulls];
		for (let i = 1; i < all.length; i++) expect(all[i] - all[i - 1]).toBeGreaterThanOrEqual(180);
		expect(b.fulls[0] ?? 0).toBeGreaterThan(40_030); // no needless full after the reboot
	});

	it("a full refresh on boot-relative seconds, rebased at clock sync, does not force another full", () => {
		const store = new MemoryStore();
		const p = new RefreshPolicy(store, { coldBoot: true });
		expect(p.decide(12, 18, true).action).toBe("full");
		p.done("full", 12);
		const epoch = 1_800_000_000;
		// Without the rebase the wall clock would read as ~57 years since that full refresh.
		expect(p.decide(epoch + 20, 18, true).action).toBe("full");
		p.rebase(epoch);
		expect(p.decide(epoch + 20, 18, true).action).toBe("partial");
		expect(new RefreshPolicy(store).counters().lastFullS).toBe(epoch + 12);
	});
});
