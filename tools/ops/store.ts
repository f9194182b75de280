/*
 * The ops server's durable state on SQLite (better-sqlite3, synchronous, one
 * connection): the fleet registry, every stored outbox record, the acker's
 * ledger of acked seqs (so a batch re-sent after an ops restart is deduped,
 * not stored twice), desired and reported config, and every command sent with
 * its result. A file path or ":memory:".
 *
 * Durability: WAL journal (https://sqlite.org/wal.html) with synchronous=FULL,
 * so a commit survives a power cut; the acker commits a batch's records and
 * its ledger in one transaction before it acks (ARCHITECTURE §4: a record
 * leaves the device's flash once acked). One writer per database: several
 * ops processes each keep their own file, or move to a server database
 * behind this same interface (README "Ops server", scale-out).
 *
 * Schema versioning: `PRAGMA user_version` holds the schema version
 * (https://sqlite.org/pragma.html#pragma_user_version); MIGRATIONS[n] takes a
 * database from version n to n + 1, each step in its own transaction. A file
 * from a newer Curbside is refused rather than guessed at.
 */
import Database from "better-sqlite3";
import type { CommandResult, DesiredConfig, ReportedConfig } from "../../firmware/contract/control-payloads";
import type { HealthPayload, StatusPayload } from "../../firmware/contract/payloads";
import type { StoredRecord } from "./acker";

/** A store failure whose message is the one line the CLI prints. */
export class OpsStoreError extends Error {
	override get name(): string {
		return "OpsStoreError";
	}
}

/** One step per schema version: MIGRATIONS[n] upgrades version n to n + 1. */
const MIGRATIONS: readonly string[] = [
	`
	CREATE TABLE devices (
		id TEXT PRIMARY KEY,
		role TEXT, board TEXT, fw TEXT,
		state TEXT,
		boot_count INTEGER,
		last_seen INTEGER NOT NULL,
		status TEXT,
		health TEXT
	);
	CREATE TABLE records (
		device TEXT NOT NULL,
		seq INTEGER NOT NULL,
		t INTEGER,
		device_time TEXT,
		kind TEXT NOT NULL,
		data TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		off_contract TEXT,
		PRIMARY KEY (device, seq)
	) WITHOUT ROWID;
	CREATE INDEX records_kind_t ON records (device, kind, t);
	CREATE INDEX records_t ON records (device, t);
	CREATE TABLE acked (
		device TEXT NOT NULL,
		first INTEGER NOT NULL,
		last INTEGER NOT NULL,
		PRIMARY KEY (device, first)
	) WITHOUT ROWID;
	CREATE TABLE ledgers (
		device TEXT PRIMARY KEY,
		batches INTEGER NOT NULL DEFAULT 0,
		duplicates INTEGER NOT NULL DEFAULT 0,
		reported_lost INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE config (
		device TEXT PRIMARY KEY,
		desired TEXT, desired_rev INTEGER, desired_at INTEGER,
		reported TEXT, reported_rev INTEGER, reported_state TEXT, reported_at INTEGER
	);
	CREATE TABLE commands (
		id TEXT PRIMARY KEY,
		device TEXT NOT NULL,
		name TEXT NOT NULL,
		args TEXT,
		sent_at INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		result TEXT,
		code TEXT,
		answered_at INTEGER
	);
	CREATE INDEX commands_device ON commands (device, sent_at);
	`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface DeviceRow {
	id: string;
	role?: string;
	board?: string;
	fw?: string;
	state?: "online" | "offline";
	bootCount?: number;
	/** ops wall clock when anything was last heard, epoch ms */
	lastSeen: number;
	status?: StatusPayload;
	health?: HealthPayload;
}

export interface ConfigRow {
	desired?: DesiredConfig;
	desiredAt?: number;
	reported?: ReportedConfig;
	reportedAt?: number;
}

export interface CommandRow {
	id: string;
	device: string;
	name: string;
	args?: Record<string, unknown>;
	/** epoch ms */
	sentAt: number;
	/** the command's expiry, epoch ms */
	expires: number;
	result?: CommandResult;
	code?: string;
	answeredAt?: number;
}

/** What the acker needs to resume: the seqs it stored (as inclusive ranges) and its counters. */
export interface StoredLedger {
	ranges: [number, number][];
	batches: number;
	duplicates: number;
	reportedLost: number;
}

export interface RecordQuery {
	kind?: string;
	/** only records with t ≥ since, epoch ms */
	since?: number;
	/** the newest `limit` records @default 100 */
	limit?: number;
}

type Row = Record<string, unknown>;
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | undefined => (typeof v === "string" ? (JSON.parse(v) as T) : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

export class OpsStore {
	readonly path: string;
	#db: Database.Database;
	#s: Statements;

	/** Opens (creating and migrating as needed) the store at `path`. @throws OpsStoreError naming the file and the reason */
	constructor(path: string) {
		this.path = path;
		let db: Database.Database | undefined;
		try {
			db = new Database(path);
			db.pragma("journal_mode = WAL");
			db.pragma("synchronous = FULL");
			db.pragma("busy_timeout = 5000");
			migrate(db);
			this.#db = db;
			this.#s = statements(db);
		} catch (e) {
			db?.close();
			if (e instanceof OpsStoreError) throw e;
			const code = (e as { code?: string }).code;
			const why = code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" ? "not a SQLite database, or damaged" : (e as Error).message;
			throw new OpsStoreError(`ops store ${path}: ${why}${code ? ` (${code})` : ""}`);
		}
	}

	/** Schema version of the open file. */
	get schemaVersion(): number {
		return this.#db.pragma("user_version", { simple: true }) as number;
	}

	/** Records a birth or LWT. */
	saveStatus(id: string, status: StatusPayload, seenAt: number): void {
		this.#s.status.run({ id, role: status.role, board: status.board, fw: status.fw, state: status.state, bootCount: status.bootCount ?? null, seen: seenAt, status: json(status) });
	}

	/** Records a health message. */
	saveHealth(id: string, health: HealthPayload, seenAt: number): void {
		this.#s.health.run({ id, bootCount: health.bootCount, seen: seenAt, health: json(health) });
	}

	/** Marks a known device as heard from at `seenAt` (records, command results); unknown ids are left alone. */
	touch(id: string, seenAt: number): void {
		this.#s.seen.run(seenAt, id);
	}

	devices(): DeviceRow[] {
		return (this.#s.devices.all() as Row[]).map(toDevice);
	}

	device(id: string): DeviceRow | undefined {
		const row = this.#s.device.get(id) as Row | undefined;
		return row && toDevice(row);
	}

	deviceCount(): number {
		return (this.#s.deviceCount.get() as { n: number }).n;
	}

	recordCount(): number {
		return (this.#s.recordCount.get() as { n: number }).n;
	}

	/**
	 * Stores a batch's new records and the device's ledger in one transaction (durable before the acker acks).
	 * A record whose (device, seq) is already stored is ignored. @returns how many rows were inserted
	 */
	saveBatch(device: string, records: readonly StoredRecord[], ledger: Omit<StoredLedger, "ranges">, newRanges: readonly [number, number][]): number {
		return this.#db.transaction(() => {
			let inserted = 0;
			for (const r of records) inserted += this.#s.record.run(recordParams(r)).changes;
			for (const [first, last] of newRanges) this.#addRange(device, first, last);
			this.#s.ledger.run({ device, ...ledger });
			return inserted;
		})();
	}

	#addRange(device: string, first: number, last: number): void {
		// Seqs mostly arrive in order, so a device keeps one row that grows.
		const p = { device, first, last };
		if (this.#s.extendAcked.run(p).changes === 0) this.#s.insertAcked.run(p);
	}

	/** Every device's ledger, ranges merged (and compacted on disk when they had split). */
	ledgers(): Map<string, StoredLedger> {
		const out = new Map<string, StoredLedger>();
		const get = (device: string) => {
			let l = out.get(device);
			if (!l) out.set(device, (l = { ranges: [], batches: 0, duplicates: 0, reportedLost: 0 }));
			return l;
		};
		const rows = new Map<string, number>();
		for (const r of this.#s.allAcked.all() as { device: string; first: number; last: number }[]) {
			const ranges = get(r.device).ranges;
			rows.set(r.device, (rows.get(r.device) ?? 0) + 1);
			const prev = ranges[ranges.length - 1];
			if (prev && r.first <= prev[1] + 1) prev[1] = Math.max(prev[1], r.last);
			else ranges.push([r.first, r.last]);
		}
		for (const r of this.#s.ledgers.all() as Row[]) Object.assign(get(r.device as string), { batches: r.batches, duplicates: r.duplicates, reportedLost: r.reported_lost });
		const compact = this.#db.transaction((device: string, ranges: [number, number][]) => {
			this.#s.clearAcked.run(device);
			for (const [first, last] of ranges) this.#s.insertAcked.run({ device, first, last });
		});
		for (const [device, l] of out) if ((rows.get(device) ?? 0) > l.ranges.length) compact(device, l.ranges);
		return out;
	}

	/** The newest `limit` records (≤ 1000) matching the query, oldest first. */
	records(device: string, query: RecordQuery = {}): StoredRecord[] {
		const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 1000);
		const where = ["device = @device"];
		if (query.kind !== undefined) where.push("kind = @kind");
		if (query.since !== undefined) where.push("t >= @since");
		// Prepared per call: the WHERE varies with the query, and preparing is microseconds next to the scan.
		const params: Record<string, unknown> = { device, limit };
		if (query.kind !== undefined) params.kind = query.kind;
		if (query.since !== undefined) params.since = query.since;
		const rows = this.#db.prepare(`SELECT * FROM records WHERE ${where.join(" AND ")} ORDER BY t DESC, seq DESC LIMIT @limit`).all(params) as Row[];
		return rows.reverse().map(toRecord);
	}

	/**
	 * A numeric field of one record kind as [t, value] pairs, oldest first (the newest `limit`, ≤ 10 000).
	 * Records without a resolved time or whose field is not a number are skipped. `field` is a dotted path into the record data.
	 */
	series(device: string, kind: string, field: string, since?: number, limit = 5_000): [number, number][] {
		const rows = this.#db
			.prepare(
				`SELECT t, v FROM (SELECT t, seq, json_extract(data, @path) AS v FROM records WHERE device = @device AND kind = @kind AND t IS NOT NULL ${since === undefined ? "" : "AND t >= @since"})
				WHERE typeof(v) IN ('integer', 'real') ORDER BY t DESC, seq DESC LIMIT @limit`,
			)
			.raw()
			.all({ device, kind, path: `$.${field}`, limit: Math.min(Math.max(1, Math.floor(limit)), 10_000), ...(since === undefined ? {} : { since }) }) as [number, number][];
		return rows.reverse();
	}

	saveDesired(device: string, desired: DesiredConfig, at: number): void {
		this.#s.desired.run(device, json(desired), desired.rev, at);
	}

	saveReported(device: string, reported: ReportedConfig, at: number): void {
		this.#s.reported.run(device, json(reported), reported.rev, reported.state, at);
	}

	config(device: string): ConfigRow {
		const r = this.#s.config.get(device) as Row | undefined;
		if (!r) return {};
		return { desired: parse(r.desired), desiredAt: num(r.desired_at), reported: parse(r.reported), reportedAt: num(r.reported_at) };
	}

	/** Records a command as sent (a second call with the same id is a no-op: ids are unique per command). */
	saveCommand(c: Omit<CommandRow, "result" | "code" | "answeredAt">): void {
		this.#s.commandSent.run({ id: c.id, device: c.device, name: c.name, args: json(c.args), sentAt: c.sentAt, expires: c.expires });
	}

	/** Records a command's result; only the first answer counts. @returns whether a sent command took it */
	saveCommandResult(device: string, result: CommandResult, at: number): boolean {
		if (result.id === undefined) return false;
		return this.#s.commandResult.run(json(result), result.code, at, result.id, device).changes > 0;
	}

	command(id: string): CommandRow | undefined {
		const r = this.#s.command.get(id) as Row | undefined;
		return r && toCommand(r);
	}

	/** A device's newest commands, newest first. */
	commands(device: string, limit = 20): CommandRow[] {
		return (this.#s.commands.all(device, limit) as Row[]).map(toCommand);
	}

	/** Closes the database (idempotent). */
	close(): void {
		if (this.#db.open) this.#db.close();
	}
}

function statements(db: Database.Database) {
	return {
		status: db.prepare(`INSERT INTO devices (id, role, board, fw, state, boot_count, last_seen, status) VALUES (@id, @role, @board, @fw, @state, @bootCount, @seen, @status)
			ON CONFLICT (id) DO UPDATE SET role = excluded.role, board = excluded.board, fw = excluded.fw, state = excluded.state,
			boot_count = coalesce(excluded.boot_count, devices.boot_count), last_seen = excluded.last_seen, status = excluded.status`),
		health: db.prepare(`INSERT INTO devices (id, boot_count, last_seen, health) VALUES (@id, @bootCount, @seen, @health)
			ON CONFLICT (id) DO UPDATE SET boot_count = excluded.boot_count, last_seen = excluded.last_seen, health = excluded.health`),
		seen: db.prepare(`UPDATE devices SET last_seen = max(last_seen, ?) WHERE id = ?`),
		devices: db.prepare(`SELECT * FROM devices ORDER BY id`),
		device: db.prepare(`SELECT * FROM devices WHERE id = ?`),
		deviceCount: db.prepare(`SELECT count(*) AS n FROM devices`),
		record: db.prepare(`INSERT OR IGNORE INTO records (device, seq, t, device_time, kind, data, received_at, off_contract)
			VALUES (@device, @seq, @t, @deviceTime, @kind, @data, @receivedAt, @offContract)`),
		recordCount: db.prepare(`SELECT count(*) AS n FROM records`),
		// A range that starts inside or right after a stored one extends it; any other becomes its own row (merged at load).
		extendAcked: db.prepare(`UPDATE acked SET last = max(last, @last) WHERE device = @device AND first <= @first AND last + 1 >= @first`),
		insertAcked: db.prepare(`INSERT INTO acked (device, first, last) VALUES (@device, @first, @last)`),
		allAcked: db.prepare(`SELECT device, first, last FROM acked ORDER BY device, first`),
		clearAcked: db.prepare(`DELETE FROM acked WHERE device = ?`),
		ledger: db.prepare(`INSERT INTO ledgers (device, batches, duplicates, reported_lost) VALUES (@device, @batches, @duplicates, @reportedLost)
			ON CONFLICT (device) DO UPDATE SET batches = excluded.batches, duplicates = excluded.duplicates, reported_lost = excluded.reported_lost`),
		ledgers: db.prepare(`SELECT * FROM ledgers`),
		desired: db.prepare(`INSERT INTO config (device, desired, desired_rev, desired_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET desired = excluded.desired, desired_rev = excluded.desired_rev,
			desired_at = CASE WHEN config.desired_rev IS excluded.desired_rev THEN config.desired_at ELSE excluded.desired_at END`),
		reported: db.prepare(`INSERT INTO config (device, reported, reported_rev, reported_state, reported_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET reported = excluded.reported, reported_rev = excluded.reported_rev, reported_state = excluded.reported_state,
			reported_at = CASE WHEN config.reported = excluded.reported THEN config.reported_at ELSE excluded.reported_at END`),
		config: db.prepare(`SELECT * FROM config WHERE device = ?`),
		commandSent: db.prepare(`INSERT OR IGNORE INTO commands (id, device, name, args, sent_at, expires) VALUES (@id, @device, @name, @args, @sentAt, @expires)`),
		commandResult: db.prepare(`UPDATE commands SET result = ?, code = ?, answered_at = ? WHERE id = ? AND device = ? AND answered_at IS NULL`),
		command: db.prepare(`SELECT * FROM commands WHERE id = ?`),
		commands: db.prepare(`SELECT * FROM commands WHERE device = ? ORDER BY sent_at DESC, rowid DESC LIMIT ?`),
	};
}

type Statements = ReturnType<typeof statements>;

function migrate(db: Database.Database): void {
	const from = db.pragma("user_version", { simple: true }) as number;
	if (from > SCHEMA_VERSION) throw new OpsStoreError(`ops store ${db.name}: schema version ${from} is newer than this Curbside's ${SCHEMA_VERSION}; upgrade Curbside or use another file`);
	for (let v = from; v < SCHEMA_VERSION; v++) {
		db.transaction(() => {
			db.exec(MIGRATIONS[v]);
			db.pragma(`user_version = ${v + 1}`);
		})();
	}
}

function recordParams(r: StoredRecord) {
	return {
		device: r.device,
		seq: r.seq,
		t: r.t ?? null,
		deviceTime: json(r.deviceTime),
		kind: r.kind,
		data: JSON.stringify(r.data),
		receivedAt: r.receivedAt,
		offContract: r.offContract ?? null,
	};
}

function toRecord(r: Row): StoredRecord {
	const out: StoredRecord = { device: r.device as string, seq: r.seq as number, kind: r.kind as string, data: JSON.parse(r.data as string), receivedAt: r.received_at as number };
	if (typeof r.t === "number") out.t = r.t;
	if (typeof r.device_time === "string") out.deviceTime = JSON.parse(r.device_time);
	if (typeof r.off_contract === "string") out.offContract = r.off_contract;
	return out;
}

function toDevice(r: Row): DeviceRow {
	const out: DeviceRow = { id: r.id as string, lastSeen: r.last_seen as number };
	if (typeof r.role === "string") out.role = r.role;
	if (typeof r.board === "string") out.board = r.board;
	if (typeof r.fw === "string") out.fw = r.fw;
	if (r.state === "online" || r.state === "offline") out.state = r.state;
	if (typeof r.boot_count === "number") out.bootCount = r.boot_count;
	out.status = parse(r.status);
	out.health = parse(r.health);
	return out;
}

function toCommand(r: Row): CommandRow {
	const out: CommandRow = { id: r.id as string, device: r.device as string, name: r.name as string, sentAt: r.sent_at as number, expires: r.expires as number };
	out.args = parse(r.args);
	out.result = parse(r.result);
	if (typeof r.code === "string") out.code = r.code;
	if (typeof r.answered_at === "number") out.answeredAt = r.answered_at;
	return out;
}
