/*
 * The simulated OTA hardware: app image format, otadata at the byte level,
 * the rollback-enabled bootloader, power cuts at every byte of its writes,
 * and SimDevice booting whichever image the bootloader picks.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PARTITIONS, MemoryFlash, MemoryPartition, PowerCut, createMemoryBridge } from "../../host-sim/bridge/memory";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import type { SimDevice } from "../../host-sim/device";
import { Fleet } from "../../host-sim/fleet";
import { buildSimImage, imageSpan, readAppDescriptor, readSimPayload, verifyAppImage } from "../../host-sim/ota/app-image";
import { SimBootloader, type SlotLabel } from "../../host-sim/ota/bootloader";
import { OtaData, OtaState, activeIndex, crc32Le, decodeEntry, encodeEntry, entryIntact, entryValid, seqCrc, slotOf } from "../../host-sim/ota/otadata";
import { Sha256, sha256 } from "../../host-sim/ota/sha256";

const SECTOR = 4096;
const V1 = { version: "0.1.0", secureVersion: 1, role: "light-pole", board: "generic", size: 4096 };
const V2 = { ...V1, version: "0.2.0", secureVersion: 2 };

/** A small board: otadata plus two 64 KB slots (the rules do not depend on slot size). */
function smallFlash(): MemoryFlash {
	return new MemoryFlash({ otadata: 0x2000, ota_0: 0x1_0000, ota_1: 0x1_0000 });
}

/** Host-side flashing of a slot (esptool write_flash): erase what the image spans, then program it. */
function writeSlot(flash: MemoryFlash, label: string, image: Uint8Array): void {
	const p = flash.partitions.get(label)!;
	p.bytes.fill(0xff, 0, Math.ceil(image.length / SECTOR) * SECTOR);
	p.bytes.set(image, 0);
}

function otadataOf(flash: MemoryFlash): MemoryPartition {
	return flash.partitions.get("otadata")!;
}

function entries(flash: MemoryFlash) {
	return new OtaData(otadataOf(flash)).read();
}

/** Factory-fresh board with V1 flashed and booted once (ota_0, seq 1 VALID). */
function freshBoard(flash = smallFlash()): { flash: MemoryFlash; loader: SimBootloader } {
	const loader = new SimBootloader(flash);
	loader.provision(buildSimImage(V1));
	expect(loader.boot()).toMatchObject({ ok: true, label: "ota_0" });
	return { flash, loader };
}

/** Power-on: a new bootloader over the same flash. */
function reboot(flash: MemoryFlash): { loader: SimBootloader; label?: SlotLabel; version?: string; reason?: string } {
	const loader = new SimBootloader(flash);
	const r = loader.boot();
	return r.ok ? { loader, label: r.label, version: r.image.version } : { loader, reason: r.reason };
}

describe("app image", () => {
	it("sha256 matches node:crypto across block boundaries and streaming splits", () => {
		for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
			const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
			const want = createHash("sha256").update(b).digest("hex");
			expect(Buffer.from(sha256(b)).toString("hex")).toBe(want);
			const s = new Sha256();
			for (let i = 0; i < n; i += 37) s.update(b.subarray(i, i + 37));
			expect(Buffer.from(s.digest()).toString("hex")).toBe(want);
		}
		const s = new Sha256();
		s.digest();
		expect(() => s.update(new Uint8Array(1))).toThrow("after");
	});

	it("a sim image verifies and carries its descriptor and payload", () => {
		const image = buildSimImage({ ...V2, size: 65_536, config: { stopName: "東京駅", sampleMs: 5000 }, crashAfterMs: 7000 });
		expect(image.length).toBe(65_536);
		expect(image[0]).toBe(0xe9);
		expect(image[23]).toBe(1); // hash appended
		expect(verifyAppImage(image)).toBeUndefined();
		expect(readAppDescriptor(image)).toEqual({ version: "0.2.0", secureVersion: 2, projectName: "curbside-light-pole" });
		expect(readSimPayload(image)).toEqual({ board: "generic", config: { stopName: "東京駅", sampleMs: 5000 }, crashAfterMs: 7000 });
		// The appended hash is SHA-256 of everything before it (esptool's digest).
		expect(Buffer.from(image.subarray(-32)).toString("hex")).toBe(createHash("sha256").update(image.subarray(0, -32)).digest("hex"));
		expect(buildSimImage({ ...V2, size: 65_536, config: { stopName: "東京駅", sampleMs: 5000 }, crashAfterMs: 7000 })).toEqual(image);
	});

	it("1.5 MB images for tests, and the span a partition reader needs", () => {
		const image = buildSimImage({ ...V1, size: 1_500_000 });
		expect(image.length).toBe(1_500_000);
		expect(verifyAppImage(image)).toBeUndefined();
		const part = new Uint8Array(0x1a_0000).fill(0xff);
		part.set(image);
		expect(verifyAppImage(part)).toBeUndefined(); // erased flash after the image is ignored
		expect(imageSpan((o, n) => part.subarray(o, o + n), part.length)).toBe(1_500_000);
	});

	it("refuses bad magic, truncation, checksum and sha256 damage", () => {
		const image = buildSimImage(V1);
		const bad = (mutate: (b: Uint8Array) => Uint8Array) => verifyAppImage(mutate(image.slice()));
		expect(bad((b) => ((b[0] = 0xe8), b))).toMatch(/^bad magic 0xe8/);
		expect(bad((b) => b.subarray(0, 2000))).toMatch(/^truncated in segment 0/);
		expect(bad((b) => b.subarray(0, b.length - 1))).toBe("truncated footer");
		expect(bad((b) => ((b[1000] ^= 1), b))).toMatch(/^checksum mismatch/);
		// Two flips of the same bit keep the XOR checksum; only the hash catches them.
		expect(bad((b) => ((b[1000] ^= 1), (b[1001] ^= 1), b))).toBe("sha256 mismatch");
		expect(bad((b) => ((b[1] = 0), b))).toBe("bad segment count 0");
		expect(bad((b) => new Uint8Array(b.length).fill(0xff))).toBe("bad magic 0xff");
		expect(readAppDescriptor(new Uint8Array(100))).toBeUndefined();
		expect(readAppDescriptor(image.slice(0, 200))).toBeUndefined();
		const noDesc = image.slice();
		noDesc[32] = 0;
		expect(readAppDescriptor(noDesc)).toBeUndefined();
		expect(readSimPayload(noDesc)).toBeUndefined();
	});

	it("a real-looking build without the sim marker has a descriptor but no payload", () => {
		const image = buildSimImage(V1);
		image[288] = 0; // "CSIM" gone
		expect(readAppDescriptor(image)?.version).toBe("0.1.0");
		expect(readSimPayload(image)).toBeUndefined();
	});

	it("rejects descriptor strings that do not fit and sizes too small", () => {
		expect(() => buildSimImage({ ...V1, version: "x".repeat(32) })).toThrow(RangeError);
		expect(() => buildSimImage({ ...V1, role: "r".repeat(30) })).toThrow(/project_name/);
		expect(() => buildSimImage({ ...V1, size: 256 })).toThrow(/too small/);
		expect(() => buildSimImage({ ...V1, secureVersion: -1 })).toThrow(/u32/);
	});
});

describe("otadata", () => {
	it("crc is crc32_le(UINT32_MAX, seq) as otatool.py computes it", () => {
		// Python: binascii.crc32(struct.pack("<I", seq), 0xFFFFFFFF)
		expect(seqCrc(1)).toBe(0x4743_989a);
		expect(seqCrc(2)).toBe(0x55f6_3774);
		expect(seqCrc(3)).toBe(0xed4a_5011);
		expect(seqCrc(0x1234_5678)).toBe(0x71d6_a731);
		expect(crc32Le(0, new TextEncoder().encode("123456789"))).toBe(0xcbf4_3926); // the CRC-32 check value
	});

	it("encodes 32 little-endian bytes and decodes them back", () => {
		const b = encodeEntry(5, OtaState.PENDING_VERIFY);
		expect(b.length).toBe(32);
		expect([...b.subarray(0, 4)]).toEqual([5, 0, 0, 0]);
		expect([...b.subarray(4, 24)]).toEqual(new Array(20).fill(0xff)); // seq_label untouched
		expect([...b.subarray(24, 28)]).toEqual([1, 0, 0, 0]);
		expect(decodeEntry(b)).toEqual({ seq: 5, state: 1, crc: seqCrc(5) });
	});

	it("valid means written, crc intact, and neither INVALID nor ABORTED", () => {
		const e = (seq: number, state: number, crc = seqCrc(seq)) => decodeEntry(encodeEntry(seq, state, crc));
		expect(entryValid(e(1, OtaState.VALID))).toBe(true);
		expect(entryValid(e(1, OtaState.UNDEFINED))).toBe(true);
		expect(entryValid(e(1, OtaState.NEW))).toBe(true);
		expect(entryValid(e(1, OtaState.ABORTED))).toBe(false);
		expect(entryValid(e(1, OtaState.INVALID))).toBe(false);
		expect(entryIntact(e(1, OtaState.INVALID))).toBe(true);
		expect(entryValid(e(1, OtaState.VALID, 0x1234))).toBe(false);
		expect(entryValid(decodeEntry(new Uint8Array(32).fill(0xff)))).toBe(false); // erased
		// Active = the valid entry with the higher seq.
		expect(activeIndex([e(3, OtaState.VALID), e(4, OtaState.VALID)])).toBe(1);
		expect(activeIndex([e(3, OtaState.VALID), e(4, OtaState.ABORTED)])).toBe(0);
		expect(activeIndex([e(3, OtaState.INVALID), e(4, OtaState.ABORTED)])).toBe(-1);
		expect([slotOf(1), slotOf(2), slotOf(3), slotOf(0)]).toEqual([0, 1, 0, 1]);
	});

	it("set-boot writes NEW into the sector not holding the active entry, with the next seq for the slot", () => {
		const flash = smallFlash();
		const od = new OtaData(otadataOf(flash));
		od.setBoot(0); // blank: sector 0, seq 1
		expect(od.read()[0]).toMatchObject({ seq: 1, state: OtaState.NEW });
		od.write(0, 1, OtaState.VALID);
		od.setBoot(1);
		expect(od.read()[1]).toMatchObject({ seq: 2, state: OtaState.NEW });
		od.write(1, 2, OtaState.VALID);
		od.setBoot(0);
		expect(od.read()[0]).toMatchObject({ seq: 3, state: OtaState.NEW });
		expect(od.read()[1]).toMatchObject({ seq: 2, state: OtaState.VALID });
		expect(otadataOf(flash).eraseCounts).toEqual([3, 2]);
	});
});

describe("bootloader", () => {
	it("a factory-fresh board boots ota_0 and records seq 1 VALID (set_actual_ota_seq)", () => {
		const { flash, loader } = freshBoard();
		expect(loader.running()).toEqual({ label: "ota_0", state: "valid" });
		expect(loader.next()).toBe("ota_1");
		expect(entries(flash)[0]).toMatchObject({ seq: 1, state: OtaState.VALID });
		expect(loader.canRollback()).toBe(false);
		expect(loader.markInvalid()).toBe("otaBoot: no image to roll back to");
		expect(loader.alias("nextota")).toBe("ota_1");
		expect(loader.alias("running")).toBe("ota_0");
		expect(loader.alias("storage")).toBeUndefined();
	});

	it("NEW → PENDING_VERIFY on boot → reset before confirming → ABORTED → the old slot", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		expect(loader.setBoot()).toBeUndefined();
		expect(entries(flash)[1]).toMatchObject({ seq: 2, state: OtaState.NEW });
		const trial = reboot(flash);
		expect(trial).toMatchObject({ label: "ota_1", version: "0.2.0" });
		expect(trial.loader.running()).toEqual({ label: "ota_1", state: "pending-verify" });
		expect(trial.loader.canRollback()).toBe(true);
		const after = reboot(flash); // reset without markValid
		expect(after).toMatchObject({ label: "ota_0", version: "0.1.0" });
		expect(after.loader.running()).toEqual({ label: "ota_0", state: "valid" });
		expect(entries(flash)[1].state).toBe(OtaState.ABORTED);
		expect(after.loader.next()).toBe("ota_1");
	});

	it("markValid then reset stays on the new image; the old one is the rollback target", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		const trial = reboot(flash);
		expect(trial.loader.markValid()).toBeUndefined();
		expect(trial.loader.running().state).toBe("valid");
		for (let i = 0; i < 3; i++) {
			const r = reboot(flash);
			expect(r).toMatchObject({ label: "ota_1", version: "0.2.0" });
			expect(r.loader.running().state).toBe("valid");
		}
		const r = reboot(flash);
		expect(r.loader.next()).toBe("ota_0");
		expect(r.loader.canRollback()).toBe(true);
		// A second markValid on a VALID entry writes nothing.
		const erases = [...otadataOf(flash).eraseCounts];
		expect(r.loader.markValid()).toBeUndefined();
		expect(otadataOf(flash).eraseCounts).toEqual(erases);
	});

	it("rollback (markInvalid) during the trial returns to the old slot, for good", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		const trial = reboot(flash);
		expect(trial.loader.markInvalid()).toBeUndefined();
		expect(entries(flash)[1].state).toBe(OtaState.INVALID);
		for (let i = 0; i < 2; i++) expect(reboot(flash)).toMatchObject({ label: "ota_0", version: "0.1.0" });
	});

	it("a second update goes back to ota_0 with seq 3 in sector 0", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		reboot(flash).loader.markValid();
		const l = reboot(flash).loader;
		writeSlot(flash, "ota_0", buildSimImage({ ...V1, version: "0.3.0", secureVersion: 3 }));
		expect(l.setBoot()).toBeUndefined();
		expect(entries(flash)[0]).toMatchObject({ seq: 3, state: OtaState.NEW });
		const r = reboot(flash);
		expect(r).toMatchObject({ label: "ota_0", version: "0.3.0" });
		expect(r.loader.running().state).toBe("pending-verify");
	});

	it("setBoot refuses a corrupted or missing image and leaves otadata alone", () => {
		const { flash, loader } = freshBoard();
		expect(loader.setBoot()).toBe("otaBoot: invalid image in ota_1: bad magic 0xff");
		const image = buildSimImage(V2);
		image[2000] ^= 0x40;
		writeSlot(flash, "ota_1", image);
		expect(loader.setBoot()).toMatch(/^otaBoot: invalid image in ota_1: checksum mismatch/);
		expect(entries(flash)[1].seq).toBe(0xffff_ffff);
		expect(reboot(flash)).toMatchObject({ label: "ota_0" });
	});

	it("boot skips a selected image that no longer verifies", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		flash.partitions.get("ota_1")!.bytes[3000] ^= 1; // bit rot after set-boot
		const r = reboot(flash);
		expect(r).toMatchObject({ label: "ota_0", version: "0.1.0" });
		// The entry it could not load was still marked PENDING_VERIFY; the next boot aborts it.
		expect(entries(flash)[1].state).toBe(OtaState.PENDING_VERIFY);
		reboot(flash);
		expect(entries(flash)[1].state).toBe(OtaState.ABORTED);
	});

	it("both slots bad: nothing bootable, with both reasons", () => {
		const { flash } = freshBoard();
		flash.partitions.get("ota_0")!.bytes[100] ^= 1;
		const r = reboot(flash);
		expect(r.reason).toMatch(/^no bootable app partition \(ota_0: (checksum|sha256) .*; ota_1: bad magic 0xff\)$/);
		expect(r.loader.bootedLabel).toBeUndefined();
		expect(() => r.loader.running()).toThrow("no app is running");
	});

	it("blank otadata with ota_0 erased boots ota_1 and records its seq", () => {
		const flash = smallFlash();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		const r = reboot(flash);
		expect(r).toMatchObject({ label: "ota_1", version: "0.2.0" });
		expect(entries(flash)[0]).toMatchObject({ seq: 2, state: OtaState.VALID });
	});

	it("the flash needs otadata, ota_0 and ota_1", () => {
		expect(() => new SimBootloader(new MemoryFlash({ otadata: 0x2000, ota_0: 0x1_0000 }))).toThrow('no "ota_1" partition');
	});
});

describe("power cut at every byte", () => {
	/**
	 * Runs `action` on a copy of `otadata` with the power cut after `k` bytes,
	 * for every k until the action completes; the slots are shared (nothing
	 * here writes them). Returns each reboot's result.
	 */
	function everyCut(base: MemoryFlash, action: (loader: SimBootloader) => void, prepare?: (loader: SimBootloader) => void) {
		const results: { k: number; cut: boolean; label?: SlotLabel; version?: string; reason?: string }[] = [];
		for (let k = 0; ; k++) {
			const flash = new MemoryFlash({ otadata: 0x2000 });
			for (const label of ["ota_0", "ota_1"]) flash.partitions.set(label, base.partitions.get(label)!);
			otadataOf(flash).bytes.set(otadataOf(base).bytes);
			const loader = new SimBootloader(flash);
			const boot = loader.boot();
			expect(boot.ok).toBe(true);
			prepare?.(loader);
			otadataOf(flash).cutAfterBytes = k;
			let cut = false;
			try {
				action(loader);
			} catch (e) {
				expect(e).toBeInstanceOf(PowerCut);
				cut = true;
			}
			otadataOf(flash).cutAfterBytes = undefined;
			results.push({ k, cut, ...reboot(flash) });
			if (!cut) return results;
		}
	}

	it("during set-boot: always boots a valid image, the new one only once the entry is complete", () => {
		const { flash } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		const results = everyCut(flash, (l) => expect(l.setBoot()).toBeUndefined());
		expect(results.length).toBe(SECTOR + 32 + 1); // erase 4096 bytes + program 32, then the uncut run
		for (const r of results) {
			expect(r.reason).toBeUndefined();
			if (r.cut) expect(r).toMatchObject({ label: "ota_0", version: "0.1.0" });
			else expect(r).toMatchObject({ label: "ota_1", version: "0.2.0" });
		}
	});

	it("during mark-valid: boots the old image (torn) or the confirmed new one, never bricks", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		// The trial boot happens inside everyCut (NEW → PENDING_VERIFY), then markValid is cut.
		const results = everyCut(flash, (l) => expect(l.markValid()).toBeUndefined());
		expect(results.length).toBe(SECTOR + 32 + 1);
		for (const r of results) {
			expect(r.reason).toBeUndefined();
			if (r.cut) expect(r).toMatchObject({ label: "ota_0", version: "0.1.0" });
			else expect(r).toMatchObject({ label: "ota_1", version: "0.2.0" });
		}
		// Once confirmed it stays confirmed.
		const last = results[results.length - 1];
		expect(last.label).toBe("ota_1");
	});

	it("during the bootloader's own PENDING_VERIFY write: never bricks", () => {
		const { flash, loader } = freshBoard();
		writeSlot(flash, "ota_1", buildSimImage(V2));
		loader.setBoot();
		let k = 0;
		for (; ; k++) {
			const copy = new MemoryFlash({ otadata: 0x2000 });
			for (const label of ["ota_0", "ota_1"]) copy.partitions.set(label, flash.partitions.get(label)!);
			otadataOf(copy).bytes.set(otadataOf(flash).bytes);
			otadataOf(copy).cutAfterBytes = k;
			let cut = false;
			try {
				new SimBootloader(copy).boot();
			} catch (e) {
				expect(e).toBeInstanceOf(PowerCut);
				cut = true;
			}
			otadataOf(copy).cutAfterBytes = undefined;
			const r = reboot(copy);
			expect(r.reason).toBeUndefined();
			// k = 0: nothing landed, the entry is still NEW and this boot is the trial.
			// A torn entry is simply gone: the old image runs; the update is lost, not the device.
			// Uncut: the trial ran and was reset unconfirmed, so it is aborted: the old image again.
			expect(r.version).toBe(k === 0 ? "0.2.0" : "0.1.0");
			if (!cut) break;
		}
		expect(k).toBe(SECTOR + 32);
	});
});

describe("in-memory bridge", () => {
	it("flashes a sim image of the build's version on first use and resolves the Flash aliases", () => {
		const b = createMemoryBridge({ config: { role: "light-pole" } });
		expect(b.boot.running()).toEqual({ label: "ota_0", state: "valid" });
		expect(b.boot.next()).toBe("ota_1");
		expect(b.flash.open("nextota")).toBe(b.flash.partitions.get("ota_1"));
		expect(b.flash.open("running")).toBe(b.flash.partitions.get("ota_0"));
		const image = b.flash.partitions.get("ota_0")!.bytes;
		expect(readAppDescriptor(image)).toMatchObject({ version: "0.1.0", projectName: "curbside-light-pole" });
		expect(b.boot.setBoot()).toBe("otaBoot: invalid image in ota_1: bad magic 0xff");
	});

	it("a second bridge over the same flash is a reboot into the trial", () => {
		const flash = new MemoryFlash(DEFAULT_PARTITIONS);
		const first = createMemoryBridge({ flash });
		writeSlot(flash, first.boot.next(), buildSimImage(V2));
		expect(first.boot.setBoot()).toBeUndefined();
		const second = createMemoryBridge({ flash });
		expect(second.boot.running()).toEqual({ label: "ota_1", state: "pending-verify" });
		expect(second.boot.canRollback()).toBe(true);
	});

	it("a flash without OTA partitions has no aliases and a boot member that says why", () => {
		const b = createMemoryBridge({ flash: new MemoryFlash({ outbox: 0x4000 }) });
		expect(b.flash.open("nextota")).toBeUndefined();
		expect(() => b.boot.running()).toThrow('no "otadata" partition');
	});
});

describe("SimDevice boots what the bootloader picks", () => {
	let clock: VirtualClock;
	let fleet: Fleet;
	const lines: string[] = [];

	beforeAll(async () => {
		// Two bundles: the build's own version and 0.2.0 (firmware/version.ts replaced).
		await new Fleet({ broker: { host: "127.0.0.1", port: 1 }, clock: new VirtualClock() }).prepare({ fw: "0.2.0", sec: 2 });
	});
	afterEach(() => {
		fleet?.shutdown();
		lines.length = 0;
	});

	async function device(id: string, stateDir?: string): Promise<SimDevice> {
		clock = new VirtualClock();
		// No broker: port 1 refuses, the device keeps running offline.
		fleet = new Fleet({ broker: { host: "127.0.0.1", port: 1 }, clock, stateDir, onLine: (_id, l) => lines.push(l) });
		return fleet.add({ id, role: "light-pole", board: "generic" });
	}

	/** What the firmware's OTA path does: image into Flash("nextota"), set-boot, restart. */
	async function update(dev: SimDevice, image: Uint8Array): Promise<void> {
		const b = dev.bridge!;
		const part = b.flash.open("nextota")!;
		for (let s = 0; s < Math.ceil(image.length / SECTOR); s++) part.store(s * SECTOR, new Uint8Array(SECTOR).fill(0xff));
		part.store(0, image);
		expect(b.boot.setBoot()).toBeUndefined();
		b.restart("ota");
		await Promise.resolve(); // the host restarts in a microtask
		await Promise.resolve();
	}

	it("provisions and boots the build's version, then an update's trial, then falls back on reset", async () => {
		const dev = await device("ota-sim-1");
		expect(dev.boot()).toBeDefined();
		expect(dev.bootedVersion).toBe("0.1.0");
		expect(dev.bootedLabel).toBe("ota_0");
		expect(dev.otaState()).toBe("valid");
		expect(lines.some((l) => l.includes("running 0.1.0") && l.includes("ota_0"))).toBe(true);

		await update(dev, buildSimImage({ ...V2, size: 65_536 }));
		expect(dev.runtime).toBeDefined();
		expect(dev.bootedVersion).toBe("0.2.0");
		expect(dev.bootedLabel).toBe("ota_1");
		expect(dev.otaState()).toBe("pending-verify");
		expect(lines.some((l) => l.includes("running 0.2.0") && l.includes("pending-verify"))).toBe(true);

		dev.powerOff(); // reset during the trial, before markValid
		dev.boot();
		expect(dev.bootedVersion).toBe("0.1.0");
		expect(dev.bootedLabel).toBe("ota_0");
		expect(dev.otaState()).toBe("valid");
	});

	it("a confirmed update survives resets, and its baked config is applied", async () => {
		const dev = await device("ota-sim-2");
		dev.boot();
		await update(dev, buildSimImage({ ...V2, config: { logLevel: "debug" } }));
		expect(dev.bridge!.config.logLevel).toBe("debug");
		expect(dev.bridge!.boot.markValid()).toBeUndefined();
		dev.powerOff();
		dev.boot();
		expect(dev.bootedVersion).toBe("0.2.0");
		expect(dev.otaState()).toBe("valid");
		expect(dev.bridge!.config.logLevel).toBe("debug");
	});

	it("an image that crashes is rolled back by the bootloader", async () => {
		const dev = await device("ota-sim-3");
		dev.boot();
		await update(dev, buildSimImage({ ...V2, crashAfterMs: 5_000 }));
		expect(dev.bootedVersion).toBe("0.2.0");
		clock.advance(4_000);
		expect(dev.bootedVersion).toBe("0.2.0");
		clock.advance(2_000);
		expect(dev.bootedVersion).toBe("0.1.0");
		expect(dev.otaState()).toBe("valid");
		expect(dev.bridge!.resetReason).toBe("panic");
		expect(lines.some((l) => l.includes("panics 5000 ms after boot"))).toBe(true);
	});

	it("nothing bootable: the device stays off with bricked set, and boot() does not throw", async () => {
		const dev = await device("ota-sim-4");
		dev.boot();
		dev.powerOff();
		(dev.flash as MemoryFlash).partitions.get("ota_0")!.bytes[500] ^= 0xff;
		expect(dev.boot()).toBeUndefined();
		expect(dev.runtime).toBeUndefined();
		expect(dev.bricked).toMatch(/^no bootable app partition/);
		expect(lines.filter((l) => l.startsWith("bootloader: nothing bootable"))).toHaveLength(1);
	});

	it("file-backed storage keeps the slots and otadata across process runs", async () => {
		const dir = mkdtempSync(join(tmpdir(), "curbside-ota-"));
		try {
			const first = await device("ota-file", dir);
			first.boot();
			await update(first, buildSimImage(V2));
			expect(first.bridge!.boot.markValid()).toBeUndefined();
			fleet.shutdown();
			expect(statSync(join(dir, "ota-file", "ota_1.bin")).size).toBe(0x1a_0000);
			const again = await device("ota-file", dir);
			again.boot();
			expect(again.bootedVersion).toBe("0.2.0");
			expect(again.bootedLabel).toBe("ota_1");
			expect(again.otaState()).toBe("valid");
			expect(again.bridge!.flash.open("nextota")).toBe(again.flash.open("ota_0"));
		} finally {
			fleet.shutdown();
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("a version not bundled yet boots when its bundle is ready (device.booting)", async () => {
		const dev = await device("ota-async");
		dev.boot();
		const b = dev.bridge!;
		const part = b.flash.open("nextota")!;
		const image = buildSimImage({ ...V2, version: "0.3.0", secureVersion: 3 });
		part.store(0, new Uint8Array(SECTOR).fill(0xff));
		part.store(0, image);
		expect(b.boot.setBoot()).toBeUndefined();
		dev.powerOff();
		expect(dev.boot()).toBeUndefined(); // 0.3.0 is being bundled
		expect(dev.bootedVersion).toBe("0.3.0");
		expect(dev.booting).toBeDefined();
		expect(() => dev.boot()).toThrow("already running");
		const runtime = await dev.booting;
		expect(runtime).toBeDefined();
		expect(dev.runtime).toBe(runtime);
		expect(dev.booting).toBeUndefined();
		expect(lines.some((l) => l.includes("running 0.3.0") && l.includes("pending-verify"))).toBe(true);
	});
});
