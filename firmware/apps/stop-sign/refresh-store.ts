/*
 * NVS persistence of the e-paper refresh counters (refresh-policy.ts), so the
 * every-N-partials rule, the daily full refresh and the ghosting count
 * survive a reboot and a deep-sleep wake (on ESP32 a wake is a reboot).
 *
 * One Preference entry (domain "epd", key "cnt"), a fixed little-endian
 * layout of 36 bytes. One entry because ESP-IDF NVS commits a single entry
 * atomically (an entry's state bits are written last), so a power cut leaves
 * either the old or the new record, never half of each; several keys would
 * not be one transaction.
 *   0  "RC"   magic
 *   2  u8     layout version = 1
 *   3  u8     flags: bit 0 = lastFullS present
 *   4  u32    partialsSinceFull
 *   8  u32    fullTotal
 *   12 u32    partialTotal
 *   16 u32    skippedCold
 *   20 u32    ghost
 *   24 f64    lastFullS (s; epoch seconds do not fit an i32 forever, and Preference has no float)
 *   32 u32    CRC-32/ISO-HDLC of bytes 0..31
 * A value of another size, magic, version or CRC reads as "no counters":
 * the policy then starts fresh, which costs at most one extra full refresh.
 */
import Preference from "preference";
import { crc32 } from "../../net/outbox/crc32";
import { validCounters, type RefreshCounters, type RefreshStore } from "./refresh-policy";

export const REFRESH_DOMAIN = "epd";
export const REFRESH_KEY = "cnt";
export const RECORD_BYTES = 36;
const VERSION = 1;

/** The counters as the 36-byte record. */
export function encodeCounters(c: RefreshCounters): Uint8Array {
	const bytes = new Uint8Array(RECORD_BYTES);
	const v = new DataView(bytes.buffer);
	bytes[0] = 0x52; // R
	bytes[1] = 0x43; // C
	bytes[2] = VERSION;
	bytes[3] = c.lastFullS === undefined ? 0 : 1;
	v.setUint32(4, c.partialsSinceFull, true);
	v.setUint32(8, c.fullTotal, true);
	v.setUint32(12, c.partialTotal, true);
	v.setUint32(16, c.skippedCold, true);
	v.setUint32(20, c.ghost, true);
	v.setFloat64(24, c.lastFullS ?? 0, true);
	v.setUint32(32, crc32(bytes, 0, 32), true);
	return bytes;
}

/** The counters in a record, or undefined when it is not a valid record. */
export function decodeCounters(bytes: Uint8Array): RefreshCounters | undefined {
	if (bytes.length !== RECORD_BYTES || bytes[0] !== 0x52 || bytes[1] !== 0x43 || bytes[2] !== VERSION || bytes[3] > 1) return undefined;
	const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (v.getUint32(32, true) !== crc32(bytes, 0, 32)) return undefined;
	const c: RefreshCounters = {
		partialsSinceFull: v.getUint32(4, true),
		fullTotal: v.getUint32(8, true),
		partialTotal: v.getUint32(12, true),
		skippedCold: v.getUint32(16, true),
		ghost: v.getUint32(20, true),
		lastFullS: bytes[3] === 1 ? v.getFloat64(24, true) : undefined,
	};
	return validCounters(c) ? c : undefined;
}

export class NvsRefreshStore implements RefreshStore {
	readonly #domain: string;

	/** `domain` is for tests and a second panel; the device uses "epd". */
	constructor(domain: string = REFRESH_DOMAIN) {
		this.#domain = domain;
	}

	load(): RefreshCounters | undefined {
		const value = Preference.get(this.#domain, REFRESH_KEY);
		if (!(value instanceof ArrayBuffer)) return undefined;
		return decodeCounters(new Uint8Array(value));
	}

	/** @throws what Preference.set throws (NVS full or failing) */
	save(counters: RefreshCounters): void {
		Preference.set(this.#domain, REFRESH_KEY, encodeCounters(counters).buffer as ArrayBuffer);
	}
}
