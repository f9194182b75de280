/*
 * The OTA power-cut suite: the real firmware on simulated devices (bootloader,
 * otadata and app slots modelled at the byte) updating over Mosquitto, with
 * power cut
 *   - at every chunk boundary and at seeded random bytes of the download
 *     (the sector erases and writes into the update slot),
 *   - at bytes of the otadata writes (the boot switch, the bootloader's
 *     new → pending-verify step, the confirm),
 *   - at seeded random moments of the trial boot.
 * After each injection the device boots again and is left alone until its
 * update has a verdict. Figures printed at the end (`[ota faults] …`):
 * injections, devices bricked (must be 0), devices left on an unsigned or
 * downgraded image (must be 0), resumes that restarted from zero (must be 0).
 *
 * `npm test` runs a short form; `npm run soak:ota` (CURBSIDE_OTA_SOAK=1) runs
 * a 1.5 MB image with a cut at every chunk boundary and many more random ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimDevice } from "../../host-sim/device";
import { xorshift32 } from "../../host-sim/models/xorshift";
import { startMosquitto, type TestBroker } from "../support/brokers";
import { OtaLab, FIRMWARE_VERSION } from "./support/ota-lab";
import type { OtaPackage } from "../../tools/ota/package";

const SOAK = !!Number(process.env.CURBSIDE_OTA_SOAK ?? 0);
const IMAGE = SOAK ? 1_572_864 : 98_304;
const CHUNK = 4096;
const CHUNKS = Math.ceil(IMAGE / CHUNK);
/** Bytes the flash module programs per chunk: a 4 KiB erase (0xFF) plus the chunk. */
const PER_CHUNK = 2 * CHUNK;
const BOUNDARIES = SOAK ? CHUNKS : 8;
/** Chunk indexes cut at: every `step`-th boundary after the first chunk. */
const BOUNDARY_CUTS = ((step) => Array.from({ length: Math.ceil((CHUNKS - 1) / step) }, (_, i) => 1 + i * step))(Math.max(1, Math.floor(CHUNKS / BOUNDARIES)));
const RANDOM_DOWNLOAD = SOAK ? 120 : 6;
const OTADATA_CUTS = SOAK ? 120 : 8;
const TRIAL_CUTS = SOAK ? 40 : 3;
const MIN = 60_000;

interface Figures {
	injections: number;
	bricked: number;
	unsignedOrDowngraded: number;
	restartsFromZero: number;
	resumes: number;
	confirmed: number;
	rolledBack: number;
	failed: number;
}

describe(`OTA power cuts (${SOAK ? "soak" : "short"}: ${IMAGE} B image, ${CHUNKS} chunks)`, () => {
	let broker: TestBroker;
	let lab: OtaLab;
	let pkg: OtaPackage;
	let n = 0;
	const figures: Figures = { injections: 0, bricked: 0, unsignedOrDowngraded: 0, restartsFromZero: 0, resumes: 0, confirmed: 0, rolledBack: 0, failed: 0 };
	let seed = 0x07a5eed;
	const random = () => (seed = xorshift32(seed));

	beforeAll(async () => {
		broker = await startMosquitto();
		lab = new OtaLab(broker);
		await lab.start();
		pkg = await lab.release({ version: "0.2.0", size: IMAGE, chunk: CHUNK });
	});
	afterAll(async () => {
		console.log(
			`[ota faults] injections tried: ${figures.injections}, devices bricked: ${figures.bricked}, left on an unsigned or downgraded image: ${figures.unsignedOrDowngraded}, resumes restarted from zero: ${figures.restartsFromZero} (of ${figures.resumes} resumes); outcomes: ${figures.confirmed} confirmed, ${figures.rolledBack} rolled back, ${figures.failed} failed`,
		);
		await lab?.stop();
		await broker?.close();
	});

	const online = (dev: SimDevice) => !!dev.runtime?.session?.connected;
	const verdict = (dev: SimDevice) => lab.states(dev).some((s) => s === "confirmed" || s === "rolled-back" || s === "failed");

	async function fresh(): Promise<SimDevice> {
		const dev = await lab.device(`cut-${++n}`);
		await lab.until(() => online(dev), 30_000, `${dev.id} online`);
		return dev;
	}

	/** Waits for the verdict, checks the device, tallies the figures, and retires it. */
	async function settle(dev: SimDevice, what: string): Promise<void> {
		await lab.until(() => verdict(dev) || !!dev.bricked, 20 * MIN, `${dev.id} (${what}) verdict`, 50);
		await lab.until(() => (!!dev.runtime && online(dev)) || !!dev.bricked, 2 * MIN, `${dev.id} back online`, 50);
		figures.injections++;
		if (dev.bricked || !dev.runtime) figures.bricked++;
		const version = dev.bootedVersion ?? "";
		if (!lab.runsSigned(dev) || (version !== FIRMWARE_VERSION && version !== pkg.manifest.version)) figures.unsignedOrDowngraded++;
		const states = lab.states(dev);
		if (states.includes("confirmed")) figures.confirmed++;
		else if (states.includes("rolled-back")) figures.rolledBack++;
		else figures.failed++;
		expect(dev.bricked, `${dev.id} (${what}) bricked`).toBeUndefined();
		expect(lab.runsSigned(dev), `${dev.id} (${what}) runs a signed image`).toBe(true);
		expect(dev.otaState(), `${dev.id} (${what}) image state`).toBe("valid");
		dev.shutdown();
		lab.fleet.devices.delete(dev.id);
	}

	/** Cuts power after `bytes` more bytes are programmed into the update slot, mid-download. */
	async function cutDownload(bytes: number, what: string): Promise<void> {
		const dev = await fresh();
		let rebooted = false;
		void lab.armPowerCut(dev, "nextota", bytes).then(() => (rebooted = true));
		await lab.offer(pkg, dev);
		await lab.until(() => rebooted, 10 * MIN, `${what}: power cut and reboot`);
		const persisted = Math.floor(bytes / PER_CHUNK) * CHUNK; // whole chunks written (and persisted) before the cut
		const resumedAt = lab.agentStats(dev).resumedAt;
		figures.resumes++;
		if (persisted >= CHUNK && resumedAt === 0) figures.restartsFromZero++;
		expect(resumedAt, `${what}: resumed at`).toBeGreaterThanOrEqual(Math.max(0, persisted - CHUNK));
		await settle(dev, what);
	}

	it("a power cut at chunk boundaries of the download resumes there and the update confirms", async () => {
		for (const k of BOUNDARY_CUTS) await cutDownload(k * PER_CHUNK, `boundary ${k}`);
	}, 600_000 + (SOAK ? 3_600_000 : 0));

	it("a power cut at random bytes of the download resumes at the last persisted sector", async () => {
		for (let i = 0; i < RANDOM_DOWNLOAD; i++) await cutDownload(1 + (random() % (CHUNKS * PER_CHUNK - 2)), `random download cut ${i}`);
	}, 600_000 + (SOAK ? 3_600_000 : 0));

	it("a power cut in an otadata write (boot switch, pending-verify, confirm) never bricks: the device runs the old or the new image", async () => {
		// Each otadata write is a 4 KiB sector erase and a 32-byte entry: 4,128 bytes; the update makes three.
		const span = 3 * (4096 + 32);
		const fixed = [0, 1, 4095, 4096, 4100, 4127, 4128 + 4096 + 16, 2 * 4128 + 4096 + 31];
		const offsets = [...fixed.slice(0, Math.min(fixed.length, OTADATA_CUTS)), ...Array.from({ length: Math.max(0, OTADATA_CUTS - fixed.length) }, () => random() % span)];
		for (const at of offsets) {
			const dev = await fresh();
			void lab.armPowerCut(dev, "otadata", at);
			await lab.offer(pkg, dev);
			await settle(dev, `otadata cut at byte ${at}`);
		}
	}, 600_000 + (SOAK ? 3_600_000 : 0));

	it("a power cut during the trial boot rolls back to the old image, which reports it", async () => {
		for (let i = 0; i < TRIAL_CUTS; i++) {
			const dev = await fresh();
			await lab.offer(pkg, dev);
			await lab.until(() => dev.otaState() === "pending-verify", 20 * MIN, "trial boot", 25);
			await lab.pump(random() % 900); // before the trial can confirm (the round trip needs the 1 s upload delay)
			if (dev.otaState() === "pending-verify") lab.powerCycle(dev);
			await settle(dev, `trial cut ${i}`);
		}
	}, 600_000 + (SOAK ? 3_600_000 : 0));

	it("figures: no brick, no unsigned or downgraded image, no resume from zero", () => {
		expect(figures.injections).toBe(BOUNDARY_CUTS.length + RANDOM_DOWNLOAD + OTADATA_CUTS + TRIAL_CUTS);
		expect(figures.bricked).toBe(0);
		expect(figures.unsignedOrDowngraded).toBe(0);
		expect(figures.restartsFromZero).toBe(0);
		expect(figures.confirmed).toBeGreaterThan(0);
	});
});
