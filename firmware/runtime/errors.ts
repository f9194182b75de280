/*
 * Typed errors for the firmware. Each keeps its `cause` and is rewrapped once
 * at a boundary (STYLE.md rule 5).
 * XS quirk (ARCHITECTURE §1): preload freezes built-in prototypes, so writing
 * `this.name = …` in a subclass throws (the "override mistake"). The name is
 * an accessor on the subclass prototype instead.
 */

export class CurbsideError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
	}
	override get name(): string {
		return "CurbsideError";
	}
}

/** A config key or value failed validation. `key` names the offending key. */
export class ConfigError extends CurbsideError {
	readonly key: string;
	constructor(key: string, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.key = key;
	}
	override get name(): string {
		return "ConfigError";
	}
}

/** A peripheral misbehaved: timeout, NACK, bad CRC, implausible value. */
export class DriverError extends CurbsideError {
	override get name(): string {
		return "DriverError";
	}
}

/** Bytes on a wire (CBOR, MQTT payload, UART frame) did not parse or validate. */
export class ProtocolError extends CurbsideError {
	override get name(): string {
		return "ProtocolError";
	}
}

/** Persistent storage (flash, NVS) refused an operation or holds corrupt data. */
export class StorageError extends CurbsideError {
	override get name(): string {
		return "StorageError";
	}
}

/**
 * `text` cut to at most `max` UTF-16 units, ending in "…" when cut. Never
 * splits a surrogate pair: a lone surrogate cannot be encoded as CBOR text,
 * so a cut inside an emoji would make a result, report or log unsendable.
 */
export function clip(text: string, max: number): string {
	if (text.length <= max) return text;
	let end = Math.max(0, max - 1);
	const c = text.charCodeAt(end - 1);
	if (c >= 0xd800 && c <= 0xdbff) end--;
	return text.slice(0, end) + "…";
}

/** One line for a log or an error report: "Name: message (cause: …)". Never a stack. */
export function describeError(e: unknown): string {
	if (e && typeof e === "object" && "message" in e) {
		const err = e as { name?: string; message: string; cause?: unknown };
		const base = `${err.name ?? "Error"}: ${err.message}`;
		return err.cause !== undefined ? `${base} (cause: ${describeError(err.cause)})` : base;
	}
	return String(e);
}
