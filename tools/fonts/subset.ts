/*
 * The glyph subset a deployment needs: every character the sign can show.
 *   - From each GTFS static feed (https://gtfs.org/documentation/schedule/reference/):
 *     stops.txt stop_name (the file is required), routes.txt route_short_name and
 *     route_long_name, trips.txt trip_headsign, and translations.txt rows that
 *     translate one of those fields (table_name stops/routes/trips).
 *   - The UI's own strings: UI_STRINGS in English and Chinese and UI_EXTRA_CHARS
 *     (firmware/apps/stop-sign/ui-strings.ts), plus printable ASCII 0x20–0x7E so
 *     any Latin status text (ids, versions, clock) renders.
 *   - Extra UTF-8 text files (--strings).
 * Characters that are never drawn as glyphs are left out: C0/C1 controls,
 * line breaks, the byte-order mark, zero-width joiners and variation selectors.
 * stop_times.txt stop_headsign is not read (feeds' stop_times files run to
 * millions of rows); pass such names with --strings if a deployment shows them.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UI_EXTRA_CHARS, UI_STRINGS } from "../../firmware/apps/stop-sign/ui-strings";
import { CsvError, parseCsv } from "../gtfs/csv";
import { FontBuildError } from "./errors";

/** GTFS fields whose text the sign shows, per file. */
const GTFS_FIELDS = {
	"stops.txt": ["stop_name"],
	"routes.txt": ["route_short_name", "route_long_name"],
	"trips.txt": ["trip_headsign"],
} as const;

const TRANSLATED_TABLES: Record<string, readonly string[]> = {
	stops: GTFS_FIELDS["stops.txt"],
	routes: GTFS_FIELDS["routes.txt"],
	trips: GTFS_FIELDS["trips.txt"],
};

function readCsvFile(path: string): Record<string, string>[] {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (e) {
		throw new FontBuildError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	try {
		return parseCsv(text, path);
	} catch (e) {
		if (e instanceof CsvError) throw new FontBuildError(e.message);
		throw e;
	}
}

/**
 * The shown strings of one GTFS feed directory (duplicates removed, in file order).
 * Throws FontBuildError when the directory has no stops.txt or a file is malformed.
 */
export function gtfsStrings(dir: string): string[] {
	if (!existsSync(join(dir, "stops.txt"))) throw new FontBuildError(`GTFS feed ${dir} has no stops.txt`);
	const out = new Set<string>();
	for (const [file, fields] of Object.entries(GTFS_FIELDS)) {
		const path = join(dir, file);
		if (file !== "stops.txt" && !existsSync(path)) continue;
		for (const row of readCsvFile(path)) {
			for (const field of fields) if (row[field]) out.add(row[field]!);
		}
	}
	const translations = join(dir, "translations.txt");
	if (existsSync(translations)) {
		for (const row of readCsvFile(translations)) {
			if (TRANSLATED_TABLES[row.table_name ?? ""]?.includes(row.field_name ?? "") && row.translation) out.add(row.translation);
		}
	}
	return [...out];
}

/** The sign's fixed strings: UI_STRINGS (en and zh), UI_EXTRA_CHARS and printable ASCII. */
export function uiStrings(): string[] {
	const out: string[] = [];
	for (const s of Object.values(UI_STRINGS)) out.push(s.en, s.zh);
	out.push(UI_EXTRA_CHARS);
	let ascii = "";
	for (let c = 0x20; c <= 0x7e; c++) ascii += String.fromCharCode(c);
	out.push(ascii);
	return out;
}

/** Whether a code point is drawn as a glyph (not a control, break, BOM, joiner or variation selector). */
export function isDrawable(cp: number): boolean {
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
	if (cp === 0xfeff || cp === 0x2028 || cp === 0x2029) return false;
	if (cp >= 0x200b && cp <= 0x200f) return false;
	if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return false;
	return true;
}

/** Sorted unique drawable code points of `strings`. */
export function codePointsOf(strings: Iterable<string>): number[] {
	const set = new Set<number>();
	for (const s of strings) {
		for (const ch of s) {
			const cp = ch.codePointAt(0)!;
			if (isDrawable(cp)) set.add(cp);
		}
	}
	return [...set].sort((a, b) => a - b);
}

export interface SubsetSources {
	gtfsDirs?: readonly string[];
	stringFiles?: readonly string[];
	/** include the UI strings and printable ASCII (default true) */
	ui?: boolean;
}

/** Collects the subset from GTFS feeds, UTF-8 string files and the UI strings. Throws FontBuildError naming the bad input. */
export function collectSubset(sources: SubsetSources): number[] {
	const strings: string[] = sources.ui === false ? [] : uiStrings();
	for (const dir of sources.gtfsDirs ?? []) strings.push(...gtfsStrings(dir));
	for (const file of sources.stringFiles ?? []) {
		try {
			strings.push(readFileSync(file, "utf8"));
		} catch (e) {
			throw new FontBuildError(`cannot read strings file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
	}
	return codePointsOf(strings);
}
