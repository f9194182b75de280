/*
 * Small time series for the dashboard's pole plots, from the records the ops
 * acker stored (tools/ops/acker.ts): one point per window, at the window's end.
 * Field names are FIWARE Smart Data Models' (README "Light pole",
 * firmware/contract/telemetry.ts):
 *   temperature   AirQualityObserved.temperature, °C
 *   pm25          AirQualityObserved.pm25, µg/m³ (absent while the PMS5003 warms up or has failed)
 *   people        CrowdFlowObserved.peopleCount, per window
 *   vehicles      TrafficFlowObserved.intensity, per window
 * A field the window does not carry gives no point: a failed part is a gap,
 * never a zero.
 */

/** What the series needs of a stored record (tools/ops/acker.ts StoredRecord). */
export interface SeriesRecord {
	device: string;
	kind: string;
	/** epoch ms, when known */
	t?: number;
	data: Record<string, unknown>;
	receivedAt: number;
}

export type SeriesName = "temperature" | "pm25" | "people" | "vehicles";

/** [epoch ms, value] */
export type Point = [number, number];

export interface PoleSeries {
	device: string;
	/** points per series, oldest first, at most `max` each */
	series: Record<SeriesName, Point[]>;
	units: Record<SeriesName, string>;
	/** records of this pole the acker has stored */
	records: number;
}

const SOURCES: readonly { name: SeriesName; kind: string; field: string }[] = [
	{ name: "temperature", kind: "AirQualityObserved", field: "temperature" },
	{ name: "pm25", kind: "AirQualityObserved", field: "pm25" },
	{ name: "people", kind: "CrowdFlowObserved", field: "peopleCount" },
	{ name: "vehicles", kind: "TrafficFlowObserved", field: "intensity" },
];

export const UNITS: Readonly<Record<SeriesName, string>> = Object.freeze({ temperature: "°C", pm25: "µg/m³", people: "per window", vehicles: "per window" });

/** Points kept per series by default (an hour of 1-minute windows). */
export const DEFAULT_POINTS = 60;

/** When a window record happened: its end (epoch ms) when the device knew the time, else the record's resolved time, else when ops got it. */
function timeOf(r: SeriesRecord): number {
	const end = r.data.dateObservedTo;
	if (typeof end === "number" && Number.isFinite(end)) return end;
	return r.t ?? r.receivedAt;
}

/** The last `max` points of each series for pole `device`. */
export function poleSeries(records: readonly SeriesRecord[], device: string, max = DEFAULT_POINTS): PoleSeries {
	const series: Record<SeriesName, Point[]> = { temperature: [], pm25: [], people: [], vehicles: [] };
	let count = 0;
	// Newest first, so a long run costs only the records that are shown (plus other devices' in between).
	for (let i = records.length - 1; i >= 0; i--) {
		const r = records[i];
		if (r.device !== device) continue;
		count++;
		for (const s of SOURCES) {
			if (r.kind !== s.kind || series[s.name].length >= max) continue;
			const v = r.data[s.field];
			if (typeof v === "number" && Number.isFinite(v)) series[s.name].push([timeOf(r), v]);
		}
	}
	for (const s of Object.values(series)) s.sort((a, b) => a[0] - b[0]);
	return { device, series, units: { ...UNITS }, records: count };
}
