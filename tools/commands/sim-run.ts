/*
 * `curbside sim run <role>`: one simulated device from the real firmware.
 * Without --broker it brings its own cloud: an embedded aedes and the ops
 * server (acker, time beacon), so the device's records are acked as in the
 * field. With --broker, run `curbside ops serve` against that broker.
 */
import { readFileSync } from "node:fs";
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { Fleet, parseBrokerUrl } from "../../host-sim/fleet";
import { parseConfigPairs, simConfig } from "../../host-sim/manifest-config";
import { formatDuration } from "../duration";
import { OpsServer } from "../ops/server";
import type { StoredRecord } from "../ops/acker";
import { parseScenario } from "../../host-sim/world/pole-world";
import { deviceLine, runReal, runVirtual } from "./run-loop";

export interface SimRunOptions {
	id?: string;
	board: string;
	broker?: string;
	duration?: number;
	virtualTime?: boolean;
	png?: string;
	scenario?: string;
	state?: string;
	set: string[];
}

function readScenario(file: string): unknown {
	let text: string;
	try {
		text = readFileSync(file, "utf8");
	} catch (e) {
		throw new Error(`cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new Error(`scenario ${file} is not valid JSON: ${(e as Error).message}`);
	}
}

export async function runSim(role: string, options: SimRunOptions): Promise<void> {
	if (options.virtualTime && options.duration === undefined) throw new Error("--virtual-time needs --duration (a virtual clock runs as fast as it can)");
	if (options.png && role !== "stop-sign") throw new Error("--png applies to the stop-sign role (the light pole has no panel)");
	if (options.png) throw new Error("--png: the e-ink panel model is not in this build yet (issue #4)");
	const overrides = parseConfigPairs(options.set);
	simConfig(role, options.board, overrides); // fail fast on a bad role or board, before any broker starts (before other option checks too)
	let scenario = options.scenario ? readScenario(options.scenario) : undefined;
	if (scenario !== undefined && role === "light-pole") {
		try {
			scenario = parseScenario(scenario);
		} catch (e) {
			throw new Error(`scenario ${options.scenario}: ${(e as Error).message}`);
		}
	}

	const virtual = options.virtualTime ? new VirtualClock(Date.now()) : undefined;
	let broker: EmbeddedBroker | undefined;
	let ops: OpsServer | undefined;
	let target: { host: string; port: number };
	if (options.broker) target = parseBrokerUrl(options.broker);
	else {
		broker = await startBroker(0);
		target = { host: "127.0.0.1", port: broker.port };
		// On virtual time the embedded cloud keeps the same clock, so the device's synced clock follows it.
		ops = new OpsServer({ broker: broker.url, now: virtual ? () => virtual.now() : undefined });
		await ops.start();
		console.log(`embedded MQTT broker (aedes) on ${broker.url}, with the ops acker`);
	}
	const clock = virtual ?? new RealClock();
	const fleet = new Fleet({ broker: target, clock, stateDir: options.state, onLine: (id, line) => console.log(deviceLine(id, line)) });
	const id = options.id ?? `${role}-sim`;
	const device = await fleet.add({ id, role, board: options.board, config: overrides, scenario });
	const runtime = device.boot() ?? (await device.booting);
	if (!runtime || runtime.state === "halted") {
		fleet.shutdown();
		await broker?.close();
		throw new Error(`${id} ${device.bricked ? `is bricked: ${device.bricked}` : "halted at boot"} (see the log above)`);
	}
	let why = "duration reached";
	const started = Date.now();
	if (virtual) {
		let stop = false;
		const onInt = () => (stop = true);
		process.once("SIGINT", onInt);
		await runVirtual(virtual, options.duration!, (e) => console.error(deviceLine(id, `uncaught: ${(e as Error).message}`)), () => stop);
		process.off("SIGINT", onInt);
		if (stop) why = "interrupted";
	} else why = await runReal(options.duration);
	const stats = device.runtime?.session?.stats;
	const ring = device.runtime?.cloud?.ring?.stats;
	fleet.shutdown();
	await ops?.stop();
	await broker?.close();
	(clock as RealClock).cancelAll?.();
	console.log(
		`\nsummary (${why}): ${id} ran ${virtual ? formatDuration(options.duration!) + " virtual in " + formatDuration(Date.now() - started) + " real" : formatDuration(Date.now() - started)}; ` +
			`${stats?.connects ?? 0} connect(s), ${stats?.failures ?? 0} failed attempt(s), ${stats?.published ?? 0} publish(es), ` +
			`${device.counters.networkBytesWritten} bytes sent, ${device.counters.networkBytesRead} bytes received` +
			(ring ? `; outbox: ${ring.appended} record(s) appended, ${ring.pending} awaiting ack, ${ring.dropped} dropped` : "") +
			(ops ? `; ops acker stored ${ops.acker.stats.records}` : ""),
	);
	if (ops) console.log(sentSummary(ops.acker.records.filter((r) => r.device === id)));
	if (device.world) {
		const l = device.world.ledger;
		console.log(`street (what the pole's parts saw): ${l.pedestriansTowards + l.pedestriansAway} people (${l.pedestriansTowards} towards, ${l.pedestriansAway} away), ${l.vehicles} vehicles, ${l.bayArrivals} car(s) parked`);
	}
}

/** What a device sent, by record kind, with the totals that matter for each. */
export function sentSummary(records: StoredRecord[]): string {
	const byKind = new Map<string, StoredRecord[]>();
	for (const r of records) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
	const total = (kind: string, field: string) => (byKind.get(kind) ?? []).reduce((n, r) => n + (typeof r.data[field] === "number" ? (r.data[field] as number) : 0), 0);
	const details: Record<string, () => string> = {
		CrowdFlowObserved: () => `${total("CrowdFlowObserved", "peopleCount")} people`,
		TrafficFlowObserved: () => `${total("TrafficFlowObserved", "intensity")} vehicles`,
		ParkingSpot: () => `${(byKind.get("ParkingSpot") ?? []).filter((r) => r.data.status === "occupied").length} arrivals`,
		"sensor.fault": () => (byKind.get("sensor.fault") ?? []).map((r) => `${r.data.sensor} ${r.data.fault}`).join(", "),
	};
	const parts = [...byKind.keys()].sort().map((k) => `${byKind.get(k)!.length} ${k}${details[k] ? ` (${details[k]()})` : ""}`);
	return `sent: ${parts.length ? parts.join(", ") : "no records"}`;
}
