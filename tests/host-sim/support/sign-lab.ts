/*
 * A stop-sign lab for the end-to-end suite: one simulated sign running the
 * real firmware on a virtual clock, Mosquitto on loopback, and a test client
 * in the cloud's place that publishes the time beacon, boards and timetables
 * (retained, on the contract's topics) and anything malformed a test wants.
 *
 * What the sign shows is read where a rider would read it: the controller
 * model's glass (host-sim/panel-image.ts). What it says is read from its log
 * (Fleet onLine) and from the audio button's "tts:" line, which is built from
 * the same ScreenModel as the screen (announce.ts), so a test can tell a
 * minute count from a timetable clock without a hook into the app.
 * Node only.
 */
import mqtt, { type MqttClient } from "mqtt";
import { VirtualClock } from "../../../host-sim/bridge/virtual-clock";
import { Fleet } from "../../../host-sim/fleet";
import type { SimDevice } from "../../../host-sim/device";
import type { SimBoard } from "../../../host-sim/io/board";
import { panelImage, type PanelImage } from "../../../host-sim/panel-image";
import { panelFor } from "../../../firmware/apps/stop-sign/panels-table";
import { encodePayload } from "../../../firmware/contract/codec";
import type { BoardDeparture, StopBoard, StopTimetable } from "../../../firmware/contract/board-payloads";
import { TIME_TOPIC, boardTopic, freshTopic, timetableTopic } from "../../../firmware/contract/topics";
import type { Rect } from "../../../firmware/gfx/types";
import type { TestBroker } from "../../support/brokers";

/** Virtual ms per step; MQTT traffic flows between steps. */
export const STEP_MS = 250;
/** The sign's redraw period (app.ts TICK_MS). */
export const TICK_MS = 5_000;
/** Audio button GPIO of the generic sign boards (manifests/boards/generic-epd*.json audioPin). */
export const AUDIO_PIN = 0;

/** The counters and state every e-paper controller model exposes (SSD1680Model, UC8179Model). */
export interface ControllerModel {
	fullRefreshes: number;
	partialRefreshes: number;
	deepSleeps: number;
	violations: string[];
	readonly busy: boolean;
}

export interface SignLabOptions {
	broker: TestBroker;
	/** catalog board with a panel (host-sim/boards.ts) */
	board: string;
	/** a stop id of its own per lab, so retained boards of one suite never reach another */
	stopId: string;
	id?: string;
	/** mc/config overrides */
	config?: Record<string, unknown>;
	/** board scenario (e.g. { environment: (ticks) => ({ celsius, relativeHumidity }) }) */
	scenario?: unknown;
	/** publish the time beacon every minute of virtual time @default true */
	beacon?: boolean;
}

export class SignLab {
	readonly clock = new VirtualClock();
	readonly lines: string[] = [];
	readonly o: SignLabOptions;
	readonly id: string;
	fleet!: Fleet;
	device!: SimDevice;
	client!: MqttClient;
	/** uncaught errors of timers inside the device (a crash must fail the test, not vanish) */
	readonly errors: unknown[] = [];
	#beaconOn = true;

	constructor(options: SignLabOptions) {
		this.o = options;
		this.id = options.id ?? `sign-${options.stopId.toLowerCase()}`;
	}

	get stopId(): string {
		return this.o.stopId;
	}

	/** Epoch seconds on the lab's (and, once synced, the sign's) clock. */
	nowS(): number {
		return Math.floor(this.clock.now() / 1000);
	}

	/** Connects the cloud client, boots the sign, waits for its clock to sync and its panel to be open. */
	async start(): Promise<void> {
		const o = this.o;
		this.client = await mqtt.connectAsync(o.broker.url, { clientId: `cloud-${this.id}`, reconnectPeriod: 200 });
		this.fleet = new Fleet({ broker: { host: "127.0.0.1", port: o.broker.port }, clock: this.clock, onLine: (_id, line) => this.lines.push(line) });
		this.device = await this.fleet.add({ id: this.id, role: "stop-sign", board: o.board, scenario: o.scenario, config: { stopId: o.stopId, keepaliveMs: 60_000, backoffMinMs: 500, backoffMaxMs: 5_000, ...o.config } });
		this.#beaconOn = o.beacon !== false;
		const beat = () => {
			if (this.#beaconOn) this.sendTime();
			this.clock.schedule(60_000, beat);
		};
		this.clock.schedule(1_000, beat);
		this.boot();
		await this.until(() => this.has("clock synced"), "clock synced", 180_000);
	}

	/** Powers the sign on (again) and waits until the app runs. */
	boot(): void {
		const runtime = this.device.boot();
		if (!runtime) throw new Error(`${this.id}: did not boot (${this.device.bricked ?? "bundle not ready"})`);
	}

	/** Publishes the time beacon with the virtual clock's now. */
	sendTime(): void {
		if (this.client.connected) this.client.publish(TIME_TOPIC, Buffer.from(encodePayload("time", { v: 1, now: this.clock.now() })), { qos: 0 });
	}

	async close(): Promise<void> {
		this.#beaconOn = false;
		this.fleet?.shutdown();
		await this.client?.endAsync(true);
	}

	// ---- time ----

	/** Advances virtual time by `ms` in STEP_MS steps, yielding to sockets; `each` runs (and is awaited) after every step. */
	async run(ms: number, each?: () => void | Promise<void>, stepMs = STEP_MS): Promise<void> {
		const end = this.clock.ticks() + ms;
		while (this.clock.ticks() < end) {
			this.clock.advance(Math.min(stepMs, end - this.clock.ticks()), (e) => this.errors.push(e));
			await new Promise((r) => setImmediate(r));
			await each?.();
		}
	}

	/**
	 * Holds virtual time (real time passes) until `done`, at most `realMs`: a message in flight through the broker
	 * takes real milliseconds, which at hundreds of virtual seconds per real ms would land minutes late on the sign.
	 * @returns whether `done` came true
	 */
	async hold(done: () => boolean, realMs = 2_000): Promise<boolean> {
		const end = Date.now() + realMs;
		while (!done()) {
			if (Date.now() > end) return false;
			await new Promise((r) => setImmediate(r));
		}
		return true;
	}

	/** Boards the sign has taken in or refused so far (log lines, across boots). */
	boardsHeard(): number {
		return this.lines.filter((l) => /stop-sign: board #\d+ for stop|board refused/.test(l)).length;
	}

	/**
	 * Advances virtual time slowly (50 ms per real ms or so) until `done`; throws after `maxVirtualMs`
	 * of device time or 30 s of real time (failure bounds, not timing assertions).
	 */
	async until(done: () => boolean, what: string, maxVirtualMs = 60_000): Promise<void> {
		const end = this.clock.ticks() + maxVirtualMs;
		const realEnd = Date.now() + 30_000;
		while (!done()) {
			if (this.clock.ticks() >= end || Date.now() > realEnd) throw new Error(`${this.id}: timed out waiting for ${what}; last lines:\n${this.lines.slice(-12).join("\n")}`);
			this.clock.advance(50, (e) => this.errors.push(e));
			await new Promise((r) => setTimeout(r, 1));
		}
	}

	/** Runs until the panel model is idle and no update is waiting (a refresh in flight has landed). */
	async settle(): Promise<void> {
		// A refresh takes the model's BUSY time (UC8179 full 4 s, SSD1680 full ~3.5 s) plus the driver's wake and write.
		await this.run(6_000);
		await this.until(() => !this.controller().busy, "panel idle", 20_000);
	}

	// ---- log ----

	/** Position in the log, for `since`. */
	mark(): number {
		return this.lines.length;
	}
	since(mark: number): string[] {
		return this.lines.slice(mark);
	}
	has(text: string, from = 0): boolean {
		return this.lines.slice(from).some((l) => l.includes(text));
	}

	// ---- the panel ----

	controller(): ControllerModel {
		const spec = panelFor(this.o.board);
		const parts = this.parts();
		if (!spec || !parts[spec.controller]) throw new Error(`${this.id}: board ${this.o.board} has no panel model`);
		return parts[spec.controller] as ControllerModel;
	}

	parts(): Record<string, unknown> {
		return ((this.device.bridge?.board as SimBoard | undefined)?.parts ?? {}) as Record<string, unknown>;
	}

	/** What the glass shows now, turned to the rider's view. */
	image(): PanelImage {
		const image = panelImage(this.o.board, this.parts());
		if (!image) throw new Error(`${this.id}: no panel image`);
		return image;
	}

	// ---- the cloud's side ----

	/** Publishes raw bytes on the stop's board (or timetable, or freshness tick) topic, retained; resolves when the broker has them. */
	async publishRaw(bytes: Uint8Array, kind: "board" | "timetable" | "fresh" = "board", retain = true): Promise<void> {
		const topic = kind === "board" ? boardTopic(this.o.stopId) : kind === "fresh" ? freshTopic(this.o.stopId) : timetableTopic(this.o.stopId);
		await this.client.publishAsync(topic, Buffer.from(bytes), { qos: 1, retain });
	}

	/**
	 * Publishes `payload` on the board topic and runs until the sign has taken it in or refused it.
	 * @returns the log lines from the publish on
	 */
	async sendBoard(payload: StopBoard | Uint8Array): Promise<string[]> {
		const from = this.mark();
		const before = this.#boardLines(from);
		await this.publishRaw(payload instanceof Uint8Array ? payload : encodePayload("board", payload));
		await this.until(() => this.#boardLines(from) > before, "the board to be taken in or refused", 30_000);
		return this.since(from);
	}

	async sendTimetable(timetable: StopTimetable): Promise<void> {
		await this.publishRaw(encodePayload("timetable", timetable), "timetable");
		// The timetable is taken in silently unless it is trimmed or refused; the redraw it causes is what a test waits for.
		await this.run(2_000);
	}

	#boardLines(from: number): number {
		return this.since(from).filter((l) => /stop-sign: board #\d+ for stop|board refused/.test(l)).length;
	}

	/** A board for this stop at `t` (epoch s, default now) with `deps`. */
	board(deps: BoardDeparture[], t = this.nowS(), extra: Partial<StopBoard> = {}): StopBoard {
		return { v: 1, stop: this.o.stopId, name: "Fish Market", nameZh: "鱼市场", t, tz: 480, deps, ...extra };
	}

	/** A scheduled departure `inMin` minutes from now. */
	sched(route: string, dest: string, inMin: number, trip = `${route}-${inMin}`): BoardDeparture {
		return { trip, route, dest, sched: this.nowS() + inMin * 60, st: "sched" };
	}

	/** A live departure predicted `inMin` minutes from now (scheduled a minute earlier). */
	live(route: string, dest: string, inMin: number, trip = `${route}-live-${inMin}`): BoardDeparture {
		const pred = this.nowS() + inMin * 60;
		return { trip, route, dest, sched: pred - 60, pred, st: "live" };
	}

	/** A day of timetable: route 1 and X2 alternating every 10 minutes from the next whole minute. */
	timetable(): StopTimetable {
		const from = this.nowS();
		const deps: number[] = [];
		for (let m = 7; m < 24 * 60; m += 10) deps.push(m, (m / 10) & 1, (m / 10) & 1);
		return { v: 1, stop: this.o.stopId, name: "Fish Market", nameZh: "鱼市场", tz: 480, from, until: from + 86_400, routes: ["1", "X2"], dests: ["Ferry Pier", "Railway Station"], destsZh: ["渡轮码头", "火车站"], deps };
	}

	// ---- the audio button ----

	/** Presses the audio button (pulls the pin low, releases it) and returns the "tts:" lines it produced. */
	async press(): Promise<string[]> {
		const pin = (this.device.bridge!.board as SimBoard).pin(AUDIO_PIN);
		const from = this.mark();
		pin.drive(0);
		await this.run(200, undefined, 50);
		pin.drive(undefined);
		await this.run(200, undefined, 50);
		return this.since(from).filter((l) => l.includes("tts: "));
	}
}

/** Pixels that differ between two images of the same size inside `area` (the whole image by default). */
export function differingPixels(a: PanelImage, b: PanelImage, area?: Rect): number {
	if (a.width !== b.width || a.height !== b.height) throw new Error(`images differ in size: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
	const r = area ?? { x: 0, y: 0, w: a.width, h: a.height };
	let n = 0;
	for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (a.gray[y * a.width + x] !== b.gray[y * a.width + x]) n++;
	return n;
}

/** Ink pixels (gray < 8) inside `area`. */
export function inkPixels(image: PanelImage, area: Rect): number {
	let n = 0;
	for (let y = area.y; y < area.y + area.h; y++) for (let x = area.x; x < area.x + area.w; x++) if (image.gray[y * image.width + x] < 8) n++;
	return n;
}
