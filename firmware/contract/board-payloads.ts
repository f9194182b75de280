/*
 * Curbside wire contract, part 5: what a stop sign is told (cloud → sign).
 *   cs/v1/stop/<stopId>/board      retained StopBoard: the next departures, as the arrivals
 *                                  bridge resolved them from GTFS-Realtime (tools/gtfs/realtime.ts)
 *   cs/v1/stop/<stopId>/timetable  retained StopTimetable: scheduled departures for the offline
 *                                  fallback, persisted by the sign (bounded)
 * The cloud applies the GTFS-RT rules that need the whole feed (time over delay,
 * delay propagation, NO_DATA, SKIPPED, CANCELED, DELETED, carriage order); the
 * sign applies the rules that depend on "now" (staleness TTL, Due, minutes vs
 * clock, occupancy levels), so a sign that loses its link never shows an old
 * prediction as live (firmware/apps/stop-sign/departures.ts).
 * Times are epoch seconds (UTC); `tz` is the stop's UTC offset in minutes at
 * publication (the sign has no time-zone database and no Intl).
 */

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
