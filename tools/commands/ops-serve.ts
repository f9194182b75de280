/*
 * `curbside ops serve`: the cloud side — fleet registry, outbox acker and
 * time beacon (tools/ops/server.ts), printing one line per event; with
 * --db the SQLite store, with --http the JSON HTTP API; with --gtfs the
 * arrivals bridge (tools/ops/arrivals-bridge.ts) fed by --trip-updates /
 * --vehicle-positions or --simulate-realtime. Broker credentials and TLS
 * (--username, --password, --ca, --cert, --key, --insecure) apply to every
 * connection the server opens (tools/ops/connect.ts useBrokerOptions).
 */
import { loadGtfs } from "../gtfs/static-feed";
import type { ArrivalsBridgeOptions, ArrivalsEvent } from "../ops/arrivals-bridge";
import { useBrokerOptions, type OpsConnectOptions } from "../ops/connect";
import { OpsServer } from "../ops/server";
import { runReal } from "./run-loop";

/** The arrivals bridge's and broker options of `ops serve` (tools/cli.ts). */
export interface ArrivalsCliOptions {
	gtfs?: string;
	tripUpdates?: string;
	vehiclePositions?: string;
	simulateRealtime?: boolean;
	/** ms */
	poll?: number;
	/** comma-separated stop ids */
	stops?: string;
	username?: string;
	password?: string;
	ca?: string;
	cert?: string;
	key?: string;
	insecure?: boolean;
}

/** One console line per bridge event; quiet polls (nothing published) print nothing. */
export function arrivalsLine(e: ArrivalsEvent): string | undefined {
	switch (e.type) {
		case "poll":
			if (e.published === 0 && e.timetables === 0 && e.errors === 0) return undefined;
			return `arrivals: ${e.published} board(s) published, ${e.unchanged} unchanged, ${e.timetables} timetable(s)${e.errors ? `, ${e.errors} error(s)` : ""}${e.waiting ? " (no real-time yet: timetables only)" : ""} in ${e.ms} ms`;
		case "error":
			return `arrivals: ERROR ${e.message}`;
		case "recovered":
			return `arrivals: ${e.message}`;
		case "warning":
			return `arrivals: warning: ${e.message}`;
	}
}

/**
 * The bridge options from the CLI flags, loading the feed (a bad zip or feed throws GtfsError naming the file and row).
 * @throws Error for flags that need --gtfs or exclude each other
 */
export function arrivalsOptions(o: ArrivalsCliOptions, onEvent: (e: ArrivalsEvent) => void): ArrivalsBridgeOptions | undefined {
	if (!o.gtfs) {
		if (o.tripUpdates || o.vehiclePositions || o.simulateRealtime || o.stops) throw new Error("--trip-updates, --vehicle-positions, --simulate-realtime and --stops need --gtfs");
		return undefined;
	}
	if (o.simulateRealtime && (o.tripUpdates || o.vehiclePositions)) throw new Error("--simulate-realtime replaces --trip-updates/--vehicle-positions: give one or the other");
	return {
		feed: loadGtfs(o.gtfs),
		tripUpdates: o.tripUpdates,
		vehiclePositions: o.vehiclePositions,
		simulate: o.simulateRealtime,
		pollMs: o.poll,
		stops: o.stops ? o.stops.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
		onEvent,
	};
}

/** Broker credentials and TLS from the CLI flags (the password may come from CURBSIDE_MQTT_PASSWORD). */
export function brokerAuth(o: ArrivalsCliOptions): OpsConnectOptions {
	return { username: o.username, password: o.password ?? process.env.CURBSIDE_MQTT_PASSWORD, caFile: o.ca, certFile: o.cert, keyFile: o.key, insecure: o.insecure };
}

export async function runOpsServe(options: { broker: string; shareGroup?: string; records?: string; duration?: number; db?: string; http?: { host: string; port: number } } & ArrivalsCliOptions): Promise<void> {
	useBrokerOptions(options.broker, brokerAuth(options));
	const arrivals = arrivalsOptions(options, (e) => {
		const line = arrivalsLine(e);
		if (line) console.log(`ops: ${line}`);
	});
	if (arrivals) arrivals.connect = brokerAuth(options);
	const server = new OpsServer({ broker: options.broker, shareGroup: options.shareGroup, recordsFile: options.records, db: options.db, http: options.http, arrivals, onLine: (l) => console.log(`ops: ${l}`) });
	await server.start();
	if (server.arrivals) {
		const rt = server.arrivals.simulator ? "simulated real-time" : [options.tripUpdates && `trip updates ${options.tripUpdates}`, options.vehiclePositions && `vehicle positions ${options.vehiclePositions}`].filter(Boolean).join(", ") || "schedule only";
		console.log(`ops: arrivals bridge: ${server.arrivals.stops.length} stop(s) of ${options.gtfs}, ${rt}, every ${(options.poll ?? 30_000) / 1000} s`);
	}
	console.log(`ops: following the fleet on ${options.broker}${options.shareGroup ? ` (share group ${options.shareGroup})` : ""}${options.records ? `; records → ${options.records}` : ""}`);
	if (server.store) console.log(`ops: store ${server.store.path === ":memory:" ? "in memory" : server.store.path} (schema v${server.store.schemaVersion})`);
	if (server.http) console.log(`ops: HTTP API on ${server.http.url}/api/health`);
	await runReal(options.duration);
	await server.stop();
	const s = server.acker.stats;
	console.log(`ops: stopped; ${server.registry.devices.size} device(s) seen, ${s.records} record(s) stored, ${s.duplicates} duplicate(s) deduped, ${s.rejected} batch(es) rejected`);
}
