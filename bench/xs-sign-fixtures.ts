/*
 * What the stop-sign benchmarks show (tools/bench/sign-bench.ts): a fixed,
 * realistic screen for the render figures, and a cloud that feeds a running
 * sign a board and a timetable for the heap figures. Plain data and pure
 * functions: bundled into the XS benches (bench/xs-sign-render-entry.ts,
 * bench/xs-sign-app-entry.ts), no Node APIs.
 *
 * The names are those of the bilingual demo feed (scenarios/gtfs/cjk-demo),
 * so every character is in the shipped font subset (resources/fonts/*.csf)
 * and no missing-glyph box flatters or penalises the render figures.
 */
import type { BoardDeparture, StopBoard, StopTimetable } from "../firmware/contract/board-payloads";
import { OCCUPANCY } from "../firmware/contract/board-payloads";
import type { ScreenModel, ShownDeparture } from "../firmware/apps/stop-sign/screen-model";

/** The stop the benches show (scenarios/gtfs/cjk-demo/stops.txt). */
export const BENCH_STOP = "HC_MARKET";
const STOP_NAME = "Fish Market";
const STOP_NAME_ZH = "鱼市场";
const ALERT = "Harbour Line: Old Town Gate not served until 18:00";
const ALERT_ZH = "海港线 老城门站 不停靠 (18:00)";

/** The row the one-row update changes (its minute count). */
export const CHANGED_ROW = 2;

/**
 * The full board the render figures draw: five rows (bilingual destinations,
 * per-carriage crowding on two, a vehicle level on two, Due, an approximate
 * time, a cancelled trip struck through, a scheduled clock time), a service
 * alert in both languages and the footer. `minutes` is row CHANGED_ROW's
 * minute count, so a one-row update is the same model with another value.
 */
export function benchScreen(minutes = 12): ScreenModel {
	const rows: ShownDeparture[] = [
		{ route: "1", dest: "People's Hospital", destZh: "人民医院", when: { kind: "min", min: 3 }, crowd: "mid", cars: ["low", "mid", "high", "low", null, "mid"] },
		{ route: "X2", dest: "Railway Station", destZh: "火车站", when: { kind: "due" }, crowd: "high", cars: ["high", "high", "mid", "low"] },
		{ route: "1", dest: "Ferry Pier", destZh: "渡轮码头", when: { kind: "min", min: minutes }, approx: true, crowd: "low" },
		{ route: "X2", dest: "Ferry Pier", destZh: "渡轮码头", when: { kind: "canceled", hhmm: "14:35" } },
		{ route: "1", dest: "People's Hospital", destZh: "人民医院", when: { kind: "clock", hhmm: "14:48" }, crowd: "noboard" },
	];
	return { stopName: STOP_NAME, stopNameZh: STOP_NAME_ZH, updated: "14:02", source: "live", alert: ALERT, alertZh: ALERT_ZH, rows };
}

const MINUTE_S = 60;
/** The demo feed's two routes at this stop: route, headsign, headway (s), offset of the first departure (s). */
const LINES = [
	{ route: "1", dest: "People's Hospital", destZh: "人民医院", headwayS: 7 * MINUTE_S, offsetS: 2 * MINUTE_S },
	{ route: "1", dest: "Ferry Pier", destZh: "渡轮码头", headwayS: 9 * MINUTE_S, offsetS: 5 * MINUTE_S },
	{ route: "X2", dest: "Railway Station", destZh: "火车站", headwayS: 11 * MINUTE_S, offsetS: 4 * MINUTE_S },
] as const;

/** Scheduled departures of LINES in [fromS, untilS), in time order. */
function scheduled(fromS: number, untilS: number): { line: (typeof LINES)[number]; sched: number; n: number }[] {
	const out: { line: (typeof LINES)[number]; sched: number; n: number }[] = [];
	for (const line of LINES) {
		// Departures fall on fixed multiples of the headway (from epoch 0), so boards published at different times agree.
		let n = Math.ceil((fromS - line.offsetS) / line.headwayS);
		for (let t = n * line.headwayS + line.offsetS; t < untilS; t += line.headwayS, n++) out.push({ line, sched: t, n });
	}
	return out.sort((a, b) => a.sched - b.sched);
}

/** Carriage occupancy for trip `n`: deterministic, varied (one carriage without data on some trips). */
function cars(n: number): { occ: number[]; pct: number[] } {
	const occ: number[] = [];
	const pct: number[] = [];
	for (let i = 0; i < 6; i++) {
		const k = (n * 7 + i * 3) % 11;
		occ.push(k < 4 ? OCCUPANCY.MANY_SEATS_AVAILABLE : k < 8 ? OCCUPANCY.STANDING_ROOM_ONLY : k < 10 ? OCCUPANCY.FULL : OCCUPANCY.NO_DATA_AVAILABLE);
		pct.push(k < 10 ? k * 10 : -1);
	}
	return { occ, pct };
}

/**
 * The board the cloud would publish at `nowS` (epoch s): the next eight
 * departures, live predictions with a delay that varies by trip, X2 with
 * per-carriage crowding, every 13th trip cancelled and the alert.
 */
export function benchBoard(nowS: number, tzMin: number): StopBoard {
	const deps: BoardDeparture[] = [];
	for (const { line, sched, n } of scheduled(nowS - MINUTE_S, nowS + 2 * 3_600)) {
		if (deps.length >= 8) break;
		const delay = ((n * 37) % 5) * 30;
		const id = `${line.route}-${line.destZh}-${n}`;
		if (sched + delay < nowS) continue;
		const d: BoardDeparture = { trip: id, route: line.route, dest: line.dest, destZh: line.destZh, sched, st: "live", pred: sched + delay, occ: (n % 4) + 1 };
		if (n % 13 === 0) {
			d.st = "canceled";
			delete d.pred;
		} else if (n % 3 === 0) d.unc = 90;
		if (line.route === "X2") d.cars = cars(n);
		deps.push(d);
	}
	return { v: 1, stop: BENCH_STOP, name: STOP_NAME, nameZh: STOP_NAME_ZH, t: nowS, tz: tzMin, deps, alert: ALERT, alertZh: ALERT_ZH };
}

/** The timetable slice the cloud would publish at `fromS` for `hours` (the offline fallback; within TIMETABLE_MAX_DEPARTURES). */
export function benchTimetable(fromS: number, hours: number, tzMin: number): StopTimetable {
	const from = fromS - (fromS % MINUTE_S);
	const until = from + hours * 3_600;
	const routes: string[] = [];
	const dests: string[] = [];
	const destsZh: string[] = [];
	const deps: number[] = [];
	for (const { line, sched } of scheduled(from, until)) {
		let r = routes.indexOf(line.route);
		if (r < 0) r = routes.push(line.route) - 1;
		let d = dests.indexOf(line.dest);
		if (d < 0) {
			d = dests.push(line.dest) - 1;
			destsZh.push(line.destZh);
		}
		deps.push(Math.floor((sched - from) / MINUTE_S), r, d);
	}
	return { v: 1, stop: BENCH_STOP, name: STOP_NAME, nameZh: STOP_NAME_ZH, tz: tzMin, from, until, routes, dests, destsZh, deps };
}
