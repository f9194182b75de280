/*
 * The outbox's flash ring: a log of telemetry records in a raw flash
 * partition, kept until the cloud acks them end to end (ARCHITECTURE §4).
 * Layout and torn-write rules: ./format.ts.
 *
 * Rules this file implements:
 *   - Sectors are used strictly in ring order, (head + 1) mod N, and erased
 *     only when reused, so per-sector erase counts stay within 1 of each other.
 *   - Recovery orders valid sectors by generation; the highest is the head.
 *     A torn or unknown sector header means the sector is free (it is always
 *     erased before use). A torn record ends its sector: the ring never
 *     appends after torn bytes; the next append opens the next sector.
 *   - Seqs are monotonic across reboots and never reused for a record that
 *     reached flash intact: next = max(last intact seq + 1, head firstSeq,
 *     seqFloor). A torn record's seq is reused: it never left the device.
 *   - Records in a sector carry consecutive seqs from its firstSeq (a floor
 *     above the head's run closes the head), so a floor of firstSeq +
 *     maxRecordsPerSector, persisted from onSectorOpened, covers every seq
 *     the partition may hold, even after a reformat.
 *   - A full ring drops its oldest sector's unacked records, reporting each
 *     run of seqs through onDrop and in stats.dropped: loss is never silent.
 * Flash errors (and the simulator's PowerCut) propagate unchanged; the
 * ring stays consistent with what reached flash, and a new FlashRing over the
 * same partition recovers exactly as after a reboot.
 */
import { StorageError } from "../../runtime/errors";
import {
	checkRecord,
	decodeSectorHeader,
	encodeRecord,
	encodeSectorHeader,
	isErased,
	RECORD_END,
	RECORD_HEADER_BYTES,
	RECORD_TORN,
	recordLength,
	recordPending,
	recordSeq,
	SECTOR_HEADER_BYTES,
	STATE_ACKED,
} from "./format";
import { PendingIndex } from "./pending-index";
import type { FlashRingStats } from "../stats";
export type { FlashRingStats };

/** The members of Moddable's `flash` Flash this ring uses: pass `new Flash("outbox")`. */
export interface FlashLike {
	readonly byteLength: number;
	/** erase sector size in bytes (4096 on ESP32) */
	readonly blockSize: number;
	/** Sets sector `sector` (an index, not an offset) to 0xFF. */
	erase(sector: number): void;
	read(offset: number, byteLength: number): ArrayBuffer | HostBuffer;
	/** NOR programming: stored = old AND new. */
	write(offset: number, byteLength: number, buffer: Uint8Array): void;
}

export interface FlashRingOptions {
	/** largest body append accepts, in bytes @default 1024 */
	maxBodyBytes?: number;
	/** lowest seq to assign, e.g. a floor kept in NVS (see onSectorOpened) to survive a reformat @default 1 */
	seqFloor?: number;
	/**
	 * A sector was erased and is about to get its header; its records get
	 * consecutive seqs from `firstSeq`. Called before any of them reaches flash,
	 * so a floor persisted here (NVS) is never behind the partition. Persisting
	 * firstSeq costs nothing at boot but, after the partition is lost, may reuse
	 * seqs of that one sector; firstSeq + maxRecordsPerSector never reuses one,
	 * but each boot then opens a new sector at the floor.
	 */
	onSectorOpened?: (firstSeq: number) => void;
	/** Unacked records firstSeq..lastSeq (`count` of them) were dropped to make room. */
	onDrop?: (firstSeq: number, lastSeq: number, count: number) => void;
}

export interface OutboxRecord {
	seq: number;
	body: Uint8Array;
}


const DEFAULT_MAX_BODY_BYTES = 1024;
const ACKED = Uint8Array.of(STATE_ACKED);

export class FlashRing {
	/** largest body append accepts, in bytes */
	readonly maxBodyBytes: number;
	/** most records one sector can hold (all with 1-byte bodies) */
	readonly maxRecordsPerSector: number;
	#flash: FlashLike;
	#sectorBytes: number;
	#sectors: number;
	#index = new PendingIndex();
	/** sector being appended to; -1 before the first sector is opened */
	#head = -1;
	#generation = 0;
	/** partition offset where the next record goes */
	#write = 0;
	/** the head takes no more records: none yet, a torn tail, or a write that failed */
	#closed = true;
	#nextSeq = 1;
	#dropped = 0;
	#torn = 0;
	#appended = 0;
	#onDrop: FlashRingOptions["onDrop"];
	#onSectorOpened: FlashRingOptions["onSectorOpened"];

	/**
	 * Recovers the ring from `flash` (reads every sector header, and every
	 * valid sector once). Throws StorageError if the partition has fewer than
	 * 2 sectors, RangeError for a maxBodyBytes that cannot fit a sector.
	 */
	constructor(flash: FlashLike, options: FlashRingOptions = {}) {
		const sectorBytes = flash.blockSize;
		const sectors = Math.floor(flash.byteLength / sectorBytes);
		if (!(sectors >= 2) || !(sectorBytes > SECTOR_HEADER_BYTES + RECORD_HEADER_BYTES))
			throw new StorageError(`outbox: partition of ${flash.byteLength} bytes in ${sectorBytes}-byte sectors is unusable; the ring needs at least 2 sectors`);
		const room = Math.min(sectorBytes - SECTOR_HEADER_BYTES - RECORD_HEADER_BYTES, 0xffff);
		const maxBodyBytes = options.maxBodyBytes ?? Math.min(DEFAULT_MAX_BODY_BYTES, room);
		if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > room)
			throw new RangeError(`outbox: maxBodyBytes ${maxBodyBytes} outside 1..${room}`);
		this.maxBodyBytes = maxBodyBytes;
		this.maxRecordsPerSector = Math.floor((sectorBytes - SECTOR_HEADER_BYTES) / (RECORD_HEADER_BYTES + 1));
		this.#flash = flash;
		this.#sectorBytes = sectorBytes;
		this.#sectors = sectors;
		this.#onDrop = options.onDrop;
		this.#onSectorOpened = options.onSectorOpened;
		this.#recover(Math.max(1, Math.floor(options.seqFloor ?? 1)));
	}

	get stats(): FlashRingStats {
		return {
			pending: this.#index.count,
			pendingBytes: this.#index.bytes,
			nextSeq: this.#nextSeq,
			dropped: this.#dropped,
			torn: this.#torn,
			sectors: this.#sectors,
			capacityBytes: this.#sectors * (this.#sectorBytes - SECTOR_HEADER_BYTES),
			appended: this.#appended,
		};
	}

	/**
	 * Persists one record and returns its seq. Throws RangeError for an empty
	 * body or one over maxBodyBytes. May drop the oldest unacked records (onDrop).
	 */
	append(body: Uint8Array): number {
		const length = body.byteLength;
		if (length < 1 || length > this.maxBodyBytes) throw new RangeError(`outbox: body of ${length} bytes outside 1..${this.maxBodyBytes}`);
		if (this.#nextSeq > 0xffff_ffff) throw new StorageError("outbox: u32 sequence numbers exhausted");
		const size = RECORD_HEADER_BYTES + length;
		if (this.#closed || this.#write + size > (this.#head + 1) * this.#sectorBytes) this.#openNext();
		const seq = this.#nextSeq;
		const at = this.#write;
		// Closed until the write completes: if it fails part-way the sector
		// holds torn bytes, and nothing may be appended after them.
		this.#closed = true;
		this.#flash.write(at, size, encodeRecord(seq, body));
		this.#closed = false;
		this.#index.push(seq, at, length);
		this.#write = at + size;
		this.#nextSeq = seq + 1;
		this.#appended++;
		return seq;
	}

	/** Marks pending records with seq in [first, last] acked; returns how many were pending. Repeats are harmless. */
	ack(first: number, last: number): number {
		const index = this.#index;
		let n = 0;
		// Flash first, then RAM: if the write fails the record stays pending in both.
		for (let i = index.firstAfter(Math.ceil(first) - 1); i < index.end && index.seqAt(i) <= last; i++) {
			if (!index.lengthAt(i)) continue;
			this.#flash.write(index.offsetAt(i) + 1, 1, ACKED);
			index.remove(i);
			n++;
		}
		return n;
	}

	/**
	 * Unacked records with seq > afterSeq, in seq order: at most maxCount of
	 * them and at most maxBytes of bodies, but always the first one that
	 * qualifies even if it alone is larger than maxBytes.
	 */
	pending(afterSeq: number, maxCount: number, maxBytes: number): OutboxRecord[] {
		const index = this.#index;
		const out: OutboxRecord[] = [];
		let bytes = 0;
		for (let i = index.firstAfter(afterSeq); i < index.end && out.length < maxCount; i++) {
			const length = index.lengthAt(i);
			if (!length) continue;
			if (out.length && bytes + length > maxBytes) break;
			bytes += length;
			out.push({ seq: index.seqAt(i), body: this.#read(index.offsetAt(i) + RECORD_HEADER_BYTES, length) });
		}
		return out;
	}

	/** read() without useHostBuffer returns an ArrayBuffer (Moddable modules/files/flash). */
	#read(offset: number, byteLength: number): Uint8Array {
		return new Uint8Array(this.#flash.read(offset, byteLength) as ArrayBuffer);
	}

	#recover(seqFloor: number): void {
		const valid: { sector: number; generation: number; firstSeq: number }[] = [];
		for (let s = 0; s < this.#sectors; s++) {
			const bytes = this.#read(s * this.#sectorBytes, SECTOR_HEADER_BYTES);
			const header = decodeSectorHeader(bytes);
			if (header) valid.push({ sector: s, ...header });
			else if (!isErased(bytes)) this.#torn++; // torn header write or garbage: free, erased before reuse
		}
		valid.sort((a, b) => a.generation - b.generation);
		let nextSeq = seqFloor;
		let lastSeq = 0;
		let headRunsTo = 0;
		for (const { sector, generation, firstSeq } of valid) {
			const base = sector * this.#sectorBytes;
			const image = this.#read(base, this.#sectorBytes);
			let at = SECTOR_HEADER_BYTES;
			let size: number;
			nextSeq = Math.max(nextSeq, firstSeq);
			headRunsTo = firstSeq;
			while ((size = checkRecord(image, at)) > RECORD_END) {
				const seq = recordSeq(image, at);
				nextSeq = Math.max(nextSeq, seq + 1);
				headRunsTo = seq + 1;
				if (seq <= lastSeq) this.#torn++; // out of seq order: damaged, never indexed
				else {
					lastSeq = seq;
					if (recordPending(image, at)) this.#index.push(seq, base + at, recordLength(image, at));
				}
				at += size;
			}
			if (size === RECORD_TORN) this.#torn++;
			this.#head = sector;
			this.#generation = generation;
			this.#write = base + at;
			this.#closed = size === RECORD_TORN;
		}
		// Seqs in a sector run on from its firstSeq (rule above): a floor above the
		// head's run closes the head, so the next record opens a sector at the floor.
		if (nextSeq !== headRunsTo) this.#closed = true;
		this.#nextSeq = nextSeq;
	}

	/** Erases the next sector in ring order, dropping its unacked records, and writes its header. */
	#openNext(): void {
		const sector = (this.#head + 1) % this.#sectors;
		this.#closed = true;
		this.#drop(sector);
		this.#flash.erase(sector);
		const firstSeq = this.#nextSeq;
		this.#onSectorOpened?.(firstSeq);
		const base = sector * this.#sectorBytes;
		this.#flash.write(base, SECTOR_HEADER_BYTES, encodeSectorHeader(this.#generation + 1, firstSeq));
		this.#head = sector;
		this.#generation++;
		this.#write = base + SECTOR_HEADER_BYTES;
		this.#closed = false;
	}

	/** Forgets the unacked records in `sector` and reports each run of consecutive seqs. */
	#drop(sector: number): void {
		const index = this.#index;
		const low = sector * this.#sectorBytes;
		const high = low + this.#sectorBytes;
		const end = index.end;
		let first = 0;
		let last = -1;
		for (let i = index.firstAfter(-1); i <= end; i++) {
			const hit = i < end && index.lengthAt(i) > 0 && index.offsetAt(i) >= low && index.offsetAt(i) < high;
			const seq = hit ? index.seqAt(i) : -1;
			if (last >= first && (!hit || seq !== last + 1)) {
				// A run ended: count it before the callback so a throwing callback loses no count.
				this.#dropped += last - first + 1;
				this.#onDrop?.(first, last, last - first + 1);
				last = first - 1;
			}
			if (!hit) continue;
			if (last < first) first = seq;
			last = seq;
			index.remove(i);
		}
	}
}
