/*
 * RealtimeSimulator (tools/ops/realtime-sim.ts): deterministic for a seed,
 * real GTFS-RT protobuf (decoded back with the bridge's decodeFeed), only the
 * trips running now, bounded drifting delays, occupancy per vehicle,
 * CarriageDetails 1..n with an occasional −1, the occasional cancellation —
 * and every board it leads to passes the contract's validateStopBoard.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateStopBoard } from "../../firmware/contract/board-payloads";
import { decodeFeed, resolveStopBoard } from "../../tools/gtfs/realtime";
import { loadGtfsDir } from "../../tools/gtfs/static-feed";
import { departureStops } from "../../tools/ops/arrivals-bridge";
import { DELAY_MAX_S, DELAY_MIN_S, RealtimeSimulator, occupancyFor } from "../../tools/ops/realtime-sim";

const CJK = loadGtfsDir(join(__dirname, "../../scenarios/gtfs/cjk-demo"));
const START = CJK.dayStart("20260115");

function sim(seed: number, startS = START + 9 * 3600) {
	let nowS = startS;
	const s = new RealtimeSimulator({ feed: CJK, seed, now: () => nowS * 1000 });
	return {
		sim: s,
		at: (t: number) => {
			nowS = t;
			return s.feeds();
		},
	};
}

describe("RealtimeSimulator", () => {
	it("the same seed and the same times give the same bytes; another seed does not", () => {
		const a = sim(7);
		const b = sim(7);
		const c = sim(8);
		for (let t = START + 9 * 3600; t < START + 11 * 3600; t += 30 * 60) {
			const fa = a.at(t);
			const fb = b.at(t);
			const fc = c.at(t);
			expect(Buffer.from(fb.trips).equals(Buffer.from(fa.trips))).toBe(true);
			expect(Buffer.from(fb.vehicles).equals(Buffer.from(fa.vehicles))).toBe(true);
			if (t > START + 9 * 3600) expect(Buffer.from(fc.trips).equals(Buffer.from(fa.trips))).toBe(false);
		}
	});

	it("the state depends on time, not on how often it is asked: polling every 30 s or every 10 min ends the same", () => {
		const often = sim(3);
		const rarely = sim(3);
		let last;
		for (let t = START + 9 * 3600; t <= START + 10 * 3600; t += 30) last = often.at(t);
		let last2;
		for (let t = START + 9 * 3600; t <= START + 10 * 3600; t += 600) last2 = rarely.at(t);
		expect(Buffer.from(last2!.trips).equals(Buffer.from(last!.trips))).toBe(true);
	});

	it("real protobuf: header FULL_DATASET with now, only trips running now (none at 03:00, first service 05:00)", () => {
		const night = sim(1, START + 3 * 3600).at(START + 3 * 3600);
		expect(decodeFeed(night.trips).entity).toHaveLength(0);
		expect(night.running).toBe(0);
		const t = START + 10 * 3600;
		const f = sim(1, t).at(t);
		const trips = decodeFeed(f.trips);
		expect(Number(trips.header.timestamp)).toBe(t);
		expect(trips.header.gtfsRealtimeVersion).toBe("2.0");
		expect(trips.entity.length).toBe(f.running);
		for (const e of trips.entity) {
			const tripId = e.tripUpdate!.trip!.tripId!;
			const stops = CJK.stopTimesByTrip.get(tripId)!;
			// running: from 30 min before its first departure to 10 min (plus delay) after its last arrival
			expect(START + stops[0]!.dep - 30 * 60).toBeLessThanOrEqual(t);
			expect(START + stops[stops.length - 1]!.arr + DELAY_MAX_S + 10 * 60).toBeGreaterThanOrEqual(t);
			expect(e.tripUpdate!.trip!.startDate).toBe("20260115");
		}
	});

	it("over a day: delays drift within bounds, occupancy per vehicle, carriages 1..n with an occasional −1, an occasional cancellation", () => {
		const s = sim(11, START + 4 * 3600);
		const delays = new Map<string, number[]>();
		let canceled = 0;
		let carriageLists = 0;
		let noData = 0;
		for (let t = START + 4 * 3600; t < START + 28 * 3600; t += 60) {
			const f = s.at(t);
			canceled += f.canceled;
			for (const e of decodeFeed(f.trips).entity) {
				const tu = e.tripUpdate!;
				if (tu.trip!.scheduleRelationship === 3) {
					expect(tu.stopTimeUpdate).toHaveLength(0);
					continue;
				}
				const d = tu.stopTimeUpdate![0]!.departure!.delay!;
				expect(d).toBeGreaterThanOrEqual(DELAY_MIN_S);
				expect(d).toBeLessThanOrEqual(DELAY_MAX_S);
				const key = `${tu.trip!.tripId}@${tu.trip!.startDate}`;
				delays.set(key, [...(delays.get(key) ?? []), d]);
			}
			for (const e of decodeFeed(f.vehicles).entity) {
				const vp = e.vehicle!;
				expect(vp.occupancyStatus).toBe(occupancyFor(vp.occupancyPercentage!));
				const cars = vp.multiCarriageDetails ?? [];
				if (cars.length === 0) continue;
				carriageLists++;
				expect(cars.map((c) => c.carriageSequence)).toEqual(cars.map((_, i) => i + 1));
				for (const c of cars) {
					if (c.occupancyPercentage === -1) {
						noData++;
						expect(c.occupancyStatus).toBe(7);
					} else expect(c.occupancyPercentage).toBeGreaterThanOrEqual(0);
				}
			}
		}
		expect(canceled).toBeGreaterThan(0);
		expect(carriageLists).toBeGreaterThan(0);
		expect(noData).toBeGreaterThan(0);
		// the walk moves: most trips see more than one delay value while running
		const drifting = [...delays.values()].filter((d) => new Set(d).size > 1).length;
		expect(drifting).toBeGreaterThan(delays.size / 2);
	});

	it("every board it leads to passes validateStopBoard, with live, canceled and carriage departures among them", () => {
		const s = sim(5, START + 5 * 3600);
		const stops = departureStops(CJK);
		const seen = { live: 0, canceled: 0, cars: 0, occ: 0 };
		for (let t = START + 5 * 3600; t < START + 24 * 3600; t += 5 * 60) {
			const f = s.at(t);
			const rt = { trips: decodeFeed(f.trips), vehicles: decodeFeed(f.vehicles) };
			for (const stop of stops) {
				const { board, warnings } = resolveStopBoard(CJK, rt, stop, t);
				expect(warnings).toEqual([]);
				expect(validateStopBoard(board)).toEqual(board);
				expect(board.t).toBe(t);
				for (const d of board.deps) {
					if (d.st === "live") seen.live++;
					if (d.st === "canceled") seen.canceled++;
					if (d.cars) seen.cars++;
					if (d.occ !== undefined) seen.occ++;
				}
			}
		}
		expect(seen.live).toBeGreaterThan(0);
		expect(seen.canceled).toBeGreaterThan(0);
		expect(seen.cars).toBeGreaterThan(0);
		expect(seen.occ).toBeGreaterThan(0);
	});

	it("a jump back in time restarts the walk instead of failing", () => {
		const s = sim(2);
		s.at(START + 12 * 3600);
		const back = s.at(START + 9 * 3600);
		expect(decodeFeed(back.trips).entity.length).toBe(back.running);
		expect(Number(decodeFeed(back.trips).header.timestamp)).toBe(START + 9 * 3600);
	});
});
