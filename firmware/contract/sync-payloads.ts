/*
 * Curbside wire contract: the outbox's end-to-end acknowledged uplink and
 * time sync (ARCHITECTURE §4).
 *
 *   device → cloud  .../up   UpPayload: a batch of outbox records
 *   cloud → device  .../ack  AckPayload: the seqs the cloud has stored
 *   cloud → all     cs/v1/time  TimePayload: a time beacon
 *
 * Delivery is end to end, independent of MQTT QoS and broker sessions: a
 * record leaves the device's flash only once an ack names its seq. The cloud
 * dedupes by (device, seq), so a resend after a lost ack or a power cut is
 * harmless. Every ack also carries the cloud's clock and echoes the batch's
 * send tick, which gives the device an NTP-style offset (RFC 5905 §8, one
 * exchange: offset = server time − midpoint of the round trip).
 */
import { finite, integer, list, onlyKeys, optional, record, text } from "./validate";
import { CONTRACT_VERSION } from "./topics";
import { ProtocolError } from "../runtime/errors";

/** Sequence numbers are u32 on the device (outbox record header). */
export const MAX_SEQ = 0xffff_ffff;

/** A record's time: epoch ms once the clock is synced, else [bootCount, ms since that boot]. */
export type RecordTime = number | [boot: number, ticks: number];

/** One outbox record on the wire: [seq, time, kind, data]. */
export type UpRecord = [seq: number, t: RecordTime, kind: string, data: Record<string, unknown>];

/** Record kinds: FIWARE Smart Data Model entity types where one fits, dotted names for device events. */
const KIND = /^[A-Za-z][A-Za-z0-9.]{0,39}$/;

export interface UpPayload {
	v: number;
	/** batch number, per boot; echoed by the ack */
	id: number;
	/** device ms since boot when the batch was sent; echoed by the ack for time sync */
	tx: number;
	/** boot count of the sending boot, to resolve [boot, ticks] record times */
	boot: number;
	/** epoch ms at tick 0 of this boot, once the device clock is synced */
	t0?: number;
	/** records the outbox had to drop since boot (ring full); the drops themselves are "outbox.loss" records */
	lost?: number;
	r: UpRecord[];
}

export interface AckPayload {
	v: number;
	/** the batch id being acknowledged */
	id: number;
	/** the batch's tx, echoed */
	tx: number;
	/** cloud wall clock when the ack was sent, epoch ms */
	now: number;
	/** inclusive seq ranges the cloud has stored (new or already stored) */
	acked: [first: number, last: number][];
}

export interface TimePayload {
	v: number;
	/** cloud wall clock, epoch ms */
	now: number;
}

function version(fields: Record<string, unknown>, path: string): number {
	return integer(fields.v, `${path}.v`, 1, CONTRACT_VERSION);
}

/** A record time (or a window bound): epoch ms or [boot, ticks]. @throws ProtocolError */
export function recordTime(value: unknown, path: string): RecordTime {
	if (Array.isArray(value)) {
		if (value.length !== 2) throw new ProtocolError(`${path}: expected [boot, ticks]`);
		return [integer(value[0], `${path}[0]`, 0), integer(value[1], `${path}[1]`, 0)];
	}
	return integer(value, path, 0);
}

/** Validates one record. @throws ProtocolError */
export function validateUpRecord(value: unknown, path = "record"): UpRecord {
	const r = list(value, path, 4);
	if (r.length !== 4) throw new ProtocolError(`${path}: expected [seq, t, kind, data]`);
	const kind = text(r[2], `${path}.kind`, 40);
	if (!KIND.test(kind)) throw new ProtocolError(`${path}.kind: "${kind}" is not a record kind`);
	return [integer(r[0], `${path}.seq`, 1, MAX_SEQ), recordTime(r[1], `${path}.t`), kind, record(r[3], `${path}.data`)];
}

/** @throws ProtocolError */
export function validateUp(value: unknown): UpPayload {
	const f = record(value, "up");
	onlyKeys(f, "up", ["v", "id", "tx", "boot", "t0", "lost", "r"]);
	return {
		v: version(f, "up"),
		id: integer(f.id, "up.id", 0),
		tx: integer(f.tx, "up.tx", 0),
		boot: integer(f.boot, "up.boot", 0),
		t0: optional(f.t0, (x) => integer(x, "up.t0", 0)),
		lost: optional(f.lost, (x) => integer(x, "up.lost", 0)),
		r: list(f.r, "up.r", 1000).map((x, i) => validateUpRecord(x, `up.r[${i}]`)),
	};
}

/** @throws ProtocolError */
export function validateAck(value: unknown): AckPayload {
	const f = record(value, "ack");
	onlyKeys(f, "ack", ["v", "id", "tx", "now", "acked"]);
	return {
		v: version(f, "ack"),
		id: integer(f.id, "ack.id", 0),
		tx: integer(f.tx, "ack.tx", 0),
		now: integer(f.now, "ack.now", 0),
		acked: list(f.acked, "ack.acked", 1000).map((x, i) => {
			const r = list(x, `ack.acked[${i}]`, 2);
			if (r.length !== 2) throw new ProtocolError(`ack.acked[${i}]: expected [first, last]`);
			const first = integer(r[0], `ack.acked[${i}][0]`, 1, MAX_SEQ);
			const last = integer(r[1], `ack.acked[${i}][1]`, first, MAX_SEQ);
			return [first, last] as [number, number];
		}),
	};
}

/** @throws ProtocolError */
export function validateTime(value: unknown): TimePayload {
	const f = record(value, "time");
	onlyKeys(f, "time", ["v", "now"]);
	return { v: version(f, "time"), now: integer(Math.floor(finite(f.now, "time.now")), "time.now", 0) };
}

/** Collapses seqs into sorted inclusive ranges: [1,2,3,7] → [[1,3],[7,7]]. */
export function seqRanges(seqs: Iterable<number>): [number, number][] {
	const sorted = [...seqs].sort((a, b) => a - b);
	const out: [number, number][] = [];
	for (const s of sorted) {
		const last = out[out.length - 1];
		if (last && s <= last[1] + 1) last[1] = Math.max(last[1], s);
		else out.push([s, s]);
	}
	return out;
}
