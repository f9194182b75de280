/*
 * The control plane end to end: the ops tools (tools/ops/control.ts) against
 * the real firmware in the host simulator, through Mosquitto and aedes.
 * Commands with replay protection and expiry, remote config (live, pending a
 * reboot, rejected), remote logs, and a reboot command that must not run
 * twice when replayed after the reboot.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { Fleet } from "../../host-sim/fleet";
import type { SimDevice } from "../../host-sim/device";
import { Control } from "../../tools/ops/control";
import { OpsServer } from "../../tools/ops/server";
import { startAedes, startMosquitto, waitFor, type TestBroker } from "../support/brokers";

const CONFIG = { backoffMinMs: 100, backoffMaxMs: 1_000, healthMs: 60_000, keepaliveMs: 10_000, logRateMs: 2_000 };

for (const start of [startMosquitto, startAedes]) {
	describe(`control plane on ${start === startMosquitto ? "mosquitto" : "aedes"}`, () => {
		let broker: TestBroker;
		let ops: OpsServer;
		let control: Control;
		let clock: RealClock;
		let fleet: Fleet;
		let dev: SimDevice;
		const lines: string[] = [];

		beforeAll(async () => {
			broker = await start();
		});
		afterAll(async () => {
			await broker.close();
		});
		afterEach(async () => {
			fleet?.shutdown();
			clock?.cancelAll();
			await control?.close();
			await ops?.stop();
		});

		async function pole(id: string): Promise<void> {
			ops = new OpsServer({ broker: broker.url });
			await ops.start();
			control = new Control();
			await control.connect(broker.url);
			clock = new RealClock();
			fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock, onLine: (_id, l) => lines.push(l) });
			dev = await fleet.add({ id, role: "light-pole", board: "generic", config: CONFIG });
			dev.boot();
			await waitFor(() => dev.runtime?.cloud?.clock.synced === true, "clock synced from the acker");
		}

		it("commands: ok, replay, expired, unknown, malformed", async () => {
			await pole("ctl-cmd");
			const ping = await control.command("ctl-cmd", "ping", { id: "ping-1" });
			expect(ping).toMatchObject({ ok: true, code: "ok", id: "ping-1" });
			expect(typeof ping.data?.uptimeS).toBe("number");
			expect((await control.command("ctl-cmd", "ping", { id: "ping-1" })).code).toBe("replay");
			expect((await control.command("ctl-cmd", "ping", { ttlMs: -5_000 })).code).toBe("expired");
			expect((await control.command("ctl-cmd", "ping", { ttlMs: 48 * 3_600_000 })).code).toBe("too-far");
			const unknown = await control.command("ctl-cmd", "self-destruct");
			expect(unknown.code).toBe("unknown-command");
			expect(unknown.msg).toContain("ping");
			// Garbage on the command topic gets a "malformed" result with the reason.
			const results: string[] = [];
			const watcher = new Control();
			await watcher.connect(broker.url);
			const pending = watcher.command("ctl-cmd", "outbox"); // a valid one after the garbage, to know the garbage was handled
			await control.publishRaw("ctl-cmd", "cmd", Uint8Array.of(0xa1, 0x61, 0x76));
			const outbox = await pending;
			await watcher.close();
			expect(outbox.ok).toBe(true);
			expect(typeof outbox.data?.pending).toBe("number");
			results.push(...lines.filter((l) => l.includes("refused: malformed")));
			expect(results.length).toBeGreaterThanOrEqual(1);
			expect(dev.runtime!.cloud!.commands.stats.refused).toBeGreaterThanOrEqual(5);
		});

		it("remote config: live, pending reboot, rejected keeps the last good config", async () => {
			await pole("ctl-cfg");
			const live = await control.configure("ctl-cfg", { healthMs: 30_000, logLevel: "debug" });
			expect(live.state).toBe("applied");
			expect(live.values.healthMs).toBe(30_000);
			expect(live.values.mqttPass).toBe("");
			const later = await control.configure("ctl-cfg", { keepaliveMs: 20_000 });
			expect(later.state).toBe("pending-reboot");
			expect(later.pending).toEqual(["keepaliveMs"]);
			const bad = await control.configure("ctl-cfg", { healthMs: 5, sampleMs: 2_000 });
			expect(bad.state).toBe("rejected");
			expect(bad.error).toContain("healthMs");
			expect(bad.values.healthMs).toBe(30_000); // all or nothing: sampleMs did not change either
			expect(bad.values.sampleMs).toBe(10_000);
			expect(bad.appliedRev).toBe(later.rev);
			const renamed = await control.configure("ctl-cfg", { deviceId: "evil" });
			expect(renamed.state).toBe("rejected");
			expect(renamed.error).toContain("cannot be set remotely");
			// After a reboot the stored keys apply, and the device reports that once it is back.
			dev.powerOff();
			dev.boot();
			await waitFor(() => dev.runtime?.session?.connected === true, "back online");
			const after = await control.reported("ctl-cfg", 5_000);
			expect(after?.values.keepaliveMs).toBe(20_000);
			expect(after?.state).toBe("applied");
		});

		it("remote logs on request, rate-limited", async () => {
			await pole("ctl-log");
			const log = await control.logs("ctl-log");
			expect(log.reason).toBe("request");
			expect(log.e.some(([, , tag, msg]) => tag === "boot" && msg.includes("Curbside"))).toBe(true);
			const again = await control.command("ctl-log", "logs");
			expect(again.ok).toBe(true);
			expect(again.data?.entries).toBe(0);
			expect(again.data?.retryInMs).toBeGreaterThan(0);
		});

		it("reboot runs once: the replayed command is refused after the reboot", async () => {
			await pole("ctl-boot");
			const r = await control.command("ctl-boot", "reboot", { id: "reboot-1", args: { delayMs: 200 } });
			expect(r.ok).toBe(true);
			await waitFor(() => dev.boots === 2 && dev.runtime?.cloud?.clock.synced === true, "rebooted and re-synced");
			expect(dev.bridge?.resetReason).toBe("sw");
			expect((await control.command("ctl-boot", "reboot", { id: "reboot-1", args: { delayMs: 200 } })).code).toBe("replay");
			expect((await control.command("ctl-boot", "reboot", { args: { delayMs: "soon" } })).code).toBe("bad-args");
			await new Promise((res) => setTimeout(res, 500));
			expect(dev.boots).toBe(2);
		});
	});
}
