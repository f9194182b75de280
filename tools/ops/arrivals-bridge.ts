/*
 * The arrivals bridge of `curbside ops serve`: a GTFS static feed, GTFS-Realtime
 * TripUpdates and VehiclePositions (tools/gtfs/realtime-source.ts: URLs or
 * files; or the in-process RealtimeSimulator), and StopBoards, which resolves
 * each stop's board and publishes it retained only when it changed, plus each
 * stop's 24 h timetable slice on start and hourly (tools/ops/stop-boards.ts).
 * Every `pollMs` (default 30 s, a usual GTFS-RT refresh) it polls the sources,
 * then resolves and publishes every stop.
 *
 * Failure rules (issue #7: "feed errors never crash the bridge; the last good
 * boards stay"):
 *   - a source error (HTTP status, timeout, bad protobuf, stale header) is an
 *     "error" event and counts in stats; the source keeps its last good
 *     FeedMessage and the bridge goes on resolving from it;
 *   - a stale or dead feed is never re-stamped: boards keep the old header
 *     timestamp as `t`, so each sign sees now − t pass its TTL and falls back
 *     to the timetable by itself (firmware/apps/stop-sign/departures.ts);
 *   - the boards already published stay retained on the broker;
 *   - a poll still running when the next is due is not doubled (counted as
 *     `overruns`); a publish that fails is retried on the next poll;
 *   - after the client reconnects everything is re-sent (a broker without
 *     persistence lost its retained messages).
 * A bad static feed is a start-up error (loadGtfs throws GtfsError before the
 * bridge exists): there are no last good boards to keep yet.
 */
import type { MqttClient } from "mqtt";
import { decodeFeed, type FeedMessage } from "../gtfs/realtime";
import { RealtimeSource } from "../gtfs/realtime-source";
import type { GtfsFeed } from "../gtfs/static-feed";
import { checkTopicId } from "../../firmware/contract/topics";
import { connectOps, opsClientId, type OpsConnectOptions } from "./connect";
import { RealtimeSimulator } from "./realtime-sim";
import { StopBoards } from "./stop-boards";

export interface ArrivalsBridgeOptions {
	feed: GtfsFeed;
	/** GTFS-RT TripUpdates: http(s) URL or file path */
	tripUpdates?: string;
	/** GTFS-RT VehiclePositions: http(s) URL or file path */
	vehiclePositions?: string;
	/** use the RealtimeSimulator instead of sources (true: seed 1) */
	simulate?: boolean | { seed: number };
	/** stops to publish @default every stop where some trip departs */
	stops?: readonly string[];
	/** poll period, ms @default 30_000 */
	pollMs?: number;
	/** a feed header older than this is stale, s @default 120 */
	staleS?: number;
	/** HTTP fetch deadline, ms @default 10_000 */
	timeoutMs?: number;
	/** the signs' board TTL, s (re-send rule, see stop-boards.ts) @default 90 */
	ttlS?: number;
	/** publishes awaited together @default 100 */
	publishChunk?: number;
	/** epoch ms @default Date.now */
	now?: () => number;
	/** no timer: the caller drives poll() (virtual clocks, tests, benchmarks) */
	manual?: boolean;
	/** broker credentials and TLS */
	connect?: OpsConnectOptions;
	onEvent?: (event: ArrivalsEvent) => void;
	/** the fetch used for http(s) sources @default globalThis.fetch */
	fetch?: typeof fetch;
}

export type ArrivalsEvent =
	| { type: "poll"; published: number; unchanged: number; timetables: number; errors: number; waiting: boolean; ms: number }
	| { type: "error"; message: string }
	| { type: "recovered"; message: string }
	| { type: "warning"; message: string };

export interface ArrivalsStats {
	polls: number;
	/** boards published */
	publishes: number;
	/** freshness ticks sent instead of re-sending an unchanged board whose `t` was due (TTL/3 rule) */
	refreshes: number;
	/** payload bytes of those ticks */
	freshBytes: number;
	/** boards resolved and not published (unchanged) */
	unchanged: number;
	timetables: number;
	/** payload bytes published: all, boards, timetables */
	bytes: number;
	boardBytes: number;
	timetableBytes: number;
	/** feed errors and stops that failed */
	errors: number;
	/** polls skipped because the previous one was still running */
	overruns: number;
	lastError?: string;
	/** duration of the last poll (fetch, resolve, encode, publish), ms */
	lastPollMs?: number;
}

/** Whether a stop id can be a topic level (the contract's checkTopicId). */
function topicSafe(id: string): boolean {
	try {
		checkTopicId(id);
		return true;
	} catch {
		return false;
	}
}

/** Stops where at least one trip departs (not its last stop, pickup allowed). */
export function departureStops(feed: GtfsFeed): string[] {
	const out: string[] = [];
	for (const [stop, times] of feed.stopTimesByStop) {
		if (times.some((st) => !st.noPickup && st.index < feed.stopTimesByTrip.get(st.tripId)!.length - 1)) out.push(stop);
	}
	return out.sort();
}

export class ArrivalsBridge {
	readonly stats: ArrivalsStats = { polls: 0, publishes: 0, refreshes: 0, freshBytes: 0, unchanged: 0, timetables: 0, bytes: 0, boardBytes: 0, timetableBytes: 0, errors: 0, overruns: 0 };
	readonly stops: readonly string[];
	readonly sources: { trips?: RealtimeSource; vehicles?: RealtimeSource };
	readonly simulator: RealtimeSimulator | undefined;
	#o: ArrivalsBridgeOptions;
	#client: MqttClient | undefined;
	#own = false;
	#boards: StopBoards | undefined;
	#timer: NodeJS.Timeout | undefined;
	#polling: Promise<void> | undefined;
	#sim: { trips?: FeedMessage; vehicles?: FeedMessage } = {};
	#failing = new Set<string>();
	#onReconnect = () => this.#boards?.resend();
	#skipped: string[];

	/** @throws Error when a stop is not in the feed, or sources are given together with `simulate` */
	constructor(options: ArrivalsBridgeOptions) {
		this.#o = options;
		const now = options.now ?? Date.now;
		if (options.simulate && (options.tripUpdates || options.vehiclePositions)) throw new Error("arrivals: give real-time sources or simulate, not both");
		for (const s of options.stops ?? []) {
			if (!options.feed.stops.has(s)) throw new Error(`arrivals: stop "${s}" is not in the GTFS feed ${options.feed.dir}`);
			checkTopicId(s, "stop id");
		}
		// A feed's own stop ids may not fit a topic level (contract: 1..64 of A-Z a-z 0-9 _ . : -): those stops are left out, once, with a warning.
		const all = options.stops ?? departureStops(options.feed);
		this.stops = all.filter(topicSafe);
		this.#skipped = all.filter((s) => !topicSafe(s));
		const source = (location: string | undefined, label: string) =>
			location ? new RealtimeSource({ location, label, now, staleS: options.staleS, timeoutMs: options.timeoutMs, fetch: options.fetch }) : undefined;
		this.sources = { trips: source(options.tripUpdates, "trip updates"), vehicles: source(options.vehiclePositions, "vehicle positions") };
		this.simulator = options.simulate ? new RealtimeSimulator({ feed: options.feed, now, seed: typeof options.simulate === "object" ? options.simulate.seed : 1 }) : undefined;
	}

	/** Whether any real-time input is configured (else boards are the schedule, stamped now). */
	get hasRealtime(): boolean {
		return !!(this.simulator || this.sources.trips || this.sources.vehicles);
	}

	/**
	 * Connects (a URL: its own client, reconnecting; or a client the caller owns), publishes once, then every pollMs
	 * unless `manual`. @throws Error when the broker cannot be reached
	 */
	async start(broker: string | MqttClient): Promise<void> {
		const client = typeof broker === "string" ? await connectOps(broker, opsClientId("arrivals"), "arrivals bridge", 1_000, this.#o.connect) : broker;
		this.#own = typeof broker === "string";
		this.#client = client;
		this.#boards = new StopBoards({
			client,
			feed: this.#o.feed,
			stops: this.stops,
			now: this.#o.now,
			ttlS: this.#o.ttlS,
			publishChunk: this.#o.publishChunk,
			realtime: this.hasRealtime ? () => this.realtime() : undefined,
			onWarning: (message) => this.#emit({ type: "warning", message }),
		});
		if (this.#skipped.length > 0)
			this.#emit({ type: "warning", message: `arrivals: ${this.#skipped.length} stop id(s) cannot be MQTT topic levels, left out: ${this.#skipped.slice(0, 5).join(", ")}${this.#skipped.length > 5 ? ", …" : ""}` });
		// A reconnect may mean a restarted broker that lost its retained boards: send everything again.
		client.on("connect", this.#onReconnect);
		await this.poll();
		if (!this.#o.manual) this.#timer = setInterval(() => void this.poll(), this.#o.pollMs ?? 30_000);
	}

	/** The real-time messages boards are resolved from now (the last good of each kind). */
	realtime(): { trips?: FeedMessage; vehicles?: FeedMessage } {
		if (this.simulator) return this.#sim;
		return { trips: this.sources.trips?.feed, vehicles: this.sources.vehicles?.feed };
	}

	/** Polls the sources, then resolves and publishes every stop. Never throws; a poll while one runs is skipped. */
	async poll(): Promise<void> {
		if (this.#polling) {
			this.stats.overruns++;
			return this.#polling;
		}
		this.#polling = this.#poll().finally(() => (this.#polling = undefined));
		return this.#polling;
	}

	async #poll(): Promise<void> {
		const started = performance.now();
		this.stats.polls++;
		try {
			await this.#pollSources();
			const boards = this.#boards;
			if (!boards) return;
			if (this.#client && !this.#client.connected) {
				this.#fail("broker", `arrivals: broker not connected; boards wait for the reconnect`);
				return;
			}
			this.#ok("broker");
			const r = await boards.publish();
			this.stats.publishes += r.sent.length;
			this.stats.unchanged += r.unchanged;
			this.stats.timetables += r.timetables;
			this.stats.errors += r.errors;
			this.stats.refreshes = boards.stats.refreshes;
			this.stats.freshBytes = boards.stats.freshBytes;
			this.stats.bytes = boards.stats.bytes;
			this.stats.boardBytes = boards.stats.boardBytes;
			this.stats.timetableBytes = boards.stats.timetableBytes;
			const ms = Math.round((performance.now() - started) * 10) / 10;
			this.stats.lastPollMs = ms;
			this.#emit({ type: "poll", published: r.sent.length, unchanged: r.unchanged, timetables: r.timetables, errors: r.errors, waiting: r.waiting, ms });
		} catch (e) {
			// Nothing here should throw; if something does, it is an error event, never a crash of the bridge.
			this.#fail("poll", `arrivals: poll failed: ${(e as Error).message}`);
		}
	}

	async #pollSources(): Promise<void> {
		if (this.simulator) {
			const f = this.simulator.feeds();
			this.#sim = { trips: decodeFeed(f.trips), vehicles: decodeFeed(f.vehicles) };
			return;
		}
		const polls = await Promise.all([this.sources.trips?.poll(), this.sources.vehicles?.poll()]);
		polls.forEach((p, i) => {
			const where = i === 0 ? "trips" : "vehicles";
			if (p?.status === "error") this.#fail(where, p.error);
			else if (p) this.#ok(where, `${i === 0 ? "trip updates" : "vehicle positions"}: good again`);
		});
	}

	#fail(where: string, message: string): void {
		this.stats.errors++;
		this.stats.lastError = message;
		this.#failing.add(where);
		this.#emit({ type: "error", message });
	}

	#ok(where: string, message = `${where}: good again`): void {
		if (this.#failing.delete(where)) this.#emit({ type: "recovered", message });
	}

	#emit(event: ArrivalsEvent): void {
		try {
			this.#o.onEvent?.(event);
		} catch {
			// a listener's bug is not the bridge's
		}
	}

	/** Stops polling, waits for a poll in flight, and closes the client it opened. Safe to call twice. */
	async stop(): Promise<void> {
		clearInterval(this.#timer);
		this.#timer = undefined;
		await this.#polling;
		this.#client?.off("connect", this.#onReconnect);
		if (this.#own) await this.#client?.endAsync(true);
		this.#own = false;
	}
}
