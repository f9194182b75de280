/*
 * The uplink: telemetry and events as outbox records, sent in batches and
 * dropped from flash only when the cloud acks them end to end
 * (ARCHITECTURE §4). MQTT QoS 0 may lose a batch, a broker may restart, a
 * power cut may hit between send and ack: in every case the records are
 * still in flash and go again; the cloud dedupes by (device, seq).
 *
 * Flow control, so a device never floods the network:
 *   - at most `window` batches are unacked at a time;
 *   - bulk publishes pass the session's byte-rate limit or wait for it;
 *   - records coalesce for up to `delayMs` before a batch goes out;
 *   - an ack that never comes restarts sending from the oldest unacked
 *     record after a timeout that doubles up to `maxAckTimeoutMs`.
 *
 * A batch is spliced from the records' stored CBOR (see `bodyOf`), not
 * decoded and re-encoded: the bytes are exactly what encodePayload("up")
 * would produce (tests hold the two equal), at a fraction of the cost.
 */
import Time from "time";
import Timer from "timer";
import type { AckPayload, RecordTime } from "../contract/sync-payloads";
import { deviceTopic } from "../contract/topics";
import type { TaggedLog } from "../runtime/logger";
import { encode, encodeHead } from "./cbor/index";
import type { CborMap } from "./cbor/index";
import type { ClockSync } from "./clock-sync";
import type { FlashRing } from "./outbox/ring";
import type { MqttSession } from "./session";
import type { UplinkStats } from "./stats";
export type { UplinkStats };

export interface UplinkOptions {
	ring: FlashRing;
	session: MqttSession;
	clock: ClockSync;
	deviceId: string;
	bootCount: number;
	log: TaggedLog;
	/** longest a record waits for companions before its batch goes, ms */
	delayMs: number;
	/** records per batch */
	maxRecords: number;
	/** record bytes per batch (one record alone may exceed it) @default 4096 */
	maxBytes?: number;
	/** first ack timeout, ms */
	ackTimeoutMs: number;
	/** cap of the doubling ack timeout @default 300_000 */
	maxAckTimeoutMs?: number;
	/** unacked batches at a time @default 2 */
	window?: number;
}


interface Flight {
	/** the batch's send tick: an ack must echo it, so an ack meant for a previous boot's batch of the same id is not taken for this one */
	tx: number;
	/** records in the batch (0: a time probe, which is never resent) */
	records: number;
	timer: Timer;
}

/** A stored record body: the CBOR items `t kind data` without their array head (spliced after [seq, …]). */
function bodyOf(t: RecordTime, kind: string, data: CborMap): Uint8Array {
	const whole = encode([t, kind, data]);
	// [t, kind, data] always has the one-byte head 0x83 (array of 3, RFC 8949 §3.1).
	return whole.subarray(1);
}

const RECORD_HEAD = encodeHead(4, 4);
const R_KEY = encode("r");

export class Uplink {
	#o: UplinkOptions;
	#topic: string;
	#flights = new Map<number, Flight>();
	#sentUpTo = 0;
	#nextBatch = 1;
	#flushTimer: Timer | undefined;
	#flushDue = 0;
	#ackTimeoutMs: number;
	#pendingLoss: [first: number, last: number, count: number][] = [];
	readonly stats: UplinkStats = { batches: 0, recordsSent: 0, bytesSent: 0, acks: 0, ackTimeouts: 0, lost: 0 };

	constructor(options: UplinkOptions) {
		this.#o = options;
		this.#topic = deviceTopic(options.deviceId, "up");
		this.#ackTimeoutMs = options.ackTimeoutMs;
	}

	/** Applies live config changes (batching delay, batch size, ack timeout). */
	configure(changes: Partial<Pick<UplinkOptions, "delayMs" | "maxRecords" | "ackTimeoutMs">>): void {
		Object.assign(this.#o, changes);
		if (changes.ackTimeoutMs !== undefined) this.#ackTimeoutMs = changes.ackTimeoutMs;
	}

	/** Called by the ring when it had to drop unacked records (wired by the runtime). */
	noteDrop(first: number, last: number, count: number): void {
		this.stats.lost += count;
		this.#pendingLoss.push([first, last, count]);
	}

	/**
	 * Persists one record and schedules its batch.
	 * @returns the record's seq
	 * @throws RangeError (record too large) or StorageError (flash failed); the caller decides
	 */
	record(kind: string, data: CborMap): number {
		const seq = this.#append(kind, data);
		// A drop inside that append is reported as a record of its own, after it (never re-entrantly).
		while (this.#pendingLoss.length) {
			const [first, last, count] = this.#pendingLoss.shift()!;
			this.#o.log.warn(`outbox full: dropped ${count} unacked record(s) ${first}..${last}`);
			this.#append("outbox.loss", { first, last, count });
		}
		this.#scheduleBatch();
		return seq;
	}

	#append(kind: string, data: CborMap): number {
		const t: RecordTime = this.#o.clock.now() ?? [this.#o.bootCount, Time.ticks];
		return this.#o.ring.append(bodyOf(t, kind, data));
	}

	/**
	 * The session came up: send the backlog now. An unsynced device first
	 * sends an empty batch as a time probe and holds the backlog until its
	 * ack (or a short wait), so records made before the sync go out with a
	 * batch `t0` that resolves their [boot, ticks] times.
	 */
	onUp(): void {
		this.#sentUpTo = 0;
		if (!this.#o.clock.synced && this.#send([])) this.#schedule(Math.min(this.#o.ackTimeoutMs, 2_000));
		else this.#schedule(0);
	}

	/** The session went down: whatever was in flight is resent after reconnect. */
	onDown(): void {
		this.#clearFlights();
		this.#sentUpTo = 0;
		Timer.clear(this.#flushTimer);
		this.#flushTimer = undefined;
	}

	onAck(ack: AckPayload): void {
		this.stats.acks++;
		let acked = 0;
		for (const [first, last] of ack.acked) acked += this.#o.ring.ack(first, last);
		const flight = this.#flights.get(ack.id);
		let probe = false;
		if (flight && flight.tx === ack.tx) {
			Timer.clear(flight.timer);
			this.#flights.delete(ack.id);
			if (flight.records) this.#ackTimeoutMs = this.#o.ackTimeoutMs;
			else probe = true;
			// Only a round trip we timed ourselves can set the clock.
			if (this.#o.clock.sample(ack.tx, ack.now)) this.#o.log.debug(`clock synced from ack ${ack.id} (rtt ${this.#o.clock.rttMs} ms)`);
		}
		this.#o.log.debug(`ack ${ack.id}: ${acked} record(s) released, ${this.#o.ring.stats.pending} pending`);
		if (probe) this.#schedule(0);
		else this.#scheduleBatch();
	}

	/** A full batch (or a backlog) goes now; a partial one waits up to delayMs for companions. */
	#scheduleBatch(): void {
		let inFlight = 0;
		for (const f of this.#flights.values()) inFlight += f.records;
		const unsent = this.#o.ring.stats.pending - inFlight;
		if (unsent > 0) this.#schedule(unsent >= this.#o.maxRecords ? 0 : this.#o.delayMs);
	}

	stop(): void {
		this.onDown();
	}

	#schedule(delayMs: number): void {
		const due = Time.ticks + delayMs;
		if (this.#flushTimer && this.#flushDue <= due) return;
		Timer.clear(this.#flushTimer);
		this.#flushDue = due;
		this.#flushTimer = Timer.set(() => {
			this.#flushTimer = undefined;
			this.#flush();
		}, delayMs);
	}

	#flush(): void {
		const o = this.#o;
		while (o.session.connected && this.#recordFlights() < (o.window ?? 2)) {
			const records = o.ring.pending(this.#sentUpTo, o.maxRecords, o.maxBytes ?? 4096);
			if (records.length === 0 || !this.#send(records)) return;
		}
	}

	/**
	 * Publishes one batch.
	 * @returns false when it did not go: throttled (a flush is scheduled for when the rate limit allows it) or offline (onUp resumes)
	 */
	#send(records: { seq: number; body: Uint8Array }[]): boolean {
		const o = this.#o;
		const id = this.#nextBatch;
		const tx = Time.ticks;
		const header: CborMap = { v: 1, id, tx, boot: o.bootCount };
		const t0 = o.clock.epochAtTick0;
		if (t0 !== undefined) header.t0 = t0;
		if (this.stats.lost) header.lost = this.stats.lost;
		const payload = spliceBatch(header, records);
		const wait = o.session.bulkWaitMs(this.#topic, payload);
		if (wait > 0) {
			this.#schedule(wait);
			return false;
		}
		if (!o.session.publish(this.#topic, payload, { bulk: true })) return false;
		this.#nextBatch++;
		this.stats.batches++;
		this.stats.bytesSent += payload.byteLength;
		if (records.length === 0) {
			// A lost probe is simply forgotten; the next batch or reconnect probes again.
			this.#flights.set(id, { tx, records: 0, timer: Timer.set(() => this.#flights.delete(id), this.#o.ackTimeoutMs) });
			return true;
		}
		this.stats.recordsSent += records.length;
		this.#sentUpTo = records[records.length - 1].seq;
		this.#flights.set(id, { tx, records: records.length, timer: Timer.set(() => this.#timedOut(id), this.#ackTimeoutMs) });
		return true;
	}

	#recordFlights(): number {
		let n = 0;
		for (const f of this.#flights.values()) if (f.records > 0) n++;
		return n;
	}

	#timedOut(id: number): void {
		if (!this.#flights.get(id)?.records) return;
		this.stats.ackTimeouts++;
		const waited = this.#ackTimeoutMs;
		this.#ackTimeoutMs = Math.min(this.#ackTimeoutMs * 2, this.#o.maxAckTimeoutMs ?? 300_000);
		this.#o.log.warn(`no ack for batch ${id} within ${waited} ms; resending from the oldest unacked record`);
		this.#clearFlights();
		this.#sentUpTo = 0;
		this.#schedule(0);
	}

	#clearFlights(): void {
		for (const f of this.#flights.values()) Timer.clear(f.timer);
		this.#flights.clear();
	}
}

/**
 * An UpPayload's bytes from its header fields and stored record bodies:
 * map head, then "r" (it sorts first among the keys, RFC 8949 §4.2.1), the
 * records as [seq, …body], then the header's own sorted entries.
 */
export function spliceBatch(header: CborMap, records: readonly { seq: number; body: Uint8Array }[]): Uint8Array {
	const rest = encode(header);
	const entries = Object.keys(header).length;
	if (entries > 22) throw new RangeError("uplink: too many header fields");
	const restHeadLength = 1; // a map of < 24 entries has a one-byte head
	const parts: Uint8Array[] = [encodeHead(5, entries + 1), R_KEY, encodeHead(4, records.length)];
	for (const r of records) parts.push(RECORD_HEAD, encodeHead(0, r.seq), r.body);
	parts.push(rest.subarray(restHeadLength));
	let length = 0;
	for (const p of parts) length += p.byteLength;
	const out = new Uint8Array(length);
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.byteLength;
	}
	return out;
}
