/*
 * The offline fallback the cloud sends each sign: one stop's scheduled
 * departures from `from` for `hours`, as a StopTimetable
 * (firmware/contract/board-payloads.ts) — routes and destinations interned,
 * departures as [minutes after from, route index, dest index] in time order.
 * Bounded by the contract: at most TIMETABLE_MAX_DEPARTURES departures and
 * TIMETABLE_MAX_ROUTES / TIMETABLE_MAX_DESTS names; past a bound the earliest
 * are kept and `until` moves to the first departure left out, so the sign
 * never reads "no more buses" where the slice was cut.
 * Frequency-based trips (frequencies.txt) are not expanded yet.
 */
import { BOARD_TEXT, TIMETABLE_MAX_DEPARTURES, TIMETABLE_MAX_DESTS, TIMETABLE_MAX_ROUTES, TIMETABLE_MAX_SPAN_S, type StopTimetable } from "../../firmware/contract/board-payloads";
import { CONTRACT_VERSION } from "../../firmware/contract/topics";
import type { GtfsFeed } from "./static-feed";
import { localDate, utcOffsetMinutes } from "./time-zone";

function clip(s: string, max: number): string {
	const cps = Array.from(s);
	return cps.length <= max ? s : cps.slice(0, max - 1).join("") + "…";
}

/**
 * Scheduled departures of `stopId` in [fromS, fromS + hours·3600), fromS rounded down to the minute.
 * @throws Error when the stop is unknown or `hours` is not in (0, 168]
 */
export function timetableSlice(feed: GtfsFeed, stopId: string, fromS: number, hours = 24): StopTimetable {
	const stop = feed.stops.get(stopId);
	if (!stop) throw new Error(`stop "${stopId}" is not in the GTFS feed`);
	if (!(hours > 0 && hours * 3600 <= TIMETABLE_MAX_SPAN_S)) throw new Error(`hours must be in (0, ${TIMETABLE_MAX_SPAN_S / 3600}], got ${hours}`);
	const from = Math.floor(fromS / 60) * 60;
	let until = from + Math.round(hours * 3600);

	const found: { at: number; route: string; dest: string; destZh: string }[] = [];
	// Service dates that can reach into the window: the day before (times past 24:00) through its last day.
	const days = Math.ceil(hours / 24) + 1;
	const dates: string[] = [];
	for (let d = -1; d <= days; d++) dates.push(localDate(feed.timeZone, from, d));
	for (const st of feed.stopTimesByStop.get(stopId) ?? []) {
		const trip = feed.trips.get(st.tripId)!;
		const stops = feed.stopTimesByTrip.get(st.tripId)!;
		if (st.index === stops.length - 1 || st.noPickup) continue;
		const last = feed.stops.get(stops[stops.length - 1]!.stopId)!;
		for (const date of new Set(dates)) {
			if (!feed.serviceActive(trip.serviceId, date)) continue;
			const at = feed.dayStart(date) + st.dep;
			if (at < from || at >= until) continue;
			found.push({
				at,
				route: clip(feed.routes.get(trip.routeId)!.name, BOARD_TEXT.route),
				dest: clip(trip.headsign || last.name, BOARD_TEXT.name),
				destZh: clip((trip.headsign ? trip.headsignZh : last.nameZh) ?? "", BOARD_TEXT.name),
			});
		}
	}
	found.sort((a, b) => a.at - b.at || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));

	const routes: string[] = [];
	const dests: string[] = [];
	const destsZh: string[] = [];
	const routeIndex = new Map<string, number>();
	const destIndex = new Map<string, number>();
	const deps: number[] = [];
	for (const f of found) {
		let r = routeIndex.get(f.route);
		let d = destIndex.get(f.dest + "\0" + f.destZh);
		const full = deps.length / 3 >= TIMETABLE_MAX_DEPARTURES || (r === undefined && routes.length >= TIMETABLE_MAX_ROUTES) || (d === undefined && dests.length >= TIMETABLE_MAX_DESTS);
		if (full) {
			// Cut here; a cut inside one minute would leave a kept departure at `until`, so cut at its start.
			until = Math.max(from + 60, Math.floor(f.at / 60) * 60);
			while (deps.length > 0 && from + deps[deps.length - 3]! * 60 >= until) deps.length -= 3;
			break;
		}
		if (r === undefined) routeIndex.set(f.route, (r = routes.push(f.route) - 1));
		if (d === undefined) {
			destIndex.set(f.dest + "\0" + f.destZh, (d = dests.push(f.dest) - 1));
			destsZh.push(f.destZh);
		}
		deps.push(Math.floor((f.at - from) / 60), r, d);
	}
	const tt: StopTimetable = { v: CONTRACT_VERSION, stop: stopId, name: clip(stop.name, BOARD_TEXT.name), tz: utcOffsetMinutes(feed.timeZone, from), from, until, routes, dests, deps };
	if (stop.nameZh) tt.nameZh = clip(stop.nameZh, BOARD_TEXT.name);
	if (destsZh.some((z) => z !== "")) tt.destsZh = destsZh;
	return tt;
}
