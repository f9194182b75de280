/*
 * Publishes stop boards and timetable slices for a set of stops (the core of
 * the arrivals bridge, tools/ops/arrivals-bridge.ts): each stop's board is
 * resolved from the GTFS static feed and the latest GTFS-Realtime messages
 * (tools/gtfs/realtime.ts), encoded in the contract's CBOR and published
 * retained (MQTT 3.1.1 §3.3.1.3: a sign that subscribes later, or reconnects,
 * gets the last board at once) on cs/v1/stop/<id>/board, QoS 1, only when:
 *   - what riders would see changed (the board's bytes without its `t`), or
 *   - the board's `t` moved on and the copy on the signs is getting old: a
 *     sign judges staleness from `t` alone (now − t > its TTL, default 90 s,
 *     firmware/apps/stop-sign/departures.ts). An unchanged board is then NOT
 *     re-sent: a small retained freshness tick on …/fresh (contract BoardFresh:
 *     stop, t, and the CRC-32 of the board bytes the signs hold) moves its time
 *     on, once a third of the TTL has passed since the last send — one lost or
 *     late tick still leaves the sign inside its TTL. A sign applies a tick only
 *     to the board with that CRC, so a tick never vouches for a board it missed.
 *     An unchanged board whose `t` did not move (no fresh real-time) gets no
 *     tick: re-confirming it would tell no sign anything.
 * `t`: with no real-time source configured (schedule only) the board's time is
 * "now" — the schedule is as fresh as the clock. With a source configured, `t`
 * is always the feed header's timestamp (never "now"): a stale or dead feed
 * leaves old `t`s, and the signs fall back to their timetable by their own TTL.
 * Until the first real-time message arrives no board is published at all.
 * The timetable slice for the offline fallback goes out retained on
 * …/timetable when first published and then every `timetableEveryS`.
 * Publishes go out in chunks of `publishChunk` awaited together (one PUBACK
 * round trip per chunk, not per stop), so thousands of stops take a few round
 * trips and the event loop breathes between chunks.
 * After a reconnect (`resend()`) everything is re-sent: a broker without
 * persistence has lost its retained boards.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { encodePayload } from "../../firmware/contract/codec";
import { EPOCH_MIN_S } from "../../firmware/contract/board-payloads";
import { boardTopic, freshTopic, timetableTopic } from "../../firmware/contract/topics";
import { crc32 } from "../../firmware/net/outbox/crc32";
import type { FeedMessage } from "../gtfs/realtime";
import { resolveStopBoard } from "../gtfs/realtime";
import type { GtfsFeed } from "../gtfs/static-feed";
import { timetableSlice } from "../gtfs/timetable-slice";

export interface StopBoardsOptions {
	client: MqttClient;
	feed: GtfsFeed;
	stops: readonly string[];
	/** epoch ms */
	now?: () => number;
	/** the latest GTFS-RT messages; absent: schedule only (boards stamped "now") */
	realtime?: () => { trips?: FeedMessage; vehicles?: FeedMessage };
	/** signs' prediction TTL, s: an unchanged board with a newer `t` is re-sent after a third of it @default 90 */
	ttlS?: number;
	/** re-send each timetable slice this often, s @default 3600 */
	timetableEveryS?: number;
	/** timetable slice length, hours @default 24 */
	timetableHours?: number;
	/** departures per board @default 8 */
	max?: number;
	/** publishes awaited together @default 100 */
	publishChunk?: number;
	onWarning?: (text: string) => void;
}

export interface StopBoardsStats {
	/** boards published */
	boards: number;
	/** freshness ticks sent for unchanged boards whose `t` was due (instead of re-sending the board) */
	refreshes: number;
	/** payload bytes of those ticks */
	freshBytes: number;
	/** boards resolved and found unchanged (not published) */
	unchanged: number;
	timetables: number;
	/** payload bytes published (boards and timetables), and each apart */
	bytes: number;
	boardBytes: number;
	timetableBytes: number;
	/** stops that failed to resolve or publish */
	errors: number;
	/** publishes skipped while waiting for the first real-time message */
	waiting: number;
}

/** What one publish() did. */
export interface PublishResult {
	/** stops whose board went out */
	sent: string[];
	unchanged: number;
	timetables: number;
	errors: number;
	/** no real-time message yet: no boards resolved */
	waiting: boolean;
}

type Realtime = { trips?: FeedMessage; vehicles?: FeedMessage };

/** Per trip id: its TripUpdate and VehiclePosition entities, so each stop resolves against its own trips only. */
interface RealtimeIndex {
	trips: Map<string, FeedMessage["entity"]>;
	vehicles: Map<string, FeedMessage["entity"]>;
}

export class StopBoards {
	readonly stats: StopBoardsStats = { boards: 0, refreshes: 0, freshBytes: 0, unchanged: 0, timetables: 0, bytes: 0, boardBytes: 0, timetableBytes: 0, errors: 0, waiting: 0 };
	#o: StopBoardsOptions;
	/** per stop: what riders see (board bytes without `t`), when it was last sent or confirmed, its `t`, and the CRC-32 of the bytes the signs hold */
	#last = new Map<string, { key: Uint8Array; sentS: number; t: number; crc: number }>();
	#timetableS = new Map<string, number>();
	/** per stop: the trips that call there */
	#tripsAt = new Map<string, string[]>();
	#indexed: { of: Realtime; index: RealtimeIndex } | undefined;

	/** @throws Error naming a stop that is not in the feed */
	constructor(options: StopBoardsOptions) {
		for (const stop of options.stops) if (!options.feed.stops.has(stop)) throw new Error(`stop "${stop}" is not in the GTFS feed ${options.feed.dir}`);
		this.#o = options;
		for (const stop of options.stops) this.#tripsAt.set(stop, [...new Set((options.feed.stopTimesByStop.get(stop) ?? []).map((st) => st.tripId))]);
	}

	get stops(): readonly string[] {
		return this.#o.stops;
	}

	/** Forgets what was sent: the next publish() sends every board and timetable (after a reconnect to a broker that may have lost them). */
	resend(): void {
		this.#last.clear();
		this.#timetableS.clear();
	}

	/** Resolves every stop once and publishes what changed. Never throws: a stop that fails is counted and reported through onWarning. */
	async publish(): Promise<PublishResult> {
		const { client, feed } = this.#o;
		const nowMs = (this.#o.now ?? Date.now)();
		const nowS = Math.floor(nowMs / 1000);
		const scheduleOnly = !this.#o.realtime;
		const rt: Realtime = this.#o.realtime?.() ?? {};
		const waiting = !scheduleOnly && !rt.trips && !rt.vehicles;
		const index = waiting || scheduleOnly ? undefined : this.#index(rt);
		const refreshS = Math.floor((this.#o.ttlS ?? 90) / 3);
		const chunk = Math.max(1, this.#o.publishChunk ?? 100);
		const result: PublishResult = { sent: [], unchanged: 0, timetables: 0, errors: 0, waiting };
		if (waiting) this.stats.waiting++;
		const fail = (stop: string, e: unknown) => {
			result.errors++;
			this.stats.errors++;
			this.#o.onWarning?.(`${stop}: ${(e as Error).message}`);
		};
		const stops = this.#o.stops;
		for (let i = 0; i < stops.length; i += chunk) {
			const pending: Promise<void>[] = [];
			for (const stop of stops.slice(i, i + chunk)) {
				try {
					if (!waiting) this.#board(stop, nowS, scheduleOnly, rt, index, refreshS, result, pending, fail);
					const ttS = this.#timetableS.get(stop);
					if (ttS === undefined || nowS - ttS >= (this.#o.timetableEveryS ?? 3600)) {
						const tt = encodePayload("timetable", timetableSlice(feed, stop, nowS, this.#o.timetableHours ?? 24));
						this.#timetableS.set(stop, nowS);
						pending.push(
							client.publishAsync(timetableTopic(stop), Buffer.from(tt), { qos: 1, retain: true }).then(
								() => {
									this.stats.timetables++;
									this.stats.bytes += tt.byteLength;
									this.stats.timetableBytes += tt.byteLength;
									result.timetables++;
								},
								(e) => {
									this.#timetableS.delete(stop);
									fail(stop, e);
								},
							),
						);
					}
				} catch (e) {
					fail(stop, e);
				}
			}
			await Promise.all(pending);
		}
		return result;
	}

	/** Resolves one stop and queues its publish when it changed (or its `t` is due for a re-send). */
	#board(stop: string, nowS: number, scheduleOnly: boolean, rt: Realtime, index: RealtimeIndex | undefined, refreshS: number, result: PublishResult, pending: Promise<void>[], fail: (stop: string, e: unknown) => void): void {
		const { client, feed } = this.#o;
		const { board, warnings } = resolveStopBoard(feed, index ? this.#slice(stop, rt, index) : {}, stop, nowS, { max: this.#o.max });
		for (const w of warnings) this.#o.onWarning?.(`${stop}: ${w}`);
		if (scheduleOnly) board.t = nowS;
		// What the riders see, without the board time: the board is re-sent when this changes (or when its t is due).
		const key = encodePayload("board", { ...board, t: EPOCH_MIN_S });
		const last = this.#last.get(stop);
		if (last && equalBytes(last.key, key)) {
			if (!(board.t > last.t && nowS - last.sentS >= refreshS)) {
				this.stats.unchanged++;
				result.unchanged++;
				return;
			}
			// Unchanged but its time is due: confirm the board the signs hold instead of re-sending it.
			const tick = encodePayload("fresh", { v: 1, stop, t: board.t, crc: last.crc });
			const confirmed = { ...last, sentS: nowS, t: board.t };
			this.#last.set(stop, confirmed);
			pending.push(
				client.publishAsync(freshTopic(stop), Buffer.from(tick), { qos: 1, retain: true }).then(
					() => {
						this.stats.refreshes++;
						this.stats.bytes += tick.byteLength;
						this.stats.freshBytes += tick.byteLength;
					},
					(e) => {
						// Not delivered: go back to the last confirmed time, so the next publish() tries again.
						if (this.#last.get(stop) === confirmed) this.#last.set(stop, last);
						fail(stop, e);
					},
				),
			);
			return;
		}
		const bytes = encodePayload("board", board);
		this.#last.set(stop, { key, sentS: nowS, t: board.t, crc: crc32(bytes) });
		pending.push(
			client.publishAsync(boardTopic(stop), Buffer.from(bytes), { qos: 1, retain: true }).then(
				() => {
					this.stats.boards++;
					this.stats.bytes += bytes.byteLength;
					this.stats.boardBytes += bytes.byteLength;
					result.sent.push(stop);
				},
				(e) => {
					// Not delivered: forget it, so the next publish() tries again.
					if (this.#last.get(stop)?.key === key) this.#last.delete(stop);
					fail(stop, e);
				},
			),
		);
	}

	/** Indexes the entities by trip id once per new pair of messages; reports trips the static feed lacks (once per message). */
	#index(rt: Realtime): RealtimeIndex {
		const had = this.#indexed;
		if (had && had.of.trips === rt.trips && had.of.vehicles === rt.vehicles) return had.index;
		const unknown = new Set<string>();
		const byTrip = (msg: FeedMessage | undefined, pick: "tripUpdate" | "vehicle") => {
			const out = new Map<string, FeedMessage["entity"]>();
			for (const e of msg?.entity ?? []) {
				const id = e[pick]?.trip?.tripId;
				if (!id) continue;
				if (!this.#o.feed.trips.has(id)) unknown.add(id);
				let list = out.get(id);
				if (!list) out.set(id, (list = []));
				list.push(e);
			}
			return out;
		};
		const index = { trips: byTrip(rt.trips, "tripUpdate"), vehicles: byTrip(rt.vehicles, "vehicle") };
		this.#indexed = { of: rt, index };
		if (unknown.size > 0) {
			const ids = [...unknown];
			this.#o.onWarning?.(`real-time names ${ids.length} trip(s) not in the static feed, ignored: ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}`);
		}
		return index;
	}

	/** The messages cut down to the trips that call at `stop` (same header, so `t` is the feed's timestamp). */
	#slice(stop: string, rt: Realtime, index: RealtimeIndex): Realtime {
		const cut = (msg: FeedMessage | undefined, map: Map<string, FeedMessage["entity"]>): FeedMessage | undefined => {
			if (!msg) return undefined;
			const entity: FeedMessage["entity"] = [];
			for (const trip of this.#tripsAt.get(stop) ?? []) {
				const list = map.get(trip);
				if (list) for (const e of list) entity.push(e);
			}
			return { header: msg.header, entity } as unknown as FeedMessage;
		};
		return { trips: cut(rt.trips, index.trips), vehicles: cut(rt.vehicles, index.vehicles) };
	}
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.byteLength !== b.byteLength) return false;
	for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
	return true;
}

/** How often the simulator's publisher resolves and publishes (a typical GTFS-RT poll). */
export const BOARD_EVERY_MS = 30_000;

/**
 * Publishes `stops`' boards and timetables from `feed` (schedule only) now and every BOARD_EVERY_MS of the given
 * clock: a virtual clock's when the devices run on one, else real time. For the simulator and the demo.
 */
export async function startStopBoards(url: string, feed: GtfsFeed, stops: readonly string[], virtual?: VirtualClock, onWarning = (w: string) => console.error(`boards: ${w}`)): Promise<{ boards: StopBoards; stop(): Promise<void> }> {
	const client = await mqtt.connectAsync(url, { clientId: `cs-boards-${Math.random().toString(16).slice(2, 10)}` });
	const boards = new StopBoards({ client, feed, stops, now: virtual ? () => virtual.now() : Date.now, onWarning });
	let stopped = false;
	const tick = () => {
		if (stopped) return;
		void boards.publish();
		if (virtual) virtual.schedule(BOARD_EVERY_MS, tick);
	};
	tick();
	const timer = virtual ? undefined : setInterval(tick, BOARD_EVERY_MS);
	return {
		boards,
		async stop() {
			stopped = true;
			if (timer) clearInterval(timer);
			await client.endAsync(true);
		},
	};
}
