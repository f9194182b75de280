/*
 * The arrivals bridge's core: GTFS-Realtime TripUpdates and VehiclePositions
 * plus the static feed → one stop's StopBoard (firmware/contract/board-payloads.ts).
 * Rules from the GTFS-Realtime reference (https://gtfs.org/documentation/realtime/reference/)
 * and issue #4:
 *   1. StopTimeEvent: when both `time` and `delay` are set, `time` wins.
 *   2. A delay propagates downstream until the next StopTimeUpdate (STU); it
 *      comes from the last STU at or before the stop (departure, else arrival),
 *      or TripUpdate.delay when no STU precedes. An STU with NO_DATA makes its
 *      stop and the following ones "sched" until the next STU with data. A time
 *      given only for a later stop says nothing about the earlier ones.
 *   3. SKIPPED stop → "skipped"; CANCELED trip → "canceled" everywhere;
 *      DELETED trip → not on the board at all.
 *   4. protobufjs puts proto2 defaults on the prototype, so an absent field
 *      reads 0: presence is tested with hasOwnProperty, never by value
 *      (an absent `uncertainty` is unknown, not exact).
 *   5. Occupancy (read from the wire where the bindings are older than the spec): VehiclePosition.occupancy_status of the trip's vehicle;
 *      STU.departure_occupancy_status wins for its stop. CarriageDetails sorted
 *      by carriage_sequence, the whole list dropped unless it is exactly 1..n;
 *      occupancy_percentage −1 = no data, status NO_DATA_AVAILABLE when absent.
 *   6. Departures more than 30 s gone are dropped; the rest sorted by expected
 *      time, cut at `max`. Unknown trip ids are warnings. t = feed header
 *      timestamp, tz = the agency zone's offset now.
 */
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import { BOARD_MAX_CARS, BOARD_MAX_DEPARTURES, BOARD_TEXT, OCCUPANCY, type BoardDeparture, type StopBoard } from "../../firmware/contract/board-payloads";
import { CONTRACT_VERSION } from "../../firmware/contract/topics";
import type { GtfsFeed, GtfsStopTime } from "./static-feed";
import { localDate, utcOffsetMinutes } from "./time-zone";

const rt = GtfsRealtimeBindings.transit_realtime;
export type FeedMessage = GtfsRealtimeBindings.transit_realtime.FeedMessage;
type TripUpdate = GtfsRealtimeBindings.transit_realtime.ITripUpdate;
type StopTimeUpdate = GtfsRealtimeBindings.transit_realtime.TripUpdate.IStopTimeUpdate;
type StopTimeEvent = GtfsRealtimeBindings.transit_realtime.TripUpdate.IStopTimeEvent;
type VehiclePosition = GtfsRealtimeBindings.transit_realtime.IVehiclePosition;

const TRIP_REL = rt.TripDescriptor.ScheduleRelationship;
const STU_REL = rt.TripUpdate.StopTimeUpdate.ScheduleRelationship;
/**
 * TripDescriptor.ScheduleRelationship DELETED (gtfs-realtime.proto, added 2022). gtfs-realtime-bindings
 * 1.1.1 predates it, but decodes the enum as a plain int32, so the value arrives as 7.
 */
export const TRIP_DELETED = 7;

/** A departure this long past its expected time is gone (the sign keeps it "Due" that long too). */
export const DEPARTED_GRACE_S = 30;

/** Decodes a GTFS-RT FeedMessage. @throws Error from protobufjs on malformed bytes */
export function decodeFeed(bytes: Uint8Array): FeedMessage {
	const feed = rt.FeedMessage.decode(bytes);
	// StopTimeUpdate.departure_occupancy_status (field 7) is newer than the bindings, which skip it: read it from the wire.
	for (const [entity, stus] of departureOccupancies(bytes)) {
		const list = feed.entity[entity]?.tripUpdate?.stopTimeUpdate;
		for (const [stu, occ] of stus) if (list?.[stu]) (list[stu] as StopTimeUpdate & { departureOccupancyStatus?: number }).departureOccupancyStatus = occ;
	}
	return feed;
}

/** Protobuf wire walking (https://protobuf.dev/programming-guides/encoding/): just enough to find one field the bindings lack. */
function varint(b: Uint8Array, at: { i: number }): number {
	let v = 0;
	let mul = 1;
	for (;;) {
		if (at.i >= b.length) throw new RangeError("truncated varint");
		const x = b[at.i++]!;
		v += (x & 0x7f) * mul;
		if (x < 0x80) return v;
		mul *= 128;
		if (mul > 2 ** 63) throw new RangeError("varint too long");
	}
}

/** Calls `on(field, start, end)` for each length-delimited field of a message and `onVarint(field, value)` for varints. */
function fields(b: Uint8Array, start: number, end: number, on: (field: number, s: number, e: number) => void, onVarint?: (field: number, value: number) => void): void {
	const at = { i: start };
	while (at.i < end) {
		const key = varint(b, at);
		const field = Math.floor(key / 8);
		switch (key & 7) {
			case 0: {
				const v = varint(b, at);
				onVarint?.(field, v);
				break;
			}
			case 1:
				at.i += 8;
				break;
			case 2: {
				const len = varint(b, at);
				on(field, at.i, at.i + len);
				at.i += len;
				break;
			}
			case 5:
				at.i += 4;
				break;
			default:
				throw new RangeError(`unsupported wire type ${key & 7}`);
		}
	}
}

/** entity index → (stop_time_update index → departure_occupancy_status), from FeedMessage.entity(2).trip_update(3).stop_time_update(2).field 7. */
function departureOccupancies(b: Uint8Array): Map<number, Map<number, number>> {
	const out = new Map<number, Map<number, number>>();
	let entity = -1;
	fields(b, 0, b.length, (f, s, e) => {
		if (f !== 2) return;
		entity++;
		fields(b, s, e, (f2, s2, e2) => {
			if (f2 !== 3) return;
			let stu = -1;
			fields(b, s2, e2, (f3, s3, e3) => {
				if (f3 !== 2) return;
				stu++;
				const index = stu;
				fields(b, s3, e3, () => {}, (f4, v) => {
					if (f4 !== 7) return;
					let m = out.get(entity);
					if (!m) out.set(entity, (m = new Map()));
					m.set(index, v);
				});
			});
		});
	});
	return out;
}

function has(obj: object | null | undefined, field: string): boolean {
	return obj != null && Object.prototype.hasOwnProperty.call(obj, field);
}

/** int64 fields decode as Long objects when the long package is present, numbers otherwise. */
function num(v: unknown): number {
	if (typeof v === "number") return v;
	if (v && typeof (v as { toNumber?: unknown }).toNumber === "function") return (v as { toNumber(): number }).toNumber();
	return Number(v);
}

function clip(s: string, max: number): string {
	const cps = Array.from(s);
	return cps.length <= max ? s : cps.slice(0, max - 1).join("") + "…";
}

export interface ResolveOptions {
	/** how far ahead to list departures, s @default 7200 */
	horizonS?: number;
	/** most departures @default 8 (never more than BOARD_MAX_DEPARTURES) */
	max?: number;
}

interface Instance {
	st: GtfsStopTime;
	date: string;
	/** scheduled departure here, epoch s */
	sched: number;
}

/** What a StopTimeEvent says: a predicted time for the event (time wins over delay), and its uncertainty when present. */
function eventPrediction(ev: StopTimeEvent | null | undefined, schedS: number): { at: number; unc?: number } | undefined {
	if (!ev) return undefined;
	const unc = has(ev, "uncertainty") ? num(ev.uncertainty) : undefined;
	if (has(ev, "time")) return { at: num(ev.time), unc };
	if (has(ev, "delay")) return { at: schedS + num(ev.delay), unc };
	return undefined;
}

/** The delay an STU reports at its own stop: departure, else arrival (time over delay in each). */
function stuDelay(stu: StopTimeUpdate, st: GtfsStopTime, dayStart: number): number | undefined {
	const dep = eventPrediction(stu.departure, dayStart + st.dep);
	if (dep) return dep.at - (dayStart + st.dep);
	const arr = eventPrediction(stu.arrival, dayStart + st.arr);
	if (arr) return arr.at - (dayStart + st.arr);
	return undefined;
}

/** Index in `stops` of each STU (stop_sequence first, else stop_id after the previous match); −1 when it matches nothing. */
function stuIndexes(stus: StopTimeUpdate[], stops: GtfsStopTime[]): number[] {
	const out: number[] = [];
	let from = 0;
	for (const stu of stus) {
		let at = -1;
		if (has(stu, "stopSequence")) at = stops.findIndex((s) => s.seq === stu.stopSequence);
		else if (has(stu, "stopId")) {
			at = stops.findIndex((s, i) => i >= from && s.stopId === stu.stopId);
		}
		if (at >= 0) from = at + 1;
		out.push(at);
	}
	return out;
}

type Resolved = Pick<BoardDeparture, "st" | "pred" | "unc"> & { occ?: number };

/** Applies rules 1–3 to one stop of one trip instance. */
function resolveStop(tu: TripUpdate | undefined, inst: Instance, stops: GtfsStopTime[], dayStart: number): Resolved {
	if (!tu) return { st: "sched" };
	const rel = tu.trip?.scheduleRelationship;
	if (has(tu.trip, "scheduleRelationship") && rel === TRIP_REL.CANCELED) return { st: "canceled" };
	const stus = tu.stopTimeUpdate ?? [];
	const idx = stuIndexes(stus, stops);
	const k = inst.st.index;
	// The last STU at or before this stop decides (rule 2); SKIPPED ones upstream carry no delay, so look past them.
	let occ: number | undefined;
	for (let j = stus.length - 1; j >= 0; j--) {
		if (idx[j] !== k) continue;
		if (has(stus[j], "departureOccupancyStatus")) occ = (stus[j] as { departureOccupancyStatus: number }).departureOccupancyStatus;
		break;
	}
	for (let j = stus.length - 1; j >= 0; j--) {
		const at = idx[j]!;
		if (at < 0 || at > k) continue;
		const stu = stus[j]!;
		const srel = has(stu, "scheduleRelationship") ? stu.scheduleRelationship : STU_REL.SCHEDULED;
		if (at === k) {
			if (srel === STU_REL.SKIPPED) return { st: "skipped", occ };
			if (srel === STU_REL.NO_DATA) return { st: "sched", occ };
			const dep = eventPrediction(stu.departure, inst.sched);
			if (dep) return { st: "live", pred: dep.at, unc: dep.unc, occ };
			const arr = eventPrediction(stu.arrival, dayStart + inst.st.arr);
			// Only the arrival is known: the departure keeps the scheduled dwell after it.
			if (arr) return { st: "live", pred: arr.at + (inst.st.dep - inst.st.arr), unc: arr.unc, occ };
			return { st: "sched", occ };
		}
		if (srel === STU_REL.SKIPPED) continue;
		if (srel === STU_REL.NO_DATA) return { st: "sched", occ };
		const delay = stuDelay(stu, stops[at]!, dayStart);
		if (delay === undefined) return { st: "sched", occ };
		// Propagated: the upstream uncertainty does not carry over, so it stays unknown.
		return { st: "live", pred: inst.sched + delay, occ };
	}
	if (has(tu, "delay")) return { st: "live", pred: inst.sched + num(tu.delay), occ };
	return { st: "sched", occ };
}

/** Rule 5: carriage crowding in carriage_sequence order, or undefined when absent, too long or not exactly 1..n. */
function carriages(vp: VehiclePosition | undefined, warnings: string[]): { occ: number[]; pct: number[] } | undefined {
	const list = vp?.multiCarriageDetails ?? [];
	if (list.length === 0) return undefined;
	if (list.length > BOARD_MAX_CARS) {
		warnings.push(`vehicle of trip ${vp?.trip?.tripId}: ${list.length} carriages, more than ${BOARD_MAX_CARS}: ignored`);
		return undefined;
	}
	const sorted = list.slice().sort((a, b) => (a.carriageSequence ?? 0) - (b.carriageSequence ?? 0));
	for (let i = 0; i < sorted.length; i++) {
		if (!has(sorted[i], "carriageSequence") || sorted[i]!.carriageSequence !== i + 1) {
			warnings.push(`vehicle of trip ${vp?.trip?.tripId}: carriage_sequence is not 1..${sorted.length}: carriage details dropped`);
			return undefined;
		}
	}
	return {
		occ: sorted.map((c) => {
			const o = has(c, "occupancyStatus") ? c.occupancyStatus! : OCCUPANCY.NO_DATA_AVAILABLE;
			return o >= 0 && o <= OCCUPANCY.NOT_BOARDABLE ? o : OCCUPANCY.NO_DATA_AVAILABLE;
		}),
		pct: sorted.map((c) => {
			const p = has(c, "occupancyPercentage") ? c.occupancyPercentage! : -1;
			return Number.isInteger(p) && p >= 0 && p <= 100 ? p : -1;
		}),
	};
}

/** Keyed "trip_id" and "trip_id\0start_date" (when the descriptor has one). */
function byTrip<T>(entities: FeedMessage["entity"] | undefined, pick: (e: GtfsRealtimeBindings.transit_realtime.IFeedEntity) => (T & { trip?: GtfsRealtimeBindings.transit_realtime.ITripDescriptor | null }) | null | undefined): Map<string, T> {
	const out = new Map<string, T>();
	for (const e of entities ?? []) {
		if (e.isDeleted) continue;
		const v = pick(e);
		const id = v?.trip?.tripId;
		if (!v || !id) continue;
		out.set(v.trip?.startDate ? `${id}\0${v.trip.startDate}` : id, v);
	}
	return out;
}

/** The feed's header timestamp, epoch s, when it has one. */
function headerTime(feed: FeedMessage | undefined): number | undefined {
	return feed && has(feed.header, "timestamp") ? num(feed.header.timestamp) : undefined;
}

/**
 * One stop's board at `nowS` (epoch s): scheduled departures of today's,
 * yesterday's late and tomorrow's early service within the horizon, with
 * real-time applied. Never throws on feed content it does not understand: a
 * warning explains what was ignored.
 * @throws Error when `stopId` is not in the static feed
 */
export function resolveStopBoard(
	feed: GtfsFeed,
	realtime: { trips?: FeedMessage; vehicles?: FeedMessage },
	stopId: string,
	nowS: number,
	options: ResolveOptions = {},
): { board: StopBoard; warnings: string[] } {
	const stop = feed.stops.get(stopId);
	if (!stop) throw new Error(`stop "${stopId}" is not in the GTFS feed`);
	const horizonS = options.horizonS ?? 7200;
	const max = Math.min(options.max ?? 8, BOARD_MAX_DEPARTURES);
	const warnings: string[] = [];

	const updates = byTrip<TripUpdate>(realtime.trips?.entity, (e) => e.tripUpdate);
	const vehicles = byTrip<VehiclePosition>(realtime.vehicles?.entity, (e) => e.vehicle);
	for (const key of new Set([...updates.keys(), ...vehicles.keys()])) {
		const id = key.split("\0")[0]!;
		const rel = updates.get(key)?.trip?.scheduleRelationship;
		if (!feed.trips.has(id)) warnings.push(rel === TRIP_REL.ADDED ? `trip ${id}: ADDED trips are not shown yet` : `trip ${id}: not in the static feed, ignored`);
	}

	// Scheduled instances at this stop: service dates yesterday..tomorrow (a 25:10 departure belongs to yesterday).
	const dates = [-1, 0, 1].map((d) => localDate(feed.timeZone, nowS, d));
	const instances: Instance[] = [];
	for (const st of feed.stopTimesByStop.get(stopId) ?? []) {
		const trip = feed.trips.get(st.tripId)!;
		const stops = feed.stopTimesByTrip.get(st.tripId)!;
		// Not a departure: the trip ends here, or nobody may board here.
		if (st.index === stops.length - 1 || st.noPickup) continue;
		for (const date of dates) {
			if (!feed.serviceActive(trip.serviceId, date)) continue;
			const sched = feed.dayStart(date) + st.dep;
			// Wide window: a late bus scheduled an hour ago may still be coming.
			if (sched < nowS - 3 * 3600 || sched > nowS + horizonS) continue;
			instances.push({ st, date, sched });
		}
	}

	// A TripUpdate without start_date applies to the instance of its trip scheduled nearest to now.
	const nearest = new Map<string, Instance>();
	for (const inst of instances) {
		const best = nearest.get(inst.st.tripId);
		if (!best || Math.abs(inst.sched - nowS) < Math.abs(best.sched - nowS)) nearest.set(inst.st.tripId, inst);
	}
	const find = <T>(map: Map<string, T>, inst: Instance): T | undefined =>
		map.get(`${inst.st.tripId}\0${inst.date}`) ?? (nearest.get(inst.st.tripId) === inst ? map.get(inst.st.tripId) : undefined);

	const deps: (BoardDeparture & { at: number })[] = [];
	for (const inst of instances) {
		const tu = find(updates, inst);
		if (tu && has(tu.trip, "scheduleRelationship") && (tu.trip!.scheduleRelationship as number) === TRIP_DELETED) continue;
		const stops = feed.stopTimesByTrip.get(inst.st.tripId)!;
		const r = resolveStop(tu, inst, stops, feed.dayStart(inst.date));
		const at = r.pred ?? inst.sched;
		if (at < nowS - DEPARTED_GRACE_S || at > nowS + horizonS) continue;
		const trip = feed.trips.get(inst.st.tripId)!;
		const route = feed.routes.get(trip.routeId)!;
		// No headsign: the trip's last stop is where it goes.
		const last = feed.stops.get(stops[stops.length - 1]!.stopId)!;
		const dest = trip.headsign || last.name;
		const destZh = trip.headsign ? trip.headsignZh : last.nameZh;
		const d: BoardDeparture & { at: number } = { at, trip: trip.id, route: clip(route.name, BOARD_TEXT.route), dest: clip(dest, BOARD_TEXT.name), sched: inst.sched, st: r.st };
		if (destZh) d.destZh = clip(destZh, BOARD_TEXT.name);
		if (r.st === "live") {
			d.pred = r.pred;
			if (r.unc !== undefined) d.unc = Math.min(Math.max(0, Math.round(r.unc)), 86_400);
		}
		if (r.st === "live" || r.st === "sched") {
			const vp = find(vehicles, inst);
			let occ = vp && has(vp, "occupancyStatus") ? vp.occupancyStatus! : undefined;
			if (r.occ !== undefined) occ = r.occ;
			if (occ !== undefined && occ !== OCCUPANCY.NO_DATA_AVAILABLE && occ >= 0 && occ <= OCCUPANCY.NOT_BOARDABLE) d.occ = occ;
			const cars = carriages(vp, warnings);
			if (cars) d.cars = cars;
		}
		deps.push(d);
	}
	deps.sort((a, b) => a.at - b.at || a.sched - b.sched);

	const board: StopBoard = {
		v: CONTRACT_VERSION,
		stop: stopId,
		name: clip(stop.name, BOARD_TEXT.name),
		t: headerTime(realtime.trips) ?? headerTime(realtime.vehicles) ?? nowS,
		tz: utcOffsetMinutes(feed.timeZone, nowS),
		deps: deps.slice(0, max).map(({ at: _at, ...d }) => d),
	};
	if (stop.nameZh) board.nameZh = clip(stop.nameZh, BOARD_TEXT.name);
	return { board, warnings };
}
