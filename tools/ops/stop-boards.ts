/*
 * Publishes stop boards and timetable slices for a set of stops (the core of
 * the arrivals bridge): each stop's board is resolved from the GTFS static
 * feed and the latest GTFS-Realtime messages (tools/gtfs/realtime.ts), encoded
 * in the contract's CBOR and published retained on cs/v1/stop/<id>/board,
 * only when its bytes changed or it is getting old on the signs (a sign
 * judges staleness from the board's `t`, so an unchanged board is re-sent
 * before a third of the TTL has passed). The timetable slice for the offline
 * fallback goes out retained on …/timetable when first published and then
 * every `timetableEveryS`.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { encodePayload } from "../../firmware/contract/codec";
import { EPOCH_MIN_S } from "../../firmware/contract/board-payloads";
import { boardTopic, timetableTopic } from "../../firmware/contract/topics";
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
	/** the latest GTFS-RT messages (undefined: schedule only) */
	realtime?: () => { trips?: FeedMessage; vehicles?: FeedMessage };
	/** signs' prediction TTL, s: an unchanged board is re-sent after a third of it @default 90 */
	ttlS?: number;
	/** re-send each timetable slice this often, s @default 3600 */
	timetableEveryS?: number;
	/** departures per board @default 8 */
	max?: number;
	onWarning?: (text: string) => void;
}

export interface StopBoardsStats {
	boards: number;
	unchanged: number;
	timetables: number;
	bytes: number;
	errors: number;
}

export class StopBoards {
	readonly stats: StopBoardsStats = { boards: 0, unchanged: 0, timetables: 0, bytes: 0, errors: 0 };
	#o: StopBoardsOptions;
	#last = new Map<string, { key: Uint8Array; sentS: number }>();
	#timetableS = new Map<string, number>();

	/** @throws Error naming a stop that is not in the feed */
	constructor(options: StopBoardsOptions) {
		for (const stop of options.stops) if (!options.feed.stops.has(stop)) throw new Error(`stop "${stop}" is not in the GTFS feed ${options.feed.dir}`);
		this.#o = options;
	}

	/** Resolves and publishes every stop once. @returns the stops whose board went out */
	async publish(): Promise<string[]> {
		const { client, feed } = this.#o;
		const nowMs = (this.#o.now ?? Date.now)();
		const nowS = Math.floor(nowMs / 1000);
		const rt = this.#o.realtime?.() ?? {};
		const refreshS = Math.floor((this.#o.ttlS ?? 90) / 3);
		const sent: string[] = [];
		for (const stop of this.#o.stops) {
			try {
				const { board, warnings } = resolveStopBoard(feed, rt, stop, nowS, { max: this.#o.max });
				for (const w of warnings) this.#o.onWarning?.(`${stop}: ${w}`);
				// Without real-time the board's time is "now": the schedule is as fresh as the clock.
				if (!rt.trips) board.t = nowS;
				const bytes = encodePayload("board", board);
				// What the riders see, without the board time: the board is re-sent when this changes (or when it ages).
				const key = encodePayload("board", { ...board, t: EPOCH_MIN_S });
				const last = this.#last.get(stop);
				if (last && equalBytes(last.key, key) && nowS - last.sentS < refreshS) {
					this.stats.unchanged++;
				} else {
					await client.publishAsync(boardTopic(stop), Buffer.from(bytes), { qos: 1, retain: true });
					this.#last.set(stop, { key, sentS: nowS });
					this.stats.boards++;
					this.stats.bytes += bytes.byteLength;
					sent.push(stop);
				}
				const ttS = this.#timetableS.get(stop);
				if (ttS === undefined || nowS - ttS >= (this.#o.timetableEveryS ?? 3600)) {
					const tt = encodePayload("timetable", timetableSlice(feed, stop, nowS));
					await client.publishAsync(timetableTopic(stop), Buffer.from(tt), { qos: 1, retain: true });
					this.#timetableS.set(stop, nowS);
					this.stats.timetables++;
					this.stats.bytes += tt.byteLength;
				}
			} catch (e) {
				this.stats.errors++;
				this.#o.onWarning?.(`${stop}: ${(e as Error).message}`);
			}
		}
		return sent;
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
