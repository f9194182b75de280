import { describe, expect, it } from "vitest";
import { crowdingOf, localHHMM, NOTICE_TEXT, NOTICES, showDepartures, type DeparturesInput } from "../../firmware/apps/stop-sign/departures";
import type { BoardDeparture, StopBoard, StopTimetable } from "../../firmware/contract/board-payloads";
import type { ScreenModel } from "../../firmware/apps/stop-sign/screen-model";
import { UI_STRINGS } from "../../firmware/apps/stop-sign/ui-strings";

const T = 1_767_258_000; // 2026-01-01T09:00:00Z = 01:00 at UTC−8
const NOW = T * 1000 + 10_000; // the board is 10 s old

function dep(over: Partial<BoardDeparture>): BoardDeparture {
	return { trip: "t", route: "20", dest: "to Bullfrog", sched: T + 600, st: "sched", ...over };
}

function board(deps: BoardDeparture[], over: Partial<StopBoard> = {}): StopBoard {
	return { v: 1, stop: "S", name: "Bullfrog", nameZh: "牛蛙", t: T, tz: -480, deps, ...over };
}

const TIMETABLE: StopTimetable = {
	v: 1,
	stop: "S",
	name: "Bullfrog (timetable)",
	tz: -480,
	from: T - 3600,
	until: T + 86_400,
	routes: ["20", "10"],
	dests: ["to Bullfrog", "to Airport"],
	destsZh: ["往牛蛙", ""],
	// 08:00Z (past), 09:05Z, 09:30Z
	deps: [0, 0, 0, 65, 1, 1, 90, 0, 0],
};

function one(input: DeparturesInput): ScreenModel {
	return showDepartures(input);
}

/** The single row a one-departure board shows now. */
function row(d: Partial<BoardDeparture>, now = NOW, extra: Partial<DeparturesInput> = {}) {
	const m = one({ board: board([dep(d)]), now, ...extra });
	expect(m.source).toBe("live");
	return m.rows[0];
}

describe("departures: live board (semantics table)", () => {
	const P = (s: number) => ({ st: "live" as const, pred: Math.floor(NOW / 1000) + s });
	const cases: [string, Partial<BoardDeparture>, unknown][] = [
		["10 min away → 10 min", P(600), { kind: "min", min: 10 }],
		["10 min 59 s → 10 min (floor)", P(659), { kind: "min", min: 10 }],
		["89 s → Due", P(89), { kind: "due" }],
		["90 s → 1 min, not Due", P(90), { kind: "min", min: 1 }],
		["0 s → Due", P(0), { kind: "due" }],
		["30 s past → still Due", P(-30), { kind: "due" }],
		["scheduled → clock of sched (local)", { st: "sched", sched: T + 600 }, { kind: "clock", hhmm: "01:10" }],
		["skipped → Not stopping with sched clock", { st: "skipped", sched: T + 900 }, { kind: "skipped", hhmm: "01:15" }],
		["canceled → Cancelled with sched clock", { st: "canceled", sched: T + 900 }, { kind: "canceled", hhmm: "01:15" }],
	];
	for (const [name, d, when] of cases) it(name, () => expect(row(d).when).toEqual(when));

	it("31 s past → departed, dropped", () => {
		expect(one({ board: board([dep(P(-31))]), now: NOW }).rows).toEqual([]);
	});
	it("a scheduled departure whose time has passed is dropped", () => {
		expect(one({ board: board([dep({ sched: T - 60 })]), now: NOW }).rows).toEqual([]);
	});
	it("Due threshold is configurable", () => {
		expect(row(P(100), NOW, { dueS: 120 }).when).toEqual({ kind: "due" });
		expect(row(P(100), NOW, { dueS: 60 }).when).toEqual({ kind: "min", min: 1 });
	});
	it("approx only when the uncertainty is known and ≥ 60 s", () => {
		expect(row({ ...P(600), unc: 60 }).approx).toBe(true);
		expect(row({ ...P(600), unc: 59 }).approx).toBeUndefined();
		expect(row({ ...P(600), unc: 0 }).approx).toBeUndefined();
		expect(row(P(600)).approx).toBeUndefined();
	});
	it("keeps the board's order, caps rows, carries names, alert and updated", () => {
		const m = one({ board: board([dep(P(120)), dep({ ...P(300), destZh: "往机场" }), dep(P(600))], { alert: "Detour", alertZh: "绕行" }), now: NOW, rows: 2 });
		expect(m.rows.map((r) => r.when)).toEqual([{ kind: "min", min: 2 }, { kind: "min", min: 5 }]);
		expect(m.rows[1].destZh).toBe("往机场");
		expect(m).toEqual({ ...m, stopName: "Bullfrog", stopNameZh: "牛蛙", updated: "01:00", alert: "Detour", alertZh: "绕行", source: "live" });
		expect(m.notice).toBeUndefined();
	});
	it("an empty fresh board is live with no rows (not a fallback)", () => {
		const m = one({ board: board([]), timetable: TIMETABLE, now: NOW });
		expect(m.source).toBe("live");
		expect(m.rows).toEqual([]);
	});
});

describe("departures: staleness and fallback", () => {
	const live = board([dep({ st: "live", pred: T + 600 }), dep({ st: "canceled", sched: T + 1800 })]);
	it("at the TTL exactly the board is still live", () => {
		expect(one({ board: live, timetable: TIMETABLE, now: T * 1000 + 90_000 }).source).toBe("live");
	});
	it("stale at TTL + 1 s → timetable clock times, never minutes, no cancellations", () => {
		const m = one({ board: live, timetable: TIMETABLE, now: T * 1000 + 91_000 });
		expect(m.source).toBe("timetable");
		expect(m.notice).toBe(NOTICES.stale);
		expect(m.rows).toEqual([
			{ route: "10", dest: "to Airport", when: { kind: "clock", hhmm: "01:05" } },
			{ route: "20", dest: "to Bullfrog", destZh: "往牛蛙", when: { kind: "clock", hhmm: "01:30" } },
		]);
		expect(m.updated).toBe("01:00");
	});
	it("the TTL is configurable", () => {
		expect(one({ board: live, timetable: TIMETABLE, now: T * 1000 + 200_000, ttlS: 300 }).source).toBe("live");
		expect(one({ board: live, timetable: TIMETABLE, now: T * 1000 + 31_000, ttlS: 30 }).source).toBe("timetable");
	});
	it("no board → timetable with the offline notice and the timetable's time as updated", () => {
		const m = one({ timetable: TIMETABLE, now: NOW });
		expect(m.source).toBe("timetable");
		expect(m.notice).toBe(NOTICES.offline);
		expect(m.rows.length).toBe(2);
		expect(m.updated).toBe("00:00");
		expect(m.stopName).toBe("Bullfrog (timetable)");
	});
	it("no timetable and a stale board → nothing shown, source none, no-data notice (never 'timetable shown')", () => {
		const m = one({ board: live, now: T * 1000 + 600_000 });
		expect(m).toEqual({ stopName: "Bullfrog", stopNameZh: "牛蛙", updated: "01:00", source: "none", notice: NOTICES.noData, rows: [] });
	});
	it("nothing at all → source none, no data, the configured stop name", () => {
		expect(one({ now: NOW, stopName: "Stop 7" })).toEqual({ stopName: "Stop 7", source: "none", notice: "no data", rows: [] });
	});
	it("a timetable past its until shows nothing", () => {
		const m = one({ timetable: TIMETABLE, now: (TIMETABLE.until + 60) * 1000 });
		expect(m.source).toBe("none");
		expect(m.notice).toBe(NOTICES.noData);
		expect(m.rows).toEqual([]);
	});
	it("a future board and no timetable → source none, the future reason kept", () => {
		const m = one({ board: board([], { t: T + 3600 }), now: T * 1000 });
		expect(m.source).toBe("none");
		expect(m.notice).toBe(NOTICES.future);
	});
	it("clock not set → no rows at all, even with a fresh-looking board", () => {
		const m = one({ board: live, timetable: TIMETABLE });
		expect(m.source).toBe("none");
		expect(m.rows).toEqual([]);
		expect(m.notice).toBe(NOTICES.clockNotSet);
		expect(m.updated).toBe("01:00");
	});
	it("a board more than 5 min in the future is ignored (timetable shown, reason given)", () => {
		const future = board([dep({ st: "live", pred: T + 600 })], { t: T + 301 });
		const m = one({ board: future, timetable: TIMETABLE, now: T * 1000 });
		expect(m.source).toBe("timetable");
		expect(m.notice).toBe(NOTICES.future);
		expect(m.updated).toBe("00:00");
		expect(one({ board: { ...future, t: T + 300 }, now: T * 1000 }).source).toBe("live");
	});
	it("every notice maps to a UI string", () => {
		for (const n of Object.values(NOTICES)) expect(UI_STRINGS[NOTICE_TEXT[n]].en.length).toBeGreaterThan(0);
	});
});

describe("departures: crowding", () => {
	const levels: [number, string | undefined][] = [
		[0, "low"],
		[1, "low"],
		[2, "mid"],
		[3, "mid"],
		[4, "high"],
		[5, "high"],
		[6, "high"],
		[7, undefined],
		[8, "noboard"],
	];
	for (const [occ, level] of levels) {
		it(`OccupancyStatus ${occ} → ${level ?? "absent"}`, () => {
			expect(crowdingOf(occ)).toBe(level);
			expect(row({ st: "live", pred: T + 600, occ }).crowd).toBe(level);
		});
	}
	it("an unknown code or no occupancy → absent", () => {
		expect(crowdingOf(42)).toBeUndefined();
		expect(crowdingOf(undefined)).toBeUndefined();
	});
	it("carriages: status unless NO_DATA, else percentage, −1 → null", () => {
		const r = row({ st: "live", pred: T + 600, cars: { occ: [7, 7, 7, 7, 5, 8], pct: [39, 40, 80, -1, 10, -1] } });
		expect(r.cars).toEqual(["low", "mid", "high", null, "high", "noboard"]);
	});
	it("carriages with no data at all → cars absent", () => {
		expect(row({ st: "live", pred: T + 600, cars: { occ: [7, 7], pct: [-1, -1] } }).cars).toBeUndefined();
	});
});

describe("localHHMM", () => {
	it("applies the offset across midnight both ways", () => {
		expect(localHHMM(Date.UTC(2026, 0, 1, 23, 30), 480)).toBe("07:30");
		expect(localHHMM(Date.UTC(2026, 0, 1, 2, 5), -480)).toBe("18:05");
		expect(localHHMM(Date.UTC(2026, 0, 1, 0, 0), 0)).toBe("00:00");
		expect(localHHMM(Date.UTC(2026, 0, 1, 23, 59, 59), 0)).toBe("23:59");
		expect(localHHMM(Date.UTC(2026, 0, 1, 15, 15), 345)).toBe("21:00");
	});
	it("updated uses the board's tz across midnight", () => {
		const m = one({ board: board([], { t: Date.UTC(2026, 0, 1, 16, 1) / 1000, tz: 480 }), now: Date.UTC(2026, 0, 1, 16, 1, 30) });
		expect(m.updated).toBe("00:01");
	});
});
