/*
 * The outbox's flash ring over the simulated NOR partition: round trips,
 * reboots, power cuts at every byte, wear levelling, a full ring, damaged
 * partitions and seq floors. Runs on Node and on XS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import Flash from "flash";
import { createMemoryBridge, installBridge, MemoryFlash, PowerCut, type MemoryPartition } from "../../host-sim/bridge/memory";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { RECORD_HEADER_BYTES, SECTOR_HEADER_BYTES } from "../../firmware/net/outbox/format";
import { FlashRing, type FlashRingOptions } from "../../firmware/net/outbox/ring";
import { StorageError } from "../../firmware/runtime/errors";

const SECTOR = 4096;
let part: MemoryPartition;

/** A fresh device whose "outbox" partition has `sectors` erased sectors. */
function device(sectors: number): void {
	const flash = new MemoryFlash({ outbox: sectors * SECTOR });
	installBridge(createMemoryBridge({ flash }));
	part = flash.partitions.get("outbox")!;
}
/** Boots the ring over the partition as it is now (a reboot keeps the bytes). */
function boot(options?: FlashRingOptions): FlashRing {
	part.cutAfterBytes = undefined;
	return new FlashRing(new Flash("outbox"), options);
}
/** A body of `length` bytes derived from `tag`, so records are told apart. */
function body(tag: number, length = 20): Uint8Array {
	const b = new Uint8Array(length);
	for (let i = 0; i < length; i++) b[i] = (tag * 31 + i * 7) & 0xff;
	return b;
}
function seqs(ring: FlashRing, afterSeq = 0): number[] {
	return ring.pending(afterSeq, 100_000, Infinity).map((r) => r.seq);
}
function range(first: number, last: number): number[] {
	const out: number[] = [];
	for (let s = first; s <= last; s++) out.push(s);
	return out;
}
/** Runs `fn` and reports whether the injected power cut stopped it. */
function cutDuring(fn: () => void): boolean {
	try {
		fn();
		return false;
	} catch (e) {
		if (!(e instanceof PowerCut)) throw e;
		return true;
	}
}

describe("crc32 (CRC-32/ISO-HDLC)", () => {
	it("matches the catalogue check value", () => {
		const ascii = Uint8Array.from("123456789", (c) => c.charCodeAt(0));
		expect(crc32(ascii)).toBe(0xcbf43926);
		expect(crc32(new Uint8Array(0))).toBe(0);
	});
});

describe("outbox ring", () => {
	beforeEach(() => device(16));

	it("append, pending and ack round trip", () => {
		const ring = boot();
		expect(ring.append(body(1))).toBe(1);
		expect(ring.append(body(2, 5))).toBe(2);
		expect(ring.append(body(3, 1024))).toBe(3);
		expect(ring.pending(0, 10, 10_000)).toEqual([
			{ seq: 1, body: body(1) },
			{ seq: 2, body: body(2, 5) },
			{ seq: 3, body: body(3, 1024) },
		]);
		expect(ring.ack(1, 2)).toBe(2);
		expect(seqs(ring)).toEqual([3]);
		expect(ring.stats).toEqual({ pending: 1, pendingBytes: 1024, nextSeq: 4, dropped: 0, torn: 0, sectors: 16, capacityBytes: 16 * (SECTOR - SECTOR_HEADER_BYTES), appended: 3 });
	});

	it("pending is bounded by count and body bytes but returns at least one", () => {
		const ring = boot();
		for (let i = 1; i <= 10; i++) ring.append(body(i, 100));
		expect(ring.pending(0, 3, 10_000).map((r) => r.seq)).toEqual([1, 2, 3]);
		expect(ring.pending(0, 10, 250).map((r) => r.seq)).toEqual([1, 2]);
		expect(ring.pending(0, 10, 300).map((r) => r.seq)).toEqual([1, 2, 3]);
		expect(ring.pending(4, 10, 10).map((r) => r.seq)).toEqual([5]);
		expect(ring.pending(8, 10, 10_000).map((r) => r.seq)).toEqual([9, 10]);
		expect(ring.pending(10, 10, 10_000)).toEqual([]);
		expect(ring.pending(0, 0, 10_000)).toEqual([]);
	});

	it("acks out of order and repeated count only newly acked records", () => {
		const ring = boot();
		for (let i = 1; i <= 10; i++) ring.append(body(i));
		expect(ring.ack(7, 8)).toBe(2);
		expect(ring.ack(2, 2)).toBe(1);
		expect(ring.ack(7, 8)).toBe(0);
		expect(ring.ack(1, 9)).toBe(6);
		expect(ring.ack(1, 9)).toBe(0);
		expect(ring.ack(11, 20)).toBe(0);
		expect(ring.ack(5, 4)).toBe(0);
		expect(seqs(ring)).toEqual([10]);
		expect(ring.pending(5, 10, 10_000).map((r) => r.seq)).toEqual([10]);
		expect(ring.stats.pendingBytes).toBe(20);
	});

	it("a reboot keeps pending records and acked state, and seqs continue", () => {
		const ring = boot();
		for (let i = 1; i <= 300; i++) ring.append(body(i, 50)); // spans several sectors
		ring.ack(1, 100);
		ring.ack(150, 160);
		const again = boot();
		expect(seqs(again)).toEqual([...range(101, 149), ...range(161, 300)]);
		expect(again.pending(200, 1, 10_000)).toEqual([{ seq: 201, body: body(201, 50) }]);
		expect(again.append(body(301))).toBe(301);
		expect(again.stats.torn).toBe(0);
		expect(again.stats.appended).toBe(1);
		expect(seqs(boot(), 290)).toEqual(range(291, 301));
	});

	it("power cut at every byte of an append", () => {
		device(4);
		const ring = boot();
		for (let i = 1; i <= 3; i++) ring.append(body(i));
		ring.ack(2, 2);
		const before = part.bytes.slice();
		const size = RECORD_HEADER_BYTES + 20;
		for (let cut = 0; cut <= size; cut++) {
			part.bytes.set(before);
			const victim = boot();
			part.cutAfterBytes = cut;
			const torn = cutDuring(() => victim.append(body(4)));
			expect(torn).toBe(cut < size);
			const after = boot();
			expect(seqs(after)).toEqual(torn ? [1, 3] : [1, 3, 4]);
			expect(after.stats.torn).toBe(torn && cut > 0 ? 1 : 0);
			expect(after.pending(2, 1, 100)).toEqual([{ seq: 3, body: body(3) }]);
			const next = after.append(body(5));
			expect(next).toBe(torn ? 4 : 5);
			// Never append after torn bytes: a torn record moves the head to a fresh sector.
			expect(part.bytes[SECTOR] !== 0xff).toBe(torn && cut > 0);
			expect(seqs(boot())).toEqual(torn ? [1, 3, 4] : [1, 3, 4, 5]);
		}
	});

	it("power cut while opening a reused sector (erase, header, first record)", () => {
		device(4);
		const ring = boot();
		const perSector = Math.floor((SECTOR - SECTOR_HEADER_BYTES) / (RECORD_HEADER_BYTES + 200));
		for (let i = 1; i <= 4 * perSector; i++) ring.append(body(i, 200));
		// Sectors 0 and 1 are all acked: the next append reuses sector 0, and
		// after a torn first record there, sector 1, so nothing pending is dropped.
		ring.ack(1, 2 * perSector);
		const before = part.bytes.slice();
		const pendingBefore = range(2 * perSector + 1, 4 * perSector);
		const next = 4 * perSector + 1;
		const cuts = [0, 1, 8, 16, 17, 100, 2048, SECTOR - 1, SECTOR, SECTOR + 1, SECTOR + 7, SECTOR + 15, SECTOR + 16, SECTOR + 17, SECTOR + 16 + 100];
		for (const cut of cuts) {
			part.bytes.set(before);
			const victim = boot();
			part.cutAfterBytes = cut;
			expect(cutDuring(() => victim.append(body(next, 200)))).toBe(true);
			const after = boot();
			expect(seqs(after)).toEqual(pendingBefore);
			expect(after.stats.nextSeq).toBe(next);
			expect(after.append(body(next, 200))).toBe(next);
			const again = boot();
			expect(seqs(again)).toEqual([...pendingBefore, next]);
			expect(again.pending(next - 1, 1, 1)).toEqual([{ seq: next, body: body(next, 200) }]);
		}
	});

	it("power cut during an ack write leaves the record pending or acked, nothing else", () => {
		const ring = boot();
		for (let i = 1; i <= 3; i++) ring.append(body(i));
		part.cutAfterBytes = 0;
		expect(cutDuring(() => ring.ack(2, 2))).toBe(true);
		expect(seqs(boot())).toEqual([1, 2, 3]);
		const ring2 = boot();
		part.cutAfterBytes = 1;
		expect(cutDuring(() => ring2.ack(1, 3))).toBe(true); // the first ack lands, the second is cut
		expect(seqs(boot())).toEqual([2, 3]);
	});

	it("a torn ack that cleared only some bits still counts as acked", () => {
		const ring = boot();
		ring.append(body(1));
		ring.append(body(2));
		new Flash("outbox").write(SECTOR_HEADER_BYTES + 1, 1, Uint8Array.of(0xf7));
		expect(seqs(boot())).toEqual([2]);
	});

	it("wrap-around with acks keeps erase counts within 1 across sectors", () => {
		device(4);
		let ring = boot();
		let last = 0;
		for (let i = 1; i <= 600; i++) {
			last = ring.append(body(i, 150));
			if (i % 7 === 0) ring.ack(1, last);
			if (i % 97 === 0) ring = boot();
		}
		expect(last).toBe(600);
		const counts = part.eraseCounts;
		expect(Math.min(...counts)).toBeGreaterThanOrEqual(4);
		expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
		expect(ring.stats.dropped).toBe(0);
	});

	it("a full ring drops the oldest records and reports exact seq ranges", () => {
		device(3);
		const drops: number[][] = [];
		let ring = boot({ onDrop: (first, last, count) => drops.push([first, last, count]) });
		const perSector = Math.floor((SECTOR - SECTOR_HEADER_BYTES) / (RECORD_HEADER_BYTES + 200));
		for (let i = 1; i <= 3 * perSector; i++) ring.append(body(i, 200));
		expect(drops).toEqual([]);
		ring.ack(5, 7); // acked records inside the dropped sector are not loss
		ring.append(body(0, 200));
		expect(drops).toEqual([[1, 4, 4], [8, perSector, perSector - 7]]);
		for (let i = 2; i <= 3 * perSector; i++) ring.append(body(i, 200));
		const appended = 6 * perSector;
		expect(drops.slice(2)).toEqual([[perSector + 1, 2 * perSector, perSector], [2 * perSector + 1, 3 * perSector, perSector]]);
		const stats = ring.stats;
		expect(stats.dropped).toBe(3 * perSector - 3);
		expect(stats.dropped + stats.pending + 3).toBe(appended); // every record accounted for
		expect(seqs(ring)).toEqual(range(3 * perSector + 1, appended));
		expect(ring.pending(appended - 1, 1, 1)[0].body).toEqual(body(3 * perSector, 200));
		ring = boot();
		expect(seqs(ring)).toEqual(range(3 * perSector + 1, appended));
	});

	it("empty and oversize bodies throw RangeError", () => {
		const ring = boot();
		expect(() => ring.append(new Uint8Array(0))).toThrow(RangeError);
		expect(() => ring.append(new Uint8Array(1025))).toThrow(RangeError);
		expect(ring.append(new Uint8Array(1024))).toBe(1);
		expect(() => boot({ maxBodyBytes: SECTOR })).toThrow(RangeError);
		expect(boot({ maxBodyBytes: 64 }).maxBodyBytes).toBe(64);
	});

	it("a partition under 2 sectors throws StorageError", () => {
		device(1);
		expect(() => boot()).toThrow(StorageError);
		expect(() => boot()).toThrow(/at least 2 sectors/);
	});

	it("garbage in a partition recovers as empty without throwing", () => {
		let x = 0x1234_5678;
		for (let i = 0; i < part.bytes.length; i++) {
			x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
			part.bytes[i] = x >>> 24;
		}
		const ring = boot();
		expect(seqs(ring)).toEqual([]);
		expect(ring.stats.torn).toBe(16);
		expect(ring.append(body(1))).toBe(1);
		expect(ring.pending(0, 1, 1)).toEqual([{ seq: 1, body: body(1) }]);
		const again = boot();
		expect(seqs(again)).toEqual([1]);
		expect(again.stats.torn).toBe(15);
	});

	it("a damaged record ends its sector; later sectors are still recovered", () => {
		const ring = boot();
		const perSector = Math.floor((SECTOR - SECTOR_HEADER_BYTES) / (RECORD_HEADER_BYTES + 200));
		for (let i = 1; i <= 2 * perSector; i++) ring.append(body(i, 200));
		part.bytes[SECTOR_HEADER_BYTES + 2 * (RECORD_HEADER_BYTES + 200) + 50] ^= 0x10; // bit rot in record 3's body
		const after = boot();
		expect(seqs(after)).toEqual([1, 2, ...range(perSector + 1, 2 * perSector)]);
		expect(after.stats.torn).toBe(1);
		expect(after.append(body(0))).toBe(2 * perSector + 1);
	});

	it("stray bits after the last record close the head sector", () => {
		const ring = boot();
		ring.append(body(1));
		part.bytes[SECTOR - 1] = 0x7f;
		const after = boot();
		expect(after.stats.torn).toBe(1);
		expect(after.append(body(2))).toBe(2);
		expect(part.bytes[SECTOR]).not.toBe(0xff); // went to sector 1
		expect(seqs(boot())).toEqual([1, 2]);
	});

	it("seqFloor raises the next seq and onSectorOpened reports each sector's firstSeq", () => {
		const opened: number[] = [];
		let ring = boot({ seqFloor: 1000, onSectorOpened: (s) => opened.push(s) });
		expect(ring.stats.nextSeq).toBe(1000);
		expect(ring.append(body(1))).toBe(1000);
		expect(opened).toEqual([1000]);
		ring = boot({ seqFloor: 5, onSectorOpened: (s) => opened.push(s) });
		expect(ring.append(body(2))).toBe(1001); // a lower floor changes nothing
		expect(opened).toEqual([1000]);
		ring = boot({ seqFloor: 5000, onSectorOpened: (s) => opened.push(s) });
		expect(ring.append(body(3))).toBe(5000); // a higher floor opens a sector at the floor
		expect(opened).toEqual([1000, 5000]);
		for (let i = 0; i < 200; i++) ring.append(body(i, 100));
		expect(opened.length).toBeGreaterThan(2);
		expect(opened[opened.length - 1]).toBeLessThanOrEqual(ring.stats.nextSeq - 1);
		expect(seqs(boot())).toEqual([1000, 1001, ...range(5000, 5200)]);
	});

	it("a floor of the last firstSeq + maxRecordsPerSector survives a reformat", () => {
		let floor = 1;
		let ring = boot();
		const persist = (firstSeq: number) => (floor = firstSeq + ring.maxRecordsPerSector);
		ring = boot({ onSectorOpened: persist });
		for (let i = 1; i <= 400; i++) ring.append(body(i, 30));
		part.bytes.fill(0x00); // corrupted beyond repair; the caller reformats from NVS
		ring = boot({ seqFloor: floor });
		expect(seqs(ring)).toEqual([]);
		expect(ring.append(body(1))).toBeGreaterThan(400);
	});
});
