/*
 * The cloud end of the outbox (ARCHITECTURE §4): takes every device's up
 * batches, stores each record once per (device, seq), and only then acks the
 * batch's seqs to the device. The ack covers duplicates too — a device that
 * resends after a lost ack must be told to let go. Every ack carries the
 * cloud's clock, which the device uses to set its own (firmware/net/clock-sync.ts).
 *
 * Up batches come through a shared subscription, so several ops processes
 * can split a city's fleet (MQTT 5 §4.8.2 "$share"; Mosquitto 2, EMQX,
 * VerneMQ, HiveMQ and aedes). A record's time is resolved here when the
 * device sent it as [boot, ticks] and the batch says when that boot started.
 *
 * With an OpsStore (tools/ops/store.ts) the records and the ledger of stored
 * seqs go to SQLite in one transaction before the ack, and a restarted acker
 * reloads the ledger: a batch re-sent across an ops restart is still deduped.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { MqttClient } from "mqtt";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { validateRecordData } from "../../firmware/contract/telemetry";
import { seqRanges, type UpPayload, type UpRecord } from "../../firmware/contract/sync-payloads";
import { allDevicesFilter, deviceTopic, parseTopic } from "../../firmware/contract/topics";
import { describeError } from "../../firmware/runtime/errors";
import { connectOps, opsClientId } from "./connect";
import type { OpsStore } from "./store";

export interface StoredRecord {
	device: string;
	seq: number;
	/** epoch ms, or undefined when the device had no real time for it */
	t?: number;
	/** what the device sent as time when it was not synced: [boot, ms since boot] */
	deviceTime?: [number, number];
	kind: string;
	data: Record<string, unknown>;
	/** ops wall clock when stored */
	receivedAt: number;
	/** why the record breaks the telemetry contract (firmware/contract/telemetry.ts); stored and acked anyway, never lost */
	offContract?: string;
}

export interface DeviceLedger {
	/** stored seqs */
	seqs: Set<number>;
	/** records the device reported as lost to a full outbox (from its "outbox.loss" records) */
	reportedLost: number;
	batches: number;
	duplicates: number;
}

export interface AckerStats {
	batches: number;
	records: number;
	duplicates: number;
	rejected: number;
	acksSent: number;
	/** records stored although they break the telemetry contract (an old or foreign firmware) */
	offContract: number;
}

export interface AckerOptions {
	/** JSON-lines file every new record is appended to before it is acked */
	file?: string;
	/** SQLite store: records and the ledger are committed there before the ack, and the ledger is reloaded from it */
	store?: OpsStore;
	/** keep every stored record in `records` too @default true without a store, false with one (the store is where they live) */
	memory?: boolean;
	shareGroup?: string;
	clientId?: string;
	/** delay acks (tests: simulate a slow cloud), ms */
	ackDelayMs?: number;
	/** the cloud's clock for acks, epoch ms @default Date.now */
	now?: () => number;
}

export class Acker {
	readonly ledgers = new Map<string, DeviceLedger>();
	readonly records: StoredRecord[] = [];
	readonly stats: AckerStats = { batches: 0, records: 0, duplicates: 0, rejected: 0, acksSent: 0, offContract: 0 };
	onRecord?: (record: StoredRecord) => void;
	onReject?: (topic: string, reason: string) => void;
	/** When false the acker stores but does not ack (tests: a cloud outage behind a healthy broker). */
	acking = true;
	#client: MqttClient | undefined;
	#options: AckerOptions;

	constructor(options: AckerOptions = {}) {
		this.#options = options;
		if (options.file) mkdirSync(dirname(options.file), { recursive: true });
		if (options.store) {
			for (const [device, saved] of options.store.ledgers()) {
				const l = this.ledger(device);
				for (const [first, last] of saved.ranges) for (let s = first; s <= last; s++) l.seqs.add(s);
				l.batches = saved.batches;
				l.duplicates = saved.duplicates;
				l.reportedLost = saved.reportedLost;
			}
		}
	}

	async connect(url: string): Promise<void> {
		const client = (this.#client = await connectOps(url, this.#options.clientId ?? opsClientId("acker"), "acker", 500));
		client.on("message", (topic, payload) => this.handle(topic, payload));
		client.on("connect", () => void client.subscribe(allDevicesFilter("up", this.#options.shareGroup), { qos: 0 }));
		await client.subscribeAsync(allDevicesFilter("up", this.#options.shareGroup), { qos: 0 });
	}

	ledger(device: string): DeviceLedger {
		let l = this.ledgers.get(device);
		if (!l) this.ledgers.set(device, (l = { seqs: new Set(), reportedLost: 0, batches: 0, duplicates: 0 }));
		return l;
	}

	/** Stores one up batch and acks it. Malformed batches are counted and reported, never acked. */
	handle(topic: string, payload: Uint8Array): void {
		const parsed = parseTopic(topic);
		if (parsed?.kind !== "device" || parsed.channel !== "up") return;
		let batch: UpPayload;
		try {
			batch = decodePayload("up", payload);
		} catch (e) {
			this.stats.rejected++;
			this.onReject?.(topic, describeError(e));
			return;
		}
		const device = parsed.deviceId;
		const ledger = this.ledger(device);
		this.stats.batches++;
		ledger.batches++;
		const fresh: StoredRecord[] = [];
		for (const r of batch.r) {
			if (ledger.seqs.has(r[0])) {
				this.stats.duplicates++;
				ledger.duplicates++;
				continue;
			}
			const stored = toStored(device, r, batch);
			ledger.seqs.add(stored.seq);
			if (stored.kind === "outbox.loss" && typeof stored.data.count === "number") ledger.reportedLost += stored.data.count;
			if (stored.offContract) this.stats.offContract++;
			fresh.push(stored);
		}
		// Durable before acked: once the device hears the ack, the record leaves its flash.
		if (fresh.length && this.#options.file) appendFileSync(this.#options.file, fresh.map((r) => JSON.stringify(r)).join("\n") + "\n");
		const store = this.#options.store;
		if (store) {
			try {
				store.saveBatch(device, fresh, { batches: ledger.batches, duplicates: ledger.duplicates, reportedLost: ledger.reportedLost }, seqRanges(fresh.map((r) => r.seq)));
			} catch (e) {
				// Not stored, so not acked: forget the seqs so the device's resend is stored then.
				for (const r of fresh) ledger.seqs.delete(r.seq);
				this.stats.rejected++;
				this.onReject?.(topic, `not stored, not acked: ${describeError(e)}`);
				return;
			}
			store.touch(device, Date.now());
		}
		const keep = this.#options.memory ?? !store;
		for (const r of fresh) {
			if (keep) this.records.push(r);
			this.stats.records++;
			this.onRecord?.(r);
		}
		if (!this.acking) return;
		const ack = encodePayload("ack", { v: 1, id: batch.id, tx: batch.tx, now: Math.floor((this.#options.now ?? Date.now)()), acked: seqRanges(batch.r.map((r) => r[0])) });
		const send = () => {
			this.#client?.publish(deviceTopic(device, "ack"), Buffer.from(ack), { qos: 0 });
			this.stats.acksSent++;
		};
		if (this.#options.ackDelayMs) setTimeout(send, this.#options.ackDelayMs);
		else send();
	}

	async close(): Promise<void> {
		await this.#client?.endAsync(true);
	}
}

function toStored(device: string, r: UpRecord, batch: UpPayload): StoredRecord {
	const [seq, t, kind, data] = r;
	const out: StoredRecord = { device, seq, kind, data: { ...data }, receivedAt: Date.now() };
	try {
		validateRecordData(kind, data);
	} catch (e) {
		out.offContract = (e as Error).message;
	}
	if (typeof t === "number") out.t = t;
	else {
		out.deviceTime = t;
		out.t = resolve(t, batch);
	}
	// Window bounds and instants sent before the device synced resolve like record times.
	for (const field of TIME_FIELDS) {
		const v = out.data[field];
		if (Array.isArray(v)) out.data[field] = resolve(v as [number, number], batch) ?? v;
	}
	return out;
}

const TIME_FIELDS = ["dateObservedFrom", "dateObservedTo", "timeInstant"];

function resolve(t: [number, number], batch: UpPayload): number | undefined {
	return t[0] === batch.boot && batch.t0 !== undefined ? batch.t0 + t[1] : undefined;
}

/** Gaps in a device's stored seqs between `from` and `to` (inclusive): what was lost. */
export function missingSeqs(ledger: DeviceLedger, from: number, to: number): number[] {
	const out: number[] = [];
	for (let s = from; s <= to; s++) if (!ledger.seqs.has(s)) out.push(s);
	return out;
}
