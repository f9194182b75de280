/*
 * Over-the-air updates end to end: the real firmware in the host simulator
 * (bootloader, otadata and both app slots modelled at the byte), Mosquitto on
 * loopback, the ops acker and the ops OTA service, packages made and signed
 * by the real tools. Each case checks what the device runs afterwards, what
 * it reported through its outbox, and that nothing unsigned or older runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimDevice } from "../../host-sim/device";
import { encodePayload } from "../../firmware/contract/codec";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { startMosquitto, type TestBroker } from "../support/brokers";
import { OtaLab, FIRMWARE_VERSION } from "./support/ota-lab";

const MIN = 60_000;

describe("OTA end to end on Mosquitto", () => {
	let broker: TestBroker;
	let lab: OtaLab;

	beforeAll(async () => {
		broker = await startMosquitto();
		lab = new OtaLab(broker);
		await lab.start();
	});
	afterAll(async () => {
		await lab?.stop();
		await broker?.close();
	});

	const online = (dev: SimDevice) => !!dev.runtime?.session?.connected;
	const done = (dev: SimDevice, state: string) => () => lab.states(dev).includes(state);

	it("a light pole downloads, verifies, applies, passes its trial and confirms; progress and results reach the cloud", async () => {
		const dev = await lab.device("pole-ok");
		await lab.until(() => online(dev), 30_000, "pole online");
		const pkg = await lab.release({ version: "0.2.0", size: 100_000 });
		const id = await lab.offer(pkg, dev);
		await lab.until(done(dev, "confirmed"), 10 * MIN, "confirmed");
		expect(dev.bootedVersion).toBe("0.2.0");
		expect(dev.otaState()).toBe("valid");
		expect(lab.runsSigned(dev)).toBe(true);
		expect(lab.states(dev)).toEqual(["applying", "trial", "confirmed"]);
		const progress = lab.events.filter((e) => e.kind === "progress" && e.device === dev.id).map((e) => (e.kind === "progress" ? e.progress : undefined)!);
		expect(progress.some((p) => p.state === "downloading" && p.got! > 0 && p.got! < p.of!)).toBe(true);
		expect(progress.at(-1)).toMatchObject({ id, state: "confirmed", fw: "0.2.0" });
		const traffic = lab.service.traffic(id)!;
		expect(traffic.dataBytes).toBeGreaterThanOrEqual(pkg.image.byteLength);
		expect(traffic.dataBytes).toBeLessThan(pkg.image.byteLength * 1.5);
		// The retained offer is heard again after the reboot: the confirmed image must not take it twice.
		await lab.pump(MIN);
		expect(lab.states(dev).filter((s) => s === "applying")).toHaveLength(1);
	}, 120_000);

	it("refuses a wrong key, a downgrade, the same version, another board or role, with reasons, and keeps running", async () => {
		const dev = await lab.device("pole-refuse");
		await lab.until(() => online(dev), 30_000, "online");
		const ids: string[] = [];
		const cases: [Parameters<OtaLab["release"]>[0], string][] = [
			[{ version: "0.3.0", strangerKey: true }, "signature does not verify"],
			[{ version: "0.0.5" }, "downgrade refused: 0.0.5 is older"],
			[{ version: FIRMWARE_VERSION }, "already running"],
			[{ version: "0.3.0", sec: 0 }, "security version 0 is below"],
			[{ version: "0.3.0", board: "m5paper" }, "image is for board m5paper"],
			[{ version: "0.3.0", role: "stop-sign" }, "image is for role stop-sign"],
		];
		for (const [release, reason] of cases) {
			const before = (lab.results.get(dev.id) ?? []).length;
			const id = await lab.offer(await lab.release(release), dev);
			ids.push(id);
			await lab.until(() => (lab.results.get(dev.id) ?? []).length > before, 2 * MIN, `refusal of ${release.version}`);
			const last = lab.results.get(dev.id)!.at(-1)!;
			expect(last.state).toBe("refused");
			expect(last.reason).toContain(reason);
		}
		expect(dev.bootedVersion).toBe(FIRMWARE_VERSION);
		expect(dev.runtime?.state).toBe("running");
		// Refused before a single chunk was asked for.
		for (const id of ids) expect(lab.service.traffic(id)?.requests ?? 0, id).toBe(0);
	}, 120_000);

	it("a damaged chunk is asked for again; a server whose image is short of its manifest fails the update cleanly", async () => {
		const dev = await lab.device("pole-chunks");
		await lab.until(() => online(dev), 30_000, "online");
		let damaged = 0;
		lab.chunkFault = (device, c) => {
			if (device !== dev.id || !c.data) return c;
			if (c.i === 3 && damaged < 2) {
				damaged++;
				const data = c.data.slice();
				data[100] ^= 0x40;
				return { ...c, data }; // crc of the original: damaged in transit
			}
			if (c.i === 5 && damaged < 3) {
				damaged++;
				return undefined; // lost
			}
			return c;
		};
		const pkg = await lab.release({ version: "0.2.1", size: 40_000 });
		await lab.offer(pkg, dev);
		await lab.until(done(dev, "confirmed"), 10 * MIN, "confirmed after damaged chunks");
		expect(damaged).toBe(3);
		expect(dev.bootedVersion).toBe("0.2.1");
		lab.chunkFault = undefined;

		// Truncated on the server: its copy ends after 7 chunks although the manifest names 10.
		lab.chunkFault = (device, c) => (device === dev.id && c.i >= 7 ? { v: 1, id: c.id, i: c.i, err: "out-of-range" } : c);
		await lab.offer(await lab.release({ version: "0.2.2", size: 40_000 }), dev);
		await lab.until(done(dev, "failed"), 5 * MIN, "truncated image fails");
		const failed = lab.results.get(dev.id)!.find((e) => e.state === "failed")!;
		lab.chunkFault = undefined;
		expect(failed.reason).toContain("shorter than its manifest");
		expect(dev.bootedVersion).toBe("0.2.1");
		expect(dev.otaState()).toBe("valid");
	}, 120_000);

	it("a substituted image with a valid chunk CRC is caught by the SHA-256 over flash, and nothing is applied", async () => {
		const dev = await lab.device("pole-swap");
		await lab.until(() => online(dev), 30_000, "online");
		lab.chunkFault = (device, c) => {
			if (device !== dev.id || !c.data || c.i !== 2) return c;
			const data = c.data.slice();
			data[7] ^= 1;
			return { ...c, data, crc: crc32(data) };
		};
		await lab.offer(await lab.release({ version: "0.4.0", size: 30_000 }), dev);
		await lab.until(done(dev, "failed"), 5 * MIN, "hash mismatch");
		lab.chunkFault = undefined;
		expect(lab.results.get(dev.id)!.at(-1)!.reason).toContain("SHA-256 does not match");
		expect(dev.bootedVersion).toBe(FIRMWARE_VERSION);
		expect(lab.states(dev)).not.toContain("applying");
	}, 120_000);

	it("a broker outage mid-download resumes from the last chunk, not from zero", async () => {
		const dev = await lab.device("pole-outage");
		await lab.until(() => online(dev), 30_000, "online");
		const pkg = await lab.release({ version: "0.2.3", size: 200_000 });
		const id = await lab.offer(pkg, dev);
		const served = () => lab.events.filter((e) => e.kind === "served" && e.device === dev.id && !e.err).reduce((n, e) => n + (e.kind === "served" ? e.n : 0), 0);
		await lab.until(() => served() >= 20, 5 * MIN, "20 chunks served");
		await broker.stop();
		await lab.pump(2 * MIN, 200);
		await broker.start();
		await lab.until(done(dev, "confirmed"), 15 * MIN, "confirmed after the outage", 100);
		const chunks = Math.ceil(pkg.image.byteLength / 4096);
		const t = lab.service.traffic(id)!;
		expect(t.chunks).toBeGreaterThanOrEqual(chunks);
		// The old image wrote every chunk exactly once (in order, never from zero again); it is gone now, so count on the wire:
		expect(t.dataBytes).toBeLessThan(pkg.image.byteLength * 1.5);
		expect(dev.bootedVersion).toBe("0.2.3");
	}, 180_000);

	it("a refused offer arriving mid-download does not stall the download in progress", async () => {
		const dev = await lab.device("pole-interrupt");
		await lab.until(() => online(dev), 30_000, "online");
		await lab.offer(await lab.release({ version: "0.2.4", size: 120_000 }), dev);
		await lab.until(() => lab.agentStats(dev).chunks >= 5, 5 * MIN, "5 chunks written");
		await lab.offer(await lab.release({ version: "0.0.7" }), dev);
		await lab.until(done(dev, "refused"), 2 * MIN, "downgrade refused");
		await lab.until(done(dev, "confirmed"), 10 * MIN, "first update confirmed");
		expect(dev.bootedVersion).toBe("0.2.4");
	}, 120_000);

	it("a new image that fails its health check rolls back by itself and says why", async () => {
		// A stop sign whose new build lost its stop id: it can never show a board.
		const dev = await lab.device("sign-bad", "stop-sign");
		await lab.until(() => online(dev), 30_000, "online");
		const pkg = await lab.release({ version: "0.5.0", role: "stop-sign", config: { stopId: "" } });
		await lab.offer(pkg, dev);
		await lab.until(done(dev, "rolled-back"), 10 * MIN, "rolled back");
		await lab.until(() => dev.bootedVersion === FIRMWARE_VERSION && online(dev), 2 * MIN, "old image back online");
		const rb = lab.results.get(dev.id)!.find((e) => e.state === "rolled-back")!;
		expect(rb.reason).toContain("no stopId");
		expect(dev.otaState()).toBe("valid");
		expect(lab.runsSigned(dev)).toBe(true);
	}, 120_000);

	it("an image that crashes at boot is rolled back by the bootloader (boot loop in trial)", async () => {
		const dev = await lab.device("pole-crash");
		await lab.until(() => online(dev), 30_000, "online");
		await lab.offer(await lab.release({ version: "0.6.0", crashAfterMs: 500 }), dev);
		await lab.until(done(dev, "rolled-back"), 10 * MIN, "rolled back after the crash");
		expect(dev.bootedVersion).toBe(FIRMWARE_VERSION);
		expect(dev.bricked).toBeUndefined();
		const rb = lab.results.get(dev.id)!.find((e) => e.state === "rolled-back")!;
		expect(rb.reason).toContain("did not confirm");
	}, 120_000);

	it("a confirmed image in a crash loop enters safe mode (lamp at its fail-safe level), and an update gets it out", async () => {
		const dev = await lab.device("pole-loop", "light-pole", { parts: "lamp", lampSafePct: 80, safeBoots: 3 });
		await lab.until(() => online(dev), 30_000, "online");
		for (let i = 0; i < 3; i++) {
			await lab.pump(5_000);
			lab.powerCycle(dev, "panic");
		}
		await lab.until(() => online(dev), 30_000, "online in safe mode");
		expect((dev.runtime as { safeMode?: boolean }).safeMode).toBe(true);
		const lamp = (dev.bridge!.board as { parts: { lamp: { lightPercent: number } } }).parts.lamp;
		expect(lamp.lightPercent).toBeCloseTo(80, 0);
		await lab.until(done(dev, "safe-mode"), 2 * MIN, "safe-mode event stored");
		// Safe mode outlives a plain power cycle: the loop would only start again.
		lab.powerCycle(dev, "poweron");
		expect((dev.runtime as { safeMode?: boolean }).safeMode).toBe(true);
		await lab.until(() => online(dev), 30_000, "online");
		await lab.offer(await lab.release({ version: "0.7.0" }), dev);
		await lab.until(done(dev, "confirmed"), 10 * MIN, "fixed image confirmed");
		expect(dev.bootedVersion).toBe("0.7.0");
		expect((dev.runtime as { safeMode?: boolean }).safeMode).toBe(false);
	}, 120_000);

	it("a malformed offer is ignored with a log line and the device keeps running", async () => {
		const dev = await lab.device("pole-junk");
		await lab.until(() => online(dev), 30_000, "online");
		const { default: mqtt } = await import("mqtt");
		const c = await mqtt.connectAsync(broker.url);
		await c.publishAsync(`cs/v1/dev/${dev.id}/ota/offer`, Buffer.from([0xa1, 0x61]), { retain: false });
		await c.publishAsync(`cs/v1/dev/${dev.id}/ota/chunk`, Buffer.from(encodePayload("ota/chunk", { v: 1, id: "nobody", i: 0, err: "paused" })));
		await c.endAsync();
		await lab.pump(5_000);
		expect(lab.lines.some((l) => l.startsWith(dev.id) && l.includes("offer ignored"))).toBe(true);
		expect(dev.runtime?.state).toBe("running");
	}, 60_000);
});
