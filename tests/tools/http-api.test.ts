/*
 * The ops JSON HTTP API (tools/ops/http-api.ts) end to end: an OpsServer with
 * its SQLite store and API on 127.0.0.1, the embedded aedes broker, and a real
 * light pole in the host simulator on the real clock. Lists devices, reads
 * records and a numeric series, round-trips config and a ping command, shows
 * a stop board it saw, and answers bad requests with clear errors (400, 404,
 * 405, 413, 415, 504). Waits are bounded by deadlines, never asserted.
 */
import mqtt from "mqtt";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePayload } from "../../firmware/contract/codec";
import { boardTopic } from "../../firmware/contract/topics";
import { RealClock } from "../../host-sim/bridge/real-clock";
import type { SimDevice } from "../../host-sim/device";
import { Fleet } from "../../host-sim/fleet";
import { MAX_BODY_BYTES, parseHostPort } from "../../tools/ops/http-api";
import { OpsServer } from "../../tools/ops/server";
import { startAedes, waitFor, type TestBroker } from "../support/brokers";

const POLE = "api-pole";
const CONFIG = { sampleMs: 1_000, windowMs: 1_000, parts: "sht3x", upDelayMs: 500, backoffMinMs: 100, backoffMaxMs: 1_000, healthMs: 60_000, keepaliveMs: 10_000 };

let broker: TestBroker;
let ops: OpsServer;
let clock: RealClock;
let fleet: Fleet;
let pole: SimDevice;
let base: string;
let dir: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
	const init: RequestInit = { method, headers: { ...headers } };
	if (body !== undefined) {
		init.body = typeof body === "string" ? body : JSON.stringify(body);
		(init.headers as Record<string, string>)["content-type"] ??= "application/json";
	}
	const res = await fetch(base + path, init);
	return { status: res.status, json: await res.json(), headers: res.headers };
}

const get = (path: string) => call("GET", path);

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), "curbside-api-"));
	broker = await startAedes();
	ops = new OpsServer({ broker: broker.url, db: join(dir, "ops.db"), http: { host: "127.0.0.1", port: 0 } });
	await ops.start();
	base = ops.http!.url;
	clock = new RealClock();
	fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock });
	pole = await fleet.add({ id: POLE, role: "light-pole", board: "generic", config: CONFIG });
	pole.boot();
	await waitFor(() => pole.runtime?.cloud?.clock.synced === true, "the pole's clock synced from the acker");
	await waitFor(() => ops.store!.series(POLE, "AirQualityObserved", "temperature").length >= 3, "three temperature windows stored", 30_000);
}, 60_000);

afterAll(async () => {
	fleet?.shutdown();
	clock?.cancelAll();
	await ops?.stop();
	await broker?.close();
	rmSync(dir, { recursive: true, force: true });
});

describe("ops HTTP API", () => {
	it("binds 127.0.0.1", () => {
		expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
	});

	it("health counts devices and records", async () => {
		const r = await get("/api/health");
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ ok: true, devices: 1 });
		expect(r.json.records).toBeGreaterThanOrEqual(3);
		expect(Number.isInteger(r.json.uptimeS)).toBe(true);
	});

	it("lists devices with status and health", async () => {
		await waitFor(() => ops.store!.device(POLE)?.health !== undefined, "first health");
		const r = await get("/api/devices");
		expect(r.status).toBe(200);
		expect(r.json).toEqual([expect.objectContaining({ id: POLE, role: "light-pole", board: "generic", state: "online", fw: expect.any(String), lastSeen: expect.any(Number) })]);
		expect(r.json[0].health).toMatchObject({ bootCount: 1, resetReason: expect.any(String) });
	});

	it("records: newest last, filtered by kind, limit bounded", async () => {
		const r = await get(`/api/devices/${POLE}/records?kind=AirQualityObserved&limit=2`);
		expect(r.status).toBe(200);
		expect(r.json).toHaveLength(2);
		expect(r.json.every((x: { kind: string }) => x.kind === "AirQualityObserved")).toBe(true);
		expect(r.json[0].t).toBeLessThanOrEqual(r.json[1].t);
		const since = r.json[1].t;
		const later = await get(`/api/devices/${POLE}/records?kind=AirQualityObserved&since=${new Date(since).toISOString()}`);
		expect(later.json.every((x: { t: number }) => x.t >= since)).toBe(true);
		expect((await get(`/api/devices/${POLE}/records?limit=1001`)).json.error).toBe("limit must be an integer 1..1000");
		expect((await get(`/api/devices/${POLE}/records?since=yesterday`)).status).toBe(400);
		expect((await get(`/api/devices/${POLE}/records?kind=no%20such`)).status).toBe(400);
	});

	it("series: [t, value] pairs of a numeric field, in time order", async () => {
		const r = await get(`/api/devices/${POLE}/series?kind=AirQualityObserved&field=temperature`);
		expect(r.status).toBe(200);
		expect(r.json.length).toBeGreaterThanOrEqual(3);
		for (const [t, v] of r.json) {
			expect(Number.isInteger(t)).toBe(true);
			expect(typeof v).toBe("number");
		}
		const times = r.json.map((p: number[]) => p[0]);
		expect(times).toEqual([...times].sort((a, b) => a - b));
		expect((await get(`/api/devices/${POLE}/series?kind=AirQualityObserved`)).json.error).toBe("field is required");
		expect((await get(`/api/devices/${POLE}/series?kind=AirQualityObserved&field=$..x`)).status).toBe(400);
	});

	it("config round trip: desired published, the report returned and stored", async () => {
		const r = await call("PUT", `/api/devices/${POLE}/config`, { values: { healthMs: 30_000 } });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ state: "applied", values: { healthMs: 30_000 } });
		const d = await get(`/api/devices/${POLE}`);
		expect(d.json.config.desired).toMatchObject({ rev: r.json.rev, values: { healthMs: 30_000 } });
		expect(d.json.config.reported).toMatchObject({ rev: r.json.rev, state: "applied" });
		// Refused by the device: still a 200 with its report, and the last good config kept.
		const bad = await call("PUT", `/api/devices/${POLE}/config`, { values: { healthMs: 5 } });
		expect(bad.status).toBe(200);
		expect(bad.json).toMatchObject({ state: "rejected", values: { healthMs: 30_000 } });
		// Refused here: nothing sent.
		expect((await call("PUT", `/api/devices/${POLE}/config`, { values: [1] })).status).toBe(400);
		expect((await call("PUT", `/api/devices/${POLE}/config`, { values: { healthMs: { deep: 1 } } })).status).toBe(400);
		expect((await call("PUT", `/api/devices/${POLE}/config`, "{not json")).json.error).toMatch(/^body is not JSON/);
		expect((await get(`/api/devices/${POLE}`)).json.config.desired.rev).toBe(bad.json.rev);
	});

	it("command round trip: ping, stored with its result", async () => {
		const r = await call("POST", `/api/devices/${POLE}/commands`, { name: "ping" });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ device: POLE, name: "ping", code: "ok", result: { ok: true, code: "ok", data: { uptimeS: expect.any(Number) } } });
		const stored = await get(`/api/commands/${r.json.id}`);
		expect(stored.json).toEqual(r.json);
		expect((await get(`/api/devices/${POLE}`)).json.commands[0].id).toBe(r.json.id);
		// The device refuses a name it does not know: a 200 carrying the refusal.
		const unknown = await call("POST", `/api/devices/${POLE}/commands`, { name: "self-destruct" });
		expect(unknown.json).toMatchObject({ code: "unknown-command", result: { ok: false } });
	});

	it("bad command shapes are 400, nothing sent", async () => {
		for (const body of [{ name: "Not A Name" }, { name: 7 }, { name: "ping", args: [1] }, { name: "ping", ttlMs: "soon" }, { name: "ping", extra: 1 }, { name: "ping", waitMs: 0 }]) {
			const r = await call("POST", `/api/devices/${POLE}/commands`, body);
			expect(r.status, JSON.stringify(body)).toBe(400);
			expect(typeof r.json.error).toBe("string");
		}
		expect((await call("POST", `/api/devices/${POLE}/commands`, "[1]")).json.error).toBe("body must be a JSON object");
	});

	it("a known device that does not answer is 504, and the command stays on record unanswered", async () => {
		ops.store!.saveStatus("ghost-pole", { v: 1, state: "offline", role: "light-pole", fw: "1.0.0", board: "generic" }, Date.now());
		const r = await call("POST", "/api/devices/ghost-pole/commands", { name: "ping", waitMs: 300 });
		expect(r.status).toBe(504);
		expect(r.json.error).toMatch(/no result for command .* from ghost-pole within 300 ms/);
		const stored = await get(`/api/commands/${r.json.id}`);
		expect(stored.json).toMatchObject({ device: "ghost-pole", name: "ping" });
		expect(stored.json.result).toBeUndefined();
		expect((await call("PUT", "/api/devices/ghost-pole/config", { values: { healthMs: 30_000 }, waitMs: 300 })).status).toBe(504);
	});

	it("404 for an unknown device, command or route; 405 with Allow", async () => {
		expect((await get("/api/devices/nobody")).json.error).toBe('no device "nobody"');
		expect((await get("/api/devices/nobody/records")).status).toBe(404);
		expect((await call("POST", "/api/devices/nobody/commands", { name: "ping" })).status).toBe(404);
		expect((await get("/api/commands/nope")).status).toBe(404);
		expect((await get("/api/nothing")).status).toBe(404);
		expect((await get("/api/devices/bad%20id")).status).toBe(400);
		const r = await call("DELETE", "/api/devices");
		expect(r.status).toBe(405);
		expect(r.headers.get("allow")).toBe("GET");
		expect((await call("GET", `/api/devices/${POLE}/config`)).headers.get("allow")).toBe("PUT");
	});

	it("413 for a body over 64 KiB, 415 for a write that is not JSON", async () => {
		const big = JSON.stringify({ name: "ping", args: { pad: "x".repeat(MAX_BODY_BYTES) } });
		const r = await call("POST", `/api/devices/${POLE}/commands`, big);
		expect(r.status).toBe(413);
		expect(r.json.error).toBe("body over 65536 bytes");
		const form = await call("POST", `/api/devices/${POLE}/commands`, "name=reboot", { "content-type": "text/plain" });
		expect(form.status).toBe(415);
		// The server still answers afterwards.
		expect((await get("/api/health")).status).toBe(200);
	});

	it("the last board seen for a stop, decoded", async () => {
		const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
		const board = { v: 1, stop: "API_STOP", name: "Api Street", t: Math.floor(Date.now() / 1000), tz: 0, deps: [] };
		await client.publishAsync(boardTopic("API_STOP"), Buffer.from(encodePayload("board", board)), { qos: 1, retain: true });
		await client.publishAsync(boardTopic("API_STOP"), Buffer.from(""), { qos: 1, retain: true }); // clear the retained copy (and the API's)
		await client.publishAsync(boardTopic("API_STOP"), Buffer.from(encodePayload("board", { ...board, name: "Api Street 2" })), { qos: 1, retain: false });
		await client.endAsync();
		let r = await get("/api/stops/API_STOP/board");
		for (let i = 0; i < 100 && r.json.board?.name !== "Api Street 2"; i++) {
			await new Promise((res) => setTimeout(res, 20));
			r = await get("/api/stops/API_STOP/board");
		}
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ stopId: "API_STOP", board: { stop: "API_STOP", name: "Api Street 2", deps: [] } });
		expect((await get("/api/stops/NOWHERE/board")).status).toBe(404);
	});
});

describe("parseHostPort", () => {
	it("reads HOST:PORT, :PORT and PORT; refuses the rest", () => {
		expect(parseHostPort("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
		expect(parseHostPort("8081")).toEqual({ host: "127.0.0.1", port: 8081 });
		expect(parseHostPort("0.0.0.0:0")).toEqual({ host: "0.0.0.0", port: 0 });
		expect(parseHostPort("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
		expect(() => parseHostPort("localhost:99999")).toThrow('"localhost:99999" is not HOST:PORT');
		expect(() => parseHostPort("http://x:1")).toThrow(/is not HOST:PORT/);
	});
});
