/*
 * `curbside sim run <role>`: one simulated device from the real firmware.
 * Without --broker it brings its own cloud: an embedded aedes and the ops
 * server (acker, time beacon), so the device's records are acked as in the
 * field. With --broker, run `curbside ops serve` against that broker.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BOARD_PANELS, panelFor } from "../../firmware/apps/stop-sign/panels-table";
import { panelImage, panelPng } from "../../host-sim/panel-image";
import { loadGtfsDir } from "../gtfs/static-feed";
import { BOARD_EVERY_MS, startStopBoards } from "../ops/stop-boards";
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
	board?: string;
	broker?: string;
	duration?: number;
	virtualTime?: boolean;
	png?: string;
	/** GTFS static feed the embedded cloud publishes the sign's board and timetable from (stop-sign) */
	gtfs?: string;
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
	if (options.gtfs && role !== "stop-sign") throw new Error("--gtfs applies to the stop-sign role");
	// A sign without a panel has nothing to show: the default sign board is the 7.5" UC8179 one.
	const boardName = options.board ?? (role === "stop-sign" ? "generic-epd75" : "generic");
	const overrides = parseConfigPairs(options.set);
	const config = simConfig(role, boardName, overrides); // fail fast on a bad role or board, before any broker starts (before other option checks too)
	if (options.png && !panelFor(boardName)) throw new Error(`--png: board ${boardName} has no e-paper panel (boards with one: ${Object.keys(BOARD_PANELS).join(", ")})`);
	const feed = role === "stop-sign" && !options.broker ? loadGtfsDir(options.gtfs ?? DEFAULT_SIGN_FEED) : undefined;
	const stopId = String(config.stopId ?? "");
	if (feed && stopId && !feed.stops.has(stopId)) throw new Error(`stop ${stopId} is not in the GTFS feed ${feed.dir} (pick one with --set stopId=…)`);
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
	let publisher: { stop(): Promise<void> } | undefined;
	let ops: OpsServer | undefined;
	let target: { host: string; port: number };
	if (options.broker) target = parseBrokerUrl(options.broker);
	else {
		broker = await startBroker(0);
		target = { host: "127.0.0.1", port: broker.port };
		// On virtual time the embedded cloud keeps the same clock, so the device's synced clock follows it.
		ops = new OpsServer({ broker: broker.url, now: virtual ? () => virtual.now() : undefined });
		await ops.start();
		if (virtual) {
			// The beacon's own interval runs on real time; on a virtual clock it follows the devices' time.
			const beat = () => {
				ops?.sendTime();
				virtual.schedule(60_000, beat);
			};
			virtual.schedule(5_000, beat);
		}
		console.log(`embedded MQTT broker (aedes) on ${broker.url}, with the ops acker`);
		if (feed && stopId) {
			publisher = await startStopBoards(broker.url, feed, [stopId], virtual);
			console.log(`publishing stop ${stopId}'s board and timetable from ${feed.dir} (schedule only, every ${BOARD_EVERY_MS / 1000} s)`);
		}
	}
	const clock = virtual ?? new RealClock();
	const fleet = new Fleet({ broker: target, clock, stateDir: options.state, onLine: (id, line) => console.log(deviceLine(id, line)) });
	const id = options.id ?? `${role}-sim`;
	const device = await fleet.add({ id, role, board: boardName, config: overrides, scenario });
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
	const image = panelImage(boardName, (device.bridge?.board as { parts?: Record<string, unknown> } | undefined)?.parts);
	fleet.shutdown();
	await publisher?.stop();
	await ops?.stop();
	await broker?.close();
	(clock as RealClock).cancelAll?.();
	if (options.png) {
		if (!image) throw new Error(`--png: ${id} left no panel image`);
		writeFileSync(options.png, panelPng(image));
		console.log(`panel: ${image.controller} ${image.width}×${image.height}, ${image.full} full and ${image.partial} partial refresh(es), ${image.violations.length ? `protocol violations: ${image.violations.join("; ")}` : "no protocol violations"}; wrote ${options.png}`);
	}
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

/** The bilingual demo feed that ships with the project. */
export const DEFAULT_SIGN_FEED = fileURLToPath(new URL("../../scenarios/gtfs/cjk-demo", import.meta.url));
