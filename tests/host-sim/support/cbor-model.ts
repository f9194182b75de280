// Node-only model shared by the device codec <-> cbor-x interop suites
// (tests/firmware/cbor-interop.node.test.ts on Node,
// tests/firmware/cbor-interop-xs.node.test.ts on XS): the cbor-x setup, the
// mapping of cbor-x results into the device codec's value model, the equality
// notion and the value arbitrary both build their value spaces from.
//
// cbor-x configuration: CBORX_OPTIONS below. useRecords:false (plain CBOR
// maps, no record tags), variableMapSize:true (shortest map heads),
// tagUint8Array:false (Uint8Array as a bare byte string, not tag 64),
// useTag259ForMaps/pack/bundleStrings/structuredClone off (no extension tags),
// useFloat32 off (its modes are lossy or round on decode). The decoder is
// used WITHOUT int64AsNumber: with it, cbor-x 1.6.8 decodes 8-byte negative
// integers with 32-bit `~`, e.g. 3b0000000100000000 -> -1, not -4294967297
// (pinned by the last test of cbor-interop.node.test.ts);
// instead we take its bigints and convert the safe ones to numbers (fromCborx).
//
// Value spaces (each suite's sharedArb and agreeArb): sharedArb is everything
// both codecs model ("__proto__" keys are out: cbor-x renames them to
// "__proto_" on decode). Byte-for-byte agreement holds exactly on this subset
// (agreeArb):
//   - integers in [-2^32, 2^32-1] (cbor-x writes wider integers as doubles),
//   - non-integer finite numbers that are not float32-exact (cbor-x writes
//     every non-integer as a double; we shrink to half/single when exact),
//   - any well-formed text string, byte strings, true/false/null/undefined,
//   - arrays, and maps whose keys are neither array-index strings
//     (isArrayIndex) nor "__proto__", given to cbor-x with keys inserted in
//     §4.2.1 order (canonicalOrder: cbor-x writes keys in insertion order and
//     does not sort; JS puts array-index keys first whatever the insertion order).
// Outside it (NaN/±Infinity, half/single floats, |int| >= 2^32, unsafe
// integers, unsorted objects) the bytes differ but both sides decode each
// other's output to the same value; the "known divergences" block of
// cbor-interop.node.test.ts pins that.
import { expect } from "vitest";
import fc from "fast-check";
import { Encoder, Decoder } from "cbor-x";
import type { CborMap, CborValue } from "../../../firmware/net/cbor";

export const CBORX_OPTIONS = {
	useRecords: false,
	mapsAsObjects: true,
	variableMapSize: true,
	tagUint8Array: false,
	useTag259ForMaps: false,
	pack: false,
	bundleStrings: false,
	structuredClone: false,
} as const;
export const cx = new Encoder(CBORX_OPTIONS);
export const cxd = new Decoder({ useRecords: false, mapsAsObjects: true });

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** cbor-x result -> our value model: Buffer to Uint8Array, safe bigint to number. */
export function fromCborx(v: unknown): unknown {
	if (typeof v === "bigint") {
		const n = Number(v);
		if (!Number.isSafeInteger(n) || BigInt(n) !== v) throw new Error(`cbor-x gave unsafe bigint ${v}`);
		return n;
	}
	if (v instanceof Uint8Array) return new Uint8Array(v);
	if (Array.isArray(v)) return v.map(fromCborx);
	if (v !== null && typeof v === "object") {
		const out: Record<string, unknown> = {};
		for (const [k, x] of Object.entries(v)) out[k] = fromCborx(x);
		return out;
	}
	return v;
}

/** Expected value after a round trip: -0 is an integer and travels as 0 on both sides. */
export function normalize(v: unknown): unknown {
	if (Object.is(v, -0)) return 0;
	if (v instanceof Uint8Array) return new Uint8Array(v);
	if (Array.isArray(v)) return v.map(normalize);
	if (v !== null && typeof v === "object") {
		const out: Record<string, unknown> = {};
		for (const [k, x] of Object.entries(v)) out[k] = normalize(x);
		return out;
	}
	return v;
}

/** Rebuilds maps with keys inserted in §4.2.1 order (UTF-8 length, then bytes), computed with Buffer, independently of our encoder. */
export function canonicalOrder(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(canonicalOrder);
	if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
	const keys = Object.keys(v).sort((a, b) => {
		const ba = Buffer.from(a, "utf8");
		const bb = Buffer.from(b, "utf8");
		return ba.length - bb.length || Buffer.compare(ba, bb);
	});
	const out: Record<string, unknown> = {};
	for (const k of keys) out[k] = canonicalOrder((v as CborMap)[k]);
	return out;
}

// toEqual treats NaN as equal to NaN and -0 as different from 0, which is
// what we want after normalize(); it ignores undefined-valued keys, so the
// key lists are compared separately.
export function expectSame(actual: unknown, expected: unknown): void {
	expect(actual).toEqual(expected);
	expect(keyPaths(actual)).toEqual(keyPaths(expected));
}
export function keyPaths(v: unknown, path = "$", out: string[] = []): string[] {
	if (Array.isArray(v)) v.forEach((x, i) => keyPaths(x, `${path}[${i}]`, out));
	else if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) {
		for (const k of Object.keys(v).sort()) {
			const p = `${path}.${JSON.stringify(k)}`;
			out.push(p);
			keyPaths((v as CborMap)[k], p, out);
		}
	}
	return out;
}

export const isArrayIndex = (k: string): boolean => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/** Leaves, arrays and maps (keys from `key`), up to 3 container levels deep. */
export function valueArbitrary(leaf: fc.Arbitrary<CborValue>, key: fc.Arbitrary<string>): fc.Arbitrary<CborValue> {
	return fc.letrec<{ value: CborValue }>((tie) => ({
		value: fc.oneof(
			{ maxDepth: 3, depthSize: "small" },
			leaf,
			fc.array(tie("value"), { maxLength: 30, size: "small" }),
			fc.dictionary(key, tie("value"), { maxKeys: 30, size: "small", noNullPrototype: true }),
		),
	})).value;
}
