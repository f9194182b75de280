/*
 * The firmware's MQTT session against real brokers (Mosquitto and aedes) on
 * loopback, through the host simulator: birth and LWT, health, reconnect with
 * backoff after a broker restart, a broker that is down at boot, a network
 * cut, and resubscription.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { Fleet } from "../../host-sim/fleet";
import { Registry } from "../../tools/ops/registry";
import { encodePayload } from "../../firmware/contract/codec";
import { boardTopic } from "../../firmware/contract/topics";
import { freePort, startAedes, startMosquitto, waitFor, type TestBroker } from "../support/brokers";

const FAST = { backoffMinMs: 100, backoffMaxMs: 1_000, healthMs: 5_000, keepaliveMs: 5_000 };

for (const start of [startMosquitto, startAedes]) {
	describe(`session on ${start === startMosquitto ? "mosquitto" : "aedes"}`, () => {
		let broker: TestBroker;
		let registry: Registry;
		let clock: RealClock;
		let fleet: Fleet;
		const lines: Record<string, string[]> = {};

		beforeAll(async () => {
			broker = await start();
		});
		afterAll(async () => {
			await broker.close();
		});

		async function street(ids: string[], role = "light-pole", config: Record<string, unknown> = {}) {
			clock = new RealClock();
			fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock, onLine: (id, l) => (lines[id] ??= []).push(l) });
			for (const id of ids) await fleet.add({ id, role, board: "generic", config: { ...FAST, ...config } });
			registry = new Registry();
			await registry.connect(broker.url, { clientId: `ops-${Math.random().toString(16).slice(2)}` });
		}

		afterEach(async () => {
			fleet?.shutdown();
			clock?.cancelAll();
			await registry?.close();
		});

		it("publishes a retained birth and a health record", async () => {
			await street(["pole-a"]);
			fleet.bootAll();
			await waitFor(() => registry.devices.get("pole-a")?.status?.state === "online", "birth");
			await waitFor(() => registry.devices.get("pole-a")?.health !== undefined, "health");
			const s = registry.devices.get("pole-a")!.status!;
			expect(s.role).toBe("light-pole");
			expect(s.bootCount).toBe(1);
			// Retained: a late subscriber still sees the device online.
			const late = new Registry();
			await late.connect(broker.url, { clientId: "late-ops" });
			await waitFor(() => late.devices.get("pole-a")?.status?.state === "online", "retained birth for a late subscriber");
			await late.close();
		});

		it("power cut: the broker publishes the retained LWT", async () => {
			await street(["pole-b"]);
			fleet.bootAll();
			await waitFor(() => registry.devices.get("pole-b")?.status?.state === "online", "birth");
			fleet.get("pole-b").powerOff();
			await waitFor(() => registry.devices.get("pole-b")?.status?.state === "offline", "LWT offline");
		});

		it("reconnects after a broker restart, re-sends birth and resubscribes", async () => {
			await street(["sign-r"], "stop-sign", { stopId: "STOP_R" });
			fleet.bootAll();
			const dev = fleet.get("sign-r");
			await waitFor(() => dev.runtime?.session?.connected === true, "first connect");
			await registry.close();
			await broker.restart();
			await waitFor(() => (dev.runtime?.session?.stats.connects ?? 0) >= 2, "reconnect after restart");
			registry = new Registry();
			await registry.connect(broker.url, { clientId: "ops-after-restart" });
			await waitFor(() => registry.devices.get("sign-r")?.status?.state === "online", "birth after restart");
			// Resubscribed: a board published now reaches the sign.
			const pub = mqtt.connect(broker.url);
			await new Promise((r) => pub.once("connect", r));
			const board = encodePayload("board", { v: 1, stop: "STOP_R", name: "Stop R", t: Math.floor(Date.now() / 1000), tz: 0, deps: [] });
			pub.publish(boardTopic("STOP_R"), Buffer.from(board), { retain: true });
			await waitFor(() => (lines["sign-r"] ?? []).some((l) => l.includes("board #1 for stop STOP_R")), "board after resubscribe");
			await pub.endAsync();
			expect((lines["sign-r"] ?? []).some((l) => l.includes("retry in"))).toBe(true);
		});

		it("network cut and restore", async () => {
			await street(["pole-n"]);
			fleet.bootAll();
			const dev = fleet.get("pole-n");
			await waitFor(() => dev.runtime?.session?.connected === true, "connect");
			dev.net.setUp(false);
			await waitFor(() => dev.runtime?.session?.connected === false, "link down");
			await waitFor(() => (dev.runtime?.session?.stats.failures ?? 0) >= 2, "failed attempts while cut");
			dev.net.setUp(true);
			await waitFor(() => dev.runtime?.session?.connected === true && dev.runtime.session.stats.connects >= 2, "reconnect after restore");
		});
	});
}

describe("broker down at boot", () => {
	it("retries with backoff and connects when the broker appears", async () => {
		const port = await freePort();
		const clock = new RealClock();
		const lines: string[] = [];
		const fleet = new Fleet({ broker: { host: "127.0.0.1", port }, clock, onLine: (_id, l) => lines.push(l) });
		await fleet.add({ id: "early", role: "light-pole", board: "generic", config: FAST });
		fleet.bootAll();
		const dev = fleet.get("early");
		await waitFor(() => (dev.runtime?.session?.stats.failures ?? 0) >= 3, "three failed attempts");
		expect(lines.filter((l) => l.includes("retry in")).length).toBeGreaterThanOrEqual(3);
		expect(lines.some((l) => l.includes("Error") && l.includes("at "))).toBe(false); // no stack traces
		const broker = await startAedes(port);
		try {
			await waitFor(() => dev.runtime?.session?.connected === true, "connect once the broker is up");
		} finally {
			fleet.shutdown();
			clock.cancelAll();
			await broker.close();
		}
	});
});

describe("bad configuration at boot", () => {
	it("halts with one clear line", async () => {
		const clock = new RealClock();
		const lines: string[] = [];
		const fleet = new Fleet({ broker: { host: "127.0.0.1", port: 1 }, clock, onLine: (_id, l) => lines.push(l) });
		await fleet.add({ id: "bad", role: "light-pole", board: "generic", config: { mqttPort: 99_999 } });
		const rt = fleet.get("bad").boot();
		expect(rt?.state).toBe("halted");
		expect(lines.filter((l) => l.includes("ERROR"))).toEqual([expect.stringContaining('halted: ConfigError: config: default for "mqttPort" is invalid: 99999 is outside 1..65535')]);
		fleet.shutdown();
		clock.cancelAll();
	});
	it("unknown role and board are one-line errors", async () => {
		const fleet = new Fleet({ broker: { host: "127.0.0.1", port: 1 }, clock: new RealClock() });
		await expect(fleet.add({ id: "x", role: "kiosk", board: "generic" })).rejects.toThrow('unknown role "kiosk"');
		await expect(fleet.add({ id: "y", role: "light-pole", board: "esp8266" })).rejects.toThrow('unknown board "esp8266"');
	});
});

// Keep the unused import honest for type-only use.
export type { MqttClient };
