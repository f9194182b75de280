/*
 * GTFS-Realtime semantics table (issue #4 "Arrival semantics"): each case is
 * real protobuf bytes built with gtfs-realtime-bindings, decoded by
 * decodeFeed, resolved against a real static feed (cjk-demo; sample-feed-1
 * for a Latin feed in another zone).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import { describe, expect, it } from "vitest";
import { validateStopBoard, type BoardDeparture, type StopBoard } from "../../firmware/contract/board-payloads";
import { decodeFeed, resolveStopBoard, TRIP_DELETED } from "../../tools/gtfs/realtime";
import { loadGtfsDir } from "../../tools/gtfs/static-feed";
import { timetableSlice } from "../../tools/gtfs/timetable-slice";
import { TIMETABLE_MAX_DEPARTURES, validateStopTimetable } from "../../firmware/contract/board-payloads";
import { sharedData } from "../support/shared-data";

const rt = GtfsRealtimeBindings.transit_realtime;
type Entity = GtfsRealtimeBindings.transit_realtime.IFeedEntity;
type Stu = GtfsRealtimeBindings.transit_realtime.TripUpdate.IStopTimeUpdate;

const CJK = loadGtfsDir(join(__dirname, "../../scenarios/gtfs/cjk-demo"));
const SAMPLE_DIR = sharedData("data/gtfs/sample-feed-1");
const START = CJK.dayStart("20260115"); // a Thursday; DAILY service
const at = (h: number, m: number, s = 0) => START + h * 3600 + m * 60 + s;
const NOW = at(10, 0);
const T = NOW - 20;

const NO_DATA = rt.TripUpdate.StopTimeUpdate.ScheduleRelationship.NO_DATA;
const SKIPPED = rt.TripUpdate.StopTimeUpdate.ScheduleRelationship.SKIPPED;
const CANCELED = rt.TripDescriptor.ScheduleRelationship.CANCELED;

function bytes(entity: Entity[], timestamp = T): Uint8Array {
	return rt.FeedMessage.encode({ header: { gtfsRealtimeVersion: "2.0", timestamp }, entity }).finish();
}

let ids = 0;
function tu(tripId: string, stus: Stu[], extra: { rel?: number; delay?: number; startDate?: string } = {}): Entity {
	return {
		id: `e${ids++}`,
		tripUpdate: { trip: { tripId, scheduleRelationship: extra.rel, startDate: extra.startDate }, stopTimeUpdate: stus, delay: extra.delay },
	};
}

function vp(tripId: string, v: Omit<GtfsRealtimeBindings.transit_realtime.IVehiclePosition, "trip">): Entity {
	return { id: `v${ids++}`, vehicle: { trip: { tripId }, ...v } };
}

function resolve(trips: Entity[], stop = "HC_OLDTOWN", now = NOW, vehicles?: Entity[]) {
	return resolveStopBoard(CJK, { trips: decodeFeed(bytes(trips)), vehicles: vehicles && decodeFeed(bytes(vehicles)) }, stop, now);
}

function depOf(board: StopBoard, trip: string): BoardDeparture | undefined {
	return board.deps.find((d) => d.trip === trip);
}

const TRIP = "H1-OUT-3"; // FERRY 10:00 · MARKET 10:06/10:07 · LIGHTHOUSE 10:12/10:13 · OLDTOWN 10:19/10:20 · STATION 10:27/10:28 · HOSPITAL 10:34
const SCHED = at(10, 20);

describe("resolveStopBoard: trip update semantics (table)", () => {
	const cases: [string, Entity[], string, Partial<BoardDeparture> | null][] = [
		["no update → scheduled", [], "HC_OLDTOWN", { st: "sched", sched: SCHED, pred: undefined }],
		["time and delay → time wins", [tu(TRIP, [{ stopSequence: 4, departure: { time: at(10, 23), delay: 600 } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 23) }],
		["delay only", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 120 } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 22) }],
		["arrival delay only → departure keeps the dwell", [tu(TRIP, [{ stopSequence: 4, arrival: { delay: 60 } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 21) }],
		["matched by stop_id when there is no stop_sequence", [tu(TRIP, [{ stopId: "HC_OLDTOWN", departure: { delay: 60 } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 21) }],
		["delay propagates 2 stops downstream", [tu(TRIP, [{ stopSequence: 2, departure: { delay: 180 } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 23), unc: undefined }],
		["…and further, to the next stop", [tu(TRIP, [{ stopSequence: 2, departure: { delay: 180 } }])], "HC_STATION", { st: "live", pred: at(10, 31) }],
		["an upstream time implies its delay downstream", [tu(TRIP, [{ stopSequence: 2, departure: { time: at(10, 9) } }])], "HC_OLDTOWN", { st: "live", pred: at(10, 22) }],
		["NO_DATA stops the propagation: later stops scheduled", [tu(TRIP, [{ stopSequence: 2, departure: { delay: 180 } }, { stopSequence: 3, scheduleRelationship: NO_DATA }])], "HC_OLDTOWN", { st: "sched", pred: undefined }],
		["NO_DATA at the stop itself → scheduled", [tu(TRIP, [{ stopSequence: 4, scheduleRelationship: NO_DATA }])], "HC_OLDTOWN", { st: "sched" }],
		[
			"the next STU with data after NO_DATA is live again",
			[tu(TRIP, [{ stopSequence: 2, departure: { delay: 180 } }, { stopSequence: 3, scheduleRelationship: NO_DATA }, { stopSequence: 5, arrival: { delay: 60 } }])],
			"HC_STATION",
			{ st: "live", pred: at(10, 29) },
		],
		["a time for a later stop says nothing about earlier ones", [tu(TRIP, [{ stopSequence: 5, departure: { time: at(10, 40) } }])], "HC_OLDTOWN", { st: "sched", pred: undefined }],
		["TripUpdate.delay applies when no STU precedes", [tu(TRIP, [], { delay: 300 })], "HC_OLDTOWN", { st: "live", pred: at(10, 25) }],
		["TripUpdate.delay still applies when the only STU is downstream", [tu(TRIP, [{ stopSequence: 5, departure: { delay: 30 } }], { delay: 300 })], "HC_OLDTOWN", { st: "live", pred: at(10, 25) }],
		["an STU upstream wins over TripUpdate.delay", [tu(TRIP, [{ stopSequence: 3, departure: { delay: 60 } }], { delay: 300 })], "HC_OLDTOWN", { st: "live", pred: at(10, 21) }],
		["SKIPPED stop → skipped, no prediction", [tu(TRIP, [{ stopSequence: 4, scheduleRelationship: SKIPPED }])], "HC_OLDTOWN", { st: "skipped", sched: SCHED, pred: undefined }],
		["a SKIPPED stop upstream does not stop the propagation", [tu(TRIP, [{ stopSequence: 2, departure: { delay: 180 } }, { stopSequence: 3, scheduleRelationship: SKIPPED }])], "HC_OLDTOWN", { st: "live", pred: at(10, 23) }],
		["CANCELED trip → canceled", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 60 } }], { rel: CANCELED })], "HC_OLDTOWN", { st: "canceled", pred: undefined }],
		["DELETED trip → not on the board", [tu(TRIP, [], { rel: TRIP_DELETED })], "HC_OLDTOWN", null],
		["missing uncertainty → unknown (absent)", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 60 } }])], "HC_OLDTOWN", { unc: undefined }],
		["uncertainty present as 0 → 0", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 60, uncertainty: 0 } }])], "HC_OLDTOWN", { unc: 0 }],
		["uncertainty 90", [tu(TRIP, [{ stopSequence: 4, departure: { time: at(10, 21), uncertainty: 90 } }])], "HC_OLDTOWN", { unc: 90, pred: at(10, 21) }],
		["left 31 s ago → dropped", [tu(TRIP, [{ stopSequence: 4, departure: { time: NOW - 31 } }])], "HC_OLDTOWN", null],
		["left 30 s ago → still listed", [tu(TRIP, [{ stopSequence: 4, departure: { time: NOW - 30 } }])], "HC_OLDTOWN", { st: "live", pred: NOW - 30 }],
		["an update for another service date does not apply", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 600 } }], { startDate: "20260114" })], "HC_OLDTOWN", { st: "sched" }],
		["an update for this service date applies", [tu(TRIP, [{ stopSequence: 4, departure: { delay: 600 } }], { startDate: "20260115" })], "HC_OLDTOWN", { st: "live", pred: at(10, 30) }],
	];
	for (const [name, entities, stop, expected] of cases) {
		it(name, () => {
			const { board } = resolve(entities, stop);
			const d = depOf(board, TRIP);
			if (expected === null) {
				expect(d).toBeUndefined();
				return;
			}
			expect(d).toBeDefined();
			for (const [k, v] of Object.entries(expected)) {
				expect(d![k as keyof BoardDeparture]).toEqual(v);
				if (v === undefined) expect(k in d!).toBe(false);
			}
			expect(() => validateStopBoard(board)).not.toThrow();
		});
	}
});

describe("resolveStopBoard: occupancy and carriages", () => {
	const live = [tu(TRIP, [{ stopSequence: 4, departure: { delay: 60 } }])];
	function dep(vehicles: Entity[], trips = live) {
		const r = resolve(trips, "HC_OLDTOWN", NOW, vehicles);
		return { d: depOf(r.board, TRIP)!, warnings: r.warnings, board: r.board };
	}
	it("vehicle occupancy_status → occ", () => expect(dep([vp(TRIP, { occupancyStatus: 2 })]).d.occ).toBe(2));
	it("NOT_BOARDABLE kept", () => expect(dep([vp(TRIP, { occupancyStatus: 8 })]).d.occ).toBe(8));
	it("NO_DATA_AVAILABLE → occ absent", () => expect("occ" in dep([vp(TRIP, { occupancyStatus: 7 })]).d).toBe(false));
	it("no occupancy field → occ absent (the proto default EMPTY is not data)", () => expect("occ" in dep([vp(TRIP, { currentStopSequence: 3 })]).d).toBe(false));
	it("StopTimeUpdate departure_occupancy_status wins for its stop", () => {
		// Field 7 of StopTimeUpdate is newer than the bindings: hand-assemble the wire bytes (protobuf encoding guide).
		const ld = (field: number, b: Uint8Array) => [(field << 3) | 2, b.length, ...b];
		const stuBytes = [...rt.TripUpdate.StopTimeUpdate.encode({ stopSequence: 4, departure: { delay: 60 } }).finish(), 0x38, 5];
		const tuBytes = [...ld(1, rt.TripDescriptor.encode({ tripId: TRIP }).finish()), ...ld(2, new Uint8Array(stuBytes))];
		const entity = [...ld(1, new TextEncoder().encode("occ")), ...ld(3, new Uint8Array(tuBytes))];
		const feed = new Uint8Array([...ld(1, rt.FeedHeader.encode({ gtfsRealtimeVersion: "2.0", timestamp: T }).finish()), ...ld(2, new Uint8Array(entity))]);
		const r = resolveStopBoard(CJK, { trips: decodeFeed(feed), vehicles: decodeFeed(bytes([vp(TRIP, { occupancyStatus: 1 })])) }, "HC_OLDTOWN", NOW);
		const d = depOf(r.board, TRIP)!;
		expect(d.pred).toBe(at(10, 21));
		expect(d.occ).toBe(5);
		// …and only for that stop
		const r2 = resolveStopBoard(CJK, { trips: decodeFeed(feed), vehicles: decodeFeed(bytes([vp(TRIP, { occupancyStatus: 1 })])) }, "HC_STATION", NOW);
		expect(depOf(r2.board, TRIP)!.occ).toBe(1);
	});
	it("carriages sorted by carriage_sequence; −1 and missing values are no data", () => {
		const { d } = dep([
			vp(TRIP, {
				multiCarriageDetails: [
					{ carriageSequence: 3, occupancyStatus: 5, occupancyPercentage: 95 },
					{ carriageSequence: 1, occupancyPercentage: 20 },
					{ carriageSequence: 2, occupancyStatus: 1, occupancyPercentage: -1 },
				],
			}),
		]);
		expect(d.cars).toEqual({ occ: [7, 1, 5], pct: [20, -1, 95] });
	});
	it("a gap in carriage_sequence discards the whole list, with a warning", () => {
		const { d, warnings } = dep([vp(TRIP, { multiCarriageDetails: [{ carriageSequence: 1, occupancyStatus: 1 }, { carriageSequence: 3, occupancyStatus: 1 }] })]);
		expect(d.cars).toBeUndefined();
		expect(warnings.join("\n")).toMatch(/carriage_sequence is not 1..2/);
	});
	it("a duplicate or missing carriage_sequence discards the list", () => {
		expect(dep([vp(TRIP, { multiCarriageDetails: [{ carriageSequence: 1 }, { carriageSequence: 1 }] })]).d.cars).toBeUndefined();
		expect(dep([vp(TRIP, { multiCarriageDetails: [{ occupancyStatus: 1 }] })]).d.cars).toBeUndefined();
	});
	it("an out-of-range percentage reads as no data; the board still validates", () => {
		const { d, board } = dep([vp(TRIP, { multiCarriageDetails: [{ carriageSequence: 1, occupancyPercentage: 150 }] })]);
		expect(d.cars).toEqual({ occ: [7], pct: [-1] });
		expect(() => validateStopBoard(board)).not.toThrow();
	});
	it("no crowding on a cancelled row", () => {
		const { d } = dep([vp(TRIP, { occupancyStatus: 2 })], [tu(TRIP, [], { rel: CANCELED })]);
		expect(d.st).toBe("canceled");
		expect(d.occ).toBeUndefined();
	});
});

describe("resolveStopBoard: the board", () => {
	it("orders by expected time, caps at max, t from the header, tz from the agency zone, names in both languages", () => {
		// H1-IN-3 leaves OLDTOWN at 10:30; delay H1-OUT-3 (10:20) by 15 min so it comes after.
		const { board, warnings } = resolveStopBoard(CJK, { trips: decodeFeed(bytes([tu(TRIP, [{ stopSequence: 4, departure: { delay: 900 } }])])) }, "HC_OLDTOWN", NOW, { max: 2 });
		expect(warnings).toEqual([]);
		expect(board.deps.map((d) => d.trip)).toEqual(["H1-IN-3", TRIP]);
		expect(board.t).toBe(T);
		expect(board.tz).toBe(480);
		expect(board.name).toBe("Old Town Gate");
		expect(board.nameZh).toBe("老城门");
		expect(board.deps[1]).toMatchObject({ route: "1", dest: "People's Hospital", destZh: "人民医院" });
		expect(validateStopBoard(board)).toEqual(board);
	});
	it("the horizon bounds the board", () => {
		const { board } = resolveStopBoard(CJK, {}, "HC_OLDTOWN", NOW, { horizonS: 25 * 60 });
		expect(board.deps.map((d) => d.trip)).toEqual([TRIP]);
		expect(board.t).toBe(NOW);
	});
	it("unknown trip ids are warnings, not crashes", () => {
		const { board, warnings } = resolve([tu("GHOST-9", [{ stopSequence: 1, departure: { delay: 60 } }]), tu("NEW-1", [], { rel: rt.TripDescriptor.ScheduleRelationship.ADDED })]);
		expect(warnings).toEqual(["trip GHOST-9: not in the static feed, ignored", "trip NEW-1: ADDED trips are not shown yet"]);
		expect(depOf(board, TRIP)?.st).toBe("sched");
	});
	it("a terminating trip is not a departure", () => {
		const { board } = resolveStopBoard(CJK, {}, "HC_HOSPITAL", at(10, 30));
		expect(board.deps.some((d) => d.trip === TRIP)).toBe(false);
	});
	it("an unknown stop throws", () => {
		expect(() => resolveStopBoard(CJK, {}, "NOWHERE", NOW)).toThrow(/NOWHERE/);
	});
	it("malformed protobuf bytes throw from decodeFeed", () => {
		expect(() => decodeFeed(new Uint8Array([0x0a, 0x05, 0x01]))).toThrow();
	});
	it("yesterday's service past 24:00 is on today's board", () => {
		const dir = mkdtempSync(join(tmpdir(), "gtfs-late-"));
		try {
			for (const f of readdirSync(join(__dirname, "../../scenarios/gtfs/cjk-demo"))) writeFileSync(join(dir, f), readFileSync(join(__dirname, "../../scenarios/gtfs/cjk-demo", f)));
			writeFileSync(join(dir, "stop_times.txt"), readFileSync(join(dir, "stop_times.txt"), "utf8") + "X2-OUT-6,24:10:00,24:10:00,HC_HOSPITAL,4\n");
			const feed = loadGtfsDir(dir);
			const now = feed.dayStart("20260116"); // 00:00 on the 16th
			const r = resolveStopBoard(feed, { trips: decodeFeed(bytes([tu("X2-OUT-6", [{ stopSequence: 3, departure: { delay: 120 } }])], now)) }, "HC_STATION", now);
			expect(depOf(r.board, "X2-OUT-6")).toMatchObject({ sched: now + 120, st: "live", pred: now + 240 });
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
	it("sample-feed-1 (Latin, Los Angeles): delay, tz −420 in June, headsign fallback to the last stop", () => {
		const feed = loadGtfsDir(SAMPLE_DIR);
		const start = feed.dayStart("20080611");
		const now = start + 8 * 3600;
		const trips = decodeFeed(bytes([tu("BFC1", [{ stopSequence: 1, departure: { delay: 240, uncertainty: 30 } }])], now));
		const r = resolveStopBoard(feed, { trips }, "BULLFROG", now);
		expect(r.board.tz).toBe(-420);
		expect(r.board.deps).toEqual([{ trip: "BFC1", route: "20", dest: "to Furnace Creek Resort", sched: start + 8 * 3600 + 20 * 60, pred: start + 8 * 3600 + 24 * 60, unc: 30, st: "live" }]);
		const city = resolveStopBoard(feed, {}, "NANAA", start + 6 * 3600);
		expect(city.board.deps[0]).toMatchObject({ trip: "CITY1", dest: "E Main St / S Irving St (Demo)", st: "sched" });
	});
});

describe("timetableSlice", () => {
	it("interns routes and destinations, minutes after from, in order, valid for the contract", () => {
		const from = at(9, 0, 30);
		const tt = timetableSlice(CJK, "HC_OLDTOWN", from, 4);
		expect(tt.from).toBe(at(9, 0));
		expect(tt.until).toBe(at(13, 0));
		expect(tt.tz).toBe(480);
		expect(tt.name).toBe("Old Town Gate");
		const rows = [];
		for (let i = 0; i < tt.deps.length; i += 3) rows.push([tt.deps[i], tt.routes[tt.deps[i + 1]!], tt.dests[tt.deps[i + 2]!]]);
		expect(rows).toEqual([
			[80, "1", "People's Hospital"],
			[90, "1", "Ferry Pier"],
			[230, "1", "People's Hospital"],
		]);
		expect(tt.destsZh).toEqual(["人民医院", "渡轮码头"]);
		expect(validateStopTimetable(tt)).toEqual(tt);
	});
	/** A synthetic feed: `n` trips A→B one minute apart from 05:00, headsigns cycling through `dests` names. */
	function busyFeed(n: number, dests: number) {
		const dir = mkdtempSync(join(tmpdir(), "gtfs-busy-"));
		const hhmm = (m: number) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:00`;
		let trips = "route_id,service_id,trip_id,trip_headsign\n";
		let times = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n";
		for (let i = 0; i < n; i++) {
			trips += `R,D,T${i},Dest ${i % dests}\n`;
			times += `T${i},${hhmm(300 + i)},${hhmm(300 + i)},A,1\nT${i},${hhmm(305 + i)},${hhmm(305 + i)},B,2\n`;
		}
		writeFileSync(join(dir, "agency.txt"), "agency_name,agency_url,agency_timezone\nBusy,http://x,Asia/Shanghai\n");
		writeFileSync(join(dir, "stops.txt"), "stop_id,stop_name\nA,Alpha\nB,Beta\n");
		writeFileSync(join(dir, "routes.txt"), "route_id,route_short_name,route_type\nR,9,3\n");
		writeFileSync(join(dir, "calendar.txt"), "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nD,1,1,1,1,1,1,1,20240101,20301231\n");
		writeFileSync(join(dir, "trips.txt"), trips);
		writeFileSync(join(dir, "stop_times.txt"), times);
		try {
			return loadGtfsDir(dir);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}
	it("bounded at TIMETABLE_MAX_DEPARTURES, earliest kept, until moved to the cut", () => {
		const feed = busyFeed(700, 3);
		const from = feed.dayStart("20260115");
		const tt = timetableSlice(feed, "A", from, 24);
		expect(tt.deps.length / 3).toBe(TIMETABLE_MAX_DEPARTURES);
		expect(tt.deps[0]).toBe(300);
		expect(tt.deps[tt.deps.length - 3]).toBe(300 + TIMETABLE_MAX_DEPARTURES - 1);
		// departure 601 (05:00 + 600 min) was the first left out: the slice ends there
		expect(tt.until).toBe(from + (300 + TIMETABLE_MAX_DEPARTURES) * 60);
		expect(tt.routes).toEqual(["9"]);
		expect(tt.dests).toEqual(["Dest 0", "Dest 1", "Dest 2"]);
		expect(() => validateStopTimetable(tt)).not.toThrow();
	});
	it("bounded at TIMETABLE_MAX_DESTS distinct destinations the same way", () => {
		const feed = busyFeed(200, 200);
		const from = feed.dayStart("20260115");
		const tt = timetableSlice(feed, "A", from, 24);
		expect(tt.dests.length).toBe(128);
		expect(tt.until).toBe(from + (300 + 128) * 60);
		expect(() => validateStopTimetable(tt)).not.toThrow();
	});
	it("rejects an unknown stop and a bad span", () => {
		expect(() => timetableSlice(CJK, "NOWHERE", NOW)).toThrow(/NOWHERE/);
		expect(() => timetableSlice(CJK, "HC_MARKET", NOW, 0)).toThrow(/hours/);
		expect(() => timetableSlice(CJK, "HC_MARKET", NOW, 200)).toThrow(/hours/);
	});
});
