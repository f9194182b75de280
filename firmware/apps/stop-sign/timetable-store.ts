/*
 * The sign's cached timetable, kept in NVS (Preference domain "tt") so the
 * offline fallback survives a reboot without a link (issue #4: "The device
 * persists it, bounded in size").
 *
 * Layout: two slots, 0 and 1. A slot is its CBOR bytes cut into chunks of at
 * most 4000 bytes (the NVS value limit; keys "c<slot><i>") and a header
 * "h<slot>" of 8 bytes: u32 length, u32 CRC-32/ISO-HDLC of the bytes, both
 * little-endian. "cur" names the slot that holds the committed copy and is
 * written last. A save goes to the other slot, so a power cut at any point
 * leaves "cur" naming a complete slot (ESP-IDF NVS commits each single entry
 * atomically, not several). A header whose CRC does not match its bytes —
 * a torn chunk, flash damage — sends `load` to the other slot.
 *
 * Bound: at most MAX_BYTES of CBOR (three chunks). A larger slice is cut to
 * its earliest departures that fit and its `until` moved to the first
 * departure dropped, so the sign never claims "no bus" where the cut was.
 */
import Preference from "preference";
import { encode, decode } from "../../net/cbor/index";
import { crc32 } from "../../net/outbox/crc32";
import { compact } from "../../contract/validate";
import { validateStopTimetable, type StopTimetable } from "../../contract/board-payloads";

const DOMAIN = "tt";
const COMMIT = "cur";
/** NVS value limit (Moddable preference on ESP32: 4000 bytes). */
const CHUNK_BYTES = 4000;
/** Largest stored slice, bytes of CBOR. */
export const MAX_BYTES = 12_000;
const MAX_CHUNKS = Math.ceil(MAX_BYTES / CHUNK_BYTES);

function chunkKey(slot: number, i: number): string {
	return `c${slot}${i}`;
}

function headerKey(slot: number): string {
	return `h${slot}`;
}

function readSlot(slot: number): StopTimetable | undefined {
	try {
		const h = Preference.get(DOMAIN, headerKey(slot));
		if (!(h instanceof ArrayBuffer) || h.byteLength !== 8) return undefined;
		const view = new DataView(h);
		const length = view.getUint32(0, true);
		const crc = view.getUint32(4, true);
		if (length === 0 || length > MAX_BYTES) return undefined;
		const bytes = new Uint8Array(length);
		let at = 0;
		for (let i = 0; at < length && i < MAX_CHUNKS; i++) {
			const c = Preference.get(DOMAIN, chunkKey(slot, i));
			if (!(c instanceof ArrayBuffer) || at + c.byteLength > length) return undefined;
			bytes.set(new Uint8Array(c), at);
			at += c.byteLength;
		}
		if (at !== length || crc32(bytes) !== crc) return undefined;
		return validateStopTimetable(decode(bytes));
	} catch {
		return undefined;
	}
}

function committedSlot(): number | undefined {
	const cur = Preference.get(DOMAIN, COMMIT);
	return cur === 0 || cur === 1 ? cur : undefined;
}

/** The slice with only its first `keep` departures and the routes/destinations they use (re-interned). */
function earliest(tt: StopTimetable, keep: number): StopTimetable {
	const routes: string[] = [];
	const dests: string[] = [];
	const destsZh: string[] = [];
	const routeIndex = new Map<number, number>();
	const destIndex = new Map<number, number>();
	const deps: number[] = [];
	for (let i = 0; i < keep * 3; i += 3) {
		let r = routeIndex.get(tt.deps[i + 1]);
		if (r === undefined) {
			r = routes.push(tt.routes[tt.deps[i + 1]]) - 1;
			routeIndex.set(tt.deps[i + 1], r);
		}
		let d = destIndex.get(tt.deps[i + 2]);
		if (d === undefined) {
			d = dests.push(tt.dests[tt.deps[i + 2]]) - 1;
			destsZh.push(tt.destsZh?.[tt.deps[i + 2]] ?? "");
			destIndex.set(tt.deps[i + 2], d);
		}
		deps.push(tt.deps[i], r, d);
	}
	const total = tt.deps.length / 3;
	// Past the cut the slice knows nothing: say so by ending it at the first dropped departure.
	const until = keep < total ? Math.min(tt.until, Math.max(tt.from + 60, tt.from + tt.deps[keep * 3] * 60)) : tt.until;
	return { ...tt, until, routes, dests, destsZh: tt.destsZh ? destsZh : undefined, deps };
}

function bytesOf(tt: StopTimetable): Uint8Array {
	return encode(compact(tt as unknown as Record<string, unknown>) as never);
}

export class TimetableStore {
	/** The last saved slice, or undefined when none is stored or both slots are damaged. Never throws. */
	load(): StopTimetable | undefined {
		let cur: number | undefined;
		try {
			cur = committedSlot();
		} catch {
			return undefined;
		}
		const first = cur ?? 0;
		return readSlot(first) ?? readSlot(1 - first);
	}

	/**
	 * Persists a validated slice, cut to its earliest departures when its CBOR exceeds MAX_BYTES.
	 * @returns bytes stored and how many departures were dropped
	 * @throws ProtocolError when `tt` is not a valid timetable; RangeError/Error from Preference when NVS refuses a write
	 */
	save(tt: StopTimetable): { bytes: number; trimmed: number } {
		const checked = validateStopTimetable(compact(tt as unknown as Record<string, unknown>));
		const total = checked.deps.length / 3;
		let bytes = bytesOf(checked);
		let keep = total;
		if (bytes.length > MAX_BYTES) {
			// Largest prefix that fits: 0 departures always fits (names are bounded by the contract).
			let lo = 0;
			let hi = total - 1;
			while (lo < hi) {
				const mid = (lo + hi + 1) >> 1;
				if (bytesOf(earliest(checked, mid)).length <= MAX_BYTES) lo = mid;
				else hi = mid - 1;
			}
			keep = lo;
			bytes = bytesOf(earliest(checked, keep));
		}
		const cur = committedSlot();
		const slot = cur === 0 ? 1 : 0;
		// Invalidate the target slot first: a cut between chunk writes then reads as "empty", never as a mix.
		Preference.delete(DOMAIN, headerKey(slot));
		for (let i = 0; i < MAX_CHUNKS; i++) {
			const start = i * CHUNK_BYTES;
			if (start < bytes.length) Preference.set(DOMAIN, chunkKey(slot, i), bytes.slice(start, Math.min(bytes.length, start + CHUNK_BYTES)).buffer as ArrayBuffer);
			else Preference.delete(DOMAIN, chunkKey(slot, i));
		}
		const header = new DataView(new ArrayBuffer(8));
		header.setUint32(0, bytes.length, true);
		header.setUint32(4, crc32(bytes), true);
		Preference.set(DOMAIN, headerKey(slot), header.buffer as ArrayBuffer);
		Preference.set(DOMAIN, COMMIT, slot);
		return { bytes: bytes.length, trimmed: total - keep };
	}

	/** Forgets the stored slice (both slots). */
	clear(): void {
		for (const slot of [0, 1]) {
			Preference.delete(DOMAIN, headerKey(slot));
			for (let i = 0; i < MAX_CHUNKS; i++) Preference.delete(DOMAIN, chunkKey(slot, i));
		}
		Preference.delete(DOMAIN, COMMIT);
	}
}
