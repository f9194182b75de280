/*
 * `curbside demo` (= `npm start`): an embedded aedes broker on 127.0.0.1, the
 * ops server (registry, outbox acker, time beacon), and a small street of simulated devices booted from the real
 * firmware: one stop sign and one light pole.
 */
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { Fleet, parseBrokerUrl } from "../../host-sim/fleet";
import { OpsServer } from "../ops/server";
import { deviceLine, runReal } from "./run-loop";

export const DEMO_STREET = [
	{ id: "sign-furnace-creek", role: "stop-sign", board: "m5paper", config: { stopId: "FUR_CREEK_RES", healthMs: 15_000 } },
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

	const clock = new RealClock();
	const fleet = new Fleet({ broker: parseBrokerUrl(url), clock, onLine: (id, line) => console.log(deviceLine(id, line)) });
	for (const spec of DEMO_STREET) await fleet.add({ ...spec, config: { ...spec.config } });
	fleet.bootAll();
	console.log(`demo running: ${DEMO_STREET.length} devices on ${url}; Ctrl-C to stop`);

	const why = await runReal(options.duration);
	console.log(`stopping (${why})…`);
	fleet.shutdown();
	clock.cancelAll();
	await ops.stop();
	await broker?.close();
	console.log("demo stopped cleanly");
}
