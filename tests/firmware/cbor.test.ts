// Portable tests for the device CBOR codec (RFC 8949). Runs under vitest on
// Node and under the XS mini harness: only vitest/fast-check/codec imports,
// only the harness's matchers, no Node APIs, bounded property runs.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { encode, decode, CborError, DEFAULT_LIMITS } from "../../firmware/net/cbor";
import type { CborValue, CborMap } from "../../firmware/net/cbor";

const hex = (b: Uint8Array): string => Array.from(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
function unhex(s: string): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
	return out;
}
const enc = (v: unknown): string => hex(encode(v as CborValue));
const dec = (h: string): CborValue => decode(unhex(h));

/** Runs f, returns the CborError it throws; anything else (or no throw) fails the test. */
function cborError(f: () => unknown): CborError {
	try {
		f();
	} catch (e) {
		if (e instanceof CborError) return e;
		throw e;
	}
	throw new Error("expected a CborError");
}

/** Strict structural equality: NaN equals NaN, -0 differs from 0, keys compared as sets, undefined values must be present. */
function same(a: unknown, b: unknown): boolean {
	if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
	if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
	if (a instanceof Uint8Array || b instanceof Uint8Array) {
		return a instanceof Uint8Array && b instanceof Uint8Array && hex(a) === hex(b);
	}
	if (Array.isArray(a) || Array.isArray(b)) {
		if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
		return true;
	}
	const ka = Object.keys(a);
	if (ka.length !== Object.keys(b).length) return false;
	for (const k of ka) {
		if (!Object.hasOwn(b, k) || !same((a as CborMap)[k], (b as CborMap)[k])) return false;
	}
	return true;
}

/** What decode(encode(v)) must give: -0 is an integer, so it comes back as 0. */
function normalize(v: unknown): unknown {
	if (typeof v === "number") return Object.is(v, -0) ? 0 : v;
	if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
	if (Array.isArray(v)) return v.map(normalize);
	const out: Record<string, unknown> = {};
	for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: normalize((v as CborMap)[k]), enumerable: true, writable: true, configurable: true });
	return out;
}

const keyArb = fc.string({ unit: "binary", maxLength: 6 });
const scalarArb = fc.oneof(
	fc.integer({ min: -70000, max: 70000 }),
	fc.maxSafeInteger(),
	fc.double(),
	fc.float().map((x) => x as number),
	fc.string({ unit: "binary", maxLength: 30 }),
	fc.boolean(),
	fc.constant(null),
	fc.constant(undefined),
	fc.uint8Array({ maxLength: 30 }),
);
const valueArb: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue }>((tie) => ({
	value: fc.oneof(
		{ maxDepth: 4, depthSize: "small" },
		scalarArb,
		fc.array(tie("value"), { maxLength: 5 }),
		fc.dictionary(keyArb, tie("value"), { maxKeys: 5 }),
	),
})).value;
const RUNS = { numRuns: 200 };

describe("RFC 8949 Appendix A vectors", () => {
	const both: [CborValue, string][] = [
		[0, "00"], [1, "01"], [10, "0a"], [23, "17"], [24, "1818"], [25, "1819"], [100, "1864"], [1000, "1903e8"],
		[1000000, "1a000f4240"], [1000000000000, "1b000000e8d4a51000"],
		[-1, "20"], [-10, "29"], [-100, "3863"], [-1000, "3903e7"],
		[1.1, "fb3ff199999999999a"], [1.5, "f93e00"], [5.960464477539063e-8, "f90001"], [0.00006103515625, "f90400"],
		[-4.1, "fbc010666666666666"], [1.0e300, "fb7e37e43c8800759c"], [3.4028234663852886e38, "fa7f7fffff"],
		[Infinity, "f97c00"], [NaN, "f97e00"], [-Infinity, "f9fc00"],
		[false, "f4"], [true, "f5"], [null, "f6"], [undefined, "f7"],
		[new Uint8Array(0), "40"], [unhex("01020304"), "4401020304"],
		["", "60"], ["a", "6161"], ["IETF", "6449455446"], ["\"\\", "62225c"],
		["\u00fc", "62c3bc"], ["\u6c34", "63e6b0b4"], ["\ud800\udd51", "64f0908591"],
		[[], "80"], [[1, 2, 3], "83010203"], [[1, [2, 3], [4, 5]], "8301820203820405"],
		[Array.from({ length: 25 }, (_, i) => i + 1), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"],
		[{}, "a0"], [{ a: 1, b: [2, 3] }, "a26161016162820203"], [["a", { b: "c" }], "826161a161626163"],
		[{ a: "A", b: "B", c: "C", d: "D", e: "E" }, "a56161614161626142616361436164614461656145"],
	];
	for (const [value, h] of both) {
		it(`${h} <-> value`, () => {
			expect(enc(value)).toBe(h);
			expect(same(dec(h), value)).toBe(true);
		});
	}

	// Integral floats: JS cannot tell 1.0 from 1, and safe integers encode as
	// CBOR integers, so these vectors are decode-only; encode gives the int.
	const integralFloats: [string, number, string][] = [
		["f90000", 0, "00"], ["f93c00", 1, "01"], ["f97bff", 65504, "19ffe0"], ["fa47c35000", 100000, "1a000186a0"],
		["f9c400", -4, "23"], ["f98000", -0, "00"],
	];
	for (const [h, value, canonical] of integralFloats) {
		it(`decodes ${h}; encodes its value as integer ${canonical}`, () => {
			expect(Object.is(dec(h), value)).toBe(true);
			expect(enc(value)).toBe(canonical);
		});
	}

	it("decodes the non-preferred float forms of NaN and ±Infinity", () => {
		for (const h of ["fa7fc00000", "fb7ff8000000000000", "f97e01"]) expect(Number.isNaN(dec(h))).toBe(true);
		for (const h of ["fa7f800000", "fb7ff0000000000000"]) expect(dec(h)).toBe(Infinity);
		for (const h of ["faff800000", "fbfff0000000000000"]) expect(dec(h)).toBe(-Infinity);
	});

	const rejected: [string, RegExp][] = [
		["1bffffffffffffffff", /integer out of safe range at byte 0/],
		["3bffffffffffffffff", /integer out of safe range at byte 0/],
		["c249010000000000000000", /unsupported tag 2 at byte 0/],
		["c074323031332d30332d32315432303a30343a30305a", /unsupported tag 0/],
		["c11a514b67b0", /unsupported tag 1 at byte 0/],
		["d82076687474703a2f2f7777772e6578616d706c652e636f6d", /unsupported tag 32/],
		["f0", /unsupported simple value 16 at byte 0/],
		["f8ff", /unsupported simple value 255 at byte 0/],
		["a201020304", /map key must be a text string, found unsigned integer at byte 1/],
		["5f42010243030405ff", /indefinite-length byte string is not supported at byte 0/],
		["7f657374726561646d696e67ff", /indefinite-length text string/],
		["9fff", /indefinite-length array/],
		["bf61610161629f0203ffff", /indefinite-length map/],
	];
	for (const [h, re] of rejected) {
		it(`rejects ${h}`, () => {
			expect(cborError(() => dec(h)).message).toMatch(re);
		});
	}
});

describe("preferred serialization", () => {
	it("uses the shortest integer heads at every boundary", () => {
		const cases: [number, string][] = [
			[23, "17"], [24, "1818"], [255, "18ff"], [256, "190100"], [65535, "19ffff"], [65536, "1a00010000"],
			[4294967295, "1affffffff"], [4294967296, "1b0000000100000000"], [Number.MAX_SAFE_INTEGER, "1b001fffffffffffff"],
			[-24, "37"], [-25, "3818"], [-256, "38ff"], [-257, "390100"], [-65537, "3a00010000"],
			[-4294967296, "3affffffff"], [-4294967297, "3b0000000100000000"], [Number.MIN_SAFE_INTEGER, "3b001ffffffffffffe"],
		];
		for (const [v, h] of cases) {
			expect(enc(v)).toBe(h);
			expect(dec(h)).toBe(v);
		}
	});

	it("encodes -0 as integer 0 (as cbor-x does) and unsafe integers as floats", () => {
		expect(enc(-0)).toBe("00");
		expect(enc(2 ** 53)).toBe("fa5a000000");
		expect(enc(-(2 ** 60))).toBe("fadd800000");
		expect(enc(2 ** 1000)).toBe("fb7e70000000000000");
	});

	it("picks the shortest exact float width", () => {
		const cases: [number, string][] = [
			[0.5, "f93800"], [1.0009765625, "f93c01"], [1.00048828125, "fa3f801000"], [65504.5, "fa477fe080"],
			[2 ** -24 * 3, "f90003"], [2 ** -25, "fa33000000"], [6.097555160522461e-5, "f903ff"], [-(2 ** -24), "f98001"],
			[0.1, "fb3fb999999999999a"], [2 ** -149, "fa00000001"], [5e-324, "fb0000000000000001"],
		];
		for (const [v, h] of cases) {
			expect(enc(v)).toBe(h);
			expect(dec(h)).toBe(v);
		}
	});

	it("matches an independent binary16 reference for all 65536 half patterns", () => {
		// Byte compares instead of hex strings keep this affordable on XS.
		const bad: number[] = [];
		const item = new Uint8Array([0xf9, 0, 0]);
		for (let h = 0; h < 0x10000; h++) {
			const e = (h >> 10) & 31;
			const m = h & 1023;
			const mag = e === 0 ? m / 1024 * Math.pow(2, -14) : e === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * Math.pow(2, e - 15);
			const ref = h & 0x8000 ? -mag : mag;
			item[1] = h >> 8;
			item[2] = h & 0xff;
			if (!Object.is(decode(item), ref)) bad.push(h);
			const out = encode(ref);
			// NaN -> f97e00; integral values -> integer heads; the rest -> exactly this half.
			const want = Number.isNaN(ref) ? [0xf9, 0x7e, 0] : Number.isInteger(ref) ? null : [0xf9, item[1], item[2]];
			const ok = want === null ? out[0] < 0x40 : out.length === 3 && out[0] === want[0] && out[1] === want[1] && out[2] === want[2];
			if (!ok) bad.push(h);
		}
		expect(bad).toEqual([]);
	});

	it("property: floats round-trip in the width their precision needs", () => {
		fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
			const h = enc(x);
			if (Number.isSafeInteger(x)) return h.length <= 18 && same(dec(h), normalize(x));
			const width = Math.fround(x) !== x ? 18 : h.startsWith("f9") ? 6 : 10;
			return h.length === width && h.startsWith(width === 18 ? "fb" : width === 10 ? "fa" : "f9") && Object.is(dec(h), x);
		}), RUNS);
	});
});

describe("deterministic map key order (§4.2.1)", () => {
	it("sorts by encoded key bytes: shorter first, then bytewise", () => {
		const v = { ü: 5, aa: 1, b: 2, a: 3, "": 4, "~": 6, z0: 7 };
		// "" < "a" < "b" < "~" < "aa" < "z0" < "ü" (62c3bc)
		expect(enc(v)).toBe("a76004616103616202617e0662616101627a30076" + "2c3bc05");
	});

	it("property: insertion order does not change the bytes, and decoded keys follow wire order", () => {
		fc.assert(fc.property(fc.dictionary(keyArb, fc.integer(), { maxKeys: 12 }), (d) => {
			const rev: CborMap = {};
			for (const k of Object.keys(d).reverse()) Object.defineProperty(rev, k, { value: d[k], enumerable: true, writable: true, configurable: true });
			const bytes = enc(d);
			const keys = Object.keys(dec(bytes) as CborMap).map(enc);
			for (let i = 1; i < keys.length; i++) {
				const a = keys[i - 1], b = keys[i];
				if (!(a.length < b.length || (a.length === b.length && a < b))) return false;
			}
			return bytes === enc(rev);
		}), RUNS);
	});
});

describe("round trip", () => {
	it("property: decode(encode(v)) equals v (with -0 as 0) and re-encoding is stable", () => {
		fc.assert(fc.property(valueArb, (v) => {
			const bytes = encode(v);
			const back = decode(bytes);
			return same(back, normalize(v)) && hex(encode(back)) === hex(bytes);
		}), RUNS);
	});

	it("keeps inherited-looking keys as own data properties", () => {
		const v = JSON.parse('{"__proto__": 1, "toString": 2, "constructor": 3}') as CborMap;
		const back = decode(encode(v)) as CborMap;
		expect(Object.keys(back)).toEqual(["toString", "__proto__", "constructor"]);
		expect(back.__proto__).toBe(1);
		expect(back.toString).toBe(2);
		expect(back.constructor).toBe(3);
		expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
	});

	it("accepts valid but non-preferred input (long heads, wide floats, unsorted keys)", () => {
		expect(dec("1817")).toBe(23);
		expect(dec("1b0000000000000000")).toBe(0);
		expect(dec("fb3ff8000000000000")).toBe(1.5);
		expect(dec("5800")).toHaveLength(0);
		expect(Object.keys(dec("a2616201616100") as CborMap)).toEqual(["b", "a"]);
	});

	it("decodes from ArrayBuffer and offset subarrays, and copies byte strings", () => {
		const whole = unhex("ff82fb3ff199999999999a43010203ff");
		const inner = whole.subarray(1, whole.length - 1);
		const v = decode(inner) as [number, Uint8Array];
		expect(v[0]).toBe(1.1);
		whole[13] = 9;
		expect(hex(v[1])).toBe("010203");
		expect(dec("f5")).toBe(true);
		expect(decode(unhex("83010203").buffer)).toEqual([1, 2, 3]);
	});
});

describe("decode errors", () => {
	it("every CborError has name, offset and a byte position in its message", () => {
		const e = cborError(() => dec("0000"));
		expect(e).toBeInstanceOf(Error);
		expect(e.name).toBe("CborError");
		expect(String(e)).toMatch(/^CborError: /);
		expect(e.offset).toBe(1);
		expect(e.message).toMatch(/1 trailing byte\(s\) after the top-level item at byte 1/);
	});

	it("reports truncation at every prefix of a valid encoding", () => {
		const value: CborValue = { seq: 1234, t: 1763750000123, pm25: 12.5, x: [1.1, -70000, "\u6c34\ud800\udd51"], b: unhex("00ff"), s: "x".repeat(30), f: 100000.5 };
		const full = encode(value);
		for (let k = 0; k < full.length; k++) {
			const e = cborError(() => decode(full.subarray(0, k)));
			expect(e.message).toMatch(new RegExp(`^truncated at byte ${k}: `));
			expect(e.offset).toBe(k);
		}
		expect(same(decode(full), value)).toBe(true);
	});

	it("property: every proper prefix of an encoding is reported as truncated", () => {
		fc.assert(fc.property(valueArb, fc.nat(), (v, n) => {
			const full = encode(v);
			const k = n % full.length;
			const e = cborError(() => decode(full.subarray(0, k)));
			return e.offset === k && e.message.startsWith(`truncated at byte ${k}:`);
		}), RUNS);
	});

	it("rejects depth bombs at the first container past maxDepth", () => {
		expect(cborError(() => decode(new Uint8Array(100000).fill(0x81))).message).toMatch(/nesting deeper than maxDepth 16 at byte 16/);
		expect(cborError(() => dec("a16161".repeat(17) + "00")).offset).toBe(48);
		expect(dec("81".repeat(16) + "00")).toBeDefined();
		expect(cborError(() => decode(unhex("818100"), { maxDepth: 1 })).offset).toBe(1);
	});

	it("handles deep nesting without recursion when the caller lifts maxDepth", () => {
		const n = 20000;
		const bytes = new Uint8Array(n + 1).fill(0x81);
		bytes[n] = 0;
		const v = decode(bytes, { maxDepth: Infinity, maxItems: Infinity });
		expect(encode(v, { maxDepth: Infinity })).toHaveLength(n + 1);
	});

	it("checks declared lengths against the remaining input before allocating", () => {
		expect(cborError(() => dec("5b000000010000000000")).message).toMatch(/^truncated at byte 10: byte string of 4294967296 bytes starting at byte 0/);
		expect(cborError(() => dec("7affffffff")).message).toMatch(/^truncated at byte 5/);
		expect(cborError(() => dec("5bffffffffffffffff00")).message).toMatch(/^truncated at byte 10/);
		expect(cborError(() => dec("9b001fffffffffffff00")).message).toMatch(/^truncated at byte 10: array of/);
		expect(cborError(() => dec("ba7fffffff0000")).message).toMatch(/^truncated at byte 7: map of/);
	});

	it("enforces item, string and input-size limits", () => {
		const arr = new Uint8Array(3 + 10001);
		arr.set([0x99, 0x27, 0x11]);
		expect(cborError(() => decode(arr)).message).toMatch(/array of 10001 would exceed maxItems 10000 at byte 0/);
		expect(cborError(() => decode(unhex("8200820000"), { maxItems: 4 })).message).toMatch(/maxItems 4 at byte (2|4)/);
		const big = new Uint8Array(5 + 65537).fill(0x61);
		big.set([0x7a, 0, 1, 0, 1]);
		expect(cborError(() => decode(big)).message).toMatch(/text string of 65537 bytes exceeds maxStringLength 65536 at byte 0/);
		expect(decode(big.subarray(0, 5 + 65536).map((b, i) => (i === 4 ? 0 : b)))).toHaveLength(65536);
		expect(cborError(() => decode(unhex("4400000000"), { maxInputLength: 4 })).message).toMatch(/exceeds maxInputLength 4/);
		expect(cborError(() => decode(unhex("00"), { maxDepth: -1 })).message).toMatch(/invalid decode limit maxDepth/);
		expect(DEFAULT_LIMITS.maxDepth).toBe(16);
	});

	it("rejects invalid UTF-8 with the offending byte", () => {
		const cases: [string, RegExp][] = [
			["61ff", /at byte 1: invalid lead byte 0xff/], ["6180", /at byte 1: unexpected continuation byte/],
			["62c0af", /at byte 1: overlong/], ["63e08080", /at byte 2: overlong/], ["64f0808080", /at byte 2: overlong/],
			["63eda080", /at byte 2: encoded surrogate/], ["63edbfbf", /encoded surrogate/], ["64f4908080", /at byte 2: code point above U\+10FFFF/],
			["62e282", /at byte 1: incomplete/], ["63e228a1", /at byte 2: invalid continuation byte 0x28/], ["61f8", /invalid lead byte 0xf8/],
		];
		for (const [h, re] of cases) expect(cborError(() => dec(h)).message).toMatch(re);
		expect(dec("62c280")).toBe("\u0080");
		expect(dec("63ed9fbf")).toBe("\ud7ff");
		expect(dec("63ee8080")).toBe("\ue000");
		expect(dec("63efbfbf")).toBe("\uffff");
		expect(dec("64f48fbfbf")).toBe("\udbff\udfff");
	});

	it("rejects reserved and ill-formed heads, breaks, keys and duplicates", () => {
		for (const ib of [0x1c, 0x1d, 0x1e, 0x3c, 0x5c, 0x7c, 0x9c, 0xbc, 0xdc, 0xfc, 0xfd, 0xfe]) {
			expect(cborError(() => decode(new Uint8Array([ib, 0, 0, 0, 0, 0, 0, 0, 0]))).message).toMatch(/reserved additional information (28|29|30) .* at byte 0/);
		}
		expect(cborError(() => dec("1f")).message).toMatch(/not well-formed for a unsigned integer at byte 0/);
		expect(cborError(() => dec("df")).message).toMatch(/not well-formed for a tag/);
		expect(cborError(() => dec("81ff")).message).toMatch(/unexpected break \(0xff\).* at byte 1/);
		expect(cborError(() => dec("f818")).message).toMatch(/simple value 24 in two-byte form is not well-formed/);
		expect(cborError(() => dec("a2616101616102")).message).toMatch(/duplicate map key "a" at byte 4/);
		expect(cborError(() => dec("a1800000")).message).toMatch(/map key must be a text string, found array at byte 1/);
		expect(cborError(() => dec("a1f500")).message).toMatch(/found simple\/float at byte 1/);
		expect(cborError(() => dec("")).message).toMatch(/^truncated at byte 0/);
		expect(cborError(() => decode("00" as unknown as Uint8Array)).message).toMatch(/Uint8Array or ArrayBuffer/);
	});

	it("property: random bytes either decode or throw CborError", () => {
		fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (b) => {
			try {
				decode(b);
				return true;
			} catch (e) {
				return e instanceof CborError && typeof e.offset === "number";
			}
		}), RUNS);
	});

	it("property: mutated valid encodings either decode or throw CborError", () => {
		fc.assert(fc.property(valueArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (v, muts) => {
			const b = encode(v).slice();
			for (const [at, byte] of muts) b[at % b.length] = byte;
			try {
				decode(b);
				return true;
			} catch (e) {
				return e instanceof CborError && typeof e.offset === "number";
			}
		}), RUNS);
	});
});

describe("encode errors", () => {
	it("rejects values outside the CBOR value model", () => {
		class Point { x = 1; }
		const cases: [unknown, RegExp][] = [
			[() => 1, /cannot encode function/], [Symbol("s"), /cannot encode symbol/], [1n, /cannot encode bigint/],
			[new Map(), /cannot encode Map/], [new Date(0), /cannot encode Date/], [new Int16Array(2), /cannot encode Int16Array/],
			[new Point(), /cannot encode Point/], [[1, { a: () => 1 }], /cannot encode function \(output byte 5\)/],
			["\ud800", /lone surrogate U\+D800/], ["a\udc00b", /lone surrogate U\+DC00/], [{ "\udbff": 1 }, /lone surrogate U\+DBFF/],
		];
		for (const [v, re] of cases) expect(cborError(() => encode(v as CborValue)).message).toMatch(re);
	});

	it("stops cycles and over-deep values at maxDepth", () => {
		const cyc: CborValue[] = [];
		cyc.push(cyc);
		expect(cborError(() => encode(cyc)).message).toMatch(/nesting deeper than maxDepth 16/);
		const obj: CborMap = {};
		obj.self = obj;
		expect(cborError(() => encode(obj, { maxDepth: 3 })).message).toMatch(/maxDepth 3/);
		let deep: CborValue = 0;
		for (let i = 0; i < 16; i++) deep = [deep];
		expect(enc(deep)).toBe("81".repeat(16) + "00");
		expect(cborError(() => encode([deep])).offset).toBe(16);
		expect(cborError(() => encode(cyc, { maxDepth: NaN })).message).toMatch(/invalid encode option maxDepth/);
	});
});
