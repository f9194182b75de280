/*
 * The stop-sign firmware booted inside xsnap for its heap figures
 * (tools/bench/sign-bench.ts): the real boot (firmware/runtime/boot.ts) on
 * the bench bridge (bench/xs-sign-bridge.ts: the configured board with its
 * panel model, the shipped fonts), offline (no broker in XS: the session
 * backs off as a sign with no link would).
 *
 * The cloud's side runs on the device's virtual clock, as messages handed to
 * the session's onMessage, the path a PUBLISH from the broker takes: a time
 * beacon (so departures are judged against a set clock), the stop's
 * timetable once, and a fresh board every BOARD_EVERY_MS (the arrivals
 * bridge's cadence), each CBOR-encoded by the device codec. The sign itself
 * redraws every 5 s (its TICK_MS) and refreshes the panel as its policy says.
 * Each step is a function on globalThis.__benchSignApp, one xsnap evaluation.
 */
import { bridge } from "./xs-sign-bridge";
import { boot } from "../firmware/runtime/boot";
import { encodePayload } from "../firmware/contract/codec";
import { boardTopic, TIME_TOPIC, timetableTopic } from "../firmware/contract/topics";
import { BENCH_STOP, benchBoard, benchTimetable } from "./xs-sign-fixtures";

/** How often the cloud publishes a fresh board (well inside the sign's 90 s TTL). */
const BOARD_EVERY_MS = 30_000;
/** The stop's UTC offset, minutes (the demo feed's Asia/Hong_Kong). */
const TZ_MIN = 480;
/** Hours of timetable the cloud sends: the whole run and then some. */
const TIMETABLE_HOURS = 8;

let runtime: ReturnType<typeof boot> | undefined;
let fired = 0;
const fed = { boards: 0, boardBytes: 0, timetableBytes: 0 };
/** The firmware's last log lines (a warning here explains a figure). */
const lines: string[] = [];

function deliver(topic: string, payload: Uint8Array): void {
	const session = runtime?.session;
	if (!session?.onMessage) throw new Error("bench: no session to deliver to");
	session.onMessage(topic, payload);
}

function publishBoard(): void {
	const payload = encodePayload("board", benchBoard(Math.floor(bridge.clock.now() / 1000), TZ_MIN));
	fed.boards++;
	fed.boardBytes = payload.byteLength;
	deliver(boardTopic(BENCH_STOP), payload);
	bridge.clock.schedule(BOARD_EVERY_MS, publishBoard);
}

(globalThis as Record<string, unknown>).__benchSignApp = {
	boot() {
		runtime = boot((line) => {
			lines.push(line);
			if (lines.length > 20) lines.shift();
		});
		if (runtime.state !== "running") throw new Error("boot halted");
	},
	/** The cloud starts talking: time, timetable, then boards (the sign ignores the stop topics when it has no stopId). */
	feed() {
		deliver(TIME_TOPIC, encodePayload("time", { v: 1, now: bridge.clock.now() }));
		const timetable = encodePayload("timetable", benchTimetable(Math.floor(bridge.clock.now() / 1000), TIMETABLE_HOURS, TZ_MIN));
		fed.timetableBytes = timetable.byteLength;
		deliver(timetableTopic(BENCH_STOP), timetable);
		publishBoard();
	},
	/** Advances the virtual clock: the sign's ticks, panel refreshes, the cloud's boards. */
	run(ms: number) {
		fired = bridge.clock.advance(ms);
	},
	/** Where the sign stands (queried): clock, the last run's callbacks, what was fed, the panel model's counters, the self-test. */
	status() {
		const model = (bridge.board as { parts: Record<string, unknown> } | undefined)?.parts.uc8179 as { fullRefreshes: number; partialRefreshes: number; deepSleeps: number; violations: string[] } | undefined;
		const self = runtime?.app?.selfTest?.();
		return {
			ticks: bridge.clock.ticks(),
			fired,
			fed,
			panel: model && { full: model.fullRefreshes, partial: model.partialRefreshes, deepSleeps: model.deepSleeps, violations: model.violations.slice(0, 5) },
			selfTest: self && { state: self.state, detail: self.detail },
			log: lines.filter((l) => /warn|error/i.test(l) && !/ mqtt: /.test(l)).slice(-5),
		};
	},
};
