/*
 * The OTA chunk server (tools/ops/ota-service.ts) and `ota publish`
 * (tools/commands/ota-publish.ts) against a real Mosquitto on 127.0.0.1,
 * with scripted fake device clients (mqtt.js) that speak the wire contract:
 * they verify the offer's signature, request chunks in batches, drop some,
 * re-request what is missing, and check every CRC and the image's SHA-256.
 * The firmware's own OTA client runs in the simulator's e2e tests, not here.
 */
import { createHash, generateKeyPairSync, verify } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import type { OtaChunk, OtaState } from "../../firmware/contract/ota-payloads";
import { deviceTopic } from "../../firmware/contract/topics";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { runOtaControl, runOtaPublish, offerIdFor, type PublishIo } from "../../tools/commands/ota-publish";
import { Campaign, DEFAULT_POLICY } from "../../tools/ops/campaign";
import { loadCampaign, saveCampaign } from "../../tools/ops/campaign-store";
import { OtaService, overheadPercent, publishWireBytes, type OtaServiceEvent } from "../../tools/ops/ota-service";
import { packImage, signPackage, writePackage, type OtaPackage } from "../../tools/ota/package";
import { startMosquitto, waitFor, type TestBroker } from "../support/brokers";

const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });

function image(size: number, seed = 1): Uint8Array {
	const out = new Uint8Array(size);
	let x = seed;
	for (let i = 0; i < size; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
	out[0] = 0; // not 0xE9: no ESP32 app header, so packImage takes it as opaque bytes
	return out;
}

function pkgOf(bytes: Uint8Array, chunk = 4096, version = "1.2.0"): OtaPackage {
	return signPackage(packImage(bytes, { board: "generic", role: "stop-sign", version, sec: 1, chunk, created: 1 }), keys.privateKey);
}

async function client(url: string, id: string): Promise<MqttClient> {
	const c = mqtt.connect(url, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 });
	await new Promise<void>((resolve, reject) => (c.once("connect", () => resolve()), c.once("error", reject)));
	return c;
}

/**
 * A scripted device: takes its retained offer, checks the signature like the
 * firmware does, then pulls chunks in batches of `batch`, ignoring the first
 * copy of every chunk `drop` picks and re-requesting what is missing after
 * `retryMs`. Counts the MQTT bytes of every chunk message it receives.
 */
class FakeDevice {
	readonly chunks = new Map<number, Uint8Array>();
	readonly replies: OtaChunk[] = [];
	readonly crcFailures: number[] = [];
	offer: { id: string; manifest: ReturnType<typeof decodePayload<"ota-manifest">> } | undefined;
	offers = 0;
	withdrawn = 0;
	sigOk = false;
	chunkWireBytes = 0;
	#dropped = new Set<number>();
	constructor(
		readonly id: string,
		readonly c: MqttClient,
		readonly drop: (i: number) => boolean = () => false,
	) {
		c.on("packetreceive", (p) => {
			if (p.cmd === "publish" && p.topic === deviceTopic(id, "ota/chunk")) {
				const len = p.length ?? 0;
				this.chunkWireBytes += 1 + (len < 128 ? 1 : len < 16_384 ? 2 : 3) + len;
			}
		});
		c.on("message", (topic, payload) => {
			if (topic === deviceTopic(id, "ota/offer")) {
				if (payload.byteLength === 0) {
					this.withdrawn++;
					this.offer = undefined;
					return;
				}
				const o = decodePayload("ota/offer", payload);
				this.sigOk = verify("sha256", o.manifest, { key: keys.publicKey, dsaEncoding: "ieee-p1363" }, o.sig);
				this.offer = { id: o.id, manifest: decodePayload("ota-manifest", o.manifest) };
				this.offers++;
			} else if (topic === deviceTopic(id, "ota/chunk")) {
				const ch = decodePayload("ota/chunk", payload);
				this.replies.push(ch);
				if (!ch.data) return;
				if (this.drop(ch.i) && !this.#dropped.has(ch.i)) {
					this.#dropped.add(ch.i);
					return;
				}
				if (crc32(ch.data) !== ch.crc) this.crcFailures.push(ch.i);
				else this.chunks.set(ch.i, new Uint8Array(ch.data));
			}
		});
	}

	static async start(url: string, id: string, drop?: (i: number) => boolean, status?: { fw: string; role?: string; board?: string }): Promise<FakeDevice> {
		const c = await client(url, `fake-${id}`);
		if (status) await c.publishAsync(deviceTopic(id, "status"), Buffer.from(encodePayload("status", { v: 1, state: "online", role: "stop-sign", board: "generic", ...status } as never)), { qos: 1, retain: true });
		await c.subscribeAsync([deviceTopic(id, "ota/offer"), deviceTopic(id, "ota/chunk")], { qos: 0 });
		return new FakeDevice(id, c, drop);
	}

	request(offerId: string, i: number, n: number): void {
		this.c.publish(deviceTopic(this.id, "ota/req"), Buffer.from(encodePayload("ota/req", { v: 1, id: offerId, i, n })), { qos: 0 });
	}

	/** Downloads the offered image; resolves with it once every chunk is in and the SHA-256 matches the manifest. */
	async download(batch = 8, retryMs = 300): Promise<Uint8Array> {
		await waitFor(() => this.offer !== undefined, `offer for ${this.id}`);
		const m = this.offer!.manifest;
		const count = Math.ceil(m.size / m.chunk);
		const end = Date.now() + 30_000;
		while (this.chunks.size < count) {
			if (Date.now() > end) throw new Error(`${this.id}: download stuck at ${this.chunks.size}/${count}`);
			const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !this.chunks.has(i));
			const first = missing[0];
			this.request(this.offer!.id, first, Math.min(batch, count - first));
			const want = this.chunks.size + Math.min(batch, count - first);
			const until = Date.now() + retryMs;
			while (this.chunks.size < want && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
		}
		const out = new Uint8Array(m.size);
		for (const [i, data] of this.chunks) out.set(data, i * m.chunk);
		if (!Buffer.from(createHash("sha256").update(out).digest()).equals(Buffer.from(m.sha256))) throw new Error(`${this.id}: SHA-256 mismatch`);
		return out;
	}

	async progress(offerId: string, state: OtaState, fw: string, extra: Record<string, unknown> = {}): Promise<void> {
		await this.c.publishAsync(deviceTopic(this.id, "ota/progress"), Buffer.from(encodePayload("ota/progress", { v: 1, id: offerId, state, fw, ...extra })), { qos: 0 });
	}

	close(): Promise<void> {
		return this.c.endAsync(true);
	}
}

let broker: TestBroker;
beforeAll(async () => {
	broker = await startMosquitto();
});
afterAll(async () => {
	await broker?.close();
});

async function service(options: ConstructorParameters<typeof OtaService>[0] = {}): Promise<{ svc: OtaService; events: OtaServiceEvent[] }> {
	const svc = new OtaService(options);
	const events: OtaServiceEvent[] = [];
	svc.onEvent = (e) => events.push(e);
	await svc.connect(broker.url);
	return { svc, events };
}

describe("OtaService on Mosquitto", () => {
	it("serves a whole image to a device that drops chunks and re-requests: every byte and CRC checks, bytes are counted exactly", async () => {
		const img = image(20 * 4096 + 1234);
		const { svc } = await service();
		svc.addPackage("rel-1", pkgOf(img));
		const dev = await FakeDevice.start(broker.url, "dev-drop", (i) => i % 5 === 2);
		await svc.offer("dev-drop", "rel-1");
		const got = await dev.download();
		expect(dev.sigOk).toBe(true);
		expect(Buffer.from(got).equals(Buffer.from(img))).toBe(true);
		expect(dev.crcFailures).toEqual([]);
		const last = dev.replies.filter((r) => r.i === 20 && r.data);
		expect(last[0].data!.byteLength).toBe(1234);
		const t = svc.traffic("rel-1")!;
		// Each dropped chunk was sent twice; the device's own count of chunk MQTT bytes equals the service's.
		expect(t.dataBytes).toBeGreaterThan(img.byteLength);
		expect(t.chunks).toBe(dev.replies.length);
		await waitFor(() => dev.chunkWireBytes === t.chunkWireBytes, "device byte count to match");
		expect(t.errors).toBe(0);
		await svc.close();
		await dev.close();
	});

	it("measures the MQTT overhead of a clean 4 KiB-chunk download (requests of 8 included)", async () => {
		const img = image(96 * 4096, 7);
		const { svc } = await service();
		svc.addPackage("rel-clean", pkgOf(img));
		const dev = await FakeDevice.start(broker.url, "dev-clean");
		await svc.offer("dev-clean", "rel-clean");
		await dev.download();
		const t = svc.traffic("rel-clean")!;
		expect(t.dataBytes).toBe(img.byteLength);
		expect(t.requests).toBe(12);
		const pct = overheadPercent(t);
		// Per chunk: 5 B fixed header and length, 2 + 30 B topic, ~30 B of CBOR around the data; per request ~70 B.
		expect(pct).toBeGreaterThan(1);
		expect(pct).toBeLessThan(3);
		console.log(`ota-service: 4 KiB chunks, batches of 8: MQTT overhead ${pct.toFixed(2)} % (${t.chunkWireBytes + t.requestWireBytes} B for ${t.dataBytes} B of image)`);
		await svc.close();
		await dev.close();
	});

	it("an unknown offer id gets unknown-offer for every index asked", async () => {
		const { svc } = await service();
		const dev = await FakeDevice.start(broker.url, "dev-unknown");
		dev.request("nope", 3, 2);
		await waitFor(() => dev.replies.length === 2, "two replies");
		expect(dev.replies.map((r) => [r.i, r.err, r.data])).toEqual([
			[3, "unknown-offer", undefined],
			[4, "unknown-offer", undefined],
		]);
		await svc.close();
		await dev.close();
	});

	it("indices past the last chunk get out-of-range; those before it still get data", async () => {
		const { svc } = await service();
		svc.addPackage("rel-oor", pkgOf(image(3 * 1024 + 10), 1024));
		const dev = await FakeDevice.start(broker.url, "dev-oor");
		await svc.offer("dev-oor", "rel-oor");
		dev.request("rel-oor", 3, 3);
		await waitFor(() => dev.replies.length === 3, "three replies");
		expect(dev.replies.map((r) => [r.i, r.err ?? r.data!.byteLength])).toEqual([
			[3, 10],
			[4, "out-of-range"],
			[5, "out-of-range"],
		]);
		await svc.close();
		await dev.close();
	});

	it("a paused offer answers paused; resumed, it serves again", async () => {
		const { svc } = await service();
		svc.addPackage("rel-p", pkgOf(image(4096)));
		const dev = await FakeDevice.start(broker.url, "dev-p");
		await svc.offer("dev-p", "rel-p");
		svc.setPaused("rel-p", true);
		expect(svc.isPaused("rel-p")).toBe(true);
		dev.request("rel-p", 0, 1);
		await waitFor(() => dev.replies.length === 1, "paused reply");
		expect(dev.replies[0].err).toBe("paused");
		svc.setPaused("rel-p", false);
		dev.request("rel-p", 0, 1);
		await waitFor(() => dev.replies.length === 2, "data reply");
		expect(dev.replies[1].data?.byteLength).toBe(4096);
		await svc.close();
		await dev.close();
	});

	it("withdraw clears the retained offer and stops serving that device", async () => {
		const { svc } = await service();
		svc.addPackage("rel-w", pkgOf(image(2048), 1024));
		const dev = await FakeDevice.start(broker.url, "dev-w");
		await svc.offer("dev-w", "rel-w");
		await waitFor(() => dev.offers === 1, "offer");
		await svc.withdraw("dev-w");
		await waitFor(() => dev.withdrawn === 1, "withdrawal");
		// A device connecting now finds no retained offer.
		const late = await client(broker.url, "late-dev-w");
		const seen: Buffer[] = [];
		late.on("message", (_t, p) => seen.push(p));
		await late.subscribeAsync(deviceTopic("dev-w", "ota/offer"), { qos: 0 });
		await new Promise((r) => setTimeout(r, 300));
		expect(seen).toEqual([]);
		dev.request("rel-w", 0, 1);
		await waitFor(() => dev.replies.length === 1, "reply");
		expect(dev.replies[0].err).toBe("unknown-offer");
		// Offered again (a retry), it is served again.
		await svc.offer("dev-w", "rel-w");
		dev.request("rel-w", 0, 1);
		await waitFor(() => dev.replies.length === 2, "reply");
		expect(dev.replies[1].data).toBeDefined();
		await late.endAsync(true);
		await svc.close();
		await dev.close();
	});

	it("a malformed request is reported and never answered", async () => {
		const { svc, events } = await service();
		const dev = await FakeDevice.start(broker.url, "dev-bad");
		dev.c.publish(deviceTopic("dev-bad", "ota/req"), Buffer.from(encodePayload("ota/progress", { v: 1, id: "x", state: "offered", fw: "1.0.0" })));
		dev.c.publish(deviceTopic("dev-bad", "ota/req"), Buffer.from([0xff, 0x00]));
		await waitFor(() => events.filter((e) => e.kind === "rejected").length === 2, "two rejections");
		expect(events.find((e) => e.kind === "rejected")).toMatchObject({ topic: deviceTopic("dev-bad", "ota/req") });
		await new Promise((r) => setTimeout(r, 200));
		expect(dev.replies).toEqual([]);
		await svc.close();
		await dev.close();
	});

	it("a device flooding requests is throttled to its burst plus the steady rate", async () => {
		const { svc, events } = await service({ requestsPerS: 5, requestBurst: 10 });
		svc.addPackage("rel-f", pkgOf(image(4096 * 4)));
		const dev = await FakeDevice.start(broker.url, "dev-flood");
		await svc.offer("dev-flood", "rel-f");
		const start = Date.now();
		for (let k = 0; k < 200; k++) dev.request("rel-f", 0, 1);
		await waitFor(() => events.filter((e) => e.kind === "served" || e.kind === "throttled").length === 200, "all requests handled");
		const elapsedS = (Date.now() - start) / 1000;
		const served = events.filter((e) => e.kind === "served").length;
		expect(served).toBeGreaterThanOrEqual(10);
		expect(served).toBeLessThanOrEqual(10 + Math.ceil(5 * elapsedS) + 1);
		expect(svc.traffic("rel-f")!.throttled).toBe(200 - served);
		await svc.close();
		await dev.close();
	});

	it("two services in one share group serve each request once", async () => {
		const a = await service({ shareGroup: "ota-test" });
		const b = await service({ shareGroup: "ota-test" });
		const pkg = pkgOf(image(8 * 1024), 1024);
		a.svc.addPackage("rel-s", pkg);
		b.svc.addPackage("rel-s", pkg);
		const dev = await FakeDevice.start(broker.url, "dev-share");
		for (let k = 0; k < 20; k++) dev.request("rel-s", k % 8, 1);
		await waitFor(() => dev.replies.length >= 20, "20 replies");
		await new Promise((r) => setTimeout(r, 300));
		expect(dev.replies).toHaveLength(20);
		const served = (s: OtaService) => s.traffic("rel-s")!.chunks;
		expect(served(a.svc) + served(b.svc)).toBe(20);
		await Promise.all([a.svc.close(), b.svc.close(), dev.close()]);
	});

	it("follows ota/progress and the ota records in up batches (deduped), and never acks", async () => {
		const { svc, events } = await service();
		const dev = await FakeDevice.start(broker.url, "dev-rep");
		const acks: Buffer[] = [];
		const spy = await client(broker.url, "ack-spy");
		spy.on("message", (_t, p) => acks.push(p));
		await spy.subscribeAsync(deviceTopic("dev-rep", "ack"));
		await dev.progress("rel-r", "downloading", "1.1.0", { got: 3, of: 10, to: "1.2.0" });
		const batch = encodePayload("up", {
			v: 1,
			id: 1,
			tx: 5,
			boot: 2,
			r: [
				[7, [2, 100], "ota", { id: "rel-r", state: "confirmed", fw: "1.2.0" }],
				[8, [2, 101], "outbox.loss", { first: 1, last: 2, count: 2 }],
			],
		});
		await dev.c.publishAsync(deviceTopic("dev-rep", "up"), Buffer.from(batch));
		await dev.c.publishAsync(deviceTopic("dev-rep", "up"), Buffer.from(batch));
		await dev.c.publishAsync(deviceTopic("dev-rep", "up"), Buffer.from(encodePayload("up", { v: 1, id: 2, tx: 6, boot: 2, r: [[9, 1, "ota", { id: "rel-r", state: "bogus", fw: "1" }]] })));
		await waitFor(() => events.some((e) => e.kind === "rejected"), "bad record rejected");
		expect(events.find((e) => e.kind === "progress")).toMatchObject({ device: "dev-rep", progress: { state: "downloading", got: 3, of: 10 } });
		expect(events.filter((e) => e.kind === "record")).toEqual([{ kind: "record", device: "dev-rep", seq: 7, event: { id: "rel-r", state: "confirmed", fw: "1.2.0" } }]);
		await new Promise((r) => setTimeout(r, 200));
		expect(acks).toEqual([]);
		await Promise.all([svc.close(), dev.close(), spy.endAsync(true)]);
	});

	it("refuses an unsigned package and a second package under a taken offer id", async () => {
		const svc = new OtaService();
		const unsigned = packImage(image(100), { board: "generic", role: "stop-sign", version: "1.2.0", sec: 1, created: 1 });
		expect(() => svc.addPackage("u", unsigned)).toThrow("is not signed");
		svc.addPackage("t", pkgOf(image(100)));
		svc.addPackage("t", pkgOf(image(100)));
		expect(() => svc.addPackage("t", pkgOf(image(100, 2)))).toThrow("already registered with another package");
		await expect(svc.offer("d", "missing")).rejects.toThrow("no package registered");
	});

	it("publishWireBytes follows MQTT 3.1.1 §3.3 framing", () => {
		expect(publishWireBytes("a/b", 0, 0)).toBe(1 + 1 + 2 + 3);
		expect(publishWireBytes("a/b", 10, 1)).toBe(1 + 1 + 2 + 3 + 2 + 10);
		expect(publishWireBytes("t", 4096, 0)).toBe(1 + 2 + 2 + 1 + 4096);
		expect(publishWireBytes("t", 20_000, 0)).toBe(1 + 3 + 2 + 1 + 20_000);
	});
});

describe("ota publish on Mosquitto", () => {
	const tmp = () => mkdtempSync(join(tmpdir(), "curbside-publish-"));
	function io(extra: Partial<PublishIo> = {}): PublishIo & { lines: string[]; errors: string[] } {
		const lines: string[] = [];
		const errors: string[] = [];
		return { out: (l) => lines.push(l), err: (l) => errors.push(l), tty: false, pollMs: 50, birthsMs: 1_500, lines, errors, ...extra };
	}
	/** A device that downloads whatever it is offered and then reports `result`. */
	function autoUpdate(dev: FakeDevice, result: OtaState, via: "progress" | "record" = "progress"): void {
		let busy = false;
		const run = async () => {
			if (busy || !dev.offer) return;
			busy = true;
			const { id, manifest } = dev.offer;
			await dev.progress(id, "downloading", "1.1.0", { got: 0, of: Math.ceil(manifest.size / manifest.chunk), to: manifest.version });
			await dev.download(8, 200);
			if (via === "progress") await dev.progress(id, result, result === "confirmed" ? manifest.version : "1.1.0", { to: manifest.version });
			else await dev.c.publishAsync(deviceTopic(dev.id, "up"), Buffer.from(encodePayload("up", { v: 1, id: 1, tx: 1, boot: 1, r: [[1, 1, "ota", { id, state: result, fw: manifest.version }]] })));
		};
		dev.c.on("message", (topic) => topic.endsWith("/ota/offer") && setTimeout(() => void run(), 10));
		void run();
	}

	it("--device: offers, serves, follows results to done, clears the offers, exit 0; the state file says done", async () => {
		const dir = tmp();
		const path = join(dir, "sign-1.2.0.cspkg");
		const pkg = pkgOf(image(10 * 4096 + 7));
		writePackage(path, pkg);
		const a = await FakeDevice.start(broker.url, "pub-a", (i) => i === 3, { fw: "1.1.0" });
		const b = await FakeDevice.start(broker.url, "pub-b", undefined, { fw: "1.1.0" });
		const cur = await FakeDevice.start(broker.url, "pub-cur", undefined, { fw: "1.2.0" });
		autoUpdate(a, "confirmed");
		autoUpdate(b, "confirmed", "record");
		const o = io();
		const code = await runOtaPublish(path, { broker: broker.url, device: ["pub-a", "pub-b", "pub-cur"] }, o);
		expect(o.errors).toEqual([]);
		expect(code).toBe(0);
		expect(o.lines[0]).toBe(`campaign ${offerIdFor(pkg)}: 2 device(s) to update to 1.2.0, 1 already current, 0 skipped; waves 100 %, route cap 0.25`);
		expect(o.lines.some((l) => /^\[#+\.*\] \d+% wave 1\/1 · \d confirmed · 0 failed · .*downloading/.test(l))).toBe(true);
		expect(o.lines.at(-1)).toMatch(new RegExp(`^campaign ${offerIdFor(pkg)} done in \\d+s: 2 confirmed, 0 failed, 1 already on 1.2.0, 0 skipped$`));
		expect(o.lines.some((l) => /MQTT overhead \d+\.\d %/.test(l))).toBe(true);
		await waitFor(() => a.withdrawn === 1 && b.withdrawn === 1, "offers withdrawn");
		expect(cur.offers).toBe(0);
		const state = loadCampaign(join(dir, "sign-1.2.0.campaign.json"))!;
		expect(state.campaign.phase).toBe("done");
		expect(state.package.offerId).toBe(offerIdFor(pkg));
		expect(existsSync(join(dir, "sign-1.2.0.campaign.json.lock"))).toBe(false);
		// Run again: the stored campaign is done; nothing is offered twice.
		const again = io();
		expect(await runOtaPublish(path, { broker: broker.url, device: ["pub-a"] }, again)).toBe(0);
		expect(again.lines[0]).toContain("resuming from");
		await new Promise((r) => setTimeout(r, 200));
		expect(a.offers).toBe(1);
		await Promise.all([a.close(), b.close(), cur.close()]);
	});

	it("a failed result makes exit 1 and withdraws that offer", async () => {
		const dir = tmp();
		const path = join(dir, "p.cspkg");
		writePackage(path, pkgOf(image(4096), 1024, "1.3.0"));
		const d = await FakeDevice.start(broker.url, "pub-fail", undefined, { fw: "1.1.0" });
		autoUpdate(d, "rolled-back");
		const o = io();
		expect(await runOtaPublish(path, { broker: broker.url, device: ["pub-fail"], campaign: undefined, state: join(dir, "s.json") }, o)).toBe(1);
		expect(o.lines.at(-1)).toMatch(/ABORTED \(1 of 1 attempted devices failed/);
		await waitFor(() => d.withdrawn === 1, "offer withdrawn");
		await d.close();
	});

	it("pause and abort from another command reach the running publisher; the abort withdraws open offers", async () => {
		const dir = tmp();
		const path = join(dir, "p.cspkg");
		const state = join(dir, "c.json");
		writePackage(path, pkgOf(image(4096), 1024, "1.4.0"));
		const d = await FakeDevice.start(broker.url, "pub-ctl", undefined, { fw: "1.1.0" });
		const o = io();
		const running = runOtaPublish(path, { broker: broker.url, device: ["pub-ctl"], state }, o);
		await waitFor(() => d.offers === 1, "offer");
		const exit = process.exitCode;
		try {
			expect(await runOtaControl("pause", { state })).toBe(0);
			expect(loadCampaign(state)!.campaign.phase).toBe("paused");
			d.request(d.offer!.id, 0, 1);
			await waitFor(() => d.replies.length === 1, "reply");
			expect(d.replies[0].err).toBe("paused");
			expect(await runOtaControl("abort", { state })).toBe(0);
		} finally {
			process.exitCode = exit;
		}
		expect(await running).toBe(1);
		expect(o.lines).toContain("operator: pause → paused");
		expect(o.lines.at(-1)).toMatch(/ABORTED \(aborted by operator\)/);
		await waitFor(() => d.withdrawn === 1, "offer withdrawn");
		expect(loadCampaign(state)!.controls.map((c) => c.action)).toEqual(["pause", "abort"]);
		await d.close();
	});

	it("a stopped publisher resumes from its state file: the open offer is re-published, not re-counted", async () => {
		const dir = tmp();
		const path = join(dir, "p.cspkg");
		const state = join(dir, "c.json");
		writePackage(path, pkgOf(image(4096), 1024, "1.5.0"));
		const d = await FakeDevice.start(broker.url, "pub-res", undefined, { fw: "1.1.0" });
		const first = io({ stop: new Promise((r) => setTimeout(r, 1_500)) });
		expect(await runOtaPublish(path, { broker: broker.url, device: ["pub-res"], state }, first)).toBe(1);
		expect(first.lines.at(-1)).toBe(`state saved in ${state}; run the same command to resume`);
		const stopped = loadCampaign(state)!;
		expect(stopped.campaign.devices["pub-res"]).toMatchObject({ phase: "offered", offers: 1 });
		const deadline = stopped.campaign.devices["pub-res"].deadline!;
		await new Promise((r) => setTimeout(r, 1_200));
		// Down time counts as a pause: the device's deadline moves by it.
		const second = io({ stop: new Promise((r) => setTimeout(r, 300)) });
		expect(await runOtaPublish(path, { broker: broker.url, device: [], state }, second)).toBe(1);
		expect(second.lines[1]).toMatch(/^  no publisher for [12]s: device deadlines and the bake move by that$/);
		expect(loadCampaign(state)!.campaign.devices["pub-res"].deadline! - deadline).toBeGreaterThanOrEqual(1_200);
		autoUpdate(d, "confirmed");
		const third = io();
		expect(await runOtaPublish(path, { broker: broker.url, device: [], state }, third)).toBe(0);
		expect(loadCampaign(state)!.campaign.devices["pub-res"]).toMatchObject({ phase: "confirmed", offers: 1 });
		await d.close();
	});

	it("an inventory cohort with a policy file: only tagged devices are offered, in waves", async () => {
		const dir = tmp();
		const path = join(dir, "p.cspkg");
		writePackage(path, pkgOf(image(2048), 1024, "1.6.0"));
		const ids = ["inv-1", "inv-2", "inv-3", "inv-4"];
		const devs = await Promise.all(ids.map((id) => FakeDevice.start(broker.url, id, undefined, { fw: "1.1.0" })));
		for (const d of devs) autoUpdate(d, "confirmed");
		writeFileSync(join(dir, "inv.json"), JSON.stringify([...ids.map((id, i) => ({ id, tags: i < 3 ? ["north"] : ["south"], routes: ["r1"] })), { id: "inv-ghost", tags: ["north"], routes: ["r1"] }]));
		writeFileSync(join(dir, "policy.json"), JSON.stringify({ waves: [33, 100], bakeMs: 0, minSuccess: 1, maxRouteShare: 0.5 }));
		const o = io();
		const code = await runOtaPublish(path, { broker: broker.url, device: [], cohort: "north", inventory: join(dir, "inv.json"), campaign: join(dir, "policy.json") }, o);
		expect(o.errors).toEqual([]);
		expect(code).toBe(0);
		expect(o.lines[0]).toContain("3 device(s) to update to 1.6.0, 0 already current, 2 skipped");
		expect(o.lines).toContain("  skipped 1: not in cohort north");
		expect(o.lines).toContain("  skipped 1: no status on the broker");
		expect(devs.map((d) => d.offers)).toEqual([1, 1, 1, 0]);
		const c = loadCampaign(join(dir, "p.campaign.json"))!.campaign;
		// Route r1 has 5 signs: at most 2 in flight, so the 2nd wave (2 devices) fits exactly.
		expect(c.waves.length).toBe(2);
		await Promise.all(devs.map((d) => d.close()));
	});

	it("bad inputs are one line and exit 2", async () => {
		const dir = tmp();
		const signed = join(dir, "s.cspkg");
		writePackage(signed, pkgOf(image(1024), 1024, "1.7.0"));
		const unsigned = join(dir, "u.cspkg");
		writePackage(unsigned, packImage(image(1024), { board: "generic", role: "stop-sign", version: "1.7.0", sec: 1, created: 1 }));
		writeFileSync(join(dir, "bad.json"), "[{");
		writeFileSync(join(dir, "policy.json"), JSON.stringify({ waves: [50] }));
		writeFileSync(join(dir, "inv.json"), JSON.stringify([{ id: "x1", tags: ["a"] }]));
		const pole = await FakeDevice.start(broker.url, "pub-pole", undefined, { fw: "1.0.0", role: "light-pole" });
		const cases: [string, Parameters<typeof runOtaPublish>[1], RegExp][] = [
			[unsigned, { broker: broker.url, device: ["x"] }, /^package .*u\.cspkg is not signed \(curbside ota sign/],
			[join(dir, "none.cspkg"), { broker: broker.url, device: ["x"] }, /^cannot read package .*none\.cspkg: ENOENT$/],
			[signed, { broker: broker.url, device: [] }, /^nothing to offer to: give --device <id>, or --inventory <file>/],
			[signed, { broker: broker.url, device: ["x"], cohort: "a" }, /^--cohort needs --inventory/],
			[signed, { broker: broker.url, device: ["no/slash"] }, /device id "no\/slash" must be/],
			[signed, { broker: broker.url, device: [], inventory: join(dir, "bad.json") }, /^inventory .*bad\.json is not JSON: /],
			[signed, { broker: broker.url, device: [], inventory: join(dir, "inv.json"), campaign: join(dir, "policy.json") }, /^campaign .*policy\.json: waves: expected increasing percentages/],
			[signed, { broker: broker.url, device: [], inventory: join(dir, "inv.json"), cohort: "zzz" }, /^no device in .*inv\.json has tag "zzz"$/],
			[signed, { broker: broker.url, device: ["ghost-device"] }, /^unknown device ghost-device: no status on mqtt:\/\/127\.0\.0\.1:\d+ \(has it ever connected\?\)$/],
			[signed, { broker: broker.url, device: ["pub-pole"] }, /^device pub-pole is a light-pole on board generic; the package is for stop-sign on generic$/],
		];
		for (const [pkgPath, options, message] of cases) {
			const o = io({ birthsMs: 800 });
			expect(await runOtaPublish(pkgPath, options, o), String(message)).toBe(2);
			expect(o.errors).toHaveLength(1);
			expect(o.errors[0]).toMatch(message);
		}
		// A state file that belongs to another package is refused.
		const other = join(dir, "other.json");
		const c = Campaign.create({ id: "rel-other", target: { offerId: "rel-other", role: "stop-sign", board: "generic", version: "9.0.0" }, policy: DEFAULT_POLICY, inventory: [], now: 0 });
		saveCampaign(other, { format: 1, package: { path: "x.cspkg", offerId: "rel-other", version: "9.0.0", sha256: "00" }, savedAt: 0, campaign: c.state, controls: [] });
		const o = io();
		expect(await runOtaPublish(signed, { broker: broker.url, device: ["pub-pole"], state: other }, o)).toBe(2);
		expect(o.errors).toEqual([`campaign state ${other} belongs to offer rel-other (9.0.0), not this package; pass another --state`]);
		writeFileSync(other, "[{");
		expect(await runOtaPublish(signed, { broker: broker.url, device: ["pub-pole"], state: other }, o)).toBe(2);
		expect(o.errors[1]).toMatch(/^campaign state .*other\.json is not JSON/);
		await pole.close();
	});
});
