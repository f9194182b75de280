/*
 * Curbside wire contract, part 3: bytes. Payloads are validated, then CBOR
 * encoded with the device codec (deterministic, RFC 8949 §4.2.1); incoming
 * bytes are decoded with bounded limits, then validated. Undefined fields are
 * dropped before encoding so optional fields cost no bytes.
 */
import { decode, encode } from "../net/cbor/index";
import { ProtocolError, describeError } from "../runtime/errors";
import { validateHealth, validateStatus, type HealthPayload, type StatusPayload } from "./payloads";

export interface PayloadTypes {
	status: StatusPayload;
	health: HealthPayload;
}
export type PayloadKind = keyof PayloadTypes;

const VALIDATORS: { [K in PayloadKind]: (v: unknown) => PayloadTypes[K] } = {
	status: validateStatus,
	health: validateHealth,
};

function compact(value: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const key of Object.keys(value)) if (value[key] !== undefined) out[key] = value[key];
	return out;
}

/** Validates and encodes a payload. @throws ProtocolError when `value` breaks the contract */
export function encodePayload<K extends PayloadKind>(kind: K, value: PayloadTypes[K]): Uint8Array {
	const checked = VALIDATORS[kind](compact(value as unknown as Record<string, unknown>));
	return encode(compact(checked as unknown as Record<string, unknown>) as never);
}

/** Decodes and validates a payload. @throws ProtocolError with the reason (bad CBOR or bad shape) */
export function decodePayload<K extends PayloadKind>(kind: K, bytes: Uint8Array | ArrayBuffer): PayloadTypes[K] {
	let value: unknown;
	try {
		value = decode(bytes);
	} catch (e) {
		throw new ProtocolError(`${kind}: malformed CBOR: ${describeError(e)}`, { cause: e });
	}
	return VALIDATORS[kind](value);
}
