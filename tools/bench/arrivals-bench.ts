/*
 * The arrivals bridge's two figures (issue #7 "Benchmarks"), on an embedded
 * aedes on 127.0.0.1:
 *   arrivals.bytes — bytes per sign per day at a 30 s feed refresh: a virtual
 *     day (local midnight to midnight) of the bundled cjk-demo feed with the
 *     RealtimeSimulator changing delays, crowding and cancellations, the
 *     bridge polled every 30 virtual seconds. Bytes are counted on the
 *     bridge's own MQTT socket (PUBLISH QoS 1 up, PUBACK down), boards and
 *     timetables apart. The naive baseline, in the same run and from the same
 *     resolved boards: each stop's board as JSON published every poll at QoS 1,
 *     its MQTT 3.1.1 PUBLISH size + PUBACK from the §3.3 arithmetic
 *     (wire-bench.ts publishBytes). A sign receives what the broker forwards,
 *     the same PUBLISH per board; the ratio is what matters.
 *   arrivals.latency — from a GTFS-RT change to the last board's PUBACK for
 *     feeds of 500 and 2,000 stops (generated: lines of 20 stops, a trip every
 *     15 min per line from 06:00 to 22:00): the bridge's poll (simulated feed
 *     step, protobuf encode + decode, resolve every stop, CBOR encode,
 *     publish of what changed) in wall-clock ms, its median over polls after
 *     the first, with the simulator's own share measured apart, and the same
 *     with one publish awaited at a time (publishChunk 1) to show what batching
 *     buys. These are wall-clock figures on a shared machine: indicative.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttClient } from "mqtt";
import { boardTopic } from "../../firmware/contract/topics";
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { resolveStopBoard } from "../gtfs/realtime";
import { loadGtfsDir, type GtfsFeed } from "../gtfs/static-feed";
import { ArrivalsBridge } from "../ops/arrivals-bridge";
import { RealtimeSimulator } from "../ops/realtime-sim";
import { PUBACK_BYTES, publishBytes, round } from "./wire-bench";

const CJK_DIR = new URL("../../scenarios/gtfs/cjk-demo", import.meta.url).pathname;
const POLL_S = 30;

/** An mqtt.js client on a socket whose byte counters we can read. */
async function countingClient(port: number, id: string): Promise<{ client: MqttClient; bytes: () => { up: number; down: number } }> {
	let tcp: Socket | undefined;
	const client = new MqttClient(
		() => {
			tcp = tcpConnect(port, "127.0.0.1");
			tcp.setNoDelay(true);
			return tcp;
		},
		{ clientId: id, protocolVersion: 4, keepalive: 0, reconnectPeriod: 0, clean: true },
	);
	await new Promise<void>((resolve, reject) => {
		client.once("connect", () => resolve());
		client.once("error", reject);
	});
	return { client, bytes: () => ({ up: tcp!.bytesWritten, down: tcp!.bytesRead }) };
}

export interface ArrivalsBytesFigures {
	feed: string;
	stops: number;
	polls: number;
	pollS: number;
	bridge: {
		boardsPublished: number;
		/** freshness ticks sent instead of an unchanged board whose `t` was due (TTL/3 rule) */
		freshTicks: number;
		freshTickPayload: number;
		boardsUnchanged: number;
		timetables: number;
		/** socket bytes of the bridge's client over the day, up (PUBLISH) + down (PUBACK) */
		wireBytes: number;
		perSignPerDay: { boards: number; boardPayload: number; wire: number; timetableWire: number };
	};
	naive: { publishes: number; perSignPerDay: { payload: number; wire: number } };
	/** naive ÷ bridge, wire bytes per sign per day (boards and timetables on the bridge's side) */
	ratio: number;
}

/** (a) A virtual day of the cjk-demo feed. */
export async function benchArrivalsBytes(): Promise<ArrivalsBytesFigures> {
	const feed = loadGtfsDir(CJK_DIR);
	let broker: EmbeddedBroker | undefined;
	let bridge: ArrivalsBridge | undefined;
	let counted: Awaited<ReturnType<typeof countingClient>> | undefined;
	try {
		broker = await startBroker(0);
		counted = await countingClient(broker.port, `bench-arrivals-${process.pid}`);
		const start = counted.bytes();
		const dayStart = feed.dayStart("20260115"); // local midnight (noon − 12 h), a Thursday
		let nowS = dayStart;
		bridge = new ArrivalsBridge({ feed, simulate: { seed: 42 }, now: () => nowS * 1000, manual: true });
		const stops = bridge.stops;
		let naiveBytes = 0;
		let naivePayload = 0;
		let naivePublishes = 0;
		const naive = () => {
			const realtime = bridge!.realtime();
			for (const stop of stops) {
				const { board } = resolveStopBoard(feed, realtime, stop, nowS);
				const json = Buffer.byteLength(JSON.stringify(board));
				naivePayload += json;
				naiveBytes += publishBytes(Buffer.byteLength(boardTopic(stop)), json, 1) + PUBACK_BYTES;
				naivePublishes++;
			}
		};
		await bridge.start(counted.client);
		naive();
		const polls = (24 * 3600) / POLL_S;
		for (let i = 1; i < polls; i++) {
			nowS += POLL_S;
			await bridge.poll();
			naive();
		}
		// every PUBACK is in once the client has nothing in flight
		const end = Date.now() + 30_000;
		while (Object.keys((counted.client as unknown as { outgoing: object }).outgoing).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
		const b = counted.bytes();
		const wire = b.up - start.up + (b.down - start.down);
		const s = bridge.stats;
		// Timetable wire bytes, from the same arithmetic, to split the total.
		const ttWire = s.timetableBytes + s.timetables * (publishBytes(Buffer.byteLength(`cs/v1/stop/${stops[0]}/timetable`), 0, 1) + PUBACK_BYTES);
		const per = (n: number) => round(n / stops.length, 0);
		return {
			feed: "scenarios/gtfs/cjk-demo + RealtimeSimulator seed 42",
			stops: stops.length,
			polls,
			pollS: POLL_S,
			bridge: {
				boardsPublished: s.publishes,
				freshTicks: s.refreshes,
				freshTickPayload: s.freshBytes,
				boardsUnchanged: s.unchanged,
				timetables: s.timetables,
				wireBytes: wire,
				perSignPerDay: { boards: round(s.publishes / stops.length, 1), boardPayload: per(s.boardBytes), wire: per(wire), timetableWire: per(ttWire) },
			},
			naive: { publishes: naivePublishes, perSignPerDay: { payload: per(naivePayload), wire: per(naiveBytes) } },
			ratio: round(naiveBytes / wire, 2),
		};
	} finally {
		await bridge?.stop();
		await counted?.client.endAsync(true);
		await broker?.close();
	}
}

/** A generated feed: `stops` stops on lines of 20, one trip every 15 min per line from 06:00 to 22:00. */
export function generatedFeed(stops: number): GtfsFeed {
	const dir = mkdtempSync(join(tmpdir(), "arrivals-bench-"));
	try {
		const lines = Math.ceil(stops / 20);
		const hhmmss = (s: number) => `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
		let stopRows = "stop_id,stop_name\n";
		for (let i = 0; i < stops; i++) stopRows += `S${i},Stop ${i}\n`;
		let routes = "route_id,route_short_name,route_type\n";
		let trips = "route_id,service_id,trip_id,trip_headsign\n";
		const times: string[] = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"];
		for (let l = 0; l < lines; l++) {
			routes += `L${l},${l + 1},3\n`;
			const first = l * 20;
			const last = Math.min(stops, first + 20);
			for (let t = 6 * 3600; t <= 22 * 3600; t += 900) {
				const id = `L${l}-${t / 60}`;
				trips += `L${l},D,${id},Stop ${last - 1}\n`;
				for (let s = first; s < last; s++) {
					const at = t + (s - first) * 120;
					times.push(`${id},${hhmmss(at)},${hhmmss(at + 20)},S${s},${s - first + 1}`);
				}
			}
		}
		writeFileSync(join(dir, "agency.txt"), "agency_name,agency_url,agency_timezone\nBench,http://bench.invalid,Europe/Berlin\n");
		writeFileSync(join(dir, "stops.txt"), stopRows);
		writeFileSync(join(dir, "routes.txt"), routes);
		writeFileSync(join(dir, "trips.txt"), trips);
		writeFileSync(join(dir, "stop_times.txt"), times.join("\n") + "\n");
		writeFileSync(join(dir, "calendar.txt"), "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nD,1,1,1,1,1,1,1,20240101,20301231\n");
		return loadGtfsDir(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

export interface ArrivalsLatencyRun {
	stops: number;
	trips: number;
	tripUpdateEntities: number;
	/** the first poll: every board and every 24 h timetable */
	firstPollMs: number;
	/** polls after the first (a 30 s step of the simulator each): median and max, ms */
	pollMs: { median: number; max: number };
	/** the simulator's step + protobuf encode inside each poll (not the bridge's work), median ms */
	simulatorMs: number;
	boardsPerPoll: number;
	/** the same polls with publishChunk 1 (one PUBACK awaited at a time) */
	sequentialPollMs: { median: number };
}

const median = (xs: number[]) => {
	const s = xs.slice().sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] ?? 0;
};

async function latencyRun(broker: EmbeddedBroker, feed: GtfsFeed, chunk: number, polls: number): Promise<{ first: number; polls: number[]; boards: number[]; sim: number[]; entities: number }> {
	const counted = await countingClient(broker.port, `bench-latency-${chunk}-${process.pid}`);
	let nowS = feed.dayStart("20260115") + 10 * 3600;
	const bridge = new ArrivalsBridge({ feed, simulate: { seed: 9 }, now: () => nowS * 1000, manual: true, publishChunk: chunk });
	// The simulator's share, measured on a twin with the same seed and times.
	const twin = new RealtimeSimulator({ feed, seed: 9, now: () => nowS * 1000 });
	try {
		let t0 = performance.now();
		await bridge.start(counted.client);
		const first = performance.now() - t0;
		const times: number[] = [];
		const boards: number[] = [];
		const sim: number[] = [];
		let entities = 0;
		twin.feeds();
		for (let i = 0; i < polls; i++) {
			nowS += POLL_S;
			const before = bridge.stats.publishes;
			t0 = performance.now();
			await bridge.poll();
			times.push(performance.now() - t0);
			boards.push(bridge.stats.publishes - before);
			t0 = performance.now();
			const f = twin.feeds();
			sim.push(performance.now() - t0);
			entities = f.running;
		}
		return { first, polls: times, boards, sim, entities };
	} finally {
		await bridge.stop();
		await counted.client.endAsync(true);
	}
}

/** (b) Poll time with many stops. */
export async function benchArrivalsLatency(sizes = [500, 2_000], polls = 6): Promise<ArrivalsLatencyRun[]> {
	const broker = await startBroker(0);
	try {
		const out: ArrivalsLatencyRun[] = [];
		for (const n of sizes) {
			const feed = generatedFeed(n);
			const batched = await latencyRun(broker, feed, 100, polls);
			const sequential = await latencyRun(broker, feed, 1, polls);
			out.push({
				stops: n,
				trips: feed.trips.size,
				tripUpdateEntities: batched.entities,
				firstPollMs: round(batched.first, 0),
				pollMs: { median: round(median(batched.polls), 1), max: round(Math.max(...batched.polls), 1) },
				simulatorMs: round(median(batched.sim), 1),
				boardsPerPoll: round(median(batched.boards), 0),
				sequentialPollMs: { median: round(median(sequential.polls), 1) },
			});
		}
		return out;
	} finally {
		await broker.close();
	}
}
