/*
 * `curbside demo` (= `npm start`): a small simulated street on 127.0.0.1 with
 * a live browser dashboard (README "Quick start", "Dashboard"):
 *   - an embedded aedes broker (or an external one with --broker),
 *   - the ops server (registry, outbox acker, time beacon),
 *   - the arrivals bridge over the bundled bilingual feed with simulated GTFS-Realtime
 *     (delays, crowding, carriages, cancellations; tools/demo/boards-source.ts),
 *   - two stop signs with different panels (an M5Paper 960×540 bilingual sign and a
 *     7.5" 800×480 English one) and two light poles, booted from the real firmware;
 *     the poles' simulated street runs on the feed's local time, as the signs do,
 *   - the dashboard (tools/demo/server.ts) on http://127.0.0.1:8080/ or a free port.
 * The signs run with the shortest prediction TTL (30 s) so that cutting a sign's
 * network shows the timetable fallback within about half a minute.
 * startDemo() is the same street in-process, for the browser test.
 */
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { DEFAULT_STREET, Fleet, parseBrokerUrl } from "../../host-sim/fleet";
import { OpsServer } from "../ops/server";
import { loadGtfsDir } from "../gtfs/static-feed";
import { localFields, utcOffsetMinutes } from "../gtfs/time-zone";
import { startBoardsSource, type BoardsSource } from "../demo/boards-source";
import { DeviceLog } from "../demo/device-log";
import { startDemoServer, type DemoServer, type StreetDevice } from "../demo/server";
import { DEFAULT_SIGN_FEED } from "./sim-run";
import { deviceLine, runReal } from "./run-loop";

/** The signs' prediction TTL in the demo, s: the schema's minimum, so the stale fallback is quick to see. */
export const DEMO_BOARD_TTL_S = 30;

/** Device config shared by the street: frequent health, quick reconnects, an LWT within ~20 s of a cut. */
const COMMON = { healthMs: 15_000, keepaliveMs: 15_000, backoffMinMs: 500, backoffMaxMs: 10_000 } as const;

export const DEMO_STREET = [
	{ id: "sign-fish-market", role: "stop-sign", board: "m5paper", config: { ...COMMON, stopId: "HC_MARKET", signLang: "zh-en", boardTtlS: DEMO_BOARD_TTL_S } },
	{ id: "sign-station", role: "stop-sign", board: "generic-epd75", config: { ...COMMON, stopId: "HC_STATION", signLang: "en", boardTtlS: DEMO_BOARD_TTL_S } },
	// One-minute windows, batched within seconds, so the dashboard's plots fill while one watches.
	{ id: "pole-main-st-01", role: "light-pole", board: "generic", config: { ...COMMON, windowMs: 60_000, upDelayMs: 2_000 }, scenario: { ...DEFAULT_STREET, seed: 1 } },
	{ id: "pole-main-st-02", role: "light-pole", board: "generic", config: { ...COMMON, windowMs: 60_000, upDelayMs: 2_000 }, scenario: { ...DEFAULT_STREET, seed: 2, weather: { celsius: [9, 16] } } },
] as const;

export interface DemoOptions {
	/** external broker URL; undefined starts the embedded aedes */
	broker?: string;
	/** embedded broker port on 127.0.0.1; busy → a free port @default 1883 (0 = any free port) */
	port?: number;
	/** dashboard port on 127.0.0.1; busy → a free port @default 8080 (0 = any free port) */
	httpPort?: number;
	/** simulated GTFS-Realtime (true) or the schedule alone (false) @default true */
	realtime?: boolean;
	/** config overrides for every sign / every pole (tests: shorter windows) */
	signConfig?: Record<string, unknown>;
	poleConfig?: Record<string, unknown>;
	/** one line per event (device log lines, ops events) @default console.log with a device prefix */
	onLine?: (line: string) => void;
}

export interface Demo {
	/** the dashboard, http://127.0.0.1:PORT/ */
	url: string;
	/** the broker the street runs on */
	brokerUrl: string;
	fleet: Fleet;
	ops: OpsServer;
	log: DeviceLog;
	/** stops everything in order: dashboard, devices (offline), boards, ops, broker. Safe to call twice. */
	stop(): Promise<void>;
}

/** Listens on `port`, or on any free port when it is taken. */
async function withFallback<T>(port: number, start: (port: number) => Promise<T>, what: string, say: (line: string) => void): Promise<T> {
	try {
		return await start(port);
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw e;
		say(`${what} port ${port} is busy; using a free port instead`);
		return start(0);
	}
}

/**
 * Starts the demo street and its dashboard.
 * @throws Error with a one-line reason (bad broker URL, unreachable external broker, a port that cannot be bound)
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
	const say = options.onLine ?? ((line: string) => console.log(line));
	const cleanup: (() => Promise<void> | void)[] = [];
	const undo = async () => {
		for (const step of cleanup.reverse()) await step();
	};
	try {
		let broker: EmbeddedBroker | undefined;
		let url = options.broker;
		if (url) parseBrokerUrl(url); // a bad URL fails here, before anything starts
		else {
			const b = (broker = await withFallback(options.port ?? 1883, startBroker, "MQTT", say));
			cleanup.push(() => b.close());
			url = b.url;
			say(`embedded MQTT broker (aedes) listening on ${url}`);
		}
		const log = new DeviceLog();
		// The ops JSON API beside the dashboard (an in-memory SQLite store; the acker still keeps records in memory for the plots).
		const ops = new OpsServer({ broker: url, http: { host: "127.0.0.1", port: 0 }, onLine: (line) => say(deviceLine("ops", line)) });
		await ops.start();
		cleanup.push(() => ops.stop());

		const signs = DEMO_STREET.filter((d) => d.role === "stop-sign");
		const feed = loadGtfsDir(DEFAULT_SIGN_FEED);
		// The one seam for the signs' departures (tools/demo/boards-source.ts).
		const boards: BoardsSource = await startBoardsSource({
			broker: url,
			feed,
			stops: signs.map((s) => s.config.stopId),
			simulate: options.realtime ?? true,
			ttlS: DEMO_BOARD_TTL_S,
			onWarning: (w) => say(deviceLine("arrivals", w)),
		});
		cleanup.push(() => boards.stop());

		const clock = new RealClock();
		const fleet = new Fleet({
			broker: parseBrokerUrl(url),
			clock,
			onLine: (id, line) => {
				log.add(id, line);
				say(deviceLine(id, line));
			},
		});
		cleanup.push(() => {
			fleet.shutdown();
			clock.cancelAll();
		});
		// The poles' street keeps the feed's local time, as the signs do: rush hour on the plots when the signs show it.
		const nowS = Math.floor(Date.now() / 1000);
		const local = localFields(feed.timeZone, nowS);
		const startTime = `${String(local.hour).padStart(2, "0")}:${String(local.minute).padStart(2, "0")}`;
		const utcOffsetMin = utcOffsetMinutes(feed.timeZone, nowS);
		const devices: StreetDevice[] = [];
		for (const spec of DEMO_STREET) {
			const pole = spec.role === "light-pole";
			const config = pole ? { ...spec.config, utcOffsetMin, ...options.poleConfig } : { ...spec.config, ...options.signConfig };
			const scenario = "scenario" in spec ? { ...spec.scenario, startTime } : undefined;
			const sim = await fleet.add({ id: spec.id, role: spec.role, board: spec.board, config, scenario });
			devices.push({ id: spec.id, role: spec.role, board: spec.board, sim });
		}
		fleet.bootAll();

		const server: DemoServer = await withFallback(
			options.httpPort ?? 8080,
			(port) =>
				startDemoServer(
					{
						devices,
						registry: ops.registry,
						records: () => ops.acker.records,
						log,
						broker: broker
							? { url, embedded: true, restartable: true }
							: { url, embedded: false, restartable: false, reason: `external broker ${url}: restart it where it runs` },
						boards: boards.describe,
						async restartBroker() {
							if (!broker) throw new Error("no embedded broker to restart");
							say(deviceLine("demo", "restarting the embedded broker (clients and retained messages are dropped)"));
							await broker.restart();
						},
					},
					port,
				),
			"dashboard",
			say,
		);
		cleanup.push(() => server.close());
		say(`demo running: ${devices.length} devices on ${url}; Ctrl-C to stop`);
		say(`dashboard: ${server.url}`);
		if (ops.http) say(`ops API: ${ops.http.url}/api/devices`);
		let stopping: Promise<void> | undefined;
		return {
			url: server.url,
			brokerUrl: url,
			fleet,
			ops,
			log,
			stop: () => (stopping ??= undo()),
		};
	} catch (e) {
		await undo();
		throw e;
	}
}

/** The CLI: starts the demo, runs until Ctrl-C (SIGINT/SIGTERM) or `duration` ms, then stops everything. */
export async function runDemo(options: { broker?: string; port: number; httpPort: number; duration?: number; scheduleOnly?: boolean }): Promise<void> {
	const demo = await startDemo({ broker: options.broker, port: options.port, httpPort: options.httpPort, realtime: !options.scheduleOnly });
	const why = await runReal(options.duration);
	console.log(`stopping (${why})…`);
	await demo.stop();
	console.log("demo stopped cleanly");
}
