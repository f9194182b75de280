/*
 * OTA protocol overhead, measured: the real firmware in the host simulator
 * downloads a signed 1.5 MB image from the ops OTA service through an
 * embedded aedes broker, and the device's own socket counters (bytes read
 * and written, MQTT framing included) are compared with the image size. An
 * idle twin device on the same broker and clock, offered nothing, is the
 * baseline: its bytes (pings, health, time beacons) are subtracted, so the
 * figure is what the update itself cost. Virtual time; no wall clock.
 */
import { createPrivateKey } from "node:crypto";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { startBroker } from "../../host-sim/broker";
import { Fleet } from "../../host-sim/fleet";
import { buildSimImage } from "../../host-sim/ota/app-image";
import { SECURITY_VERSION } from "../../firmware/version";
import { OpsServer } from "../ops/server";
import { OtaService } from "../ops/ota-service";
import { generateSigningKey } from "../ota/keys";
import { packImage, signPackage } from "../ota/package";

const IMAGE_BYTES = 1_572_864;
const CHUNK = 4096;
const CONFIG = { upDelayMs: 1_000, otaReqMs: 8_000, otaTrialMs: 90_000, healthMs: 600_000, parts: "", keepaliveMs: 60_000 };

export interface OtaWireResult {
	imageBytes: number;
	chunkBytes: number;
	chunks: number;
	deviceBytesRead: number;
	deviceBytesWritten: number;
	idleTwinBytes: number;
	overheadBytes: number;
	overheadPct: number;
	chunkRequests: number;
	virtualSeconds: number;
}

export async function benchOtaWire(): Promise<OtaWireResult> {
	const broker = await startBroker(0);
	const clock = new VirtualClock();
	const ops = new OpsServer({ broker: broker.url, now: () => clock.now() });
	const service = new OtaService({ now: () => clock.now(), requestsPerS: 100, requestBurst: 100 });
	const fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock });
	try {
		await ops.start();
		await service.connect(broker.url);
		const key = generateSigningKey();
		const image = buildSimImage({ version: "0.9.0", secureVersion: SECURITY_VERSION, role: "light-pole", board: "generic", size: IMAGE_BYTES });
		const pkg = signPackage(packImage(image, { board: "generic", role: "light-pole", version: "0.9.0", sec: SECURITY_VERSION, chunk: CHUNK, note: "bench" }), createPrivateKey(key.privatePem));
		await fleet.prepare({ fw: "0.9.0", sec: SECURITY_VERSION });
		const dev = await fleet.add({ id: "ota-bench", role: "light-pole", board: "generic", config: { ...CONFIG, otaPubKey: key.publicHex } });
		const twin = await fleet.add({ id: "ota-idle", role: "light-pole", board: "generic", config: { ...CONFIG, otaPubKey: key.publicHex } });
		dev.boot();
		twin.boot();
		const step = async () => {
			clock.advance(25);
			await new Promise((r) => setTimeout(r, 1));
		};
		for (let i = 0; i < 400 && !(dev.runtime?.session?.connected && twin.runtime?.session?.connected); i++) await step();
		// Let births, first health and clock sync pass, so both start from a quiet link.
		for (let i = 0; i < 200; i++) await step();
		const before = { dev: dev.counters.networkBytesRead + dev.counters.networkBytesWritten, read: dev.counters.networkBytesRead, written: dev.counters.networkBytesWritten, twin: twin.counters.networkBytesRead + twin.counters.networkBytesWritten };
		const t0 = clock.ticks();
		service.addPackage("bench", pkg);
		await service.offer(dev.id, "bench");
		let applying = false;
		service.onEvent = (e) => {
			if (e.kind === "progress" && e.device === dev.id && (e.progress.state === "applying" || e.progress.state === "verifying")) applying = true;
		};
		for (let i = 0; i < 200_000 && !applying; i++) await step();
		if (!applying) throw new Error("the download did not finish");
		const read = dev.counters.networkBytesRead - before.read;
		const written = dev.counters.networkBytesWritten - before.written;
		const twinBytes = twin.counters.networkBytesRead + twin.counters.networkBytesWritten - before.twin;
		const overhead = read + written - twinBytes - IMAGE_BYTES;
		return {
			imageBytes: IMAGE_BYTES,
			chunkBytes: CHUNK,
			chunks: Math.ceil(IMAGE_BYTES / CHUNK),
			deviceBytesRead: read,
			deviceBytesWritten: written,
			idleTwinBytes: twinBytes,
			overheadBytes: overhead,
			overheadPct: Math.round((overhead / IMAGE_BYTES) * 10_000) / 100,
			chunkRequests: service.traffic("bench")?.requests ?? 0,
			virtualSeconds: Math.round((clock.ticks() - t0) / 100) / 10,
		};
	} finally {
		fleet.shutdown();
		await service.close();
		await ops.stop();
		await broker.close();
	}
}
