/*
 * tools/gtfs/csv.ts: GTFS CSV files as RFC 4180 (quoted fields, commas and
 * line breaks in quotes, doubled quotes, a UTF-8 BOM, CRLF or LF) and one-line
 * errors with the line number for malformed files.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CsvError, parseCsv } from "../../tools/gtfs/csv";
import { sharedData } from "../support/shared-data";

describe("parseCsv", () => {
	it("reads a header and records into objects", () => {
		expect(parseCsv("stop_id,stop_name\nA,Alpha\nB,Beta\n")).toEqual([
			{ stop_id: "A", stop_name: "Alpha" },
			{ stop_id: "B", stop_name: "Beta" },
		]);
	});

	it("drops a UTF-8 BOM before the header", () => {
		const rows = parseCsv("\uFEFFstop_id,stop_name\r\nS1,海港站\r\n");
		expect(Object.keys(rows[0]!)).toEqual(["stop_id", "stop_name"]);
		expect(rows[0]!.stop_name).toBe("海港站");
	});

	it("unquotes fields with commas, doubled quotes and line breaks", () => {
		const rows = parseCsv('id,name,desc\r\n1,"Main St, North","say ""hi"""\r\n2,"two\r\nlines",x\r\n3,"",\r\n');
		expect(rows).toEqual([
			{ id: "1", name: "Main St, North", desc: 'say "hi"' },
			{ id: "2", name: "two\r\nlines", desc: "x" },
			{ id: "3", name: "", desc: "" },
		]);
	});

	it("accepts CRLF, LF and CR record ends, a missing final newline, and blank lines", () => {
		expect(parseCsv("a,b\r\n1,2\n3,4\r5,6\n\n7,8")).toEqual([
			{ a: "1", b: "2" },
			{ a: "3", b: "4" },
			{ a: "5", b: "6" },
			{ a: "7", b: "8" },
		]);
	});

	it("reads missing trailing fields as empty strings and trims header names", () => {
		expect(parseCsv("route_id , route_short_name,route_color\nR1,10\n")).toEqual([{ route_id: "R1", route_short_name: "10", route_color: "" }]);
	});

	it("keeps spaces in values (GTFS values are not trimmed)", () => {
		expect(parseCsv("a,b\n x , y\n")[0]).toEqual({ a: " x ", b: " y" });
	});

	it("an empty file or a header alone gives no records", () => {
		expect(parseCsv("")).toEqual([]);
		expect(parseCsv("\uFEFF")).toEqual([]);
		expect(parseCsv("a,b\n")).toEqual([]);
	});

	it("a record with more fields than the header is an error naming the line", () => {
		expect(() => parseCsv("a,b\n1,2\n1,2,3\n", "stops.txt")).toThrow("stops.txt: line 3: 3 fields but the header has 2");
	});

	it("an unterminated quote names the line where it opened", () => {
		let err: unknown;
		try {
			parseCsv('a,b\n1,2\n3,"open\nmore\n', "trips.txt");
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(CsvError);
		expect((err as CsvError).line).toBe(3);
		expect((err as CsvError).message).toBe("trips.txt: line 3: quoted field never closed");
	});

	it("a quote inside an unquoted field, or text after a closing quote, is an error", () => {
		expect(() => parseCsv('a,b\nab"c,d\n')).toThrow(/line 2: a quote inside an unquoted field/);
		expect(() => parseCsv('a,b\n"ab"c,d\n')).toThrow(/line 2: text after the closing quote/);
	});

	it("line numbers count line breaks inside quoted fields", () => {
		expect(() => parseCsv('a,b\n"x\ny",1\n1,2,3\n')).toThrow(/line 4: 3 fields/);
	});

	it("duplicate or empty header names are errors", () => {
		expect(() => parseCsv("a,a\n1,2\n")).toThrow(/field "a" appears twice/);
		expect(() => parseCsv("a,,c\n1,2,3\n")).toThrow(/empty field name/);
	});

	it("reads the Google sample feed's stops.txt", () => {
		const rows = parseCsv(readFileSync(sharedData("data/gtfs/sample-feed-1/stops.txt"), "utf8"));
		expect(rows.length).toBeGreaterThanOrEqual(9);
		expect(rows.map((r) => r.stop_name)).toContain("Stagecoach Hotel & Casino (Demo)");
	});
});
