/*
 * A GTFS-Realtime producer for the demo, the tests and the benchmarks: for the
 * trips of a static feed running now (from half an hour before their first
 * departure to ten minutes after their last arrival), it keeps a small state
 * per trip instance and encodes real protobuf FeedMessages with
 * gtfs-realtime-bindings (https://gtfs.org/documentation/realtime/reference/):
 *   - TripUpdates: TripDescriptor (trip_id, start_date), VehicleDescriptor,
 *     and a StopTimeUpdate per stop still ahead with a departure delay
 *     (arrival too when the stop has a dwell) and an uncertainty; the delay is
 *     a bounded random walk (DELAY_MIN_S..DELAY_MAX_S) in 30 s steps;
 *   - now and then (seeded, ~1 instance in CANCEL_ONE_IN) a trip is CANCELED:
 *     a TripUpdate with no StopTimeUpdates and no vehicle;
 *   - VehiclePositions: the vehicle's stop (current_stop_sequence, stop_id,
 *     STOPPED_AT or IN_TRANSIT_TO), occupancy_status and
 *     occupancy_percentage that drift with it, and for about a third of the
 *     trips CarriageDetails (carriage_sequence 1..n, n = 2..6) whose
 *     percentages drift per carriage, one now and then −1 ("no data", as the
 *     reference allows) with status NO_DATA_AVAILABLE.
 * FeedHeader: gtfs_realtime_version "2.0", FULL_DATASET, timestamp = now.
 * Deterministic: the state moves in fixed 30 s steps of the epoch grid, drawn
 * from one seeded PRNG (mulberry32), so the same seed and the same sequence of
 * `now` values give the same bytes. A jump of more than MAX_CATCH_UP_STEPS
 * steps restarts the walk from the new time instead of replaying it.
 */
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import { OCCUPANCY } from "../../firmware/contract/board-payloads";
import type { GtfsFeed } from "../gtfs/static-feed";
import { localDate } from "../gtfs/time-zone";

const rt = GtfsRealtimeBindings.transit_realtime;
type Entity = GtfsRealtimeBindings.transit_realtime.IFeedEntity;

export const SIM_STEP_S = 30;
export const DELAY_MIN_S = -90;
export const DELAY_MAX_S = 900;
export const CANCEL_ONE_IN = 12;
const MAX_CATCH_UP_STEPS = 240;
/** a trip is "running" this long before its first departure and after its last arrival, s */
const LEAD_S = 30 * 60;
const TAIL_S = 10 * 60;

export interface RealtimeSimulatorOptions {
	feed: GtfsFeed;
	/** PRNG seed @default 1 */
	seed?: number;
	/** epoch ms */
	now: () => number;
}

interface TripState {
	tripId: string;
	date: string;
	dayStart: number;
	vehicle: string;
	canceled: boolean;
	delayS: number;
	/** 0..100 */
	loadPct: number;
	/** per carriage 0..100, or −1 for no data; undefined: no carriage details */
	cars?: number[];
}

export interface SimulatedFeeds {
	/** FeedMessage bytes, TripUpdates and VehiclePositions */
	trips: Uint8Array;
	vehicles: Uint8Array;
	/** trip instances in the feed, and how many of them are canceled */
	running: number;
	canceled: number;
}

/** mulberry32: a small, fast 32-bit PRNG with a good spread, enough for a simulation. */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/** OccupancyStatus for a load in percent (the bands are the simulator's, the enum is GTFS-RT's). */
export function occupancyFor(pct: number): number {
	if (pct < 0) return OCCUPANCY.NO_DATA_AVAILABLE;
	if (pct < 10) return OCCUPANCY.EMPTY;
	if (pct < 45) return OCCUPANCY.MANY_SEATS_AVAILABLE;
	if (pct < 70) return OCCUPANCY.FEW_SEATS_AVAILABLE;
	if (pct < 90) return OCCUPANCY.STANDING_ROOM_ONLY;
	if (pct < 100) return OCCUPANCY.CRUSHED_STANDING_ROOM_ONLY;
	return OCCUPANCY.FULL;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export class RealtimeSimulator {
	#o: RealtimeSimulatorOptions;
	#rand: () => number;
	#states = new Map<string, TripState>();
	/** the last step simulated, epoch s (a multiple of SIM_STEP_S) */
	#stepS: number | undefined;
	#vehicles = 0;

	constructor(options: RealtimeSimulatorOptions) {
		this.#o = options;
		this.#rand = mulberry32(options.seed ?? 1);
	}

	/** Trip instances simulated now (after the last `feeds()`). */
	get running(): number {
		return this.#states.size;
	}

	/** Advances the simulation to now and encodes both feeds. */
	feeds(): SimulatedFeeds {
		const nowS = Math.floor(this.#o.now() / 1000);
		this.#advance(nowS);
		const tripEntities: Entity[] = [];
		const vehicleEntities: Entity[] = [];
		let canceled = 0;
		for (const [key, s] of this.#states) {
			const trip = { tripId: s.tripId, startDate: s.date, scheduleRelationship: s.canceled ? rt.TripDescriptor.ScheduleRelationship.CANCELED : rt.TripDescriptor.ScheduleRelationship.SCHEDULED };
			if (s.canceled) {
				canceled++;
				tripEntities.push({ id: `tu-${key}`, tripUpdate: { trip, timestamp: nowS } });
				continue;
			}
			const stops = this.#o.feed.stopTimesByTrip.get(s.tripId)!;
			// The vehicle is at the first stop it has not yet left (expected departure still ahead).
			let at = stops.findIndex((st) => s.dayStart + st.dep + s.delayS > nowS);
			if (at < 0) at = stops.length - 1;
			const here = stops[at]!;
			const stopped = s.dayStart + here.arr + s.delayS <= nowS;
			const unc = Math.min(600, 30 + Math.round((s.dayStart + here.dep - nowS) / 20));
			const stus = stops.slice(at).map((st) => {
				const stu: GtfsRealtimeBindings.transit_realtime.TripUpdate.IStopTimeUpdate = { stopSequence: st.seq, stopId: st.stopId, departure: { delay: s.delayS, uncertainty: Math.max(0, unc) } };
				if (st.arr !== st.dep) stu.arrival = { delay: s.delayS };
				return stu;
			});
			tripEntities.push({ id: `tu-${key}`, tripUpdate: { trip, vehicle: { id: s.vehicle }, stopTimeUpdate: stus, timestamp: nowS, delay: s.delayS } });
			const vp: GtfsRealtimeBindings.transit_realtime.IVehiclePosition = {
				trip,
				vehicle: { id: s.vehicle, label: s.vehicle },
				currentStopSequence: here.seq,
				stopId: here.stopId,
				currentStatus: stopped ? rt.VehiclePosition.VehicleStopStatus.STOPPED_AT : rt.VehiclePosition.VehicleStopStatus.IN_TRANSIT_TO,
				timestamp: nowS,
				occupancyStatus: occupancyFor(s.loadPct),
				occupancyPercentage: s.loadPct,
			};
			if (s.cars)
				vp.multiCarriageDetails = s.cars.map((pct, i) => ({
					id: `${s.vehicle}-${i + 1}`,
					label: String(i + 1),
					carriageSequence: i + 1,
					occupancyStatus: occupancyFor(pct),
					occupancyPercentage: pct,
				}));
			vehicleEntities.push({ id: `vp-${key}`, vehicle: vp });
		}
		const header = { gtfsRealtimeVersion: "2.0", incrementality: rt.FeedHeader.Incrementality.FULL_DATASET, timestamp: nowS };
		return {
			trips: rt.FeedMessage.encode({ header, entity: tripEntities }).finish(),
			vehicles: rt.FeedMessage.encode({ header, entity: vehicleEntities }).finish(),
			running: this.#states.size,
			canceled,
		};
	}

	/** Moves the state to `nowS` in SIM_STEP_S steps of the epoch grid. */
	#advance(nowS: number): void {
		const target = Math.floor(nowS / SIM_STEP_S) * SIM_STEP_S;
		if (this.#stepS === undefined || target - this.#stepS > MAX_CATCH_UP_STEPS * SIM_STEP_S || target < this.#stepS) {
			this.#states.clear();
			this.#stepS = target - SIM_STEP_S;
		}
		while (this.#stepS < target) {
			this.#stepS += SIM_STEP_S;
			this.#step(this.#stepS);
		}
	}

	/** One step: trips entering the window get a state, the others drift, trips past the window leave. */
	#step(nowS: number): void {
		const feed = this.#o.feed;
		const r = this.#rand;
		const live = new Set<string>();
		for (const d of [-1, 0]) {
			const date = localDate(feed.timeZone, nowS, d);
			const dayStart = feed.dayStart(date);
			for (const [tripId, stops] of feed.stopTimesByTrip) {
				const trip = feed.trips.get(tripId)!;
				const first = dayStart + stops[0]!.dep;
				const last = dayStart + stops[stops.length - 1]!.arr;
				if (nowS < first - LEAD_S || nowS > last + DELAY_MAX_S + TAIL_S) continue;
				if (!feed.serviceActive(trip.serviceId, date)) continue;
				const key = `${tripId}@${date}`;
				const s = this.#states.get(key);
				if (s ? nowS > last + s.delayS + TAIL_S : nowS > last + TAIL_S) continue;
				live.add(key);
				if (!s) {
					this.#vehicles++;
					const hasCars = r() < 1 / 3;
					const n = 2 + Math.floor(r() * 5);
					this.#states.set(key, {
						tripId,
						date,
						dayStart,
						vehicle: `veh-${this.#vehicles}`,
						canceled: r() < 1 / CANCEL_ONE_IN,
						delayS: Math.round(-30 + r() * 210),
						loadPct: Math.round(5 + r() * 60),
						cars: hasCars ? Array.from({ length: n }, () => Math.round(r() * 80)) : undefined,
					});
					continue;
				}
				// Random walk: ±45 s per step, held to [DELAY_MIN_S, DELAY_MAX_S]; load ±8 %, carriages ±10 %.
				s.delayS = clamp(s.delayS + Math.round((r() - 0.5) * 90), DELAY_MIN_S, DELAY_MAX_S);
				s.loadPct = clamp(s.loadPct + Math.round((r() - 0.5) * 16), 0, 100);
				if (s.cars)
					s.cars = s.cars.map((pct) => {
						const x = r();
						if (x < 0.03) return -1;
						const base = pct < 0 ? Math.round(r() * 80) : pct;
						return clamp(base + Math.round((x - 0.5) * 20), 0, 100);
					});
			}
		}
		for (const key of this.#states.keys()) if (!live.has(key)) this.#states.delete(key);
	}
}
