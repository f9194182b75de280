/*
 * What the sign shows, decided before anything is drawn: departures.ts turns
 * the board, the cached timetable and "now" into this model, and screen.ts
 * lays it out. Keeping it plain data lets the "never lie" rules be tested
 * as tables, separately from pixels.
 */

/** Crowding in at most three levels (plus "not boardable"), from GTFS-RT OccupancyStatus or a carriage percentage. */
export type Crowding = "low" | "mid" | "high" | "noboard";

/** When the departure leaves, as shown. */
export type ShownTime =
	/** real-time, under the Due threshold (default 90 s) */
	| { kind: "due" }
	/** real-time, whole minutes from now */
	| { kind: "min"; min: number }
	/** scheduled (stale, missing or NO_DATA): 24-hour clock "HH:MM" */
	| { kind: "clock"; hhmm: string }
	/** the trip does not stop here; the scheduled clock time for reference */
	| { kind: "skipped"; hhmm: string }
	/** the trip is cancelled; the scheduled clock time for reference */
	| { kind: "canceled"; hhmm: string };

export interface ShownDeparture {
	route: string;
	dest: string;
	destZh?: string;
	when: ShownTime;
	/** the prediction's uncertainty is known and at least a minute (shown as "~") */
	approx?: boolean;
	/** vehicle crowding; absent = no data */
	crowd?: Crowding;
	/** per-carriage crowding in order; null = that carriage has no data. Absent = not known per carriage. */
	cars?: (Crowding | null)[];
}

/** Where the rows came from. */
export type ScreenSource = "live" | "timetable" | "none";

export interface ScreenModel {
	stopName: string;
	stopNameZh?: string;
	/** "HH:MM" of the data shown (board time, or the timetable's publication); absent when nothing was ever received */
	updated?: string;
	source: ScreenSource;
	/** why the sign is not live, when it is not ("offline", "stale", "clock not set", …); shown on the alert line */
	notice?: string;
	alert?: string;
	alertZh?: string;
	rows: ShownDeparture[];
}
