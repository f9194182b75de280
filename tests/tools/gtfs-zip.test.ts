/*
 * loadGtfs: a GTFS feed as agencies publish it, a zip (GTFS reference,
 * "Dataset Publishing"), or a directory; the broken ones refused with a
 * GtfsError naming the file (and row) — a bad zip, missing required files,
 * unknown ids in stop_times.txt.
 * The zips are Info-ZIP fixtures (tests/tools/fixtures/gtfs-zip/README.md)
 * or built here with fflate's zipSync from the cjk-demo files.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { GtfsError, loadGtfs, loadGtfsDir } from "../../tools/gtfs/static-feed";

const CJK = join(__dirname, "../../scenarios/gtfs/cjk-demo");
const SAMPLE = join(__dirname, "../../../shared/data/gtfs/sample-feed-1");
const FIXTURES = join(__dirname, "fixtures/gtfs-zip");
const tmp = mkdtempSync(join(tmpdir(), "gtfs-zip-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The cjk-demo files, with `changes` applied (null deletes a file). */
function cjkFiles(changes: Record<string, string | null> = {}): Record<string, Uint8Array> {
	const files: Record<string, Uint8Array> = {};
	for (const f of readdirSync(CJK)) files[f] = readFileSync(join(CJK, f));
	for (const [f, text] of Object.entries(changes)) {
		if (text === null) delete files[f];
		else files[f] = strToU8(text);
	}
	return files;
}

let n = 0;
function writeZip(files: Record<string, Uint8Array>): string {
	const path = join(tmp, `feed-${n++}.zip`);
	writeFileSync(path, zipSync(files));
	return path;
}

function fails(path: string, file: string, message: RegExp, row?: number): void {
	let error: unknown;
	try {
		loadGtfs(path);
	} catch (e) {
		error = e;
	}
	expect(error).toBeInstanceOf(GtfsError);
	expect((error as GtfsError).file).toBe(file);
	expect((error as GtfsError).message).toMatch(message);
	if (row !== undefined) expect((error as GtfsError).row).toBe(row);
}

describe("loadGtfs: zip and directory", () => {
	const fromDir = loadGtfsDir(CJK);
	const summary = (f: ReturnType<typeof loadGtfs>) => ({
		tz: f.timeZone,
		lang: f.lang,
		stops: [...f.stops.values()],
		routes: [...f.routes.values()],
		trips: f.trips.size,
		times: [...f.stopTimesByTrip.values()].flat().length,
	});

	it("a zip made by Info-ZIP (files at the root) loads the same feed as the directory", () => {
		const feed = loadGtfs(join(FIXTURES, "cjk-demo.zip"));
		expect(summary(feed)).toEqual(summary(fromDir));
		expect(feed.stops.get("HC_MARKET")).toEqual({ id: "HC_MARKET", name: "Fish Market", nameZh: "鱼市场" });
		expect(feed.dir).toBe(join(FIXTURES, "cjk-demo.zip"));
	});
	it("a zip whose files sit in one top folder is accepted", () => {
		expect(summary(loadGtfs(join(FIXTURES, "cjk-demo-in-folder.zip")))).toEqual(summary(fromDir));
	});
	it("a directory path goes to loadGtfsDir (sample-feed-1)", () => {
		const feed = loadGtfs(SAMPLE);
		expect(feed.timeZone).toBe("America/Los_Angeles");
		expect(feed.stops.has("BULLFROG")).toBe(true);
	});
	it("files at the root win over a folder beside them", () => {
		const files: Record<string, Uint8Array> = { ...cjkFiles(), "old/agency.txt": strToU8("broken") };
		expect(loadGtfs(writeZip(files)).stops.size).toBe(6);
	});
	it("a folder zipped on macOS: the __MACOSX resource-fork folder beside it is ignored", () => {
		const files: Record<string, Uint8Array> = {};
		for (const [f, bytes] of Object.entries(cjkFiles())) {
			files[`feed/${f}`] = bytes;
			files[`__MACOSX/feed/._${f}`] = new Uint8Array([0, 5, 22, 7]);
		}
		expect(loadGtfs(writeZip(files)).stops.get("HC_FERRY")?.name).toBe("Ferry Pier");
	});
});

describe("loadGtfs: broken feeds are refused with a GtfsError naming the file", () => {
	it("a file that is not a zip", () => {
		const path = join(tmp, "not-a.zip");
		writeFileSync(path, "agency_id,agency_name\n");
		fails(path, "not-a.zip", /not a readable zip archive/);
	});
	it("a truncated zip", () => {
		const bytes = readFileSync(join(FIXTURES, "cjk-demo.zip"));
		const path = join(tmp, "truncated.zip");
		writeFileSync(path, bytes.subarray(0, bytes.length - 40));
		fails(path, "truncated.zip", /not a readable zip archive/);
	});
	it("a path that does not exist", () => fails(join(tmp, "nowhere.zip"), join(tmp, "nowhere.zip"), /no such file or directory/));
	for (const file of ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt"]) {
		it(`missing ${file}`, () => fails(writeZip(cjkFiles({ [file]: null })), file, /required file missing/));
	}
	it("missing both calendar.txt and calendar_dates.txt", () => fails(writeZip(cjkFiles({ "calendar.txt": null })), "calendar.txt", /calendar_dates\.txt/));
	it("calendar_dates.txt alone is enough", () => {
		const feed = loadGtfs(writeZip(cjkFiles({ "calendar.txt": null, "calendar_dates.txt": "service_id,date,exception_type\nDAILY,20260115,1\n" })));
		expect(feed.serviceActive("DAILY", "20260115")).toBe(true);
		expect(feed.serviceActive("DAILY", "20260116")).toBe(false);
	});
	it("an unknown stop_id in stop_times.txt names the row", () => {
		const times = readFileSync(join(CJK, "stop_times.txt"), "utf8").split("\n");
		times[3] = times[3]!.replace("HC_LIGHTHOUSE", "HC_NOWHERE");
		fails(writeZip(cjkFiles({ "stop_times.txt": times.join("\n") })), "stop_times.txt", /unknown stop_id "HC_NOWHERE"/, 3);
	});
	it("an unknown trip_id in stop_times.txt names the row", () => {
		const times = readFileSync(join(CJK, "stop_times.txt"), "utf8").trimEnd() + "\nGHOST-1,06:00:00,06:00:00,HC_FERRY,1\n";
		const rows = times.trimEnd().split("\n").length - 1;
		fails(writeZip(cjkFiles({ "stop_times.txt": times })), "stop_times.txt", /unknown trip_id "GHOST-1"/, rows);
	});
	it("an empty zip", () => fails(writeZip({}), "agency.txt", /required file missing/));
});
