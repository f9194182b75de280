// Node-only interop between the device codec and cbor-x (the Node side).
//
// cbor-x configuration: CBORX_OPTIONS below. useRecords:false (plain CBOR
// maps, no record tags), variableMapSize:true (shortest map heads),
// tagUint8Array:false (Uint8Array as a bare byte string, not tag 64),
// useTag259ForMaps/pack/bundleStrings/structuredClone off (no extension tags),
// useFloat32 off (its modes are lossy or round on decode). The decoder is
// used WITHOUT int64AsNumber: with it, cbor-x 1.6.8 decodes 8-byte negative
// integers with 32-bit `~`, e.g. 3b0000000100000000 -> -1, not -4294967297
// (see last test);
// instead we take its bigints and convert the safe ones to numbers.
//
// Byte-for-byte agreement holds exactly on this subset (agreeArb):
//   - integers in [-2^32, 2^32-1] (cbor-x writes wider integers as doubles),
//   - non-integer finite numbers that are not float32-exact (cbor-x writes
//     every non-integer as a double; we shrink to half/single when exact),
//   - any well-formed text string, byte strings, true/false/null/undefined,
//   - arrays, and maps whose keys are neither array-index strings nor
//     "__proto__", given to cbor-x with keys inserted in §4.2.1 order
//     (cbor-x writes keys in insertion order and does not sort; JS puts
//     array-index keys first whatever the insertion order).
// Outside it (NaN/±Infinity, half/single floats, |int| >= 2^32, unsafe
// integers, unsorted objects) the bytes differ but both sides decode each
// other's output to the same value; the "known divergences" block pins that.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Encoder, Decoder } from "cbor-x";
import { encode, decode } from "../../firmware/net/cbor";
import type { CborMap, CborValue } from "../../firmware/net/cbor";

const CBORX_OPTIONS = {
	useRecords: false,
	mapsAsObjects: true,
	variableMapSize: true,
	tagUint8Array: false,
	useTag259ForMaps: false,
	pack: false,
	bundleStrings: false,
	structuredClone: false,
} as const;
const cx = new Encoder(CBORX_OPTIONS);
const cxd = new Decoder({ useRecords: false, mapsAsObjects: true });

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const RUNS = { numRuns: 500 };

/** cbor-x result -> our value model: Buffer to Uint8Array, safe bigint to number. */
function fromCborx(v: unknown): unknown {
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
function normalize(v: unknown): unknown {
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
function canonicalOrder(v: unknown): unknown {
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
function expectSame(actual: unknown, expected: unknown): void {
	expect(actual).toEqual(expected);
	expect(keyPaths(actual)).toEqual(keyPaths(expected));
}
function keyPaths(v: unknown, path = "$", out: string[] = []): string[] {
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

const isArrayIndex = (k: string): boolean => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1;

function valueArbitrary(leaf: fc.Arbitrary<CborValue>, key: fc.Arbitrary<string>): fc.Arbitrary<CborValue> {
	return fc.letrec<{ value: CborValue }>((tie) => ({
		value: fc.oneof(
			{ maxDepth: 3, depthSize: "small" },
			leaf,
			fc.array(tie("value"), { maxLength: 30, size: "small" }),
			fc.dictionary(key, tie("value"), { maxKeys: 30, size: "small", noNullPrototype: true }),
		),
	})).value;
}

const common = [
	fc.string({ unit: "binary", maxLength: 100 }),
	fc.uint8Array({ maxLength: 300 }),
	fc.boolean(),
	fc.constant(null),
	fc.constant(undefined),
];

// Shared value space: everything both codecs model. "__proto__" is out
// because cbor-x renames it to "__proto_" on decode.
const sharedArb = valueArbitrary(
	fc.oneof(fc.double(), fc.float().map((x) => x as number), fc.maxSafeInteger(), fc.integer({ min: -70000, max: 70000 }), ...common),
	fc.string({ unit: "binary", maxLength: 8 }).filter((k) => k !== "__proto__"),
);

// Byte-agreement subset (see header).
const agreeArb = valueArbitrary(
	fc.oneof(
		fc.integer({ min: -(2 ** 32), max: 2 ** 32 - 1 }),
		fc.integer({ min: -70000, max: 70000 }),
		fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x) && Math.fround(x) !== x),
		...common,
	),
	fc.string({ unit: "binary", maxLength: 8 }).filter((k) => k !== "__proto__" && !isArrayIndex(k)),
);

describe("interop with cbor-x", () => {
	it("property: decode(cborx.encode(v)) equals v", () => {
		fc.assert(fc.property(sharedArb, (v) => {
			expectSame(decode(cx.encode(v)), normalize(v));
		}), RUNS);
	});

	it("property: cborx.decode(encode(v)) equals v", () => {
		fc.assert(fc.property(sharedArb, (v) => {
			expectSame(fromCborx(cxd.decode(encode(v))), normalize(v));
		}), RUNS);
	});

	it("property: byte-for-byte agreement on the shared canonical subset", () => {
		fc.assert(fc.property(agreeArb, (v) => {
			expect(hex(encode(v))).toBe(hex(cx.encode(canonicalOrder(v))));
		}), RUNS);
	});

	it("agrees byte for byte on heads at the length boundaries", () => {
		for (const n of [0, 23, 24, 255, 256, 65535, 65536]) {
			const values: CborValue[] = [new Uint8Array(n), "x".repeat(n), new Array<CborValue>(n).fill(0)];
			for (const v of values) expect(hex(encode(v))).toBe(hex(cx.encode(v)));
		}
		const wide: CborMap = {};
		for (let i = 0; i < 300; i++) wide[`k${String(i).padStart(3, "0")}`] = i;
		expect(hex(encode(wide))).toBe(hex(cx.encode(wide)));
	});
});

describe("known divergences from cbor-x (bytes differ, values agree)", () => {
	const telemetry = { seq: 1234, t: 1763750000123, type: "AirQualityObserved", pm25: 12.5, pm10: 20, temperature: 21.75, relativeHumidity: 48.2, status: "ok" };
	const cases: [string, CborValue, string, string][] = [
		["half-exact float", 1.5, "f93e00", "fb3ff8000000000000"],
		["single-exact float", 100000.5, "fa47c35040", "fb40f86a0800000000"],
		["NaN", NaN, "f97e00", "fb7ff8000000000000"],
		["Infinity", Infinity, "f97c00", "fb7ff0000000000000"],
		["integer >= 2^32", 2 ** 32, "1b0000000100000000", "fb41f0000000000000"],
		["integer < -2^32", -(2 ** 32) - 1, "3b0000000100000000", "fbc1f0000000100000"],
		["unsafe integer", 2 ** 53, "fa5a000000", "fb4340000000000000"],
		["unsorted keys", { b: 1, a: 2 }, "a2616102616201", "a2616201616102"],
		["array-index key", { a: 1, "10": 2 }, "a261610162313002", "a262313002616101"],
	];
	for (const [what, v, ours, theirs] of cases) {
		it(`${what}: ours ${ours}, cbor-x ${theirs}`, () => {
			expect(hex(encode(v))).toBe(ours);
			expect(hex(cx.encode(v))).toBe(theirs);
			expectSame(decode(Buffer.from(theirs, "hex")), normalize(v));
			expectSame(fromCborx(cxd.decode(Buffer.from(ours, "hex"))), normalize(v));
		});
	}

	it("telemetry record: 1763750000123 and the half/single floats differ; both decode both", () => {
		const ours = encode(telemetry);
		const theirs = cx.encode(telemetry);
		expect(ours.length).toBeLessThan(theirs.length);
		expect(decode(theirs)).toEqual(telemetry);
		expect(cxd.decode(ours)).toEqual({ ...telemetry, t: BigInt(telemetry.t) });
		expect(hex(encode(decode(theirs)))).toBe(hex(ours));
	});

	it("cbor-x renames a __proto__ key and int64AsNumber mangles 8-byte negatives", () => {
		const proto = JSON.parse('{"__proto__": 1}') as CborMap;
		expect(Object.keys(cxd.decode(encode(proto)) as object)).toEqual(["__proto_"]);
		expect(Object.keys(decode(encode(proto)) as object)).toEqual(["__proto__"]);
		// int64AsNumber is documented in the README but missing from cbor-x's Options typings.
		const lossyOptions = { useRecords: false, mapsAsObjects: true, int64AsNumber: true };
		const lossy = new Decoder(lossyOptions);
		expect(lossy.decode(Buffer.from("3b0000000100000000", "hex"))).toBe(-1);
		expect(decode(Buffer.from("3b0000000100000000", "hex"))).toBe(-4294967297);
	});
});
