/*
 * CBOR value model, decode limits and the codec's error type.
 *
 * RFC 8949 §3.1 (major types: the subset modelled by CborValue), §5.2/§10
 * (a generic decoder must bound the resources an untrusted input can claim),
 * §5.6 (map validity: no duplicate keys).
 *
 * Value model decisions (shared by encode.ts and decode.ts):
 * - Map keys are text strings only. Decoded maps become plain objects; a map
 *   with any other key type (integer, bytes, array…) is rejected instead of
 *   stringified, because stringifying would make 1 and "1" collide and the
 *   value would not round-trip to the same bytes.
 * - Integers are numbers within ±(2^53 - 1). Wider CBOR integers are
 *   rejected on decode; bigint is not encoded.
 * - -0 is an integer per Number.isInteger, so it encodes as 0x00 (like cbor-x).
 */

/** A text-keyed CBOR map, decoded as a plain object. */
export interface CborMap {
	[key: string]: CborValue;
}

/** Every value the codec encodes and decodes. */
export type CborValue =
	| number
	| string
	| boolean
	| null
	| undefined
	| Uint8Array
	| CborValue[]
	| CborMap;

/** Resource bounds for decode(); all apply to untrusted input. */
export interface DecodeLimits {
	/** Maximum array/map nesting; a top-level array or map is depth 1. */
	maxDepth: number;
	/** Maximum number of data items, counting map keys and containers. */
	maxItems: number;
	/** Maximum byte length of one text or byte string (UTF-8 bytes for text). */
	maxStringLength: number;
	/** Maximum length of the whole input in bytes. */
	maxInputLength: number;
}

/** Defaults sized for an ESP32 heap: a telemetry batch is a few KiB. */
export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
	maxDepth: 16,
	maxItems: 10_000,
	maxStringLength: 65_536,
	maxInputLength: 262_144,
});

/** Options for encode(). */
export interface EncodeOptions {
	/** Maximum array/map nesting (also stops cycles); defaults to DEFAULT_LIMITS.maxDepth so the output is decodable with default limits. */
	maxDepth?: number;
}

/** The only error type the codec throws; offset is the input (decode) or output (encode) byte position. */
export class CborError extends Error {
	readonly offset: number | undefined;
	override readonly cause: unknown;

	constructor(message: string, offset?: number, cause?: unknown) {
		super(message);
		this.offset = offset;
		this.cause = cause;
	}

	// XS preload freezes Error.prototype, so assigning this.name would throw
	// (override mistake); an accessor on our own prototype sidesteps that.
	override get name(): string {
		return "CborError";
	}
}
