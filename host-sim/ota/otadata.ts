/*
 * ESP-IDF "otadata" partition at the byte level: which OTA app slot boots,
 * and the rollback state of its image.
 *
 * Format (esp_flash_partitions.h esp_ota_select_entry_t, 32 bytes, little
 * endian): u32 ota_seq, u8 seq_label[20], u32 ota_state, u32 crc. Entry 0
 * lives at the start of sector 0 and entry 1 at the start of sector 1 of the
 * 0x2000-byte partition. crc = crc32_le(UINT32_MAX, &ota_seq, 4)
 * (bootloader_common_ota_select_crc); see crc32Le for what that means.
 *
 * Rules, as bootloader_common.c and app_update/esp_ota_ops.c apply them:
 *   - an entry is *valid* when ota_seq != 0xFFFFFFFF, its state is neither
 *     INVALID nor ABORTED, and the crc matches (bootloader_common_ota_select_valid);
 *   - the *active* entry is the valid one with the higher seq
 *     (bootloader_common_get_active_otadata); it selects slot (seq - 1) % 2;
 *   - set-boot (esp_rewrite_ota_data) writes a NEW entry into the sector that
 *     does not hold the active one (sector 0 when none is active), with the
 *     smallest seq' >= active seq for which (seq' - 1) % 2 is the target slot;
 *   - mark-valid / mark-invalid and the bootloader's own state changes rewrite
 *     an entry in place.
 * Every write is erase sector + program 32 bytes (rewrite_ota_seq,
 * write_otadata), through the partition's `store` with NOR rules (erase sets
 * 0xFF; program can only clear bits), so an injected power cut
 * (MemoryPartition.cutAfterBytes) can tear any of them: a torn entry fails its
 * crc or reads as erased, and is ignored.
 *   https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/ota.html#app-rollback
 */
import type { BridgePartition } from "../bridge/types";

export const OTADATA_BYTES = 0x2000;
export const ENTRY_BYTES = 32;
const SEQ_ERASED = 0xffff_ffff;

/** esp_ota_img_states_t */
export const OtaState = Object.freeze({
	NEW: 0,
	PENDING_VERIFY: 1,
	VALID: 2,
	INVALID: 3,
	ABORTED: 4,
	UNDEFINED: 0xffff_ffff,
});

/** The names the otaBoot module reports (types/ota-boot.d.ts ImageState). */
export type ImageState = "new" | "pending-verify" | "valid" | "invalid" | "aborted" | "undefined";

const NAMES: Record<number, ImageState> = { 0: "new", 1: "pending-verify", 2: "valid", 3: "invalid", 4: "aborted" };

/** ota_state as the otaBoot module names it; anything unknown is "undefined", as ESP-IDF treats it. */
export function stateName(state: number): ImageState {
	return NAMES[state] ?? "undefined";
}

export interface OtaEntry {
	seq: number;
	state: number;
	crc: number;
}

let crcTable: Uint32Array | undefined;

/**
 * ESP32 ROM crc32_le(crc, buf, len): reflected CRC-32, polynomial 0xEDB88320,
 * where `crc` is a previous result (the register starts at ~crc, the result
 * is inverted). ESP-IDF passes UINT32_MAX, so the register starts at 0; this
 * equals Python's binascii.crc32(buf, 0xFFFFFFFF), as otatool.py uses, and
 * differs from a plain zlib CRC-32 (which starts from 0).
 */
export function crc32Le(crc: number, bytes: Uint8Array): number {
	if (!crcTable) {
		crcTable = new Uint32Array(256);
		for (let n = 0; n < 256; n++) {
			let c = n;
			for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb8_8320 ^ (c >>> 1) : c >>> 1;
			crcTable[n] = c >>> 0;
		}
	}
	let c = ~crc >>> 0;
	for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
	return ~c >>> 0;
}

/** bootloader_common_ota_select_crc: CRC-32 of the 4 little-endian bytes of ota_seq. */
export function seqCrc(seq: number): number {
	const b = new Uint8Array(4);
	new DataView(b.buffer).setUint32(0, seq >>> 0, true);
	return crc32Le(0xffff_ffff, b);
}

/**
 * The 32 bytes of an entry; seq_label stays erased (0xFF), as esp_ota_ops
 * leaves it. `crc` defaults to the right one; the bootloader rewrites an
 * entry's state with whatever crc it read (write_otadata does not recompute it).
 */
export function encodeEntry(seq: number, state: number, crc = seqCrc(seq)): Uint8Array {
	const out = new Uint8Array(ENTRY_BYTES).fill(0xff);
	const v = new DataView(out.buffer);
	v.setUint32(0, seq >>> 0, true);
	v.setUint32(24, state >>> 0, true);
	v.setUint32(28, crc >>> 0, true);
	return out;
}

export function decodeEntry(bytes: Uint8Array): OtaEntry {
	if (bytes.length < ENTRY_BYTES) throw new RangeError("otadata: entry needs 32 bytes");
	const v = new DataView(bytes.buffer, bytes.byteOffset, ENTRY_BYTES);
	return { seq: v.getUint32(0, true), state: v.getUint32(24, true), crc: v.getUint32(28, true) };
}

/** seq written and crc intact, whatever the state (esp_ota_get_state_partition's test). */
export function entryIntact(e: OtaEntry): boolean {
	return e.seq !== SEQ_ERASED && e.crc === seqCrc(e.seq);
}

/** bootloader_common_ota_select_valid: intact and neither INVALID nor ABORTED. */
export function entryValid(e: OtaEntry): boolean {
	return entryIntact(e) && e.state !== OtaState.INVALID && e.state !== OtaState.ABORTED;
}

/** bootloader_common_ota_select_invalid (no crc check): erased seq, INVALID or ABORTED. */
export function entrySelectInvalid(e: OtaEntry): boolean {
	return e.seq === SEQ_ERASED || e.state === OtaState.INVALID || e.state === OtaState.ABORTED;
}

/** The slot (0 or 1) an entry's seq selects: (seq - 1) % 2. */
export function slotOf(seq: number): number {
	return ((seq - 1) >>> 0) % 2; // u32 arithmetic, as in C: seq 0 selects slot 1
}

/** Index (0/1) of the active entry, or -1 (bootloader_common_get_active_otadata). */
export function activeIndex(entries: readonly OtaEntry[]): number {
	const v0 = entryValid(entries[0]);
	const v1 = entryValid(entries[1]);
	if (v0 && v1) return entries[0].seq >= entries[1].seq ? 0 : 1;
	return v0 ? 0 : v1 ? 1 : -1;
}

/** The two entries of an otadata partition, with sector-level writes that follow ESP-IDF. */
export class OtaData {
	readonly #part: BridgePartition;

	constructor(part: BridgePartition) {
		if (part.byteLength < 2 * part.blockSize) throw new RangeError("otadata: partition needs two sectors");
		this.#part = part;
	}

	/** Both entries as stored now. */
	read(): [OtaEntry, OtaEntry] {
		const s = this.#part.blockSize;
		return [decodeEntry(this.#part.read(0, ENTRY_BYTES)), decodeEntry(this.#part.read(s, ENTRY_BYTES))];
	}

	/** Erase the entry's sector, then program the 32-byte entry (rewrite_ota_seq / write_otadata). */
	write(index: number, seq: number, state: number, crc = seqCrc(seq)): void {
		const size = this.#part.blockSize;
		const at = index * size;
		this.#part.store(at, new Uint8Array(size).fill(0xff));
		this.#part.noteErase(index);
		const bytes = encodeEntry(seq, state, crc);
		const old = this.#part.read(at, ENTRY_BYTES);
		for (let i = 0; i < ENTRY_BYTES; i++) bytes[i] &= old[i]; // NOR: programming only clears bits
		this.#part.store(at, bytes);
	}

	/** Erases both sectors (a factory flash leaves otadata blank). */
	erase(): void {
		const size = this.#part.blockSize;
		for (let i = 0; i < 2; i++) {
			this.#part.store(i * size, new Uint8Array(size).fill(0xff));
			this.#part.noteErase(i);
		}
	}

	/**
	 * esp_rewrite_ota_data(slot) with rollback enabled: a NEW entry for `slot`
	 * in the sector that does not hold the active entry (sector 0 if none).
	 */
	setBoot(slot: number): void {
		const entries = this.read();
		const active = activeIndex(entries);
		if (active < 0) {
			this.write(0, slot + 1, OtaState.NEW);
			return;
		}
		// Smallest seq' >= active seq with (seq' - 1) % 2 == slot, as esp_ota_ops.c computes it.
		const seq = entries[active].seq;
		let next = (slot + 1) % 2;
		while (seq > next) next += 2;
		this.write(active ^ 1, next, OtaState.NEW);
	}
}
