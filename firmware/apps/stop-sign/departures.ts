/*
 * The sign's "never lie" rules: turns the last board, the cached timetable
 * and the wall clock into what the screen shows (screen-model.ts). Issue #4,
 * "Arrival semantics"; the cloud already applied the rules that need the
 * whole GTFS-Realtime feed (tools/gtfs/realtime.ts), this applies the ones
 * that depend on "now":
 *   - a board is live only while now − t ≤ TTL (default 90 s) and t is not
 *     more than 5 min ahead of the sign's clock (a board "from the future"
 *     means one of the two clocks is wrong: trust neither as live);
 *   - live times are whole minutes, "Due" under 90 s and for 30 s after the
 *     predicted time; scheduled, skipped and cancelled rows show a 24-hour clock;
 *   - otherwise the cached timetable is shown as clock times only, and nothing
 *     from the old board (a cancellation heard 10 min ago may be stale too);
 *   - with no usable timetable either, no rows and the notice "no data"
 *     (the offline/stale texts promise a timetable);
 *   - without a synced clock nothing time-relative is shown at all.
 * Local time is UTC plus the stop's offset from the payload (no Intl, no Date
 * locale methods on XS).
 */
import { OCCUPANCY, type BoardDeparture, type StopBoard, type StopTimetable } from "../../contract/board-payloads";
import type { UiKey } from "./ui-strings";
import type { Crowding, ScreenModel, ShownDeparture } from "./screen-model";

/** Defaults: prediction time-to-live and the Due threshold (issue #4), both in seconds. */
export const DEFAULT_TTL_S = 90;
export const DEFAULT_DUE_S = 90;
/** A live departure stays "Due" this long after its predicted time, then leaves the board. */
export const DUE_GRACE_S = 30;
/** A board stamped further than this ahead of the sign's clock is not trusted. */
export const FUTURE_TOLERANCE_S = 300;
export const DEFAULT_ROWS = 8;

/** Why the sign is not live (ScreenModel.notice), and the UI string each one shows. */
export const NOTICES = Object.freeze({
	offline: "offline",
	stale: "stale",
	clockNotSet: "clock not set",
	future: "board time ahead of clock",
	/** nothing to fall back on: the "offline"/"stale" texts promise a timetable that is not there */
	noData: "no data",
} as const);
export type Notice = (typeof NOTICES)[keyof typeof NOTICES];
export const NOTICE_TEXT: Readonly<Record<Notice, UiKey>> = Object.freeze({
	offline: "offline",
	stale: "stale",
	"clock not set": "clockNotSet",
	// The sign cannot tell which clock is wrong; to a rider it is "live times unavailable".
	"board time ahead of clock": "stale",
	"no data": "noData",
});

export interface DeparturesInput {
	board?: StopBoard;
	timetable?: StopTimetable;
	/** wall clock, epoch ms; undefined while the clock is not synced */
	now?: number;
	/** prediction time-to-live, s @default 90 */
	ttlS?: number;
	/** "Due" below this many seconds, s @default 90 */
	dueS?: number;
	/** most rows to return @default 8 */
	rows?: number;
	/** configured stop name, used when neither payload names the stop */
	stopName?: string;
}

function pad2(n: number): string {
	return n < 10 ? "0" + n : String(n);
}

/** "HH:MM" (24-hour) of an epoch-ms instant at a UTC offset in minutes. */
export function localHHMM(epochMs: number, tzMin: number): string {
	const minutes = Math.floor(epochMs / 60_000) + tzMin;
	const ofDay = ((minutes % 1440) + 1440) % 1440;
	return pad2(Math.floor(ofDay / 60)) + ":" + pad2(ofDay % 60);
}

/**
 * GTFS-RT OccupancyStatus in at most three levels: seats / standing / full,
 * plus "not boardable". NO_DATA_AVAILABLE and unknown codes → undefined (show nothing).
 */
export function crowdingOf(occ: number | undefined): Crowding | undefined {
	switch (occ) {
		case OCCUPANCY.EMPTY:
		case OCCUPANCY.MANY_SEATS_AVAILABLE:
			return "low";
		case OCCUPANCY.FEW_SEATS_AVAILABLE:
		case OCCUPANCY.STANDING_ROOM_ONLY:
			return "mid";
		case OCCUPANCY.CRUSHED_STANDING_ROOM_ONLY:
		case OCCUPANCY.FULL:
		case OCCUPANCY.NOT_ACCEPTING_PASSENGERS:
			return "high";
		case OCCUPANCY.NOT_BOARDABLE:
			return "noboard";
		default:
			return undefined;
	}
}

/** A carriage percentage (GTFS-RT CarriageDetails.occupancy_percentage; −1 = no data) in the same three levels. */
export function crowdingOfPercent(pct: number): Crowding | null {
	if (pct < 0) return null;
	return pct < 40 ? "low" : pct < 80 ? "mid" : "high";
}

/** Per-carriage crowding: the status unless it is NO_DATA, else the percentage. Undefined when no carriage has data. */
function carriages(cars: BoardDeparture["cars"]): (Crowding | null)[] | undefined {
	if (!cars) return undefined;
	const out: (Crowding | null)[] = [];
	let known = false;
	for (let i = 0; i < cars.occ.length; i++) {
		const level = cars.occ[i] !== OCCUPANCY.NO_DATA_AVAILABLE ? (crowdingOf(cars.occ[i]) ?? null) : crowdingOfPercent(cars.pct[i] ?? -1);
		if (level !== null) known = true;
		out.push(level);
	}
	return known ? out : undefined;
}

function boardRow(d: BoardDeparture, nowMs: number, dueMs: number, tz: number): ShownDeparture | undefined {
	const row: ShownDeparture = { route: d.route, dest: d.dest, when: { kind: "due" } };
	if (d.destZh !== undefined) row.destZh = d.destZh;
	const at = (d.st === "live" && d.pred !== undefined ? d.pred : d.sched) * 1000;
	// Gone: a bus is not shown once it has left (live rows stay "Due" for the grace period).
	if (at < nowMs - DUE_GRACE_S * 1000) return undefined;
	const hhmm = localHHMM(d.sched * 1000, tz);
	switch (d.st) {
		case "live": {
			const dt = at - nowMs;
			row.when = dt < dueMs ? { kind: "due" } : { kind: "min", min: Math.floor(dt / 60_000) };
			// Missing uncertainty means unknown, never "exact" (GTFS-RT StopTimeEvent.uncertainty).
			if (d.unc !== undefined && d.unc >= 60) row.approx = true;
			break;
		}
		case "sched":
			row.when = { kind: "clock", hhmm };
			break;
		case "skipped":
			row.when = { kind: "skipped", hhmm };
			return row;
		case "canceled":
			row.when = { kind: "canceled", hhmm };
			return row;
	}
	const crowd = crowdingOf(d.occ);
	if (crowd !== undefined) row.crowd = crowd;
	const cars = carriages(d.cars);
	if (cars !== undefined) row.cars = cars;
	return row;
}

function timetableRows(tt: StopTimetable, nowMs: number, max: number): ShownDeparture[] {
	const rows: ShownDeparture[] = [];
	if (nowMs > tt.until * 1000) return rows;
	for (let i = 0; i + 2 < tt.deps.length && rows.length < max; i += 3) {
		const at = (tt.from + tt.deps[i] * 60) * 1000;
		if (at < nowMs || at > tt.until * 1000) continue;
		const row: ShownDeparture = { route: tt.routes[tt.deps[i + 1]] ?? "", dest: tt.dests[tt.deps[i + 2]] ?? "", when: { kind: "clock", hhmm: localHHMM(at, tt.tz) } };
		const zh = tt.destsZh?.[tt.deps[i + 2]];
		if (zh) row.destZh = zh;
		rows.push(row);
	}
	return rows;
}

/** What the sign shows now. Pure: no clock, storage or IO of its own. Never throws on a validated board or timetable. */
export function showDepartures(input: DeparturesInput): ScreenModel {
	const { board, timetable, now } = input;
	const ttlMs = (input.ttlS ?? DEFAULT_TTL_S) * 1000;
	const dueMs = (input.dueS ?? DEFAULT_DUE_S) * 1000;
	const max = Math.max(0, input.rows ?? DEFAULT_ROWS);
	const model: ScreenModel = { stopName: board?.name ?? timetable?.name ?? input.stopName ?? "", source: "none", rows: [] };
	const nameZh = board?.nameZh ?? timetable?.nameZh;
	if (nameZh !== undefined) model.stopNameZh = nameZh;

	const trusted = board !== undefined && (now === undefined || board.t * 1000 <= now + FUTURE_TOLERANCE_S * 1000);
	if (board && trusted) model.updated = localHHMM(board.t * 1000, board.tz);
	else if (timetable) model.updated = localHHMM(timetable.from * 1000, timetable.tz);

	if (now === undefined) {
		model.notice = NOTICES.clockNotSet;
		return model;
	}
	if (board && trusted && now - board.t * 1000 <= ttlMs) {
		model.source = "live";
		if (board.alert !== undefined) model.alert = board.alert;
		if (board.alertZh !== undefined) model.alertZh = board.alertZh;
		for (const d of board.deps) {
			if (model.rows.length >= max) break;
			const row = boardRow(d, now, dueMs, board.tz);
			if (row) model.rows.push(row);
		}
		return model;
	}
	if (timetable && now <= timetable.until * 1000) {
		model.source = "timetable";
		model.notice = !board ? NOTICES.offline : trusted ? NOTICES.stale : NOTICES.future;
		model.rows = timetableRows(timetable, now, max);
	} else model.notice = board && !trusted ? NOTICES.future : NOTICES.noData;
	return model;
}
