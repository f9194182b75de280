/*
 * Small structural validators for decoded payloads. Each returns the typed
 * value or throws ProtocolError naming the field path, so a bad message is
 * rejected with a reason a cloud engineer can act on.
 */
import { ProtocolError } from "../runtime/errors";

export type Fields = Record<string, unknown>;

export function record(value: unknown, path: string): Fields {
	if (value === null || typeof value !== "object" || Array.isArray(value) || ArrayBuffer.isView(value)) throw new ProtocolError(`${path}: expected a map`);
	return value as Fields;
}

export function text(value: unknown, path: string, maxLength = 256): string {
	if (typeof value !== "string") throw new ProtocolError(`${path}: expected text`);
	if (value.length > maxLength) throw new ProtocolError(`${path}: longer than ${maxLength} characters`);
	return value;
}

export function integer(value: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
	if (typeof value !== "number" || !Number.isInteger(value)) throw new ProtocolError(`${path}: expected an integer`);
	if (value < min || value > max) throw new ProtocolError(`${path}: ${value} outside ${min}..${max}`);
	return value;
}

export function finite(value: unknown, path: string): number {
	if (typeof value !== "number" || !Number.isFinite(value)) throw new ProtocolError(`${path}: expected a finite number`);
	return value;
}

export function oneOf<T extends string>(value: unknown, path: string, values: readonly T[]): T {
	if (typeof value !== "string" || !(values as readonly string[]).includes(value)) throw new ProtocolError(`${path}: expected one of ${values.join("|")}`);
	return value as T;
}

export function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
	return value === undefined ? undefined : check(value);
}

export function list(value: unknown, path: string, max: number): unknown[] {
	if (!Array.isArray(value)) throw new ProtocolError(`${path}: expected an array`);
	if (value.length > max) throw new ProtocolError(`${path}: more than ${max} items`);
	return value;
}

/** Keys whose value is undefined removed: optional fields cost no bytes, and CBOR has no "absent". */
export function compact<T extends Record<string, unknown>>(value: T): T {
	const out: Record<string, unknown> = {};
	for (const key of Object.keys(value)) if (value[key] !== undefined) out[key] = value[key];
	return out as T;
}

/** Rejects keys outside `allowed`: a typo in a command or config must not pass silently. */
export function onlyKeys(fields: Fields, path: string, allowed: readonly string[]): void {
	for (const key of Object.keys(fields)) if (!allowed.includes(key)) throw new ProtocolError(`${path}: unknown field "${key}"`);
}
