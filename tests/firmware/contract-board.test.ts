import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { allStopsFilter, boardTopic, freshTopic, parseTopic, timetableTopic } from "../../firmware/contract/topics";
import { BOARD_MAX_DEPARTURES, TIMETABLE_MAX_DEPARTURES, validateBoardFresh, validateStopBoard, validateStopTimetable, type StopBoard, type StopTimetable } from "../../firmware/contract/board-payloads";
import { ProtocolError } from "../../firmware/runtime/errors";
import { encode } from "../../firmware/net/cbor/index";

const T = 1_767_258_000; // 2026-01-01T09:00:00Z

function board(): StopBoard {
	return {
		v: 1,
		stop: "FUR_CREEK_RES",
		name: "Furnace Creek Resort (Demo)",
		nameZh: "熔炉溪度假村",
		t: T,
		tz: -480,
		deps: [
			{ trip: "BFC1", route: "20", dest: "to Furnace Creek Resort", destZh: "往熔炉溪", sched: T + 300, pred: T + 420, unc: 60, st: "live", occ: 2, cars: { occ: [1, 7, 5], pct: [10, -1, 95] } },
			{ trip: "BFC2", route: "20", dest: "to Bullfrog", sched: T + 900, st: "sched" },
			{ trip: "AB1", route: "10", dest: "to Bullfrog", sched: T + 1200, st: "skipped" },
			{ trip: "AB2", route: "10", dest: "to Airport", sched: T + 1500, st: "canceled" },
		],
		alert: "Route 10 detour",
		alertZh: "10路绕行",
	};
}

function timetable(): StopTimetable {
	return { v: 1, stop: "FUR_CREEK_RES", name: "Furnace Creek", tz: -480, from: T, until: T + 86_400, routes: ["20", "10"], dests: ["to Bullfrog", "to Airport"], destsZh: ["往牛蛙", ""], deps: [0, 0, 0, 15, 1, 1, 15, 0, 1, 1439, 1, 0] };
}

/** A board with one field of departure 0 replaced. */
function withDep(change: Record<string, unknown>): unknown {
	const b = board() as unknown as Record<string, unknown>;
	const deps = (b.deps as Record<string, unknown>[]).slice();
	deps[0] = { ...deps[0], ...change };
	for (const k of Object.keys(change)) if (change[k] === undefined) delete deps[0][k];
	return { ...b, deps };
}

function rejects(kind: "board" | "timetable", value: unknown, message: RegExp): void {
	expect(() => decodePayload(kind, encode(value as never))).toThrow(message);
	expect(() => (kind === "board" ? validateStopBoard(value) : validateStopTimetable(value))).toThrow(ProtocolError);
}

describe("board and timetable topics", () => {
	it("builds and parses the timetable topic next to the board topic", () => {
		expect(timetableTopic("FUR_CREEK_RES")).toBe("cs/v1/stop/FUR_CREEK_RES/timetable");
		expect(parseTopic(timetableTopic("S1"))).toEqual({ kind: "timetable", stopId: "S1" });
		expect(parseTopic(boardTopic("S1"))).toEqual({ kind: "board", stopId: "S1" });
		expect(parseTopic("cs/v1/stop/S1/other")).toBeUndefined();
		expect(parseTopic("cs/v1/stop/S1/timetable/x")).toBeUndefined();
		expect(() => timetableTopic("a/b")).toThrow(RangeError);
	});
});

describe("StopBoard", () => {
	it("round-trips through CBOR with Chinese text, carriages and every state", () => {
		const back = decodePayload("board", encodePayload("board", board()));
		expect(back).toEqual(board());
	});
	it("drops undefined optional fields of a departure from the bytes", () => {
		const b = board();
		const d = { ...b.deps[1], destZh: undefined, unc: undefined };
		const bytes = encodePayload("board", { ...b, deps: [d] });
		const back = decodePayload("board", bytes);
		expect(Object.keys(back.deps[0]).includes("destZh")).toBe(false);
		expect(bytes.length).toBe(encodePayload("board", { ...b, deps: [b.deps[1]] }).length);
	});
	it("accepts an empty board", () => {
		expect(decodePayload("board", encodePayload("board", { ...board(), deps: [] })).deps).toEqual([]);
	});
	it("rejects more than BOARD_MAX_DEPARTURES", () => {
		const deps = [];
		for (let i = 0; i <= BOARD_MAX_DEPARTURES; i++) deps.push(board().deps[1]);
		rejects("board", { ...board(), deps }, /board.deps: more than 16/);
	});
	it("rejects unknown fields, wrong version, missing fields", () => {
		rejects("board", { ...board(), extra: 1 }, /unknown field "extra"/);
		rejects("board", { ...board(), v: 2 }, /board.v/);
		const { name: _n, ...noName } = board();
		rejects("board", noName, /board.name: expected text/);
		rejects("board", withDep({ color: "red" }), /board.deps\[0\]: unknown field "color"/);
	});
	it("rejects times outside 2020..2100 (ms sent as s, a zero clock)", () => {
		rejects("board", { ...board(), t: T * 1000 }, /board.t:/);
		rejects("board", { ...board(), t: 0 }, /board.t:/);
		rejects("board", withDep({ sched: 1_500_000_000 }), /board.deps\[0\].sched/);
		rejects("board", withDep({ pred: 5_000_000_000 }), /board.deps\[0\].pred/);
	});
	it("rejects a tz beyond ±840 minutes and non-integers", () => {
		rejects("board", { ...board(), tz: 841 }, /board.tz/);
		rejects("board", { ...board(), tz: -841 }, /board.tz/);
		rejects("board", { ...board(), tz: 1.5 }, /board.tz: expected an integer/);
	});
	it("allows pred only with st live, and requires it there", () => {
		rejects("board", withDep({ st: "sched" }), /board.deps\[0\].pred: only allowed with st "live"/);
		rejects("board", withDep({ st: "canceled" }), /only allowed with st "live"/);
		rejects("board", withDep({ pred: undefined }), /board.deps\[0\].pred: required/);
		rejects("board", withDep({ st: "late" }), /board.deps\[0\].st: expected one of/);
	});
	it("rejects occupancy outside 0..8 and a negative uncertainty", () => {
		rejects("board", withDep({ occ: 9 }), /board.deps\[0\].occ: 9 outside 0..8/);
		rejects("board", withDep({ occ: -1 }), /board.deps\[0\].occ/);
		rejects("board", withDep({ unc: -5 }), /board.deps\[0\].unc/);
	});
	it("rejects carriage lists of different lengths, too long, empty or out of range", () => {
		rejects("board", withDep({ cars: { occ: [1, 2], pct: [10] } }), /cars: occ has 2 carriages, pct 1/);
		const many = [];
		for (let i = 0; i < 33; i++) many.push(1);
		rejects("board", withDep({ cars: { occ: many, pct: many } }), /cars.occ: more than 32/);
		rejects("board", withDep({ cars: { occ: [], pct: [] } }), /cars: empty/);
		rejects("board", withDep({ cars: { occ: [1], pct: [101] } }), /cars.pct\[0\]: 101 outside -1..100/);
		rejects("board", withDep({ cars: { occ: [1], pct: [-2] } }), /cars.pct\[0\]/);
		rejects("board", withDep({ cars: { occ: [10], pct: [5] } }), /cars.occ\[0\]/);
	});
	it("rejects over-long text", () => {
		let long = "";
		for (let i = 0; i < 129; i++) long += "站";
		rejects("board", withDep({ dest: long }), /board.deps\[0\].dest: longer than 128/);
		rejects("board", withDep({ route: "R".repeat(33) }), /board.deps\[0\].route: longer than 32/);
		rejects("board", { ...board(), alert: "x".repeat(513) }, /board.alert: longer than 512/);
	});
	it("rejects a board that is not a map", () => {
		expect(() => decodePayload("board", encode([1, 2]))).toThrow(/board: expected a map/);
		expect(() => decodePayload("board", new Uint8Array([0xa1]))).toThrow(/malformed CBOR/);
	});
});

describe("StopTimetable", () => {
	it("round-trips through CBOR", () => {
		expect(decodePayload("timetable", encodePayload("timetable", timetable()))).toEqual(timetable());
	});
	it("accepts the maximum number of departures", () => {
		const deps: number[] = [];
		for (let i = 0; i < TIMETABLE_MAX_DEPARTURES; i++) deps.push(Math.floor(i * 2.4), i % 2, 0);
		expect(decodePayload("timetable", encodePayload("timetable", { ...timetable(), deps })).deps.length).toBe(3 * TIMETABLE_MAX_DEPARTURES);
	});
	it("rejects more than TIMETABLE_MAX_DEPARTURES", () => {
		const deps: number[] = [];
		for (let i = 0; i <= TIMETABLE_MAX_DEPARTURES; i++) deps.push(1, 0, 0);
		rejects("timetable", { ...timetable(), deps }, /timetable.deps: more than 1800/);
	});
	it("rejects deps whose length is not a multiple of 3", () => {
		rejects("timetable", { ...timetable(), deps: [0, 0, 0, 5, 1] }, /not a multiple of 3/);
	});
	it("rejects route and dest indexes out of range", () => {
		rejects("timetable", { ...timetable(), deps: [0, 2, 0] }, /timetable.deps\[0\].route: 2 outside 0..1/);
		rejects("timetable", { ...timetable(), deps: [0, 0, -1] }, /timetable.deps\[0\].dest/);
		rejects("timetable", { ...timetable(), routes: [], deps: [0, 0, 0] }, /timetable.deps\[0\].route/);
	});
	it("rejects minutes past until, negative or descending", () => {
		rejects("timetable", { ...timetable(), deps: [1441, 0, 0] }, /timetable.deps\[0\].min: 1441 outside 0..1440/);
		rejects("timetable", { ...timetable(), deps: [-1, 0, 0] }, /timetable.deps\[0\].min/);
		rejects("timetable", { ...timetable(), deps: [10, 0, 0, 5, 0, 0] }, /timetable.deps\[1\].min: 5 before the previous 10/);
	});
	it("rejects until not after from, or a span over a week", () => {
		rejects("timetable", { ...timetable(), until: T }, /timetable.until/);
		rejects("timetable", { ...timetable(), until: T + 8 * 86_400 }, /timetable.until/);
		rejects("timetable", { ...timetable(), from: 100 }, /timetable.from/);
	});
	it("rejects destsZh not aligned with dests, bad tz, unknown fields", () => {
		rejects("timetable", { ...timetable(), destsZh: ["x"] }, /timetable.destsZh: 1 items, dests has 2/);
		rejects("timetable", { ...timetable(), tz: 900 }, /timetable.tz/);
		rejects("timetable", { ...timetable(), source: "x" }, /unknown field "source"/);
		rejects("timetable", { ...timetable(), routes: ["R".repeat(33), "1"] }, /timetable.routes\[0\]: longer than 32/);
	});
});

describe("BoardFresh (freshness tick)", () => {
	const tick = { v: 1, stop: "FUR_CREEK_RES", t: 1_800_000_000, crc: 0xcbf43926 };
	it("round-trips, and has its own retained topic beside the board", () => {
		expect(decodePayload("fresh", encodePayload("fresh", tick))).toEqual(tick);
		expect(freshTopic("FUR_CREEK_RES")).toBe("cs/v1/stop/FUR_CREEK_RES/fresh");
		expect(parseTopic(freshTopic("FUR_CREEK_RES"))).toEqual({ kind: "fresh", stopId: "FUR_CREEK_RES" });
		expect(allStopsFilter("board")).toBe("cs/v1/stop/+/board");
	});
	it("rejects a CRC outside u32, a time outside 2020..2100, unknown and missing fields", () => {
		expect(() => validateBoardFresh({ ...tick, crc: -1 })).toThrow(/fresh.crc/);
		expect(() => validateBoardFresh({ ...tick, crc: 2 ** 32 })).toThrow(/fresh.crc/);
		expect(() => validateBoardFresh({ ...tick, t: 1_000 })).toThrow(/fresh.t/);
		expect(() => validateBoardFresh({ ...tick, seq: 3 })).toThrow(/unknown field "seq"/);
		const { stop: _stop, ...noStop } = tick;
		expect(() => validateBoardFresh(noStop)).toThrow(ProtocolError);
	});
});
