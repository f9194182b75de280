/*
 * Command dispatch: cloud → device on .../cmd, one result per command on
 * .../cmd/res. Every command is checked in this order, and the first
 * failure is the result's code:
 *   malformed CBOR or shape → "malformed"; device clock unsynced → "unsynced"
 *   (expiry cannot be judged); expired / too far ahead / seen before / guard
 *   full → the replay guard's code; no handler → "unknown-command"; handler
 *   threw a ProtocolError/RangeError/TypeError → "bad-args"; anything else
 *   → "failed". A handler's throw never escapes into the runtime.
 */
import type { CommandCode, CommandPayload, CommandResult } from "../contract/control-payloads";
import { decodePayload } from "../contract/codec";
import type { CborMap } from "../net/cbor/index";
import { ProtocolError, clip, describeError } from "./errors";
import type { TaggedLog } from "./logger";
import type { ReplayGuard } from "./replay-guard";

/** A handler returns result data (or nothing); throwing reports the command as failed. */
export type CommandHandler = (args: Record<string, unknown>, command: CommandPayload) => CborMap | void;

export interface CommandsOptions {
	guard: ReplayGuard;
	/** epoch ms, or undefined while the clock is unsynced */
	now: () => number | undefined;
	/** sends a result (control traffic) */
	reply: (result: CommandResult) => void;
	log: TaggedLog;
}

export class Commands {
	#o: CommandsOptions;
	#handlers = new Map<string, CommandHandler>();
	readonly stats = { handled: 0, refused: 0 };

	constructor(options: CommandsOptions) {
		this.#o = options;
	}

	/** Registers a handler; a second registration of a name is a programming error. */
	register(name: string, handler: CommandHandler): void {
		if (this.#handlers.has(name)) throw new Error(`command "${name}" registered twice`);
		this.#handlers.set(name, handler);
	}

	get names(): string[] {
		return [...this.#handlers.keys()].sort();
	}

	/** Handles one .../cmd message and sends its result. Never throws. */
	handle(bytes: Uint8Array): CommandResult {
		const result = this.#run(bytes);
		if (result.ok) this.stats.handled++;
		else {
			this.stats.refused++;
			this.#o.log.warn(`command ${result.id ?? "(no id)"} refused: ${result.code}${result.msg ? `: ${result.msg}` : ""}`);
		}
		try {
			this.#o.reply(result);
		} catch (e) {
			this.#o.log.error(`command result not sent: ${describeError(e)}`);
		}
		return result;
	}

	#run(bytes: Uint8Array): CommandResult {
		let command: CommandPayload;
		try {
			command = decodePayload("cmd", bytes);
		} catch (e) {
			return refuse(undefined, "malformed", describeError(e));
		}
		const now = this.#o.now();
		if (now === undefined) return refuse(command.id, "unsynced", "device clock not synced yet; expiry cannot be checked");
		const handler = this.#handlers.get(command.name);
		if (!handler) return refuse(command.id, "unknown-command", `no command "${command.name}" (known: ${this.names.join(", ")})`);
		const code = this.#o.guard.admit(command.id, command.exp, now);
		if (code) return refuse(command.id, code, code === "expired" ? `expired ${now - command.exp} ms ago` : undefined);
		this.#o.log.info(`command ${command.id}: ${command.name}`);
		try {
			const data = handler(command.args ?? {}, command);
			return data ? { v: 1, id: command.id, ok: true, code: "ok", data } : { v: 1, id: command.id, ok: true, code: "ok" };
		} catch (e) {
			const bad = e instanceof ProtocolError || e instanceof RangeError || e instanceof TypeError;
			return refuse(command.id, bad ? "bad-args" : "failed", describeError(e));
		}
	}
}

function refuse(id: string | undefined, code: CommandCode, msg?: string): CommandResult {
	const r: CommandResult = { v: 1, ok: false, code };
	if (id !== undefined) r.id = id;
	if (msg !== undefined) r.msg = clip(msg, 256);
	return r;
}
