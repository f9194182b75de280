// Node-only interop between the device codec and cbor-x (the Node side).
//
// cbor-x options, value model and the byte-agreement subset: tests/host-sim/support/cbor-model.ts.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Decoder } from "cbor-x";
import { encode, decode } from "../../firmware/net/cbor";
import type { CborMap, CborValue } from "../../firmware/net/cbor";
import { cx, cxd, hex, fromCborx, normalize, canonicalOrder, expectSame, isArrayIndex, valueArbitrary } from "../host-sim/support/cbor-model";

const RUNS = { numRuns: 500 };

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

// Byte-agreement subset (see cbor-model.ts).
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
