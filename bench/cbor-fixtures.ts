/*
 * CBOR benchmark fixtures: a typical telemetry record (an FIWARE
 * AirQualityObserved-style map) and a batch of 20 like a device flushes
 * after an offline spell. Plain data only, so they load on Node and XS.
 *
 * Under RFC 8949 §4.2.1 the record mixes every number shape: small and
 * 64-bit integers (t is a ms timestamp > 2^32), half-exact floats (12.5,
 * 21.75) and a double (48.2), plus short ASCII text keys that need sorting.
 */
import type { CborMap } from "../firmware/net/cbor";

/** One telemetry record, as published on every sample. */
export const telemetryRecord: CborMap = {
	seq: 1234,
	t: 1763750000123,
	type: "AirQualityObserved",
	pm25: 12.5,
	pm10: 20,
	temperature: 21.75,
	relativeHumidity: 48.2,
	status: "ok",
};

/** Twenty records one minute apart; values vary deterministically so runs are comparable. */
export const telemetryBatch: CborMap[] = Array.from({ length: 20 }, (_, i) => ({
	...telemetryRecord,
	seq: 1234 + i,
	t: 1763750000123 + i * 60_000,
	pm25: 12.5 + (i % 4) * 0.25,
	pm10: 20 + (i % 5),
	temperature: 21.75 + (i % 3) * 0.125,
	relativeHumidity: Math.round((48.2 + i * 0.1) * 10) / 10,
	status: i % 7 === 6 ? "degraded" : "ok",
}));
