/*
 * Stop-sign application (README "Stop sign"). It follows its stop's retained
 * board and timetable topics and keeps the e-paper honest:
 *
 *   board (cs/v1/stop/<id>/board)        the cloud's resolved departures; a payload
 *                                        that fails the contract is refused and the
 *                                        last good board stays
 *   fresh (…/fresh)                      "your board is still current as of t": moves the
 *                                        held board's time on, only if it names that board
 *   timetable (…/timetable)              persisted (bounded, power-cut safe) for the
 *                                        offline fallback
 *   every TICK_MS                        departures.ts decides what is true now
 *                                        (TTL, Due, stale → timetable clock times),
 *                                        screen.ts lays it out, panel-display.ts
 *                                        refreshes only what changed, as the
 *                                        refresh policy allows
 *   audio button (audioPin)              reads the next departures out as a text
 *                                        event ("tts" log line) for a TTS module
 *
 * A board without a panel (a bare DevKitC) runs headless: the same logic, no
 * pixels. The OTA self-test passes once a panel refresh has completed (or,
 * headless, once a board has been taken in).
 */
import device from "embedded:provider/builtin";
import Time from "time";
import type { EPaperPanel } from "../../../drivers/epaper";
import { SHT3x } from "../../../drivers/sht3x";
import { decodePayload } from "../../contract/codec";
import { EPOCH_MIN_S, type BoardFresh, type StopBoard, type StopTimetable } from "../../contract/board-payloads";
import { boardTopic, freshTopic, timetableTopic } from "../../contract/topics";
import { crc32 } from "../../net/outbox/crc32";
import { describeError } from "../../runtime/errors";
import type { App, AppContext } from "../app";
import { announce } from "./announce";
import { FUTURE_TOLERANCE_S, showDepartures } from "./departures";
import { font } from "./fonts";
import { layoutFor } from "./layouts";
import { PanelDisplay } from "./panel-display";
import { openPanel, panelFor } from "./panels";
import { NvsRefreshStore } from "./refresh-store";
import { RefreshPolicy } from "./refresh-policy";
import { composeScreen } from "./screen";
import type { ScreenModel } from "./screen-model";
import { TimetableStore } from "./timetable-store";

/** How often "now" is re-judged: a prediction turns stale at most this late, a minute count is at most this late. */
const TICK_MS = 5_000;
/** A board bigger than this is refused before decoding (the contract's own bounds come to ~6 KB). */
const MAX_BOARD_BYTES = 16_384;
const MAX_TIMETABLE_BYTES = 32_768;
const CELSIUS_MS = 60_000;
const BUTTON_DEBOUNCE_MS = 50;

/* eslint-disable @typescript-eslint/no-explicit-any */
const provider = device as any;

export interface StopSignStats {
	boards: number;
	boardsRefused: number;
	timetables: number;
	timetablesRefused: number;
	/** freshness ticks applied, refused (malformed, another stop, ahead of the clock), and ignored (another board's CRC) */
	fresh: number;
	freshRefused: number;
	freshIgnored: number;
	announcements: number;
	lastRefusal?: string;
}

export function createStopSign(context: AppContext): App {
	const { config, log, session, scheduler } = context;
	const stopId = config.get("stopId");
	const boardName = config.get("board");
	const spec = panelFor(boardName);
	const stats: StopSignStats = { boards: 0, boardsRefused: 0, timetables: 0, timetablesRefused: 0, fresh: 0, freshRefused: 0, freshIgnored: 0, announcements: 0 };
	const timetables = new TimetableStore();
	let board: StopBoard | undefined;
	let timetable: StopTimetable | undefined = safely(() => timetables.load(), "stored timetable unreadable");
	let model: ScreenModel | undefined;
	let display: PanelDisplay | undefined;
	let panel: EPaperPanel | undefined;
	let celsius: number | undefined;
	let sht: SHT3x | undefined;
	let button: { close(): void } | undefined;
	const topics = stopId ? { board: boardTopic(stopId), timetable: timetableTopic(stopId), fresh: freshTopic(stopId) } : undefined;
	/** CRC-32 of the payload bytes of the board held: a freshness tick must name exactly this board. */
	let boardCrc = -1;

	function safely<T>(fn: () => T, what: string): T | undefined {
		try {
			return fn();
		} catch (e) {
			log.warn(`${what}: ${describeError(e)}`);
			return undefined;
		}
	}

	function current(): ScreenModel {
		return showDepartures({
			board,
			timetable,
			now: context.epoch(),
			ttlS: config.get("boardTtlS"),
			dueS: config.get("dueS"),
			stopName: stopId,
		});
	}

	/** "live", "timetable (stale)", …: what the screen is built from and why (README "What is true, and who decides it"). */
	function sourceOf(m: ScreenModel): string {
		return m.notice ? `${m.source} (${m.notice})` : m.source;
	}

	function redraw(): void {
		const before = model && sourceOf(model);
		model = current();
		const after = sourceOf(model);
		// One line per change of source or notice, so a log (and the demo dashboard) shows when the sign fell back or recovered.
		if (after !== before) log.info(`screen: ${before ?? "boot"} → ${after}`);
		if (!display || !spec) return;
		const m = model;
		const ops = safely(() => composeScreen(m, layoutFor(spec.layout, config.get("largeText")), font, { bilingual: config.get("signLang") === "zh-en" }), "screen not composed");
		if (ops) display.show(ops);
	}

	function refuse(kind: "board" | "timetable" | "fresh", reason: string): void {
		if (kind === "board") stats.boardsRefused++;
		else if (kind === "timetable") stats.timetablesRefused++;
		else stats.freshRefused++;
		stats.lastRefusal = `${kind}: ${reason}`;
		// The last good payload stays on the screen; the refusal is visible in the log and in stats.
		log.warn(`${kind} refused, last good one kept: ${reason}`);
	}

	/** `b` is stamped further ahead of the sign's clock than departures.ts trusts (false while the clock is not set). */
	function aheadOfClock(b: StopBoard): boolean {
		const now = context.epoch();
		return now !== undefined && b.t * 1000 > now + FUTURE_TOLERANCE_S * 1000;
	}

	function takeBoard(payload: Uint8Array): void {
		if (payload.byteLength === 0) return refuse("board", "empty payload (retained board cleared?)");
		if (payload.byteLength > MAX_BOARD_BYTES) return refuse("board", `${payload.byteLength} bytes (max ${MAX_BOARD_BYTES})`);
		let b: StopBoard;
		try {
			b = decodePayload("board", payload);
		} catch (e) {
			return refuse("board", describeError(e));
		}
		if (b.stop !== stopId) return refuse("board", `for stop ${b.stop}, this sign shows ${stopId}`);
		// Boards only move forward, except past one the sign does not trust: a board stamped beyond the future tolerance
		// (departures.ts shows the timetable and a notice for it) must not lock out the honest boards after it until the clock catches up.
		if (board && b.t < board.t && !aheadOfClock(board)) return refuse("board", `older than the one shown (t ${b.t} < ${board.t})`);
		board = b;
		boardCrc = crc32(payload);
		stats.boards++;
		log.info(`board #${stats.boards} for stop ${stopId}: ${b.deps.length} departures, ${payload.byteLength} bytes`);
		redraw();
	}

	/**
	 * A freshness tick (contract BoardFresh): the cloud re-resolved the feed at `t` and the board did not change.
	 * It moves the held board's time forward only when it names that very board (CRC of its bytes), so a tick can
	 * never make a board the sign missed, or an older one, look live.
	 */
	function takeFresh(payload: Uint8Array): void {
		if (payload.byteLength === 0) return; // a cleared retained tick: nothing to confirm
		if (payload.byteLength > 64) return refuse("fresh", `${payload.byteLength} bytes`);
		let f: BoardFresh;
		try {
			f = decodePayload("fresh", payload);
		} catch (e) {
			return refuse("fresh", describeError(e));
		}
		if (f.stop !== stopId) return refuse("fresh", `for stop ${f.stop}, this sign shows ${stopId}`);
		if (!board || f.crc !== boardCrc) {
			stats.freshIgnored++;
			log.debug(`fresh tick for a board this sign does not hold (crc ${f.crc}), ignored`);
			return;
		}
		if (f.t <= board.t) return;
		const now = context.epoch();
		if (now !== undefined && f.t * 1000 > now + FUTURE_TOLERANCE_S * 1000) return refuse("fresh", `t ${f.t} is ahead of the clock`);
		board = { ...board, t: f.t };
		stats.fresh++;
		log.debug(`board confirmed current as of ${f.t}`);
		redraw();
	}

	function takeTimetable(payload: Uint8Array): void {
		if (payload.byteLength === 0 || payload.byteLength > MAX_TIMETABLE_BYTES) return refuse("timetable", `${payload.byteLength} bytes`);
		let t: StopTimetable;
		try {
			t = decodePayload("timetable", payload);
		} catch (e) {
			return refuse("timetable", describeError(e));
		}
		if (t.stop !== stopId) return refuse("timetable", `for stop ${t.stop}, this sign shows ${stopId}`);
		const saved = safely(() => timetables.save(t), "timetable not persisted (kept in RAM)");
		if (saved?.trimmed) log.warn(`timetable trimmed to fit ${saved.bytes} bytes: ${saved.trimmed} later departures left out`);
		// Read back what was stored, so RAM and flash agree on the trimmed slice.
		timetable = (saved && timetables.load()) ?? t;
		stats.timetables++;
		redraw();
	}

	function readCelsius(): void {
		if (!sht) return;
		const s = sht.sample();
		celsius = s?.temperature;
	}

	function say(): void {
		const m = model ?? current();
		const lang = config.get("signLang") === "zh-en" ? "zh" : "en";
		stats.announcements++;
		// The text event a TTS module speaks; both languages on a bilingual sign.
		log.info(`tts: ${announce(m, "en")}`);
		if (lang === "zh") log.info(`tts: ${announce(m, "zh")}`);
	}

	function openButton(): void {
		const n = config.get("audioPin");
		if (n < 0) return;
		let last = -Infinity;
		button = safely(
			() =>
				new (device.io.Digital as any)({
					pin: n,
					mode: (device.io.Digital as any).InputPullUp,
					edge: (device.io.Digital as any).Falling,
					onReadable() {
						// A press pulls the pin low; contact bounce inside BUTTON_DEBOUNCE_MS is one press.
						const now = Time.ticks;
						if (now - last < BUTTON_DEBOUNCE_MS) return;
						last = now;
						say();
					},
				}),
			`audio button on GPIO ${n} not opened`,
		);
	}

	async function startPanel(): Promise<void> {
		if (!spec) return;
		try {
			panel = await openPanel(spec, (e) => log.warn(`panel: ${describeError(e)}`));
		} catch (e) {
			log.error(`panel ${spec.controller} not opened: ${describeError(e)}; running headless`);
			return;
		}
		const layout = layoutFor(spec.layout, config.get("largeText"));
		const policy = new RefreshPolicy(new NvsRefreshStore(), {
			fullEvery: config.get("fullEvery"),
			fullMinIntervalS: config.get("fullMinS"),
			fullMaxIntervalS: config.get("fullMaxS"),
			minCelsius: config.get("epdMinC"),
			// After power-on the controller's RAM and the glass are unknown: the first refresh is full.
			coldBoot: true,
		});
		display = new PanelDisplay({
			panel,
			width: layout.width,
			height: layout.height,
			rotation: spec.rotation,
			policy,
			celsius: () => celsius,
			nowS: () => {
				const e = context.epoch();
				// Before the first sync: seconds since boot. A full refresh on that clock is moved onto the wall clock at sync.
				if (e === undefined) return Math.floor(Time.ticks / 1000);
				// Recognised by its value (boot-relative seconds are far below any plausible epoch), not by when it
				// completed: the boot's full refresh is decided on ticks and often lands after the sync (4 s on a UC8179).
				const last = policy.counters().lastFullS;
				if (last !== undefined && last < EPOCH_MIN_S) policy.rebase(Math.floor(e / 1000) - Math.floor(Time.ticks / 1000));
				return Math.floor(e / 1000);
			},
			onUpdate(r) {
				if (r.error) log.warn(`panel ${r.action} refresh failed: ${describeError(r.error)}`);
				else if (r.action === "skip") log.warn(`panel refresh skipped: ${r.reason}`);
				else log.debug(`panel ${r.action} refresh (${r.reason}), ${r.bytes} bytes`);
			},
		});
		redraw();
	}

	return {
		start() {
			if (!topics) log.warn("no stopId configured: the sign has nothing to show");
			else {
				session.subscribe(topics.board);
				session.subscribe(topics.timetable);
				session.subscribe(topics.fresh);
				log.info(`showing departures for stop ${stopId}${spec ? ` on a ${spec.controller} ${spec.width}×${spec.height} panel` : " (no panel on this board: headless)"}`);
			}
			if (provider.I2C?.default) {
				sht = safely(() => new SHT3x({ sensor: { ...provider.I2C.default, io: device.io.I2C, address: 0x44 } as any, onError: () => (celsius = undefined) }), "no SHT3x: panel temperature unknown");
				scheduler.every("sign.celsius", CELSIUS_MS, readCelsius);
			}
			openButton();
			context.commands.register("announce", () => ({ text: announce(model ?? current(), config.get("signLang") === "zh-en" ? "zh" : "en") }));
			scheduler.every("sign.tick", TICK_MS, redraw);
			// The SHT3x's first conversion (started by its constructor) is ready after conversionMs; a sample() before
			// that is undefined. The panel's first refresh waits for it, so a cold boot below the panel's minimum
			// temperature is caught by the cold guard instead of driving the waveform at an unmeasured temperature.
			const s = sht;
			if (s)
				scheduler.after("sign.panel", s.conversionMs, () => {
					readCelsius();
					void startPanel();
				});
			else void startPanel();
		},
		stop() {
			if (topics) {
				session.unsubscribe(topics.board);
				session.unsubscribe(topics.timetable);
				session.unsubscribe(topics.fresh);
			}
			scheduler.cancel("sign.tick");
			scheduler.cancel("sign.celsius");
			scheduler.cancel("sign.panel");
			button?.close();
			button = undefined;
			sht?.close();
			sht = undefined;
			panel?.close();
			panel = undefined;
			display = undefined;
		},
		selfTest() {
			if (!stopId) return { state: "fail", detail: "no stopId configured: the sign has nothing to show" };
			if (!spec) {
				if (stats.boards === 0) return { state: "pending", detail: `no departures board for stop ${stopId} yet (no panel on board ${boardName})` };
				return { state: "pass", detail: `board #${stats.boards} for stop ${stopId} taken in (no panel on board ${boardName})` };
			}
			if (!display) return { state: "pending", detail: `${spec.controller} panel not open yet` };
			if (display.refreshes === 0) return { state: "pending", detail: `no panel refresh completed yet${display.stats.errors ? ` (${display.stats.last})` : ""}` };
			return { state: "pass", detail: `panel refreshed ${display.refreshes} time(s), last: ${display.stats.last}` };
		},
		onMessage(t, payload) {
			if (!topics) return;
			if (t === topics.board) takeBoard(payload);
			else if (t === topics.timetable) takeTimetable(payload);
			else if (t === topics.fresh) takeFresh(payload);
		},
	};
}
