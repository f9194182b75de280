/*
 * Curbside wire contract: the control plane.
 *
 *   cloud → device  .../cmd          CommandPayload
 *   device → cloud  .../cmd/res      CommandResult
 *   cloud → device  .../cfg/desired  DesiredConfig (retained)
 *   device → cloud  .../cfg/reported ReportedConfig (retained)
 *   device → cloud  .../log          LogPayload
 *
 * A command carries its own id and an absolute expiry, so the device can
 * refuse a replayed or late command by itself (a retained or re-delivered
 * "reboot" must never fire twice). Config values are checked twice: here for
 * shape, then by the firmware's config schema for meaning.
 */
import { ProtocolError } from "../runtime/errors";
import { integer, oneOf, onlyKeys, optional, record, text } from "./validate";
import { CONTRACT_VERSION } from "./topics";

/** Why a command was refused or failed. */
export const COMMAND_CODES = ["ok", "malformed", "expired", "too-far", "replay", "replay-full", "unsynced", "unknown-command", "bad-args", "busy", "failed"] as const;
export type CommandCode = (typeof COMMAND_CODES)[number];

const COMMAND_ID = /^[A-Za-z0-9_.:-]{1,40}$/;
const COMMAND_NAME = /^[a-z][a-z0-9.-]{0,31}$/;

export interface CommandPayload {
	v: number;
	/** unique per command: the replay guard remembers it until `exp` */
	id: string;
	/** expiry, epoch ms: a command heard later is refused */
	exp: number;
	name: string;
	args?: Record<string, unknown>;
}

export interface CommandResult {
	v: number;
	/** the command's id; absent when the command was too malformed to have one */
	id?: string;
	ok: boolean;
	code: CommandCode;
	/** a human-readable reason or detail */
	msg?: string;
	data?: Record<string, unknown>;
}

/** A config value as the wire carries it (the schema has strings, ints and booleans). */
export type ConfigScalar = string | number | boolean;

export interface DesiredConfig {
	v: number;
	/** revision, increasing: the device applies each revision at most once */
	rev: number;
	values: Record<string, ConfigScalar>;
}

export interface ReportedConfig {
	v: number;
	/** the desired revision this report answers (0 before any) */
	rev: number;
	state: "applied" | "rejected" | "pending-reboot";
	/** the last revision that was applied */
	appliedRev: number;
	/** effective values (secrets redacted) */
	values: Record<string, ConfigScalar>;
	/** keys stored but waiting for a reboot to take effect */
	pending?: string[];
	/** why the revision was rejected; the device kept its last good config */
	error?: string;
}

/** A log entry on the wire: [ms since boot, level, tag, message]. */
export type LogLine = [t: number, level: "error" | "warn" | "info" | "debug", tag: string, msg: string];

export interface LogPayload {
	v: number;
	boot: number;
	/** epoch ms at tick 0 of this boot, once the clock is synced */
	t0?: number;
	reason: "request" | "error";
	/** entries lost to ring overflow or the upload size bound */
	dropped: number;
	e: LogLine[];
}

function version(fields: Record<string, unknown>, path: string): number {
	return integer(fields.v, `${path}.v`, 1, CONTRACT_VERSION);
}

function pattern(value: string, path: string, re: RegExp, what: string): string {
	if (!re.test(value)) throw new ProtocolError(`${path}: "${value}" is not ${what}`);
	return value;
}

function scalars(value: unknown, path: string, maxKeys: number): Record<string, ConfigScalar> {
	const f = record(value, path);
	const keys = Object.keys(f);
	if (keys.length > maxKeys) throw new ProtocolError(`${path}: more than ${maxKeys} keys`);
	const out: Record<string, ConfigScalar> = {};
	for (const key of keys) {
		const v = f[key];
		if (typeof v === "string") text(v, `${path}.${key}`, 253);
		else if (typeof v === "number") integer(v, `${path}.${key}`);
		else if (typeof v !== "boolean") throw new ProtocolError(`${path}.${key}: expected text, an integer or a boolean`);
		// Not `out[key] = v`: "__proto__" would hit the prototype setter and vanish, and
		// "toString" & co. throw on XS, whose preload freezes Object.prototype.
		Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
	}
	return out;
}

/** @throws ProtocolError */
export function validateCommand(value: unknown): CommandPayload {
	const f = record(value, "cmd");
	onlyKeys(f, "cmd", ["v", "id", "exp", "name", "args"]);
	return {
		v: version(f, "cmd"),
		id: pattern(text(f.id, "cmd.id", 40), "cmd.id", COMMAND_ID, "a command id"),
		exp: integer(f.exp, "cmd.exp", 0),
		name: pattern(text(f.name, "cmd.name", 32), "cmd.name", COMMAND_NAME, "a command name"),
		args: optional(f.args, (x) => record(x, "cmd.args")),
	};
}

/** @throws ProtocolError */
export function validateCommandResult(value: unknown): CommandResult {
	const f = record(value, "cmd/res");
	onlyKeys(f, "cmd/res", ["v", "id", "ok", "code", "msg", "data"]);
	if (typeof f.ok !== "boolean") throw new ProtocolError("cmd/res.ok: expected true or false");
	return {
		v: version(f, "cmd/res"),
		id: optional(f.id, (x) => text(x, "cmd/res.id", 40)),
		ok: f.ok,
		code: oneOf(f.code, "cmd/res.code", COMMAND_CODES),
		msg: optional(f.msg, (x) => text(x, "cmd/res.msg", 256)),
		data: optional(f.data, (x) => record(x, "cmd/res.data")),
	};
}

/** @throws ProtocolError */
export function validateDesiredConfig(value: unknown): DesiredConfig {
	const f = record(value, "cfg/desired");
	onlyKeys(f, "cfg/desired", ["v", "rev", "values"]);
	return {
		v: version(f, "cfg/desired"),
		rev: integer(f.rev, "cfg/desired.rev", 1, 0x7fff_ffff),
		values: scalars(f.values, "cfg/desired.values", 64),
	};
}

/** @throws ProtocolError */
export function validateReportedConfig(value: unknown): ReportedConfig {
	const f = record(value, "cfg/reported");
	onlyKeys(f, "cfg/reported", ["v", "rev", "state", "appliedRev", "values", "pending", "error"]);
	const pending = optional(f.pending, (x) => {
		if (!Array.isArray(x)) throw new ProtocolError("cfg/reported.pending: expected an array");
		return x.map((k, i) => text(k, `cfg/reported.pending[${i}]`, 32));
	});
	return {
		v: version(f, "cfg/reported"),
		rev: integer(f.rev, "cfg/reported.rev", 0),
		state: oneOf(f.state, "cfg/reported.state", ["applied", "rejected", "pending-reboot"] as const),
		appliedRev: integer(f.appliedRev, "cfg/reported.appliedRev", 0),
		values: scalars(f.values, "cfg/reported.values", 64),
		pending,
		error: optional(f.error, (x) => text(x, "cfg/reported.error", 256)),
	};
}

/** @throws ProtocolError */
export function validateLog(value: unknown): LogPayload {
	const f = record(value, "log");
	onlyKeys(f, "log", ["v", "boot", "t0", "reason", "dropped", "e"]);
	if (!Array.isArray(f.e) || f.e.length > 256) throw new ProtocolError("log.e: expected an array of at most 256 entries");
	return {
		v: version(f, "log"),
		boot: integer(f.boot, "log.boot", 0),
		t0: optional(f.t0, (x) => integer(x, "log.t0", 0)),
		reason: oneOf(f.reason, "log.reason", ["request", "error"] as const),
		dropped: integer(f.dropped, "log.dropped", 0),
		e: f.e.map((x, i) => {
			if (!Array.isArray(x) || x.length !== 4) throw new ProtocolError(`log.e[${i}]: expected [t, level, tag, msg]`);
			return [
				integer(x[0], `log.e[${i}].t`, 0),
				oneOf(x[1], `log.e[${i}].level`, ["error", "warn", "info", "debug"] as const),
				text(x[2], `log.e[${i}].tag`, 32),
				text(x[3], `log.e[${i}].msg`, 256),
			] as LogLine;
		}),
	};
}
