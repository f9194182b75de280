/*
 * On-flash layout of the outbox ring, format version 1. Integers are
 * little-endian (the ESP32's byte order), read byte by byte so no DataView is
 * allocated per record on XS.
 *
 * The partition is N sectors of blockSize bytes (4096 on ESP32 SPI NOR flash).
 * A sector in use starts with a sector header; records follow back to back;
 * the unused tail stays erased (0xFF). A record never straddles two sectors.
 *
 * Sector header, SECTOR_HEADER_BYTES = 16:
 *    0  u16  magic 0x4F42 (bytes "BO")
 *    2  u8   format version (1)
 *    3  u8   reserved, left 0xFF
 *    4  u32  generation: one more than the previous sector opened; orders the
 *            sectors at recovery (u32 outlives the flash: ~100k erases/sector)
 *    8  u32  firstSeq: seq of the sector's first record; records in a sector
 *            carry consecutive seqs from it
 *   12  u32  CRC-32 of bytes 0..11
 *
 * Record, RECORD_HEADER_BYTES = 12 plus the body:
 *    0  u8   magic 0xA5
 *    1  u8   state: 0xFF pending; anything else acked. Outside the CRC because
 *            an ack clears it in place: NOR programming only clears bits, so
 *            0xFF → 0x00 needs no erase, and a torn ack (some bits) still
 *            reads as acked.
 *    2  u32  CRC-32 of bytes 6..(12 + length): length, seq and body
 *    6  u16  body length, ≥ 1
 *    8  u32  seq
 *   12  body (opaque CBOR)
 *
 * A record is programmed in one write, magic first. A power cut leaves a
 * prefix (or, on real parts, any subset of bits) programmed: the CRC rejects
 * it, unless every unprogrammed byte was meant to be 0xFF anyway, in which
 * case the stored record is the intended one and is intact.
 */
import { crc32 } from "./crc32";

export const FORMAT_VERSION = 1;
export const SECTOR_MAGIC = 0x4f42;
export const SECTOR_HEADER_BYTES = 16;
export const RECORD_MAGIC = 0xa5;
export const RECORD_HEADER_BYTES = 12;
/** The state byte's acked value; any value other than 0xFF counts as acked. */
export const STATE_ACKED = 0x00;
/** checkRecord: the rest of the sector is erased; no more records. */
export const RECORD_END = 0;
/** checkRecord: bytes that are neither a record nor erased (torn write, bit rot). */
export const RECORD_TORN = -1;

export function u16(b: Uint8Array, at: number): number {
	return b[at] | (b[at + 1] << 8);
}
export function u32(b: Uint8Array, at: number): number {
	return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
function put16(b: Uint8Array, at: number, v: number): void {
	b[at] = v & 0xff;
	b[at + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
	b[at] = v & 0xff;
	b[at + 1] = (v >>> 8) & 0xff;
	b[at + 2] = (v >>> 16) & 0xff;
	b[at + 3] = (v >>> 24) & 0xff;
}

/** True if bytes[start, end) all read 0xFF, as after an erase. */
export function isErased(b: Uint8Array, start = 0, end = b.length): boolean {
	for (let i = start; i < end; i++) if (b[i] !== 0xff) return false;
	return true;
}

export function encodeSectorHeader(generation: number, firstSeq: number): Uint8Array {
	const b = new Uint8Array(SECTOR_HEADER_BYTES);
	put16(b, 0, SECTOR_MAGIC);
	b[2] = FORMAT_VERSION;
	b[3] = 0xff;
	put32(b, 4, generation);
	put32(b, 8, firstSeq);
	put32(b, 12, crc32(b, 0, 12));
	return b;
}

/** The header's fields, or undefined if it is blank, torn, foreign or of another version. */
export function decodeSectorHeader(b: Uint8Array): { generation: number; firstSeq: number } | undefined {
	if (u16(b, 0) !== SECTOR_MAGIC || b[2] !== FORMAT_VERSION || u32(b, 12) !== crc32(b, 0, 12)) return undefined;
	return { generation: u32(b, 4), firstSeq: u32(b, 8) };
}

export function encodeRecord(seq: number, body: Uint8Array): Uint8Array {
	const b = new Uint8Array(RECORD_HEADER_BYTES + body.byteLength);
	b[0] = RECORD_MAGIC;
	b[1] = 0xff;
	put16(b, 6, body.byteLength);
	put32(b, 8, seq);
	b.set(body, RECORD_HEADER_BYTES);
	put32(b, 2, crc32(b, 6));
	return b;
}

/**
 * Checks the record at `at` in a sector image: its total size in bytes if it
 * is intact, RECORD_END if everything from `at` on is erased, else RECORD_TORN.
 * Erased-looking headers followed by programmed bits count as torn, so the
 * ring never appends over stray bits.
 */
export function checkRecord(sector: Uint8Array, at: number): number {
	const room = sector.length - at;
	if (room < RECORD_HEADER_BYTES || isErased(sector, at, at + RECORD_HEADER_BYTES))
		return isErased(sector, at) ? RECORD_END : RECORD_TORN;
	if (sector[at] !== RECORD_MAGIC) return RECORD_TORN;
	const length = u16(sector, at + 6);
	const size = RECORD_HEADER_BYTES + length;
	if (length === 0 || size > room) return RECORD_TORN;
	return crc32(sector, at + 6, at + size) === u32(sector, at + 2) ? size : RECORD_TORN;
}

export function recordLength(sector: Uint8Array, at: number): number {
	return u16(sector, at + 6);
}
export function recordSeq(sector: Uint8Array, at: number): number {
	return u32(sector, at + 8);
}
export function recordPending(sector: Uint8Array, at: number): boolean {
	return sector[at + 1] === 0xff;
}
