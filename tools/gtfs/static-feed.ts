/*
 * GTFS Schedule loader (a directory of .txt files, or the zip archive agencies
 * publish: the reference's "Dataset Publishing" section has the files at the
 * zip's root; a zip whose files all sit in one top folder is accepted too),
 * following the GTFS Schedule reference (https://gtfs.org/documentation/schedule/reference/):
 *   - agency.txt (agency_timezone), stops.txt, routes.txt, trips.txt,
 *     stop_times.txt (indexed per trip in stop_sequence order and per stop),
 *     calendar.txt and/or calendar_dates.txt (one of them is required),
 *     translations.txt (optional) and feed_info.txt (feed_lang, optional);
 *   - times may pass 24:00:00 (a trip that runs past midnight belongs to the
 *     previous service day) and count from "noon minus 12 h" of the service
 *     date in the agency time zone (stop_times.txt arrival_time);
 *   - stop times without a time (non-timepoints) are interpolated linearly
 *     between the timed stops around them (the reference lets consumers do so).
 * Bilingual names for the sign: `name` is the Latin name, `nameZh` the Chinese
 * one. A feed in Chinese (feed_lang zh*) has Chinese originals and English
 * translations; any other feed has Latin originals and zh translations.
 * Both translations.txt forms are read: by record_id and by field_value.
 * Not handled yet: frequencies.txt (frequency-based trips show only their
 * template instance), stop_timezone, parent stations.
 * Every problem is a GtfsError naming the file and the data row (1-based, header excluded).
 */
import { readFileSync, existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { unzipSync } from "fflate";
import { parseCsv } from "./csv";
import { serviceDayStart, weekday } from "./time-zone";

export class GtfsError extends Error {
	constructor(
		message: string,
		readonly file: string,
		readonly row?: number,
	) {
		super(row === undefined ? `${file}: ${message}` : `${file}: row ${row}: ${message}`);
		this.name = "GtfsError";
	}
}

export interface GtfsStop {
	id: string;
	name: string;
	nameZh?: string;
}

export interface GtfsRoute {
	id: string;
	/** as riders know it: route_short_name, else route_long_name */
	name: string;
	nameZh?: string;
}

export interface GtfsTrip {
	id: string;
	routeId: string;
	serviceId: string;
	/** trip_headsign, "" when the feed has none */
	headsign: string;
	headsignZh?: string;
}

export interface GtfsStopTime {
	tripId: string;
	stopId: string;
	seq: number;
	/** position in the trip's stop_times (0-based, stop_sequence order) */
	index: number;
	/** seconds after the service day's start ("noon minus 12 h"); may exceed 86 400 */
	arr: number;
	dep: number;
	/** pickup_type 1: no boarding here */
	noPickup: boolean;
}

export interface GtfsFeed {
	dir: string;
	/** agency_timezone (IANA) */
	timeZone: string;
	/** feed language (feed_info.feed_lang, else agency_lang, else "en") */
	lang: string;
	stops: Map<string, GtfsStop>;
	routes: Map<string, GtfsRoute>;
	trips: Map<string, GtfsTrip>;
	/** per trip, in stop_sequence order */
	stopTimesByTrip: Map<string, GtfsStopTime[]>;
	/** per stop, in no particular order */
	stopTimesByStop: Map<string, GtfsStopTime[]>;
	/** Whether `serviceId` runs on service date "YYYYMMDD" (calendar.txt, then calendar_dates.txt exceptions). */
	serviceActive(serviceId: string, date: string): boolean;
	/** Epoch s of "noon minus 12 h" of service date "YYYYMMDD" in the agency time zone. */
	dayStart(date: string): number;
}

type Row = Record<string, string>;

/** Where the feed's files come from: a directory or an unzipped archive. `text` is undefined for a missing file. */
interface FeedFiles {
	text(file: string): string | undefined;
}

function dirFiles(dir: string): FeedFiles {
	return {
		text(file) {
			const path = join(dir, file);
			return existsSync(path) ? readFileSync(path, "utf8") : undefined;
		},
	};
}

/**
 * The .txt files of a GTFS zip (fflate unzipSync: stored and deflated entries, the two methods zip tools write).
 * Files at the root win; otherwise, when every .txt sits in one top folder (a zipped folder), that folder is the feed.
 * @throws GtfsError when the bytes are not a zip
 */
function zipFiles(bytes: Uint8Array, name: string): FeedFiles {
	let entries: Record<string, Uint8Array>;
	try {
		entries = unzipSync(bytes, { filter: (f) => f.name.endsWith(".txt") && !f.name.startsWith("__MACOSX/") });
	} catch (e) {
		throw new GtfsError(`not a readable zip archive (${(e as Error).message})`, name);
	}
	const names = Object.keys(entries);
	let prefix = "";
	if (!names.some((n) => !n.includes("/"))) {
		const tops = new Set(names.map((n) => n.slice(0, n.indexOf("/") + 1)));
		if (tops.size === 1) prefix = [...tops][0]!;
	}
	const utf8 = new TextDecoder("utf-8");
	return {
		text(file) {
			const data = entries[prefix + file];
			return data ? utf8.decode(data) : undefined;
		},
	};
}

function readTable(files: FeedFiles, file: string, required: boolean, columns: readonly string[]): Row[] | undefined {
	const text = files.text(file);
	if (text === undefined) {
		if (required) throw new GtfsError("required file missing", file);
		return undefined;
	}
	let rows: Row[];
	try {
		rows = parseCsv(text, file);
	} catch (e) {
		throw new GtfsError((e as Error).message, file);
	}
	if (rows.length > 0) for (const c of columns) if (!(c in rows[0]!)) throw new GtfsError(`required column "${c}" missing`, file);
	return rows;
}

/** Parses a GTFS time "H:MM:SS" / "HH:MM:SS" (hours may pass 24) into seconds. */
export function parseGtfsTime(value: string, file: string, row: number, column: string): number {
	const m = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(value.trim());
	if (!m) throw new GtfsError(`${column} "${value}" is not H:MM:SS`, file, row);
	return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/** Translations keyed "table\0field\0record_id" or "table\0field\0=value", per language class. */
function translations(rows: Row[] | undefined, zhFeed: boolean): { get(table: string, field: string, id: string, original: string): string | undefined } {
	const map = new Map<string, string>();
	for (const r of rows ?? []) {
		const lang = (r.language ?? "").toLowerCase();
		// The language the sign needs besides the original: zh* for a Latin feed, en* for a Chinese one.
		const wanted = zhFeed ? lang === "en" || lang.startsWith("en-") : lang === "zh" || lang.startsWith("zh-");
		if (!wanted || !r.translation) continue;
		const key = r.record_id ? r.record_id : r.field_value ? "=" + r.field_value : undefined;
		if (key !== undefined) map.set(`${r.table_name}\0${r.field_name}\0${key}`, r.translation);
	}
	return {
		get: (table, field, id, original) => map.get(`${table}\0${field}\0${id}`) ?? (original ? map.get(`${table}\0${field}\0=${original}`) : undefined),
	};
}

/** Latin and Chinese forms of a name, given the original and its translation. */
function bilingual(original: string, translated: string | undefined, zhFeed: boolean): { name: string; nameZh?: string } {
	if (zhFeed) return translated ? { name: translated, nameZh: original } : { name: original, nameZh: original };
	return translated ? { name: original, nameZh: translated } : { name: original };
}

/** Fills missing arr/dep (NaN) by linear interpolation between timed neighbours. @throws GtfsError when the first or last stop has no time */
function interpolate(list: GtfsStopTime[], tripId: string): void {
	for (let i = 0; i < list.length; i++) {
		if (!Number.isNaN(list[i]!.dep)) continue;
		let j = i + 1;
		while (j < list.length && Number.isNaN(list[j]!.arr)) j++;
		if (i === 0 || j === list.length) throw new GtfsError(`trip "${tripId}": first and last stops need times`, "stop_times.txt");
		const a = list[i - 1]!.dep;
		const b = list[j]!.arr;
		for (let k = i; k < j; k++) list[k]!.arr = list[k]!.dep = Math.round(a + ((b - a) * (k - i + 1)) / (j - i + 1));
		i = j;
	}
}

/** Loads a GTFS feed directory. @throws GtfsError naming the file and row */
export function loadGtfsDir(dir: string): GtfsFeed {
	if (!existsSync(dir)) throw new GtfsError("no such directory", dir);
	return loadFeed(dirFiles(dir), dir);
}

/**
 * Loads a GTFS feed from a directory or a .zip (any file that is not a directory is read as a zip).
 * @throws GtfsError naming the file and row, or the path when it is missing or not a zip
 */
export function loadGtfs(path: string): GtfsFeed {
	let isDir: boolean;
	try {
		isDir = statSync(path).isDirectory();
	} catch {
		throw new GtfsError("no such file or directory", path);
	}
	if (isDir) return loadGtfsDir(path);
	return loadFeed(zipFiles(readFileSync(path), basename(path)), path);
}

function loadFeed(files: FeedFiles, dir: string): GtfsFeed {
	const agency = readTable(files, "agency.txt", true, ["agency_timezone"])!;
	if (agency.length === 0) throw new GtfsError("no agency", "agency.txt");
	const timeZone = agency[0]!.agency_timezone!;
	try {
		new Intl.DateTimeFormat("en-US", { timeZone });
	} catch {
		throw new GtfsError(`agency_timezone "${timeZone}" is not an IANA time zone`, "agency.txt", 1);
	}
	const feedInfo = readTable(files, "feed_info.txt", false, []);
	const lang = (feedInfo?.[0]?.feed_lang || agency[0]!.agency_lang || "en").toLowerCase();
	const zhFeed = lang === "zh" || lang.startsWith("zh-");
	const tr = translations(readTable(files, "translations.txt", false, ["table_name", "field_name", "language", "translation"]), zhFeed);

	const stops = new Map<string, GtfsStop>();
	readTable(files, "stops.txt", true, ["stop_id"])!.forEach((r, i) => {
		if (!r.stop_id) throw new GtfsError("empty stop_id", "stops.txt", i + 1);
		const name = r.stop_name ?? "";
		stops.set(r.stop_id, { id: r.stop_id, ...bilingual(name, tr.get("stops", "stop_name", r.stop_id, name), zhFeed) });
	});

	const routes = new Map<string, GtfsRoute>();
	const routeRows = readTable(files, "routes.txt", true, ["route_id"])!;
	if (routeRows.length > 0 && !("route_short_name" in routeRows[0]!) && !("route_long_name" in routeRows[0]!))
		throw new GtfsError(`required column "route_short_name" or "route_long_name" missing`, "routes.txt");
	routeRows.forEach((r, i) => {
		if (!r.route_id) throw new GtfsError("empty route_id", "routes.txt", i + 1);
		const field = r.route_short_name ? "route_short_name" : "route_long_name";
		const name = r[field] ?? "";
		if (!name) throw new GtfsError(`route "${r.route_id}" has neither route_short_name nor route_long_name`, "routes.txt", i + 1);
		routes.set(r.route_id, { id: r.route_id, ...bilingual(name, tr.get("routes", field, r.route_id, name), zhFeed) });
	});

	const trips = new Map<string, GtfsTrip>();
	readTable(files, "trips.txt", true, ["route_id", "service_id", "trip_id"])!.forEach((r, i) => {
		if (!routes.has(r.route_id!)) throw new GtfsError(`unknown route_id "${r.route_id}"`, "trips.txt", i + 1);
		if (!r.trip_id) throw new GtfsError("empty trip_id", "trips.txt", i + 1);
		const headsign = r.trip_headsign ?? "";
		const names = headsign ? bilingual(headsign, tr.get("trips", "trip_headsign", r.trip_id, headsign), zhFeed) : { name: "" };
		trips.set(r.trip_id, { id: r.trip_id, routeId: r.route_id!, serviceId: r.service_id!, headsign: names.name, headsignZh: names.nameZh });
	});

	const stopTimesByTrip = new Map<string, GtfsStopTime[]>();
	const stopTimesByStop = new Map<string, GtfsStopTime[]>();
	const file = "stop_times.txt";
	readTable(files, file, true, ["trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"])!.forEach((r, i) => {
		const row = i + 1;
		if (!trips.has(r.trip_id!)) throw new GtfsError(`unknown trip_id "${r.trip_id}"`, file, row);
		if (!stops.has(r.stop_id!)) throw new GtfsError(`unknown stop_id "${r.stop_id}"`, file, row);
		if (!/^\d+$/.test(r.stop_sequence ?? "")) throw new GtfsError(`stop_sequence "${r.stop_sequence}" is not a non-negative integer`, file, row);
		const arr = r.arrival_time ? parseGtfsTime(r.arrival_time, file, row, "arrival_time") : NaN;
		const dep = r.departure_time ? parseGtfsTime(r.departure_time, file, row, "departure_time") : NaN;
		if (dep < arr) throw new GtfsError(`departure_time before arrival_time`, file, row);
		const st: GtfsStopTime = { tripId: r.trip_id!, stopId: r.stop_id!, seq: Number(r.stop_sequence), index: 0, arr: Number.isNaN(arr) ? dep : arr, dep: Number.isNaN(dep) ? arr : dep, noPickup: r.pickup_type === "1" };
		let list = stopTimesByTrip.get(st.tripId);
		if (!list) stopTimesByTrip.set(st.tripId, (list = []));
		list.push(st);
	});
	for (const [tripId, list] of stopTimesByTrip) {
		list.sort((a, b) => a.seq - b.seq);
		for (let i = 1; i < list.length; i++) if (list[i]!.seq === list[i - 1]!.seq) throw new GtfsError(`trip "${tripId}": stop_sequence ${list[i]!.seq} twice`, file);
		interpolate(list, tripId);
		list.forEach((st, i) => {
			st.index = i;
			let at = stopTimesByStop.get(st.stopId);
			if (!at) stopTimesByStop.set(st.stopId, (at = []));
			at.push(st);
		});
	}

	const calendar = readTable(files, "calendar.txt", false, ["service_id", ...WEEKDAYS, "start_date", "end_date"]);
	const calendarDates = readTable(files, "calendar_dates.txt", false, ["service_id", "date", "exception_type"]);
	if (!calendar && !calendarDates) throw new GtfsError("required file missing (calendar.txt or calendar_dates.txt)", "calendar.txt");
	const weekly = new Map<string, { days: boolean[]; start: string; end: string }>();
	(calendar ?? []).forEach((r, i) => {
		for (const d of ["start_date", "end_date"] as const) if (!/^\d{8}$/.test(r[d] ?? "")) throw new GtfsError(`${d} "${r[d]}" is not YYYYMMDD`, "calendar.txt", i + 1);
		weekly.set(r.service_id!, { days: WEEKDAYS.map((d) => r[d] === "1"), start: r.start_date!, end: r.end_date! });
	});
	const exceptions = new Map<string, number>();
	(calendarDates ?? []).forEach((r, i) => {
		if (!/^\d{8}$/.test(r.date ?? "")) throw new GtfsError(`date "${r.date}" is not YYYYMMDD`, "calendar_dates.txt", i + 1);
		if (r.exception_type !== "1" && r.exception_type !== "2") throw new GtfsError(`exception_type "${r.exception_type}" is not 1 or 2`, "calendar_dates.txt", i + 1);
		exceptions.set(`${r.service_id}\0${r.date}`, Number(r.exception_type));
	});

	const dayStarts = new Map<string, number>();
	return {
		dir,
		timeZone,
		lang,
		stops,
		routes,
		trips,
		stopTimesByTrip,
		stopTimesByStop,
		serviceActive(serviceId, date) {
			const ex = exceptions.get(`${serviceId}\0${date}`);
			if (ex !== undefined) return ex === 1;
			const w = weekly.get(serviceId);
			return !!w && date >= w.start && date <= w.end && w.days[weekday(date)]!;
		},
		dayStart(date) {
			let s = dayStarts.get(date);
			if (s === undefined) dayStarts.set(date, (s = serviceDayStart(timeZone, date)));
			return s;
		},
	};
}
