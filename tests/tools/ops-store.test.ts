/*
 * The ops store (tools/ops/store.ts) on real SQLite files: schema creation and
 * versioning, dedupe by (device, seq), the acker's ledger surviving a reopen
 * (a batch re-sent across an ops restart is deduped, not stored twice), and
 * clear errors for a file that is not a database or comes from a newer
 * Curbside. No broker: the acker is fed encoded batches directly.
 */
import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodePayload } from "../../firmware/contract/codec";
import type { UpRecord } from "../../firmware/contract/sync-payloads";
import { Acker, type StoredRecord } from "../../tools/ops/acker";
import { OpsStore, OpsStoreError, SCHEMA_VERSION } from "../../tools/ops/store";

const T0 = Date.UTC(2025, 5, 1, 8, 0, 0);

function rec(device: string, seq: number, t: number | undefined, kind: string, data: Record<string, unknown>): StoredRecord {
	return { device, seq, t, kind, data, receivedAt: T0 + 1_000 };
}

function air(seq: number, temperature: unknown): UpRecord {
	const t = T0 + seq * 60_000;
	return [seq, t, "AirQualityObserved", { dateObservedFrom: t - 60_000, dateObservedTo: t, temperature }];
}

function up(records: UpRecord[], id = 1): Uint8Array {
	return encodePayload("up", { v: 1, id, tx: 1_000, boot: 1, t0: T0, r: records });
}

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "curbside-store-"));
});
afterEach(() => {
	rmSync(dir, { recursive: true, force: true });
});

describe("ops store", () => {
	it("creates the schema at the current version, in WAL mode", () => {
		const file = join(dir, "ops.db");
		const store = new OpsStore(file);
		expect(store.schemaVersion).toBe(SCHEMA_VERSION);
		store.close();
		const raw = new Database(file, { readonly: true });
		const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
		expect(tables).toEqual(["acked", "commands", "config", "devices", "ledgers", "records"]);
		expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
		expect((raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'records_kind_t'").get() as { name: string }).name).toBe("records_kind_t");
		raw.close();
	});

	it("migrates an empty file (0 bytes) to the current schema", () => {
		const file = join(dir, "empty.db");
		writeFileSync(file, "");
		const store = new OpsStore(file);
		expect(store.schemaVersion).toBe(SCHEMA_VERSION);
		expect(store.devices()).toEqual([]);
		store.close();
	});

	it("a corrupt file is a clear error naming the file", () => {
		const file = join(dir, "corrupt.db");
		writeFileSync(file, Buffer.alloc(8192, 0x5a));
		expect(() => new OpsStore(file)).toThrow(OpsStoreError);
		expect(() => new OpsStore(file)).toThrow(`ops store ${file}: not a SQLite database, or damaged (SQLITE_NOTADB)`);
	});

	it("a file from a newer schema is refused, untouched", () => {
		const file = join(dir, "newer.db");
		const raw = new Database(file);
		raw.pragma("user_version = 99");
		raw.close();
		expect(() => new OpsStore(file)).toThrow(/schema version 99 is newer than this Curbside's 1/);
		const again = new Database(file, { readonly: true });
		expect(again.pragma("user_version", { simple: true })).toBe(99);
		expect(again.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
		again.close();
	});

	it("a duplicate (device, seq) is a no-op", () => {
		const store = new OpsStore(":memory:");
		const batch = [rec("pole-1", 1, T0, "AirQualityObserved", { temperature: 20 }), rec("pole-1", 2, T0 + 1, "AirQualityObserved", { temperature: 21 })];
		const ledger = { batches: 1, duplicates: 0, reportedLost: 0 };
		expect(store.saveBatch("pole-1", batch, ledger, [[1, 2]])).toBe(2);
		expect(store.saveBatch("pole-1", [rec("pole-1", 2, T0 + 5, "AirQualityObserved", { temperature: 99 })], ledger, [[2, 2]])).toBe(0);
		expect(store.recordCount()).toBe(2);
		expect(store.records("pole-1").map((r) => r.data.temperature)).toEqual([20, 21]);
		// The same seq on another device is another record.
		expect(store.saveBatch("pole-2", [rec("pole-2", 2, T0, "AirQualityObserved", { temperature: 5 })], ledger, [[2, 2]])).toBe(1);
		store.close();
	});

	it("reopen keeps devices, records, ledger, config and commands", () => {
		const file = join(dir, "ops.db");
		const a = new OpsStore(file);
		a.saveStatus("sign-1", { v: 1, state: "online", role: "stop-sign", fw: "1.2.0", board: "m5paper", boot: "power", bootCount: 3 }, T0);
		a.saveHealth("sign-1", { v: 1, t: T0, uptimeS: 60, resetReason: "power", bootCount: 3, connects: 1, logDropped: 0 }, T0 + 60_000);
		a.saveBatch("sign-1", [rec("sign-1", 7, undefined, "device.boot", { reason: "power" })], { batches: 4, duplicates: 2, reportedLost: 1 }, [[7, 7]]);
		a.saveDesired("sign-1", { v: 1, rev: 2, values: { healthMs: 30_000 } }, T0);
		a.saveReported("sign-1", { v: 1, rev: 2, state: "applied", appliedRev: 2, values: { healthMs: 30_000 } }, T0 + 1);
		a.saveCommand({ id: "c-1", device: "sign-1", name: "ping", sentAt: T0, expires: T0 + 60_000 });
		expect(a.saveCommandResult("sign-1", { v: 1, id: "c-1", ok: true, code: "ok", data: { uptimeS: 61 } }, T0 + 50)).toBe(true);
		a.close();

		const b = new OpsStore(file);
		expect(b.devices()).toEqual([
			expect.objectContaining({ id: "sign-1", role: "stop-sign", board: "m5paper", fw: "1.2.0", state: "online", bootCount: 3, lastSeen: T0 + 60_000, health: expect.objectContaining({ uptimeS: 60 }) }),
		]);
		expect(b.records("sign-1")).toEqual([{ device: "sign-1", seq: 7, kind: "device.boot", data: { reason: "power" }, receivedAt: T0 + 1_000 }]);
		expect(b.ledgers().get("sign-1")).toEqual({ ranges: [[7, 7]], batches: 4, duplicates: 2, reportedLost: 1 });
		expect(b.config("sign-1")).toMatchObject({ desired: { rev: 2 }, reported: { state: "applied", appliedRev: 2 } });
		expect(b.command("c-1")).toMatchObject({ id: "c-1", device: "sign-1", name: "ping", code: "ok", answeredAt: T0 + 50, result: { data: { uptimeS: 61 } } });
		b.close();
	});

	it("a command's first answer counts; a result for an unknown id or another device is ignored", () => {
		const store = new OpsStore(":memory:");
		store.saveCommand({ id: "c-2", device: "pole-1", name: "reboot", args: { delayMs: 200 }, sentAt: T0, expires: T0 + 60_000 });
		expect(store.saveCommandResult("pole-2", { v: 1, id: "c-2", ok: true, code: "ok" }, T0 + 1)).toBe(false);
		expect(store.saveCommandResult("pole-1", { v: 1, id: "c-2", ok: true, code: "ok" }, T0 + 2)).toBe(true);
		expect(store.saveCommandResult("pole-1", { v: 1, id: "c-2", ok: false, code: "replay" }, T0 + 3)).toBe(false);
		expect(store.saveCommandResult("pole-1", { v: 1, id: "nope", ok: true, code: "ok" }, T0 + 4)).toBe(false);
		expect(store.command("c-2")).toMatchObject({ code: "ok", answeredAt: T0 + 2, args: { delayMs: 200 } });
		expect(store.commands("pole-1").map((c) => c.id)).toEqual(["c-2"]);
		store.close();
	});

	it("records: kind and since filters, the newest `limit`, oldest first; series skip non-numbers and unknown times", () => {
		const store = new OpsStore(":memory:");
		const batch: StoredRecord[] = [];
		for (let seq = 1; seq <= 10; seq++) batch.push(rec("pole-1", seq, T0 + seq * 1_000, seq % 2 ? "AirQualityObserved" : "CrowdFlowObserved", { temperature: seq === 5 ? "hot" : seq, peopleCount: seq }));
		batch.push(rec("pole-1", 11, undefined, "AirQualityObserved", { temperature: 11 }));
		store.saveBatch("pole-1", batch, { batches: 1, duplicates: 0, reportedLost: 0 }, [[1, 11]]);
		expect(store.records("pole-1", { limit: 3 }).map((r) => r.seq)).toEqual([8, 9, 10]);
		expect(store.records("pole-1", { kind: "CrowdFlowObserved" }).map((r) => r.seq)).toEqual([2, 4, 6, 8, 10]);
		expect(store.records("pole-1", { kind: "AirQualityObserved", since: T0 + 5_000 }).map((r) => r.seq)).toEqual([5, 7, 9]);
		expect(store.series("pole-1", "AirQualityObserved", "temperature")).toEqual([
			[T0 + 1_000, 1],
			[T0 + 3_000, 3],
			[T0 + 7_000, 7],
			[T0 + 9_000, 9],
		]);
		expect(store.series("pole-1", "AirQualityObserved", "temperature", T0 + 4_000, 1)).toEqual([[T0 + 9_000, 9]]);
		expect(store.series("pole-1", "AirQualityObserved", "nothing")).toEqual([]);
		store.close();
	});

	it("acked ranges out of order merge at load and are compacted on disk", () => {
		const file = join(dir, "ops.db");
		const a = new OpsStore(file);
		const l = { batches: 1, duplicates: 0, reportedLost: 0 };
		a.saveBatch("p", [], l, [[10, 12]]);
		a.saveBatch("p", [], l, [[1, 3]]);
		a.saveBatch("p", [], l, [[4, 9]]);
		a.saveBatch("p", [], l, [[13, 13], [20, 21]]);
		expect(a.ledgers().get("p")?.ranges).toEqual([
			[1, 13],
			[20, 21],
		]);
		a.close();
		const raw = new Database(file, { readonly: true });
		expect(raw.prepare("SELECT first, last FROM acked WHERE device = 'p' ORDER BY first").raw().all()).toEqual([
			[1, 13],
			[20, 21],
		]);
		raw.close();
	});
});

describe("acker on the store", () => {
	it("a batch re-sent after an ops restart is deduped across the reopen", () => {
		const file = join(dir, "ops.db");
		const first = new OpsStore(file);
		const a = new Acker({ store: first });
		a.handle("cs/v1/dev/pole-r/up", up([air(1, 20), air(2, 21), air(3, 22)]));
		expect(a.stats).toMatchObject({ records: 3, duplicates: 0, acksSent: 1 });
		expect(a.records).toEqual([]); // with a store, records live there
		first.close();

		// The ops process restarts; the device never heard the ack and re-sends, plus one new record.
		const second = new OpsStore(file);
		const b = new Acker({ store: second });
		expect([...b.ledger("pole-r").seqs]).toEqual([1, 2, 3]);
		b.handle("cs/v1/dev/pole-r/up", up([air(1, 20), air(2, 21), air(3, 22), air(4, 23)], 2));
		expect(b.stats).toMatchObject({ records: 1, duplicates: 3, acksSent: 1 });
		expect(second.recordCount()).toBe(4);
		expect(second.records("pole-r").map((r) => [r.seq, r.data.temperature])).toEqual([
			[1, 20],
			[2, 21],
			[3, 22],
			[4, 23],
		]);
		expect(second.ledgers().get("pole-r")).toMatchObject({ ranges: [[1, 4]], batches: 2, duplicates: 3 });
		second.close();
	});

	it("a store that fails is not acked, and the seqs are stored when re-sent", () => {
		const store = new OpsStore(join(dir, "ops.db"));
		const acker = new Acker({ store });
		const rejected: string[] = [];
		acker.onReject = (_topic, reason) => rejected.push(reason);
		store.close(); // every write now throws
		acker.handle("cs/v1/dev/pole-f/up", up([air(1, 20)]));
		expect(acker.stats).toMatchObject({ acksSent: 0, records: 0, rejected: 1 });
		expect(rejected[0]).toMatch(/^not stored, not acked: .*not open/);
		expect(acker.ledger("pole-f").seqs.has(1)).toBe(false);
	});

	it("the JSON-lines file option still works beside the store", () => {
		const store = new OpsStore(":memory:");
		const file = join(dir, "records.jsonl");
		const acker = new Acker({ store, file, memory: true });
		acker.handle("cs/v1/dev/pole-j/up", up([air(1, 20)]));
		expect(acker.records.map((r) => r.seq)).toEqual([1]);
		expect(store.recordCount()).toBe(1);
		expect(JSON.parse(readFileSync(file, "utf8").trim())).toMatchObject({ device: "pole-j", seq: 1, kind: "AirQualityObserved" });
		store.close();
	});
});
