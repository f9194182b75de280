/*
 * IANA time-zone arithmetic for the cloud side (Node only: uses Intl, which
 * the sign does not have). The sign gets the result as a plain UTC offset in
 * minutes (StopBoard.tz), recomputed at every publication so DST changes
 * reach it within one board.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
	let f = formatters.get(timeZone);
	if (!f) {
		// hourCycle h23: midnight is 00, never 24 (some engines print "24" with hour12: false).
		f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
		formatters.set(timeZone, f);
	}
	return f;
}

/** Local wall-clock fields of an instant in `timeZone`. @throws RangeError for an unknown time zone */
export function localFields(timeZone: string, epochS: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
	const parts: Record<string, number> = {};
	for (const p of formatter(timeZone).formatToParts(new Date(epochS * 1000))) if (p.type !== "literal") parts[p.type] = Number(p.value);
	return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** UTC offset of `timeZone` at the instant `epochS`, minutes (east positive: Asia/Shanghai → 480). @throws RangeError for an unknown time zone */
export function utcOffsetMinutes(timeZone: string, epochS: number): number {
	const whole = Math.floor(epochS);
	const l = localFields(timeZone, whole);
	const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) / 1000;
	return Math.round((asUtc - whole) / 60);
}

/** A service date "YYYYMMDD" as [year, month (1-12), day]. */
export function parseServiceDate(date: string): [number, number, number] {
	const m = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
	if (!m) throw new RangeError(`"${date}" is not a YYYYMMDD date`);
	return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * Epoch s at which GTFS times of service date `date` count from: "noon minus
 * 12 h" in the agency time zone (GTFS Schedule reference, stop_times.txt
 * arrival_time: "measured from noon minus 12h of the service day"). On a DST
 * change day this is 23:00 or 01:00 local, not midnight — which is the point.
 */
export function serviceDayStart(timeZone: string, date: string): number {
	const [y, m, d] = parseServiceDate(date);
	const noonAsUtc = Date.UTC(y, m - 1, d, 12) / 1000;
	// Noon is far from any DST switch (they happen at night), so one refinement settles it.
	let noon = noonAsUtc - utcOffsetMinutes(timeZone, noonAsUtc) * 60;
	noon = noonAsUtc - utcOffsetMinutes(timeZone, noon) * 60;
	return noon - 12 * 3600;
}

/** The local calendar date "YYYYMMDD" of an instant, shifted by `days`. */
export function localDate(timeZone: string, epochS: number, days = 0): string {
	const l = localFields(timeZone, epochS);
	const t = new Date(Date.UTC(l.year, l.month - 1, l.day + days));
	return `${t.getUTCFullYear()}${String(t.getUTCMonth() + 1).padStart(2, "0")}${String(t.getUTCDate()).padStart(2, "0")}`;
}

/** Day of week of a service date, 0 = Monday … 6 = Sunday (calendar.txt column order). */
export function weekday(date: string): number {
	const [y, m, d] = parseServiceDate(date);
	return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}
