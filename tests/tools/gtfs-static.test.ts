import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GtfsError, loadGtfsDir } from "../../tools/gtfs/static-feed";
import { localDate, serviceDayStart, utcOffsetMinutes } from "../../tools/gtfs/time-zone";
import { sharedData } from "../support/shared-data";

const SAMPLE = sharedData("data/gtfs/sample-feed-1");
const CJK = join(__dirname, "../../scenarios/gtfs/cjk-demo");

const dirs: string[] = [];
afterEach(() => {
	for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of `base` with files replaced (string) or removed (null). */
function feedWith(base: string, changes: Record<string, string | null>): string {
	const dir = mkdtempSync(join(tmpdir(), "gtfs-"));
	dirs.push(dir);
	for (const f of readdirSync(base)) if (!(f in changes)) writeFileSync(join(dir, f), readFileSync(join(base, f)));
	for (const [f, text] of Object.entries(changes)) if (text !== null) writeFileSync(join(dir, f), text);
	return dir;
}

function fails(dir: string, file: string, message: RegExp, row?: number): void {
	let err: unknown;
	try {
		loadGtfsDir(dir);
	} catch (e) {
		err = e;
	}
	expect(err).toBeInstanceOf(GtfsError);
	expect((err as GtfsError).file).toBe(file);
	expect((err as GtfsError).row).toBe(row);
	expect((err as Error).message).toMatch(message);
}

describe("loadGtfsDir", () => {
	it("loads sample-feed-1: stops, routes, trips, stop_times per trip and per stop, calendar", () => {
		const feed = loadGtfsDir(SAMPLE);
		expect(feed.timeZone).toBe("America/Los_Angeles");
		expect(feed.stops.get("BULLFROG")).toEqual({ id: "BULLFROG", name: "Bullfrog (Demo)" });
		expect(feed.routes.get("AB")?.name).toBe("10");
		expect(feed.trips.get("CITY1")?.headsign).toBe("");
		const city1 = feed.stopTimesByTrip.get("CITY1")!;
		expect(city1.map((s) => s.stopId)).toEqual(["STAGECOACH", "NANAA", "NADAV", "DADAN", "EMSI"]);
		expect(city1[1]).toMatchObject({ seq: 2, index: 1, arr: 6 * 3600 + 5 * 60, dep: 6 * 3600 + 7 * 60 });
		expect(feed.stopTimesByStop.get("BULLFROG")!.map((s) => s.tripId).sort()).toEqual(["AB1", "AB2", "BFC1", "BFC2"]);
		// FULLW runs daily 2007–2010 except the calendar_dates removal on 2007-06-04; WE only at weekends
		expect(feed.serviceActive("FULLW", "20080611")).toBe(true);
		expect(feed.serviceActive("FULLW", "20070604")).toBe(false);
		expect(feed.serviceActive("FULLW", "20110101")).toBe(false);
		expect(feed.serviceActive("WE", "20080614")).toBe(true); // Saturday
		expect(feed.serviceActive("WE", "20080611")).toBe(false); // Wednesday
		expect(feed.serviceActive("NOPE", "20080611")).toBe(false);
	});
	it("reads Chinese names from a Chinese feed with English translations (record_id and field_value forms)", () => {
		const feed = loadGtfsDir(CJK);
		expect(feed.lang).toBe("zh");
		expect(feed.stops.get("HC_FERRY")).toEqual({ id: "HC_FERRY", name: "Ferry Pier", nameZh: "渡轮码头" });
		expect(feed.trips.get("H1-OUT-1")).toMatchObject({ headsign: "People's Hospital", headsignZh: "人民医院" });
		expect(feed.routes.get("H1")?.name).toBe("1");
	});
	it("reads zh translations of a Latin feed", () => {
		const dir = feedWith(SAMPLE, {
			"translations.txt": "table_name,field_name,language,translation,record_id,field_value\nstops,stop_name,zh-Hans,牛蛙站,BULLFROG,\ntrips,trip_headsign,zh,往牛蛙,,to Bullfrog\nstops,stop_name,fr,Grenouille,BULLFROG,\n",
		});
		const feed = loadGtfsDir(dir);
		expect(feed.stops.get("BULLFROG")).toEqual({ id: "BULLFROG", name: "Bullfrog (Demo)", nameZh: "牛蛙站" });
		expect(feed.trips.get("AB1")?.headsignZh).toBe("往牛蛙");
		expect(feed.trips.get("AB2")?.headsignZh).toBeUndefined();
	});
	it("interpolates stop times left blank between timed stops", () => {
		const dir = feedWith(SAMPLE, {
			"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nCITY1,6:00:00,6:00:00,STAGECOACH,1\nCITY1,,,NANAA,2\nCITY1,,,NADAV,3\nCITY1,6:09:00,6:09:00,DADAN,4\n",
		});
		expect(loadGtfsDir(dir).stopTimesByTrip.get("CITY1")!.map((s) => s.dep - 6 * 3600)).toEqual([0, 180, 360, 540]);
	});

	it("missing required file", () => fails(feedWith(SAMPLE, { "stops.txt": null }), "stops.txt", /required file missing/));
	it("no calendar at all", () => fails(feedWith(SAMPLE, { "calendar.txt": null, "calendar_dates.txt": null }), "calendar.txt", /calendar.txt or calendar_dates.txt/));
	it("missing required column", () => fails(feedWith(SAMPLE, { "trips.txt": "route_id,trip_id\nAB,AB1\n" }), "trips.txt", /required column "service_id" missing/));
	it("missing agency_timezone column", () => fails(feedWith(SAMPLE, { "agency.txt": "agency_id,agency_name\nDTA,Demo\n" }), "agency.txt", /agency_timezone/));
	it("bad time names the row", () =>
		fails(feedWith(SAMPLE, { "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nAB1,8:00:00,8:00:00,BULLFROG,1\nAB1,8:61:00,8:62:00,BEATTY_AIRPORT,2\n" }), "stop_times.txt", /arrival_time "8:61:00" is not H:MM:SS/, 2));
	it("unknown stop reference", () =>
		fails(feedWith(SAMPLE, { "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nAB1,8:00:00,8:00:00,NOWHERE,1\n" }), "stop_times.txt", /unknown stop_id "NOWHERE"/, 1));
	it("unknown trip reference", () =>
		fails(feedWith(SAMPLE, { "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nGHOST,8:00:00,8:00:00,BULLFROG,1\n" }), "stop_times.txt", /unknown trip_id "GHOST"/, 1));
	it("unknown route reference", () => fails(feedWith(SAMPLE, { "trips.txt": "route_id,service_id,trip_id\nAB,FULLW,AB1\nZZ,FULLW,AB2\n" }), "trips.txt", /unknown route_id "ZZ"/, 2));
	it("unknown agency time zone", () => fails(feedWith(SAMPLE, { "agency.txt": "agency_name,agency_url,agency_timezone\nX,http://x,Mars/Olympus\n" }), "agency.txt", /not an IANA time zone/, 1));
	it("malformed CSV names the file", () => fails(feedWith(SAMPLE, { "stops.txt": 'stop_id,stop_name\nA,"unterminated\n' }), "stops.txt", /stops.txt/));
});

describe("service day times: noon minus 12 h (GTFS stop_times.txt arrival_time)", () => {
	it("on an ordinary day the service day starts at local midnight", () => {
		// 2008-06-11 in Los Angeles (PDT, UTC−7): midnight = 07:00Z
		expect(serviceDayStart("America/Los_Angeles", "20080611")).toBe(Date.UTC(2008, 5, 11, 7) / 1000);
		expect(serviceDayStart("Asia/Shanghai", "20260115")).toBe(Date.UTC(2026, 0, 14, 16) / 1000);
	});
	it("on the spring-forward day it starts at 23:00 the evening before, so 08:00:00 is 08:00 local", () => {
		// 2008-03-09: PST→PDT at 02:00. Noon PDT = 19:00Z; minus 12 h = 07:00Z = 23:00 PST on the 8th.
		const start = serviceDayStart("America/Los_Angeles", "20080309");
		expect(start).toBe(Date.UTC(2008, 2, 9, 7) / 1000);
		expect(start + 8 * 3600).toBe(Date.UTC(2008, 2, 9, 15) / 1000); // 08:00 PDT
		expect(utcOffsetMinutes("America/Los_Angeles", start + 8 * 3600)).toBe(-420);
	});
	it("on the fall-back day it starts at 01:00 local, so 08:00:00 is still 08:00 local", () => {
		// 2008-11-02: PDT→PST at 02:00. Noon PST = 20:00Z; minus 12 h = 08:00Z = 01:00 PDT.
		const start = serviceDayStart("America/Los_Angeles", "20081102");
		expect(start).toBe(Date.UTC(2008, 10, 2, 8) / 1000);
		expect(start + 8 * 3600).toBe(Date.UTC(2008, 10, 2, 16) / 1000); // 08:00 PST
	});
	it("times past 24:00:00 land on the next calendar day", () => {
		const feed = loadGtfsDir(CJK);
		const late = feed.stopTimesByTrip.get("X2-OUT-6")!.at(-1)!;
		expect(late.arr).toBe(24 * 3600 + 120);
		const at = feed.dayStart("20260115") + late.arr;
		expect(at).toBe(Date.UTC(2026, 0, 15, 16, 2) / 1000); // 00:02 on the 16th in Shanghai
		expect(localDate("Asia/Shanghai", at)).toBe("20260116");
	});
	it("utcOffsetMinutes follows DST and rejects an unknown zone", () => {
		expect(utcOffsetMinutes("America/Los_Angeles", Date.UTC(2026, 0, 1) / 1000)).toBe(-480);
		expect(utcOffsetMinutes("America/Los_Angeles", Date.UTC(2026, 6, 1) / 1000)).toBe(-420);
		expect(utcOffsetMinutes("Asia/Kolkata", Date.UTC(2026, 6, 1) / 1000)).toBe(330);
		expect(() => utcOffsetMinutes("Mars/Olympus", 0)).toThrow(RangeError);
	});
});
