/*
 * Curbside wire contract, part 5: what a stop sign is told (cloud → sign).
 *   cs/v1/stop/<stopId>/board      retained StopBoard: the next departures, as the arrivals
 *                                  bridge resolved them from GTFS-Realtime (tools/gtfs/realtime.ts)
 *   cs/v1/stop/<stopId>/timetable  retained StopTimetable: scheduled departures for the offline
 *                                  fallback, persisted by the sign (bounded)
 *   cs/v1/stop/<stopId>/fresh      retained BoardFresh: "the board whose bytes have CRC-32 `crc`
 *                                  is still what the feed says as of `t`" — keeps a sign live
 *                                  without re-sending an unchanged board (a third of its size)
 * The cloud applies the GTFS-RT rules that need the whole feed (time over delay,
 * delay propagation, NO_DATA, SKIPPED, CANCELED, DELETED, carriage order); the
 * sign applies the rules that depend on "now" (staleness TTL, Due, minutes vs
 * clock, occupancy levels), so a sign that loses its link never shows an old
 * prediction as live (firmware/apps/stop-sign/departures.ts).
 * Times are epoch seconds (UTC); `tz` is the stop's UTC offset in minutes at
 * publication (the sign has no time-zone database and no Intl).
 * The validators below bound every list and text, so a huge or malformed
 * board is refused with a field path and the sign keeps its last good one.
 */
import { ProtocolError } from "../runtime/errors";
import { CONTRACT_VERSION } from "./topics";
import { compact, integer, list, oneOf, onlyKeys, optional, record, text, type Fields } from "./validate";

/** GTFS-RT OccupancyStatus values (gtfs-realtime.proto, VehiclePosition.OccupancyStatus). */
export const OCCUPANCY = Object.freeze({
	EMPTY: 0,
	MANY_SEATS_AVAILABLE: 1,
	FEW_SEATS_AVAILABLE: 2,
	STANDING_ROOM_ONLY: 3,
	CRUSHED_STANDING_ROOM_ONLY: 4,
	FULL: 5,
	NOT_ACCEPTING_PASSENGERS: 6,
	NO_DATA_AVAILABLE: 7,
	NOT_BOARDABLE: 8,
} as const);

/** How the cloud resolved one departure. */
export const DEPARTURE_STATES = Object.freeze(["sched", "live", "skipped", "canceled"] as const);
/**
 * - "sched": no real-time for this stop (no update for the trip, or NO_DATA): the scheduled time;
 * - "live": `pred` is a real-time prediction;
 * - "skipped": the trip runs but does not stop here (StopTimeUpdate SKIPPED);
 * - "canceled": the trip is CANCELED (a DELETED trip never appears at all).
 */
export type DepartureState = (typeof DEPARTURE_STATES)[number];

export interface BoardDeparture {
	/** GTFS trip_id */
	trip: string;
	/** route as riders know it (route_short_name, else route_long_name) */
	route: string;
	/** headsign (Latin) */
	dest: string;
	/** headsign in Chinese, when the feed has a translation */
	destZh?: string;
	/** scheduled departure, epoch s */
	sched: number;
	/** predicted departure, epoch s; only with st "live" */
	pred?: number;
	/** prediction uncertainty in s; absent = unknown (never read as 0) */
	unc?: number;
	st: DepartureState;
	/** vehicle OccupancyStatus (OCCUPANCY); absent = no data */
	occ?: number;
	/**
	 * Per-carriage occupancy in carriage_sequence order: OccupancyStatus per carriage, and percentage (−1 = no data).
	 * Absent when the feed had none or its sequence had a gap (the whole list is discarded then).
	 */
	cars?: { occ: number[]; pct: number[] };
}

export interface StopBoard {
	v: number;
	/** GTFS stop_id */
	stop: string;
	/** stop name (Latin) and Chinese, for the footer */
	name: string;
	nameZh?: string;
	/** when the predictions were made: the GTFS-RT header timestamp, epoch s. Staleness is judged from this. */
	t: number;
	/** UTC offset of the stop, minutes */
	tz: number;
	/** next departures in order of expected time (at most BOARD_MAX_DEPARTURES) */
	deps: BoardDeparture[];
	/** service alert line (Latin / Chinese) */
	alert?: string;
	alertZh?: string;
}

export const BOARD_MAX_DEPARTURES = 16;

/**
 * Scheduled departures of one stop for the offline fallback. Routes and
 * destinations are interned so a day of departures fits the sign's bound:
 * `deps` is flat triplets [minutes after `from`, route index, dest index].
 */
export interface StopTimetable {
	v: number;
	stop: string;
	name: string;
	nameZh?: string;
	tz: number;
	/** epoch s of the first minute covered */
	from: number;
	/** epoch s after which the slice says nothing (the sign shows no fallback past it) */
	until: number;
	routes: string[];
	dests: string[];
	/** Chinese destinations, index-aligned with `dests` ("" where none) */
	destsZh?: string[];
	deps: number[];
}

/** At most this many departures in a timetable slice: 3 × 600 small integers ≈ 3 KB of CBOR. */
export const TIMETABLE_MAX_DEPARTURES = 600;

/** Text bounds (characters): ids, route names, headsigns and stop names, alert lines. */
export const BOARD_TEXT = Object.freeze({ id: 64, route: 32, name: 128, alert: 512 } as const);
/** Most carriages a CarriageDetails list may describe (a long metro train has 10–12). */
export const BOARD_MAX_CARS = 32;
/** Most distinct routes / destinations in one timetable slice. */
export const TIMETABLE_MAX_ROUTES = 64;
export const TIMETABLE_MAX_DESTS = 128;
/** Longest slice: a week of minutes (the cloud normally sends 24 h). */
export const TIMETABLE_MAX_SPAN_S = 7 * 86_400;
/** Plausible epoch seconds: 2020-01-01T00:00Z ..= 2100-01-01T00:00Z. A time outside is a broken clock or unit (ms sent as s). */
export const EPOCH_MIN_S = 1_577_836_800;
export const EPOCH_MAX_S = 4_102_444_800;
/** Real UTC offsets span −12:00..+14:00 (Kiribati); ±14:00 is the symmetric bound. */
export const TZ_MAX_MIN = 840;
/** An uncertainty beyond a day is not a prediction. */
const UNC_MAX_S = 86_400;

function version(fields: Fields, path: string): number {
	return integer(fields.v, `${path}.v`, 1, CONTRACT_VERSION);
}

function epoch(value: unknown, path: string): number {
	return integer(value, path, EPOCH_MIN_S, EPOCH_MAX_S);
}

function occupancy(value: unknown, path: string): number {
	return integer(value, path, OCCUPANCY.EMPTY, OCCUPANCY.NOT_BOARDABLE);
}

function cars(value: unknown, path: string): { occ: number[]; pct: number[] } {
	const f = record(value, path);
	onlyKeys(f, path, ["occ", "pct"]);
	const occ = list(f.occ, `${path}.occ`, BOARD_MAX_CARS).map((o, i) => occupancy(o, `${path}.occ[${i}]`));
	const pct = list(f.pct, `${path}.pct`, BOARD_MAX_CARS).map((p, i) => integer(p, `${path}.pct[${i}]`, -1, 100));
	if (occ.length !== pct.length) throw new ProtocolError(`${path}: occ has ${occ.length} carriages, pct ${pct.length}`);
	if (occ.length === 0) throw new ProtocolError(`${path}: empty (omit cars instead)`);
	return { occ, pct };
}

function departure(value: unknown, path: string): BoardDeparture {
	const f = record(value, path);
	onlyKeys(f, path, ["trip", "route", "dest", "destZh", "sched", "pred", "unc", "st", "occ", "cars"]);
	const st = oneOf(f.st, `${path}.st`, DEPARTURE_STATES);
	const pred = optional(f.pred, (v) => epoch(v, `${path}.pred`));
	// A prediction on a skipped, cancelled or scheduled row would be a time the sign might show as live.
	if (pred !== undefined && st !== "live") throw new ProtocolError(`${path}.pred: only allowed with st "live", not "${st}"`);
	if (pred === undefined && st === "live") throw new ProtocolError(`${path}.pred: required with st "live"`);
	// compact: nested optional fields must cost no bytes either (the codec compacts only the top level).
	return compact({
		trip: text(f.trip, `${path}.trip`, BOARD_TEXT.id),
		route: text(f.route, `${path}.route`, BOARD_TEXT.route),
		dest: text(f.dest, `${path}.dest`, BOARD_TEXT.name),
		destZh: optional(f.destZh, (v) => text(v, `${path}.destZh`, BOARD_TEXT.name)),
		sched: epoch(f.sched, `${path}.sched`),
		pred,
		unc: optional(f.unc, (v) => integer(v, `${path}.unc`, 0, UNC_MAX_S)),
		st,
		occ: optional(f.occ, (v) => occupancy(v, `${path}.occ`)),
		cars: optional(f.cars, (v) => cars(v, `${path}.cars`)),
	});
}

/** Validates a departures board. @throws ProtocolError naming the field path */
export function validateStopBoard(value: unknown): StopBoard {
	const f = record(value, "board");
	onlyKeys(f, "board", ["v", "stop", "name", "nameZh", "t", "tz", "deps", "alert", "alertZh"]);
	return {
		v: version(f, "board"),
		stop: text(f.stop, "board.stop", BOARD_TEXT.id),
		name: text(f.name, "board.name", BOARD_TEXT.name),
		nameZh: optional(f.nameZh, (v) => text(v, "board.nameZh", BOARD_TEXT.name)),
		t: epoch(f.t, "board.t"),
		tz: integer(f.tz, "board.tz", -TZ_MAX_MIN, TZ_MAX_MIN),
		deps: list(f.deps, "board.deps", BOARD_MAX_DEPARTURES).map((d, i) => departure(d, `board.deps[${i}]`)),
		alert: optional(f.alert, (v) => text(v, "board.alert", BOARD_TEXT.alert)),
		alertZh: optional(f.alertZh, (v) => text(v, "board.alertZh", BOARD_TEXT.alert)),
	};
}

/** Validates a timetable slice: interned indexes in range, minutes ascending inside [from, until]. @throws ProtocolError naming the field path */
export function validateStopTimetable(value: unknown): StopTimetable {
	const f = record(value, "timetable");
	onlyKeys(f, "timetable", ["v", "stop", "name", "nameZh", "tz", "from", "until", "routes", "dests", "destsZh", "deps"]);
	const from = epoch(f.from, "timetable.from");
	const until = epoch(f.until, "timetable.until");
	if (until <= from || until - from > TIMETABLE_MAX_SPAN_S) throw new ProtocolError(`timetable.until: must be after from and at most ${TIMETABLE_MAX_SPAN_S} s later`);
	const routes = list(f.routes, "timetable.routes", TIMETABLE_MAX_ROUTES).map((r, i) => text(r, `timetable.routes[${i}]`, BOARD_TEXT.route));
	const dests = list(f.dests, "timetable.dests", TIMETABLE_MAX_DESTS).map((d, i) => text(d, `timetable.dests[${i}]`, BOARD_TEXT.name));
	const destsZh = optional(f.destsZh, (v) => list(v, "timetable.destsZh", TIMETABLE_MAX_DESTS).map((d, i) => text(d, `timetable.destsZh[${i}]`, BOARD_TEXT.name)));
	if (destsZh && destsZh.length !== dests.length) throw new ProtocolError(`timetable.destsZh: ${destsZh.length} items, dests has ${dests.length}`);
	const raw = list(f.deps, "timetable.deps", 3 * TIMETABLE_MAX_DEPARTURES);
	if (raw.length % 3 !== 0) throw new ProtocolError(`timetable.deps: length ${raw.length} is not a multiple of 3`);
	const maxMin = Math.floor((until - from) / 60);
	const deps: number[] = [];
	let last = 0;
	for (let i = 0; i < raw.length; i += 3) {
		const at = `timetable.deps[${i / 3}]`;
		const min = integer(raw[i], `${at}.min`, 0, maxMin);
		// Ascending, so the sign and its store can keep the earliest by cutting the tail.
		if (min < last) throw new ProtocolError(`${at}.min: ${min} before the previous ${last}`);
		last = min;
		deps.push(min, integer(raw[i + 1], `${at}.route`, 0, routes.length - 1), integer(raw[i + 2], `${at}.dest`, 0, dests.length - 1));
	}
	return {
		v: version(f, "timetable"),
		stop: text(f.stop, "timetable.stop", BOARD_TEXT.id),
		name: text(f.name, "timetable.name", BOARD_TEXT.name),
		nameZh: optional(f.nameZh, (v) => text(v, "timetable.nameZh", BOARD_TEXT.name)),
		tz: integer(f.tz, "timetable.tz", -TZ_MAX_MIN, TZ_MAX_MIN),
		from,
		until,
		routes,
		dests,
		destsZh,
		deps,
	};
}

/**
 * The feed confirmed an unchanged board: the board whose published payload bytes have CRC-32/ISO-HDLC `crc`
 * (firmware/net/outbox/crc32.ts) is current as of `t`. A sign applies it only to the very board it holds (same
 * CRC), so a tick can never make a board the sign missed, or an older one, look fresh.
 */
export interface BoardFresh {
	v: number;
	stop: string;
	/** feed time the board was confirmed at, epoch s */
	t: number;
	crc: number;
}

/** @throws ProtocolError naming the field path */
export function validateBoardFresh(value: unknown): BoardFresh {
	const f = record(value, "fresh");
	onlyKeys(f, "fresh", ["v", "stop", "t", "crc"]);
	return {
		v: version(f, "fresh"),
		stop: text(f.stop, "fresh.stop", BOARD_TEXT.id),
		t: epoch(f.t, "fresh.t"),
		crc: integer(f.crc, "fresh.crc", 0, 0xffff_ffff),
	};
}
