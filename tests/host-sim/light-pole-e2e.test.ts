/*
 * The light pole end to end: the real firmware in the host simulator with
 * every part modelled at its bus, a street (host-sim/world) playing people,
 * vehicles and parked cars onto its pins, Mosquitto on loopback and the ops
 * acker storing what the pole sends.
 *
 *   - a virtual day with a 2-hour broker outage: the counts sent equal the
 *     pulses injected (0 lost), windows are contiguous, the lamp follows
 *     dusk and dawn once each, and every payload passes the privacy check;
 *   - faults: sensors that NACK, corrupt frames, go dark; the light sensor
 *     dying at night and the link going down: the lamp goes to its
 *     fail-safe level, faults become status fields and events, never NaN.
 * CURBSIDE_POLE_HOURS shortens or lengthens the day (default 24).
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { Fleet } from "../../host-sim/fleet";
import type { SimDevice } from "../../host-sim/device";
import { PoleWorld, type Scenario } from "../../host-sim/world/pole-world";
import type { LampDimmerModel } from "../../host-sim/models/lamp-dimmer";
import { decodePayload, isPayloadKind } from "../../firmware/contract/codec";
import { parseTopic } from "../../firmware/contract/topics";
import { validateRecordData } from "../../firmware/contract/telemetry";
import { OpsServer } from "../../tools/ops/server";
import { Control } from "../../tools/ops/control";
import type { CommandResult } from "../../firmware/contract/control-payloads";
import type { StoredRecord } from "../../tools/ops/acker";
import { startMosquitto, waitFor, type TestBroker } from "../support/brokers";

const HOUR = 3_600_000;
const HOURS = Math.max(4, Number(process.env.CURBSIDE_POLE_HOURS ?? 24) || 24);
const STEP_MS = 1_000;

/** Advances virtual time in 1 s steps, yielding to sockets between steps. */
async function run(clock: VirtualClock, ms: number): Promise<void> {
	const end = clock.ticks() + ms;
	while (clock.ticks() < end) {
		clock.advance(Math.min(STEP_MS, end - clock.ticks()), (e) => {
			throw e;
		});
		await new Promise((r) => setImmediate(r));
	}
}

/** Lets virtual time crawl (100 ms per real ms or so) until `done`, e.g. for the outbox to drain. */
async function settle(clock: VirtualClock, done: () => boolean, what: string): Promise<void> {
	const end = Date.now() + 60_000;
	while (!done()) {
		if (Date.now() > end) throw new Error(`timed out: ${what}`);
		clock.advance(100);
		await new Promise((r) => setTimeout(r, 2));
	}
}

interface Capture {
	messages: { topic: string; payload: Uint8Array }[];
	close(): Promise<void>;
}

/** Records everything the pole publishes, as the broker sees it. */
async function capture(url: string, deviceId: string): Promise<Capture> {
	const client = await mqtt.connectAsync(url, { clientId: `capture-${deviceId}`, reconnectPeriod: 200 });
	const messages: Capture["messages"] = [];
	client.on("message", (topic, payload) => messages.push({ topic, payload: new Uint8Array(payload) }));
	client.on("connect", () => void client.subscribe(`cs/v1/dev/${deviceId}/#`));
	await client.subscribeAsync(`cs/v1/dev/${deviceId}/#`);
	return { messages, close: () => client.endAsync(true) };
}

function sum(records: StoredRecord[], kind: string, field: string): number {
	return records.filter((r) => r.kind === kind).reduce((n, r) => n + ((r.data[field] as number) ?? 0), 0);
}

/** Channels the cloud publishes to a device (not the pole's own output). */
const CLOUD_TO_DEVICE: string[] = ["ack", "cmd", "cfg/desired", "ota/offer", "ota/chunk"];

const BUSY_STREET: Scenario = {
	seed: 11,
	startTime: "04:00",
	light: { sunrise: "06:50", sunset: "17:40", noonLux: 40_000, overcast: [["13:00", "13:20", 0.3]] },
	pedestrians: { perHour: [4, 2, 1, 1, 3, 10, 40, 120, 160, 90, 70, 80, 130, 100, 80, 90, 140, 180, 150, 90, 50, 30, 15, 8], towardsShare: 0.6, bounces: 3 },
	vehicles: { perHour: [20, 10, 8, 8, 15, 60, 240, 420, 450, 300, 250, 260, 280, 270, 260, 300, 420, 460, 360, 220, 140, 90, 60, 35] },
	parking: { arrivalsPerHour: 3, stayMin: [10, 60] },
};

describe(`light pole, a virtual ${HOURS} h day on Mosquitto`, () => {
	let broker: TestBroker;
	let ops: OpsServer;
	let fleet: Fleet;
	let clock: VirtualClock;
	let world: PoleWorld;
	let dev: SimDevice;
	let cap: Capture;
	const lines: string[] = [];
	let records: StoredRecord[];
	let ledger: PoleWorld["ledger"];
	const lampAt: { hour: number; light: number; control: number }[] = [];

	beforeAll(async () => {
		broker = await startMosquitto();
		clock = new VirtualClock();
		// The cloud keeps virtual time too, so the pole's synced clock and its windows follow the street.
		ops = new OpsServer({ broker: broker.url, now: () => clock.now() });
		await ops.start();
		cap = await capture(broker.url, "pole-day");
		world = new PoleWorld(BUSY_STREET, clock);
		fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock, onLine: (_id, l) => lines.push(l) });
		dev = await fleet.add({ id: "pole-day", role: "light-pole", board: "generic", scenario: world, config: { upDelayMs: 30_000, backoffMaxMs: 30_000, keepaliveMs: 120_000, utcOffsetMin: 240 } });
		dev.boot();
		const lamp = () => (dev.bridge!.board as { parts: { lamp: LampDimmerModel } }).parts.lamp;
		for (let h = 0; h < HOURS; h++) {
			if (h === 8) await broker.stop(); // 12:00 local: two hours with no broker
			if (h === 10) await broker.start();
			await run(clock, HOUR);
			lampAt.push({ hour: (4 + h + 1) % 24, light: lamp().lightPercent, control: lamp().controlV });
		}
		// An orderly stop closes the partial window into the outbox; then let it drain (the street goes on: count up to here).
		ledger = { ...world.ledger };
		dev.runtime!.app!.stop();
		await settle(clock, () => dev.runtime!.cloud!.ring!.stats.pending === 0, "outbox drained");
		await waitFor(() => ops.acker.stats.records === dev.runtime!.cloud!.ring!.stats.appended, "acker has every record");
		records = ops.acker.records.filter((r) => r.device === "pole-day");
	}, 900_000);

	afterAll(async () => {
		fleet?.shutdown();
		await cap?.close();
		await ops?.stop();
		await broker?.close();
	});

	it("people: the counts sent equal the crossings injected, by direction (0 lost)", () => {
		const injected = ledger.pedestriansTowards + ledger.pedestriansAway;
		expect(injected).toBeGreaterThan(HOURS * 40);
		expect(sum(records, "CrowdFlowObserved", "peopleCount")).toBe(injected);
		expect(sum(records, "CrowdFlowObserved", "peopleCountTowards")).toBe(ledger.pedestriansTowards);
		expect(sum(records, "CrowdFlowObserved", "peopleCountAway")).toBe(ledger.pedestriansAway);
		console.log(`[pole e2e] ${HOURS} h: ${injected} people injected (${ledger.pedestriansTowards} towards), ${sum(records, "CrowdFlowObserved", "peopleCount")} reported`);
	});

	it("vehicles: the intensity sent equals the vehicles injected; occupancy is a share", () => {
		expect(ledger.vehicles).toBeGreaterThan(HOURS * 100);
		expect(sum(records, "TrafficFlowObserved", "intensity")).toBe(ledger.vehicles);
		const occ = records.filter((r) => r.kind === "TrafficFlowObserved").map((r) => r.data.occupancy as number);
		expect(occ.every((o) => o >= 0 && o <= 1)).toBe(true);
		expect(Math.max(...occ)).toBeGreaterThan(0);
		console.log(`[pole e2e] ${ledger.vehicles} vehicles injected and reported; peak occupancy ${Math.max(...occ)}`);
	});

	it("windows are contiguous and aligned, across the outage", () => {
		const crowd = records.filter((r) => r.kind === "CrowdFlowObserved").sort((a, b) => a.seq - b.seq);
		expect(crowd.length).toBeGreaterThanOrEqual((HOURS * 12) - 1);
		// Each window starts where the last ended (a bound sent before the sync and resolved by the acker in a
		// later batch may stay [boot, ticks] on one side; those pairs are skipped).
		let compared = 0;
		for (let i = 1; i < crowd.length; i++) {
			const [from, to] = [crowd[i].data.dateObservedFrom, crowd[i - 1].data.dateObservedTo];
			if (Array.isArray(from) !== Array.isArray(to)) continue;
			expect(from).toEqual(to);
			compared++;
		}
		expect(compared).toBeGreaterThanOrEqual(crowd.length - 3);
		// After the first boundary of the synced clock, windows are 300 s and end on 5-minute marks
		// (to within the clock's re-sync steps: up to a few s here, where virtual time runs on while a real
		// round trip is in flight); the first windows ran on unsynced ticks.
		const near = (x: number, y: number) => Math.abs(x - y) <= 5_000;
		const aligned = (t: number) => near(t % 300_000, 0) || near(t % 300_000, 300_000);
		const full = crowd.slice(crowd.findIndex((r) => aligned(r.data.dateObservedFrom as number)), -1);
		expect(full.length).toBeGreaterThanOrEqual(HOURS * 12 - 3);
		// A re-sync can step the device clock by seconds here (virtual time runs on while a real round trip
		// is in flight; on a device the steps are ms): the window around a step is short by the step, the
		// next ends on the mark again. At most 5 % of windows, each off by less than 30 s.
		const off = full.filter((r) => !near((r.data.dateObservedTo as number) - (r.data.dateObservedFrom as number), 300_000) || !aligned(r.data.dateObservedTo as number));
		expect(off.length).toBeLessThanOrEqual(Math.ceil(full.length / 20));
		for (const r of off) expect(Math.abs((r.data.dateObservedTo as number) - (r.data.dateObservedFrom as number) - 300_000)).toBeLessThan(30_000);
	});

	it("parking: one occupied and one free per car, nothing else", () => {
		const spots = records.filter((r) => r.kind === "ParkingSpot").map((r) => r.data.status);
		expect(ledger.bayArrivals).toBeGreaterThan(HOURS);
		expect(spots.filter((s) => s === "occupied").length).toBe(ledger.bayArrivals);
		for (let i = 1; i < spots.length; i++) expect(spots[i]).not.toBe(spots[i - 1]);
	});

	it("lamp: off by day, on at night, one switch at dusk and one at dawn, dimmed on schedule", () => {
		const lights = records.filter((r) => r.kind === "Streetlight");
		const reasons = lights.map((r) => r.data.reason as string);
		// Boot is at 04:00, dark: fail-safe until the first lux reading, then night.
		const switches = reasons.filter((r, i) => i > 0 && (r === "day") !== (reasons[i - 1] === "day")).length;
		expect(switches).toBe(HOURS >= 16 ? 2 : 1);
		const noon = lampAt.find((l) => l.hour === 12);
		if (noon) expect(noon.light).toBe(0);
		const night = lampAt.find((l) => l.hour === 22);
		if (night) expect(night.light).toBe(100);
		const early = lampAt.find((l) => l.hour === 5)!;
		expect(early.light).toBeCloseTo(40, 0); // lampSchedule 00:30-05:30=40 (10-bit PWM: 40.04 %)
		console.log(`[pole e2e] lamp by hour: ${lampAt.map((l) => `${l.hour}h ${l.light}%`).join(", ")}`);
	});

	it("privacy: every payload the pole published is a contract type with allowlisted fields only", () => {
		const channels = new Set<string>();
		let records = 0;
		for (const m of cap.messages) {
			const t = parseTopic(m.topic);
			expect(t?.kind).toBe("device");
			if (t?.kind !== "device" || CLOUD_TO_DEVICE.includes(t.channel)) continue;
			channels.add(t.channel);
			expect(isPayloadKind(t.channel)).toBe(true);
			const decoded = decodePayload(t.channel as "up", m.payload); // throws on any field outside the contract
			if (t.channel === "up") {
				for (const [, , kind, data] of decoded.r) {
					validateRecordData(kind, data);
					records++;
					// Aggregates only: no per-person or per-vehicle lists, no raw frames, no free text but event messages.
					for (const [key, value] of Object.entries(data)) {
						if (Array.isArray(value)) expect(key === "failed" || /^date|^timeInstant/.test(key)).toBe(true);
						if (typeof value === "string") expect(value.length).toBeLessThanOrEqual(key === "message" ? 120 : 20);
						expect(value instanceof Uint8Array).toBe(false);
					}
				}
			}
		}
		expect(records).toBeGreaterThan(HOURS * 12 * 3);
		// Log uploads (after an error) are the pole's own lines: part names, states and counts, never a reading per person.
		for (const c of channels) expect(["cfg/reported", "health", "status", "up", "log", "cmd/res"]).toContain(c);
		expect(channels.has("up")).toBe(true);
	});

	it("the pole's health names every part and its state", () => {
		const health = cap.messages.filter((m) => m.topic.endsWith("/health")).map((m) => decodePayload("health", m.payload));
		expect(health.at(-1)!.parts).toEqual({ sht3x: "ok", veml7700: "ok", pms5003: "ok", ld2410: "ok", people: "ok", vehicles: "ok", bay: "ok", lamp: "ok" });
		// A clean street: no part ever failed, so no fault events.
		expect(records.filter((r) => r.kind === "sensor.fault")).toEqual([]);
	});
});

describe("light pole faults: sensors failing, the link down at night", () => {
	let broker: TestBroker;
	let ops: OpsServer;
	let fleet: Fleet;
	let clock: VirtualClock;
	let dev: SimDevice;
	let cap: Capture;
	let records: StoredRecord[];
	const lamp: Record<string, { light: number }> = {};
	let override: CommandResult;

	// 16:00 start; sunset 17:40. Local times below are the world's and the pole's (utcOffsetMin −480).
	const FAULTY: Scenario = {
		seed: 5,
		startTime: "16:00",
		light: { sunrise: "06:50", sunset: "17:40" },
		pedestrians: { perHour: 60 },
		vehicles: { perHour: 200 },
		parking: { arrivalsPerHour: 2, stayMin: [20, 40] },
		faults: [
			{ at: "16:30", part: "sht3x", fault: "nack", forMin: 60 },
			{ at: "16:40", part: "pms5003", fault: "checksum", forMin: 30 },
			{ at: "19:00", part: "veml7700", fault: "nack", forMin: 60 },
			{ at: "18:20", part: "bay", fault: "chatter", forMin: 20 },
			{ at: "18:30", part: "ld2410", fault: "garbage", forMin: 15 },
		],
	};

	beforeAll(async () => {
		broker = await startMosquitto();
		clock = new VirtualClock();
		ops = new OpsServer({ broker: broker.url, now: () => clock.now() });
		await ops.start();
		cap = await capture(broker.url, "pole-faults");
		const world = new PoleWorld(FAULTY, clock);
		fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock, onLine: process.env.DBG ? (_id, l) => console.log(l) : undefined });
		dev = await fleet.add({
			id: "pole-faults",
			role: "light-pole",
			board: "generic",
			scenario: world,
			config: { upDelayMs: 30_000, backoffMaxMs: 30_000, keepaliveMs: 120_000, utcOffsetMin: -480, lampNightPct: 60, lampSchedule: "", lampBoostPct: 60, offlineMs: 600_000, healthMs: 300_000, counterUse: "footfall" },
		});
		dev.boot();
		const light = () => (dev.bridge!.board as { parts: { lamp: LampDimmerModel } }).parts.lamp.lightPercent;
		const at = async (hhmm: string, minutes: number) => {
			await run(clock, minutes * 60_000);
			lamp[hhmm] = { light: light() };
		};
		await at("18:50", 170); // night, all parts back
		await at("19:30", 40); // light sensor dead at night
		await at("20:10", 40); // it works again
		await broker.stop(); // 20:10: the link goes down
		await at("20:15", 5); // within the 10-minute grace
		await at("20:30", 15); // offline past the grace
		await broker.start();
		await at("21:00", 30);
		// The operator turns the lamp off for 10 minutes (works on the column); then it comes back by itself.
		const control = new Control({ now: () => clock.now() });
		await control.connect(broker.url);
		override = await control.command("pole-faults", "lamp", { args: { percent: 0, forS: 600 } });
		await control.close();
		lamp["21:00+override"] = { light: light() };
		await at("21:11", 11);
		dev.runtime!.app!.stop();
		await settle(clock, () => dev.runtime!.cloud!.ring!.stats.pending === 0, "outbox drained");
		await waitFor(() => ops.acker.stats.records === dev.runtime!.cloud!.ring!.stats.appended, "acker has every record");
		records = ops.acker.records.filter((r) => r.device === "pole-faults");
	}, 600_000);

	afterAll(async () => {
		fleet?.shutdown();
		await cap?.close();
		await ops?.stop();
		await broker?.close();
	});

	it("each failing part becomes one fault event and one recovery event, with its class", () => {
		const faults = records.filter((r) => r.kind === "sensor.fault").map((r) => `${r.data.sensor}:${r.data.fault}`);
		expect(faults).toContain("sht3x:no-answer");
		expect(faults).toContain("pms5003:checksum");
		expect(faults).toContain("veml7700:no-answer");
		expect(faults).toContain("bay:flapping");
		expect(faults.some((f) => f.startsWith("ld2410:"))).toBe(true);
		expect(faults.filter((f) => f.startsWith("sht3x:")).length).toBe(1); // retries while failed are not new events
		const ok = records.filter((r) => r.kind === "sensor.ok").map((r) => r.data.sensor);
		for (const part of ["sht3x", "pms5003", "veml7700", "bay", "ld2410"]) expect(ok).toContain(part);
	});

	it("a failed part's fields are absent from its windows and it is named in `failed`: never NaN, never a guess", () => {
		const air = records.filter((r) => r.kind === "AirQualityObserved");
		const withoutT = air.filter((r) => r.data.temperature === undefined);
		expect(withoutT.length).toBeGreaterThanOrEqual(10); // ~an hour of 5-minute windows
		for (const r of withoutT) expect(r.data.failed).toContain("sht3x");
		// A window in which the part failed keeps the readings it gave before failing; later ones have none.
		const pmFailed = air.filter((r) => (r.data.failed as string[] | undefined)?.includes("pms5003"));
		expect(pmFailed.filter((r) => r.data.pm25 === undefined).length).toBeGreaterThanOrEqual(3);
		for (const r of air) for (const v of Object.values(r.data)) if (typeof v === "number") expect(Number.isFinite(v)).toBe(true);
		expect(air.filter((r) => r.data.failed === undefined && r.data.temperature !== undefined && r.data.pm25 !== undefined).length).toBeGreaterThan(10);
	});

	it("the bay goes to unknown while its detector flaps, then back to a real state", () => {
		const spots = records.filter((r) => r.kind === "ParkingSpot").map((r) => r.data.status);
		const i = spots.indexOf("unknown", 1);
		expect(i).toBeGreaterThan(0);
		expect(spots.slice(i + 1).some((s) => s === "occupied" || s === "free")).toBe(true);
	});

	it("lamp: dimmed at night, fail-safe full when the light sensor dies, and when offline past the grace", () => {
		expect(lamp["18:50"].light).toBeCloseTo(60, 0);
		expect(lamp["19:30"].light).toBe(100);
		expect(lamp["20:10"].light).toBeCloseTo(60, 0);
		expect(lamp["20:15"].light).toBeCloseTo(60, 0);
		expect(lamp["20:30"].light).toBe(100);
		expect(lamp["21:00"].light).toBeCloseTo(60, 0);
		expect(override).toMatchObject({ ok: true, code: "ok", data: { percent: 0, reason: "override" } });
		expect(lamp["21:00+override"].light).toBe(0);
		expect(lamp["21:11"].light).toBeCloseTo(60, 0); // the override expired
		const reasons = records.filter((r) => r.kind === "Streetlight").map((r) => r.data.reason);
		expect(reasons).toContain("fail-safe:sensor");
		expect(reasons).toContain("fail-safe:offline");
		expect(reasons).toContain("override");
	});

	it("park use: the same counters report as footfall", () => {
		const crowd = records.filter((r) => r.kind === "CrowdFlowObserved");
		expect(crowd.length).toBeGreaterThan(50);
		expect(crowd.every((r) => r.data.usage === "footfall")).toBe(true);
	});

	it("health carries the failed state while a part is down", () => {
		const states = cap.messages.filter((m) => m.topic.endsWith("/health")).map((m) => decodePayload("health", m.payload).parts ?? {});
		expect(states.some((p) => p.sht3x === "failed")).toBe(true);
		expect(states.at(-1)!.sht3x).toBe("ok");
	});
});
