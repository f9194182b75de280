/*
 * `curbside demo` (= `npm start`): an embedded aedes broker on 127.0.0.1, the
 * ops server (registry, outbox acker, time beacon), and a small street of simulated devices booted from the real
 * firmware: one stop sign and one light pole.
 */
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { Fleet, parseBrokerUrl } from "../../host-sim/fleet";
import { OpsServer } from "../ops/server";
import { startStopBoards } from "../ops/stop-boards";
import { loadGtfsDir } from "../gtfs/static-feed";
import { DEFAULT_SIGN_FEED } from "./sim-run";
import { deviceLine, runReal } from "./run-loop";

export const DEMO_STREET = [
	{ id: "sign-fish-market", role: "stop-sign", board: "m5paper", config: { stopId: "HC_MARKET", signLang: "zh-en", healthMs: 15_000 } },
	{ id: "pole-main-st-01", role: "light-pole", board: "generic", config: { healthMs: 15_000 } },
] as const;

export async function runDemo(options: { broker?: string; port: number; duration?: number }): Promise<void> {
	let broker: EmbeddedBroker | undefined;
	let url = options.broker;
	if (!url) {
		try {
			broker = await startBroker(options.port);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
			console.log(`port ${options.port} is busy; using a free port instead`);
			broker = await startBroker(0);
		}
		url = broker.url;
		console.log(`embedded MQTT broker (aedes) listening on ${url}`);
	}
	const ops = new OpsServer({ broker: url, onLine: (line) => console.log(deviceLine("ops", line)) });
	await ops.start();

	// The sign's departures: the bundled bilingual feed, schedule only (the realtime bridge and dashboard are issue #7).
	const feed = loadGtfsDir(DEFAULT_SIGN_FEED);
	const boards = await startStopBoards(url, feed, DEMO_STREET.filter((d) => d.role === "stop-sign").map((d) => d.config.stopId));

	const clock = new RealClock();
	const fleet = new Fleet({ broker: parseBrokerUrl(url), clock, onLine: (id, line) => console.log(deviceLine(id, line)) });
	for (const spec of DEMO_STREET) await fleet.add({ ...spec, config: { ...spec.config } });
	fleet.bootAll();
	console.log(`demo running: ${DEMO_STREET.length} devices on ${url}; Ctrl-C to stop`);

	const why = await runReal(options.duration);
	console.log(`stopping (${why})…`);
	fleet.shutdown();
	clock.cancelAll();
	await boards.stop();
	await ops.stop();
	await broker?.close();
	console.log("demo stopped cleanly");
}
