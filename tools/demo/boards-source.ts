/*
 * Where the demo street's signs get their departures: the one seam between
 * the demo and the arrivals side of ops.
 *
 * By default it is the arrivals bridge (tools/ops/arrivals-bridge.ts) fed by
 * the in-process GTFS-Realtime simulator (tools/ops/realtime-sim.ts): delays
 * that drift, occupancy and per-carriage crowding, the occasional
 * cancellation, resolved per stop and published retained only when changed
 * (tools/ops/stop-boards.ts), with each stop's timetable slice for the
 * offline fallback. `simulate: false` publishes the schedule alone (boards
 * stamped "now"), as `curbside sim run` does.
 *
 * The period and the signs' TTL are parameters: the demo runs its signs with
 * a short `boardTtlS` so the stale fallback shows within half a minute, so an
 * unchanged board must be re-sent every ttlS / 3 and the source must look at
 * least that often. After a reconnect (a restarted broker lost its retained
 * boards) everything is sent again.
 */
import type { GtfsFeed } from "../gtfs/static-feed";
import { ArrivalsBridge } from "../ops/arrivals-bridge";
import { connectOps, opsClientId } from "../ops/connect";
import { StopBoards } from "../ops/stop-boards";

export interface BoardsSourceOptions {
	/** MQTT broker URL, mqtt://host:port */
	broker: string;
	feed: GtfsFeed;
	stops: readonly string[];
	/** simulated GTFS-Realtime (true) or the schedule alone (false) @default true */
	simulate?: boolean;
	/** the signs' `boardTtlS`, s @default 90 */
	ttlS?: number;
	/** how often boards are resolved and published, ms @default ttlS × 1000 / 6 (at most 30 000) */
	everyMs?: number;
	/** the cloud's clock, epoch ms @default Date.now */
	now?: () => number;
	/** feed errors, recoveries and warnings, one line each */
	onWarning?: (text: string) => void;
}

export interface BoardsSource {
	/** boards published so far */
	published(): number;
	/** what feeds the boards, for the dashboard */
	readonly describe: string;
	/** Stops publishing and disconnects. Safe to call twice. */
	stop(): Promise<void>;
}

/**
 * Connects to the broker and publishes the stops' boards now and every `everyMs`.
 * @throws Error naming a stop that is not in the feed, or "…: cannot reach broker …"
 */
export async function startBoardsSource(options: BoardsSourceOptions): Promise<BoardsSource> {
	const ttlS = options.ttlS ?? 90;
	const everyMs = options.everyMs ?? Math.min(30_000, Math.floor((ttlS * 1000) / 6));
	const warn = options.onWarning ?? (() => {});
	if (options.simulate ?? true) {
		const bridge = new ArrivalsBridge({
			feed: options.feed,
			stops: options.stops,
			simulate: true,
			ttlS,
			pollMs: everyMs,
			now: options.now,
			onEvent: (e) => {
				// Poll events come every few seconds: only what an engineer should notice is a line.
				if (e.type !== "poll") warn(e.message);
			},
		});
		await bridge.start(options.broker);
		return {
			published: () => bridge.stats.publishes,
			describe: `simulated GTFS-Realtime (delays, crowding, carriages, cancellations) over ${options.feed.dir}`,
			stop: () => bridge.stop(),
		};
	}
	return scheduleOnly(options, ttlS, everyMs, warn);
}

/** The schedule alone through StopBoards, on its own client. */
async function scheduleOnly(options: BoardsSourceOptions, ttlS: number, everyMs: number, warn: (text: string) => void): Promise<BoardsSource> {
	const client = await connectOps(options.broker, opsClientId("boards"), "boards");
	let boards: StopBoards;
	try {
		boards = new StopBoards({ client, feed: options.feed, stops: options.stops, ttlS, now: options.now, onWarning: warn });
	} catch (e) {
		await client.endAsync(true);
		throw e;
	}
	let stopped = false;
	let inFlight: Promise<unknown> = Promise.resolve();
	const tick = () => {
		// One publish round at a time: a slow broker must not pile rounds up.
		if (stopped) return;
		inFlight = inFlight.then(() => (stopped || !client.connected ? undefined : boards.publish())).catch((e: unknown) => warn((e as Error).message));
	};
	// A reconnect may mean a restarted broker that lost its retained boards and timetables.
	client.on("connect", () => {
		boards.resend();
		tick();
	});
	tick();
	const timer = setInterval(tick, everyMs);
	return {
		published: () => boards.stats.boards,
		describe: `schedule only: ${options.feed.dir}`,
		async stop() {
			stopped = true;
			clearInterval(timer);
			await inFlight;
			await client.endAsync(true);
		},
	};
}
