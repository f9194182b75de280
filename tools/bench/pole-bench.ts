/*
 * The light pole's running cost (issue #5). Every figure is an XS meter or a
 * byte count, each with a baseline measured in the same run.
 *
 * XS (xsnap-worker, as benchBoot): the light-pole firmware on the full
 * generic board (host-sim/boards.ts), with DEFAULT_STREET (host-sim/fleet.ts)
 * from 13:00 (XS_STREET_START: the 6 h take in the evening rush and dusk, the
 * cycles run at 19:00 with the lamp on) built inside XS on the device's
 * virtual clock (bench/xs-pole-entry.ts, bench/xs-bridge.ts) and played onto
 * the models: people on the beams, cars over the loops and in the bay,
 * weather, daylight and PM for the sensors.
 * The device is offline (no broker in XS): records accumulate in the outbox
 * and the session backs off, as a pole with no link. Baseline: the same
 * bundle, board and street with parts="" (no part opened: the runtime, the
 * board's free-running models and the street, with nothing reading them).
 *   - heap: live slots (gc() first) above an empty machine, after boot, after
 *     1 h and after 6 h of virtual time; steady = the 1 h → 6 h growth is
 *     within HEAP_BOUND_SLOTS.
 *   - a sampling cycle is one sampleMs (10 s) of virtual time in steady state
 *     (after 6 h): 10 part ticks (radar, beams, bay and loop housekeeping,
 *     presence → lamp, occupancy, the PMS5003 duty cycle), one sample (SHT3x,
 *     BME280 when fitted, VEML7700 → window means and lamp), the street's
 *     events and models in that span, health and reconnect timers when due,
 *     and every 30th cycle a window close, so the mean over 60 cycles
 *     includes the window's share (1/30 of a close). Per cycle: computrons of
 *     one run(sampleMs) evaluation minus an evaluation that fires nothing.
 *   - a window close (AirQualityObserved, CrowdFlowObserved and
 *     TrafficFlowObserved encoded into the flash outbox, the PMS5003 put to
 *     sleep, and the uplink flush it triggers): run(1) onto a 5-minute
 *     boundary minus run(1) onto the second before it, where the same model
 *     timers fire; mean of WINDOW_CLOSES.
 * The simulated parts are JS models on the same machine, so the pole's
 * figures include the models' answers to the firmware's bus traffic (I2C
 * transactions, UART frames), which the device's hardware does for free:
 * the pole − baseline difference is an upper bound on the firmware's cost.
 *
 * Node: bytes per day at the default config. One pole in the host simulator
 * (Fleet, DEFAULT_STREET from 00:00) on a VirtualClock for 24 h against the
 * embedded broker and the ops server (acker, registry; on the virtual clock).
 * Virtual time moves 1 s a step and waits (real time) for the ack of a batch
 * in flight, so no ack times out for want of real time and the run repeats.
 * Two things run on real time on Node: they are kept out of the socket counts
 * and reported beside them as computed per-day figures (device.computed): the MQTT keepalive (keepaliveMs
 * raised to 600 s; PINGREQ+PINGRESP are 4 B per 60 s at most, and none while
 * the 60 s health message keeps the link busy) and the ops time beacon
 * (off here; one QoS 0 PUBLISH a minute to every device when on).
 * Baseline: a naive pole that publishes at QoS 1 one JSON message per 10 s
 * reading (T, RH, pressure, lux, PM1/2.5/10, 2 decimals), per person, per
 * vehicle and per other event (parking, lamp, sensor faults), derived from the
 * records the acker stored, costed with wire-bench's MQTT packet arithmetic
 * (PUBLISH + PUBACK; its connection, birth and health not counted).
 */
import mqtt, { type MqttClient } from "mqtt";
import { encodePayload } from "../../firmware/contract/codec";
import { deviceTopic, parseTopic, TIME_TOPIC } from "../../firmware/contract/topics";
import { bundleFirmware } from "../../host-sim/bundle";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { DEFAULT_STREET, Fleet } from "../../host-sim/fleet";
import { simConfig } from "../../host-sim/manifest-config";
import type { StoredRecord } from "../ops/acker";
import { OpsServer } from "../ops/server";
import { XsnapWorker } from "../xs/xsnap-worker";
import { PUBACK_BYTES, publishBytes, round, settled } from "./wire-bench";
import { bundle, meter, query, ROOT } from "./xs-bench";

/** Local time at the start of the XS runs (see the header). */
const XS_STREET_START = "13:00";
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The role's defaults (manifest.json, manifests/roles/light-pole.json). */
const SAMPLE_MS = 10_000;
const WINDOW_MS = 300_000;
/** The firmware boots this long after power-on, so its 1 s ticks never share a ms with a window boundary. */
const POWER_ON_MS = 500;
/** Virtual time per evaluation while running for hours (well under xsnap's per-evaluation metering limit). */
const CHUNK_MS = 600_000;
const CYCLES = 60;
const WINDOW_CLOSES = 6;
/** A window close is measured against the ms this long before its boundary. */
const REFERENCE_MS = 1_000;
/** Steady state: live slots may move this much between 1 h and 6 h (state such as a parked car or the lamp's level). */
const HEAP_BOUND_SLOTS = 200;

export interface PoleXsSide {
	parts: string;
	/** live heap slots (gc() first) above an empty xsnap machine */
	heapSlots: { afterBoot: number; after1h: number; after6h: number; growth1hTo6h: number; steady: boolean };
	cycle: { computronsMean: number; computronsMin: number; computronsMax: number };
	windowClose: { computrons: number; measured: number };
	/** evaluation overhead subtracted from each cycle (a run that fires nothing) */
	emptyRunComputrons: number;
	partStates: Record<string, string>;
	outbox: { appended: number; pending: number; dropped: number } | undefined;
}

async function xsPole(street: string, parts: string | undefined): Promise<PoleXsSide & { ledger: unknown }> {
	const config = simConfig("light-pole", "generic", { deviceId: "bench-pole", ...(parts === undefined ? {} : { parts }) });
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	try {
		const empty = await meter(worker, "gc(); 1");
		const heap = async () => (await meter(worker, "gc(); 1")).currentHeapCount - empty.currentHeapCount;
		await meter(worker, street);
		await meter(worker, await bundle(config));
		let t = 0;
		const run = async (ms: number) => ((t += ms), meter(worker, `__bench.run(${ms})`));
		const runTo = async (tick: number) => {
			while (t < tick) await run(Math.min(CHUNK_MS, tick - t));
		};
		await run(POWER_ON_MS);
		await meter(worker, "__bench.boot()");
		t = (await query<{ ticks: number }>(worker, "__bench.status()")).ticks;
		const afterBoot = await heap();
		await runTo(HOUR_MS);
		const after1h = await heap();
		await runTo(6 * HOUR_MS);
		const after6h = await heap();

		const overhead = (await meter(worker, "__bench.run(0)")).compute;
		const cycles: number[] = [];
		for (let i = 0; i < CYCLES; i++) cycles.push((await run(SAMPLE_MS)).compute - overhead);
		// Unsynced, windows end on multiples of windowMs ticks, where the LD2410 model's 100 ms frame timer also fires:
		// the close is run(1) onto the boundary minus run(1) onto the second before it (same model timers; the 1 s part
		// tick is at x500 ms), counted when the boundary fires the window's timer and at most one more: the uplink's
		// zero-delay flush its records schedule (a no-op offline) once the outbox holds a full batch.
		const closes: number[] = [];
		const fired = async () => (await query<{ fired: number }>(worker, "__bench.status()")).fired;
		for (let k = 0; closes.length < WINDOW_CLOSES && k < 3 * WINDOW_CLOSES; k++) {
			const boundary = Math.ceil((t + REFERENCE_MS + 2) / WINDOW_MS) * WINDOW_MS;
			await runTo(boundary - REFERENCE_MS - 1);
			const before = await run(1);
			const firedBefore = await fired();
			await runTo(boundary - 1);
			const at = await run(1);
			const extra = (await fired()) - firedBefore;
			if (extra === 1 || extra === 2) closes.push(at.compute - before.compute);
		}
		if (!closes.length) throw new Error(`pole bench (parts "${config.parts}"): no window close could be told apart from other timers`);
		const status = await query<{ parts: Record<string, string>; outbox?: PoleXsSide["outbox"] }>(worker, "__bench.status()");
		const growth = after6h - after1h;
		return {
			parts: String(config.parts),
			heapSlots: { afterBoot, after1h, after6h, growth1hTo6h: growth, steady: Math.abs(growth) <= HEAP_BOUND_SLOTS },
			cycle: { computronsMean: Math.round(cycles.reduce((a, b) => a + b, 0) / CYCLES), computronsMin: Math.min(...cycles), computronsMax: Math.max(...cycles) },
			windowClose: { computrons: Math.round(closes.reduce((a, b) => a + b, 0) / closes.length), measured: closes.length },
			emptyRunComputrons: overhead,
			partStates: status.parts,
			outbox: status.outbox,
			ledger: await query(worker, "__benchStreet.ledger()"),
		};
	} finally {
		await worker.close();
	}
}

export interface PoleXsFigures {
	street: string;
	hours: number;
	heapBoundSlots: number;
	cycleMs: number;
	cycles: number;
	/** what the street put on the pins in the pole's 6 h (+ the cycle and window runs) */
	ledger: unknown;
	pole: PoleXsSide;
	baseline: PoleXsSide;
	/** pole − baseline */
	added: { heapSlotsSteady: number; computronsPerCycle: number; computronsPerWindowClose: number };
}

export async function benchPoleXs(): Promise<PoleXsFigures> {
	const street = await bundleFirmware({ entry: ROOT + "bench/xs-pole-entry.ts", define: { __STREET__: JSON.stringify({ ...DEFAULT_STREET, startTime: XS_STREET_START }) } });
	const { ledger, ...pole } = await xsPole(street, undefined);
	const { ledger: _, ...baseline } = await xsPole(street, "");
	if (!Object.values(pole.partStates).every((s) => s === "ok")) throw new Error(`pole bench: parts not all ok after 6 h: ${JSON.stringify(pole.partStates)}`);
	return {
		street: `DEFAULT_STREET (host-sim/fleet.ts) from ${XS_STREET_START}`,
		hours: 6,
		heapBoundSlots: HEAP_BOUND_SLOTS,
		cycleMs: SAMPLE_MS,
		cycles: CYCLES,
		ledger,
		pole,
		baseline,
		added: {
			heapSlotsSteady: pole.heapSlots.after6h - baseline.heapSlots.after6h,
			computronsPerCycle: pole.cycle.computronsMean - baseline.cycle.computronsMean,
			computronsPerWindowClose: pole.windowClose.computrons - baseline.windowClose.computrons,
		},
	};
}

// ---------------------------------------------------------------- bytes per day

const DEVICE = "bench-pole-day";
/** Off: setInterval's largest delay (~24.8 days), so the beacon sent when the ops server connects is the only one. */
const NO_BEACON_MS = 2_147_483_647;
const CLOUD_TO_DEVICE = new Set(["ack", "cmd", "cfg/desired", "ota/offer", "ota/chunk"]);

export interface PoleDayFigures {
	hours: 24;
	street: string;
	config: Record<string, number>;
	/** what the street put on the pins in the 24 h */
	ledger: Record<string, number>;
	records: { perDay: number; byKind: Record<string, number>; peopleReported: number; vehiclesReported: number };
	device: {
		upBytes: number;
		downBytes: number;
		totalBytes: number;
		bytesPerRecord: number;
		/** MQTT PUBLISH bytes per channel as the broker delivered them (QoS 0 framing), device → cloud and back */
		channels: { up: Record<string, number>; down: Record<string, number> };
		/** socket bytes beyond those messages: CONNECT/CONNACK, SUBSCRIBE/SUBACK */
		session: { up: number; down: number };
		batches: number;
		ackTimeouts: number;
		/** left out of the counts (real-time on Node), computed per day at the defaults */
		computed: { keepaliveMaxBytes: number; timeBeaconBytes: number };
	};
	naive: { qos: 1; messages: { readings: number; people: number; vehicles: number; events: number }; payloadBytes: number; upBytes: number; downBytes: number; totalBytes: number };
	/** naive ÷ device: all of the device's traffic, and its telemetry (up + ack) only */
	ratio: { total: number; telemetry: number };
}

/** The naive pole's JSON messages for what the real one sent as `records`. */
function naiveMessages(records: StoredRecord[]): { kind: "readings" | "people" | "vehicles" | "events"; json: string }[] {
	const out: { kind: "readings" | "people" | "vehicles" | "events"; json: string }[] = [];
	const r2 = (x: unknown) => (typeof x === "number" && !Number.isInteger(x) ? Math.round(x * 100) / 100 : x);
	for (const r of records) {
		const t = r.t ?? r.receivedAt;
		const d = r.data;
		const from = d.dateObservedFrom;
		const to = d.dateObservedTo;
		const spanMs = typeof from === "number" && typeof to === "number" ? to - from : WINDOW_MS;
		if (r.kind === "AirQualityObserved") {
			const reading = { temperature: r2(d.temperature), relativeHumidity: r2(d.relativeHumidity), pressure: r2(d.pressure), illuminance: r2(d.illuminance), pm1: r2(d.pm1), pm25: r2(d.pm25), pm10: r2(d.pm10) };
			const n = Math.max(1, Math.round(spanMs / SAMPLE_MS));
			for (let i = 0; i < n; i++) out.push({ kind: "readings", json: JSON.stringify({ device: r.device, t: t - (n - 1 - i) * SAMPLE_MS, type: "reading", ...reading }) });
		} else if (r.kind === "CrowdFlowObserved") {
			for (const [direction, count] of [["towards", d.peopleCountTowards], ["away", d.peopleCountAway]] as const)
				for (let i = 0; i < (count as number); i++) out.push({ kind: "people", json: JSON.stringify({ device: r.device, t, type: "person", direction }) });
		} else if (r.kind === "TrafficFlowObserved") {
			for (let i = 0; i < (d.intensity as number); i++) out.push({ kind: "vehicles", json: JSON.stringify({ device: r.device, t, type: "vehicle" }) });
		} else out.push({ kind: "events", json: JSON.stringify({ device: r.device, t, type: r.kind, ...Object.fromEntries(Object.entries(d).map(([k, v]) => [k, r2(v)])) }) });
	}
	return out;
}

/** Yields to sockets; while a batch is in flight, waits (real time, up to 2 s once per batch) for its ack. */
async function letAcksIn(stats: () => { batches: number; acks: number; ackTimeouts: number }, waited: { batch: number }): Promise<void> {
	await new Promise((r) => setImmediate(r));
	const s = stats();
	if (s.batches <= s.acks + s.ackTimeouts || waited.batch === s.batches) return;
	waited.batch = s.batches;
	const end = Date.now() + 2_000;
	while (s.batches > stats().acks + stats().ackTimeouts && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
}

export async function benchPoleDay(): Promise<PoleDayFigures> {
	let broker: EmbeddedBroker | undefined;
	let ops: OpsServer | undefined;
	let fleet: Fleet | undefined;
	let sniffer: MqttClient | undefined;
	const clock = new VirtualClock();
	try {
		broker = await startBroker(0);
		ops = new OpsServer({ broker: broker.url, now: () => clock.now(), beaconMs: NO_BEACON_MS });
		await ops.start();
		// Every message to and from the pole, as the broker delivers it.
		const channels = { up: {} as Record<string, number>, down: {} as Record<string, number> };
		sniffer = await mqtt.connectAsync(broker.url, { clientId: `bench-pole-sniffer-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0 });
		sniffer.on("message", (topic, payload) => {
			const p = parseTopic(topic);
			if (p?.kind !== "device") return;
			const side = CLOUD_TO_DEVICE.has(p.channel) ? channels.down : channels.up;
			side[p.channel] = (side[p.channel] ?? 0) + publishBytes(Buffer.byteLength(topic), payload.length, 0);
		});
		await sniffer.subscribeAsync(deviceTopic(DEVICE, "up").replace(/up$/, "#"), { qos: 0 });

		fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock });
		const overrides = { keepaliveMs: 600_000 };
		const dev = await fleet.add({ id: DEVICE, role: "light-pole", board: "generic", config: overrides });
		dev.boot();
		const cloud = () => dev.runtime!.cloud!;
		const stats = () => cloud().uplink!.stats;
		const waited = { batch: 0 };
		while (clock.ticks() < DAY_MS) {
			clock.advance(1_000, (e) => {
				throw e;
			});
			await letAcksIn(stats, waited);
		}
		const ledger = { ...dev.world!.ledger };
		// The last window's records go after upDelayMs: let them and their ack through (≤ 2 min more device time).
		for (let i = 0; i < 1_200 && (cloud().ring!.stats.pending > 0 || stats().batches > stats().acks + stats().ackTimeouts); i++) {
			clock.advance(100);
			await letAcksIn(stats, waited);
		}
		const socket = await settled(dev);
		const records = ops.acker.records.filter((r) => r.device === DEVICE).sort((a, b) => a.seq - b.seq);
		if (records.length !== cloud().ring!.stats.appended) throw new Error(`pole bench: ${cloud().ring!.stats.appended} records appended, ${records.length} stored`);
		const byKind: Record<string, number> = {};
		for (const r of records) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
		const sum = (kind: string, field: string) => records.filter((r) => r.kind === kind).reduce((n, r) => n + ((r.data[field] as number) ?? 0), 0);

		const config = simConfig("light-pole", "generic", overrides);
		const topicBytes = Buffer.byteLength(deviceTopic(DEVICE, "up"));
		const naive = naiveMessages(records);
		const messages = { readings: 0, people: 0, vehicles: 0, events: 0 };
		let payloadBytes = 0;
		let naiveUp = 0;
		for (const m of naive) {
			const bytes = Buffer.byteLength(m.json);
			messages[m.kind]++;
			payloadBytes += bytes;
			naiveUp += publishBytes(topicBytes, bytes, 1);
		}
		const naiveDown = PUBACK_BYTES * naive.length;
		const framed = (side: Record<string, number>) => Object.values(side).reduce((a, b) => a + b, 0);
		const total = socket.upBytes + socket.downBytes;
		const telemetry = (channels.up.up ?? 0) + (channels.down.ack ?? 0);
		const beacon = publishBytes(Buffer.byteLength(TIME_TOPIC), encodePayload("time", { v: 1, now: clock.now() }).byteLength, 0);
		return {
			hours: 24,
			street: "DEFAULT_STREET (host-sim/fleet.ts) from 00:00",
			config: { sampleMs: config.sampleMs as number, windowMs: config.windowMs as number, upDelayMs: config.upDelayMs as number, healthMs: config.healthMs as number, keepaliveMs: config.keepaliveMs as number },
			ledger,
			records: { perDay: records.length, byKind, peopleReported: sum("CrowdFlowObserved", "peopleCount"), vehiclesReported: sum("TrafficFlowObserved", "intensity") },
			device: {
				upBytes: socket.upBytes,
				downBytes: socket.downBytes,
				totalBytes: total,
				bytesPerRecord: round(total / records.length),
				channels,
				session: { up: socket.upBytes - framed(channels.up), down: socket.downBytes - framed(channels.down) },
				batches: stats().batches,
				ackTimeouts: stats().ackTimeouts,
				computed: { keepaliveMaxBytes: 4 * (DAY_MS / MINUTE_MS), timeBeaconBytes: beacon * (DAY_MS / MINUTE_MS) },
			},
			naive: { qos: 1, messages, payloadBytes, upBytes: naiveUp, downBytes: naiveDown, totalBytes: naiveUp + naiveDown },
			ratio: { total: round((naiveUp + naiveDown) / total, 2), telemetry: round((naiveUp + naiveDown) / telemetry, 2) },
		};
	} finally {
		fleet?.shutdown();
		await sniffer?.endAsync(true);
		await ops?.stop();
		await broker?.close();
	}
}

export interface PoleFigures {
	xs: PoleXsFigures;
	day: PoleDayFigures;
}

export async function benchPole(): Promise<PoleFigures> {
	return { xs: await benchPoleXs(), day: await benchPoleDay() };
}
