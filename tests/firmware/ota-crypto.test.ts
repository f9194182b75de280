// The OTA crypto port (firmware/ota/crypto.ts) over the host-sim crypt,
// ecdsa, curve and ecp modules, against vectors made by node:crypto
// (fixtures/ota-vectors.ts). Portable: runs under vitest on Node and under
// the XS harness (no Node APIs, harness matchers only).
import { describe, it, expect } from "vitest";
import Curve from "curve";
import ECDSA from "ecdsa";
import ECPoint from "ecp";
// The host modules themselves (the same instances the specifiers resolve to), for the parts of their API the
// device typings leave out: Digest.process and views, curve.ec.
import { Digest } from "../../host-sim/modules/crypt";
import HostCurve from "../../host-sim/modules/curve";
import { parsePublicKey, sha256, verifyP256 } from "../../firmware/ota/crypto";
import { P256_MULTIPLES, P256_SIGNATURES, SHA256_MILLION_A, SHA256_VECTORS } from "./fixtures/ota-vectors";

/** SEC 2 §2.4.2: field prime p and group order n of P-256. */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

const hex = (b: Uint8Array | ArrayBuffer): string => Array.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
function unhex(s: string): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
	return out;
}
const ascii = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(s, (c) => c.charCodeAt(0));
const big = (b: Uint8Array): bigint => (b.length ? BigInt("0x" + hex(b)) : 0n);
const bytes32 = (n: bigint): Uint8Array<ArrayBuffer> => unhex(n.toString(16).padStart(64, "0"));
const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
};
/** A copy of b with bit `bit` (0 = the last byte's lowest) flipped. */
function flip(b: Uint8Array, bit: number): Uint8Array {
	const out = b.slice();
	out[out.length - 1 - (bit >> 3)] ^= 1 << (bit & 7);
	return out;
}
const hashOf = (b: Uint8Array): string => {
	const h = sha256();
	h.write(b);
	return hex(h.close());
};
/** Runs f; returns the error it throws (fails when it does not throw). */
function thrown(f: () => unknown): Error {
	try {
		f();
	} catch (e) {
		return e as Error;
	}
	throw new Error("expected a throw");
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
	let r = 1n;
	for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
	return r;
}
/** The P-256 point with the smallest x ≥ 0: y = √(x³ − 3x + b), a square root by (p + 1)/4 since p ≡ 3 (mod 4). */
const SMALL_X_POINT = ((): [bigint, bigint] => {
	for (let x = 0n; ; x++) {
		const rhs = (((x * x * x - 3n * x + B) % P) + P) % P;
		const y = modPow(rhs, (P + 1n) / 4n, P);
		if ((y * y) % P === rhs) return [x, y];
	}
})();

const vectors = P256_SIGNATURES.map((v) => ({ key: unhex(v.key), digest: unhex(v.digest), signature: unhex(v.signature), message: unhex(v.message) }));
const V0 = vectors[0];
const rOf = (sig: Uint8Array) => sig.subarray(0, 32);
const sOf = (sig: Uint8Array) => sig.subarray(32);

describe("sha256", () => {
	for (const v of SHA256_VECTORS) it(`FIPS 180-2 example: ${v.name}`, () => expect(hashOf(ascii(v.input))).toBe(v.digest));

	it("1,000,000 × 'a' streamed in uneven pieces", () => {
		const a = new Uint8Array(1_000_000).fill(0x61);
		const sizes = [1, 63, 64, 65, 0, 127, 4096, 7, 1000, 129, 3];
		const h = sha256();
		let at = 0;
		for (let i = 0; at < a.length; i++) {
			const n = Math.min(sizes[i % sizes.length], a.length - at);
			h.write(a.subarray(at, at + n));
			at += n;
		}
		expect(hex(h.close())).toBe(SHA256_MILLION_A);
	});

	it("every split of a 130-byte message gives the one-shot digest", () => {
		const m = Uint8Array.from({ length: 130 }, (_, i) => (i * 37 + 11) & 0xff);
		const whole = hashOf(m);
		for (let cut = 0; cut <= m.length; cut++) {
			const h = sha256();
			h.write(m.subarray(0, cut));
			h.write(m.subarray(cut));
			expect(hex(h.close())).toBe(whole);
		}
	});

	it("hashes only a view's bytes, not its whole buffer", () => {
		const buffer = new Uint8Array(100).fill(0xee);
		buffer.set(ascii("abc"), 40);
		expect(hashOf(buffer.subarray(40, 43))).toBe(SHA256_VECTORS[1].digest);
	});

	it("close gives 32 bytes; write or close after close throws", () => {
		const h = sha256();
		h.write(ascii("abc"));
		const d = h.close();
		expect(d).toBeInstanceOf(Uint8Array);
		expect(d).toHaveLength(32);
		expect(() => h.write(ascii("x"))).toThrow("sha256: write after close");
		expect(() => h.close()).toThrow("sha256: closed twice");
	});
});

describe("crypt Digest (host-sim, Moddable's API)", () => {
	it("only SHA256: other algorithms throw a clear error", () => {
		expect(() => new Digest("SHA1")).toThrow("crypt: unsupported digest SHA1");
		expect(() => new Digest("sha256" as "SHA256")).toThrow("crypt: unsupported digest sha256");
	});

	it("sizes, close → ArrayBuffer, reset, process, update", () => {
		const d = new Digest("SHA256");
		expect(d.blockSize).toBe(64);
		expect(d.outputSize).toBe(32);
		d.update(ascii("ab").buffer);
		d.write(ascii("c"));
		const out = d.close();
		expect(out).toBeInstanceOf(ArrayBuffer);
		expect(hex(out)).toBe(SHA256_VECTORS[1].digest);
		d.reset();
		expect(hex(d.close())).toBe(SHA256_VECTORS[0].digest);
		expect(hex(d.process("a", ascii("b"), new DataView(ascii("c").buffer)))).toBe(SHA256_VECTORS[1].digest);
	});

	it("a string is hashed as its UTF-8 bytes, as the device's C string", () => {
		const d = new Digest("SHA256");
		expect(hex(d.process("é€😀"))).toBe(hex(d.process(Uint8Array.of(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80))));
		expect(hex(d.process("abc"))).toBe(SHA256_VECTORS[1].digest);
	});

	it("a wider typed array is refused as on the device (TypeError: invalid buffer)", () => {
		const words = new Uint16Array(ascii("abcd").buffer);
		const e = thrown(() => new Digest("SHA256").write(words as unknown as Uint8Array));
		expect(e).toBeInstanceOf(TypeError);
		expect(e.message).toBe("invalid buffer");
	});

	it("write after close throws until reset; a non-buffer throws TypeError", () => {
		const d = new Digest("SHA256");
		d.close();
		expect(() => d.write("x")).toThrow("after close");
		expect(() => d.close()).toThrow("after close");
		d.reset();
		d.write("abc");
		expect(hex(d.close())).toBe(SHA256_VECTORS[1].digest);
		expect(() => new Digest("SHA256").write(42 as unknown as string)).toThrow("invalid buffer");
	});
});

describe("curve and ecp (host-sim P-256 arithmetic)", () => {
	const curve = new HostCurve("secp256r1");
	const G = curve.G;
	const ec = curve.ec;
	const octets = (p: ECPoint) => "04" + hex(bytes32(p.X)) + hex(bytes32(p.Y));

	it("secp256r1 only; orderSize 32; n is the group order", () => {
		expect(() => new Curve("secp384r1")).toThrow("curve: unsupported curve secp384r1");
		expect(new Curve("secp256r1")).toBeInstanceOf(HostCurve);
		expect(curve.orderSize).toBe(32);
		expect(curve.n).toBe(N);
		expect(ec.mul(G, N).isZero()).toBe(true);
	});

	for (const m of P256_MULTIPLES) it(`k·G matches node:crypto for k = ${m.k.slice(0, 8)}…`, () => expect(octets(ec.mul(G, BigInt("0x" + m.k)))).toBe(m.point));

	it("Shamir's mul2 agrees with mul and add, also for equal and opposite points", () => {
		const k = BigInt("0x" + P256_MULTIPLES[5].k);
		const Q = ec.mul(G, k);
		expect(octets(ec.mul2(G, 5n, Q, 7n))).toBe(octets(ec.add(ec.mul(G, 5n), ec.mul(Q, 7n))));
		expect(octets(ec.mul2(G, 5n, G, 7n))).toBe(octets(ec.mul(G, 12n)));
		const minusG = new ECPoint(G.X, P - G.Y);
		expect(ec.mul2(G, 3n, minusG, 3n).isZero()).toBe(true);
		expect(octets(ec.mul2(G, 3n, minusG, 1n))).toBe(P256_MULTIPLES[1].point);
	});

	it("fromOctetString reads 04‖X‖Y and refuses other prefixes", () => {
		const Q = ECPoint.fromOctetString(V0.key);
		expect(octets(Q)).toBe(P256_SIGNATURES[0].key);
		expect(Q.isZero()).toBe(false);
		expect(() => ECPoint.fromOctetString(concat(Uint8Array.of(0x02), V0.key.subarray(1, 33)))).toThrow("unsupported format");
	});
});

describe("parsePublicKey", () => {
	it("decodes every vector's key to its 65 bytes, upper case too", () => {
		for (const v of P256_SIGNATURES) expect(hex(parsePublicKey(v.key))).toBe(v.key);
		expect(hex(parsePublicKey(P256_SIGNATURES[1].key.toUpperCase()))).toBe(P256_SIGNATURES[1].key);
	});

	it("wrong length, not hex, not a string → RangeError with the reason", () => {
		const key = P256_SIGNATURES[0].key;
		for (const bad of ["", key.slice(0, 128), key + "00", key.slice(0, 66)]) {
			const e = thrown(() => parsePublicKey(bad));
			expect(e).toBeInstanceOf(RangeError);
			expect(e.message).toMatch(/^otaPubKey: expected 130 hex digits/);
		}
		expect(() => parsePublicKey(key.slice(0, 129) + "g")).toThrow("otaPubKey: not a hex digit at 129");
		expect(() => parsePublicKey(" " + key.slice(1))).toThrow("otaPubKey: not a hex digit at 0");
		expect(() => parsePublicKey(undefined as unknown as string)).toThrow(RangeError);
	});

	it("compressed or hybrid prefixes → RangeError naming the prefix", () => {
		for (const prefix of ["02", "03", "06", "00"]) {
			const e = thrown(() => parsePublicKey(prefix + P256_SIGNATURES[0].key.slice(2)));
			expect(e).toBeInstanceOf(RangeError);
			expect(e.message).toBe(`otaPubKey: expected an uncompressed point (prefix 04), got prefix ${prefix}`);
		}
	});

	it("a point off the curve, or with a coordinate ≥ p → RangeError", () => {
		const key = unhex(P256_SIGNATURES[0].key);
		const x = key.subarray(1, 33);
		const y = big(key.subarray(33));
		const [sx, sy] = SMALL_X_POINT;
		// Valid with x < 2^256 − p, so x + p still fits 32 bytes: the same point mod p, but not a canonical encoding.
		expect(hex(parsePublicKey("04" + hex(bytes32(sx)) + hex(bytes32(sy))))).toBe("04" + hex(bytes32(sx)) + hex(bytes32(sy)));
		const bad = ["04" + hex(x) + hex(bytes32((y + 1n) % P)), "04" + hex(bytes32(P)) + hex(bytes32(y)), "04" + hex(bytes32(sx + P)) + hex(bytes32(sy)), "04" + "00".repeat(64)];
		for (const b of bad) {
			const e = thrown(() => parsePublicKey(b));
			expect(e).toBeInstanceOf(RangeError);
			expect(e.message).toBe("otaPubKey: the point is not on the P-256 curve");
		}
	});
});

describe("verifyP256", () => {
	it(`accepts all ${vectors.length} node:crypto signatures, whose digests sha256 reproduces`, () => {
		for (const v of vectors) {
			expect(hashOf(v.message)).toBe(hex(v.digest));
			expect(verifyP256(v.key, v.digest, v.signature)).toBe(true);
		}
	});

	it("a flipped bit in r, s, the digest or the key → false", () => {
		vectors.forEach((v, i) => {
			const bit = (i * 37) % 256;
			expect(verifyP256(v.key, v.digest, concat(flip(rOf(v.signature), bit), sOf(v.signature)))).toBe(false);
			expect(verifyP256(v.key, v.digest, concat(rOf(v.signature), flip(sOf(v.signature), bit)))).toBe(false);
			expect(verifyP256(v.key, flip(v.digest, bit), v.signature)).toBe(false);
			expect(verifyP256(flip(v.key, bit), v.digest, v.signature)).toBe(false);
			expect(verifyP256(flip(v.key, 256 + bit), v.digest, v.signature)).toBe(false);
		});
	});

	it("another valid key → false", () => {
		for (let i = 0; i < vectors.length; i++) expect(verifyP256(vectors[(i + 1) % vectors.length].key, vectors[i].digest, vectors[i].signature)).toBe(false);
	});

	it("high s (n − s) still verifies: ECDSA has no low-s rule", () => {
		for (const v of vectors) expect(verifyP256(v.key, v.digest, concat(rOf(v.signature), bytes32(N - big(sOf(v.signature)))))).toBe(true);
	});

	it("r or s = 0 or = n → false (SEC 1 §4.1.4 step 1)", () => {
		const r = rOf(V0.signature);
		const s = sOf(V0.signature);
		for (const sig of [concat(bytes32(0n), s), concat(r, bytes32(0n)), concat(bytes32(N), s), concat(r, bytes32(N)), concat(bytes32(N + 1n), s), unhex("ff".repeat(64))])
			expect(verifyP256(V0.key, V0.digest, sig)).toBe(false);
	});

	it("r = 0 and s = 0 never reach ECDSA.verify, which has no range check", () => {
		const ecdsa = new ECDSA(ECPoint.fromOctetString(V0.key), new Curve("secp256r1"));
		const zeroDigest = new Uint8Array(32);
		const rZero = concat(bytes32(0n), bytes32(1n));
		// e = 0, r = 0: R = 0·G + 0·Q is the point at infinity, whose x the host module reports as 0 (the SDK: unspecified).
		expect(ecdsa.verify(zeroDigest.buffer, rZero.buffer, false)).toBe(true);
		expect(verifyP256(V0.key, zeroDigest, rZero)).toBe(false);
		// s = 0 has no inverse: the device's native inverse never returns, the host module throws.
		expect(() => ecdsa.verify(V0.digest.slice().buffer, concat(rOf(V0.signature), bytes32(0n)).buffer, false)).toThrow("ecdsa: s ≡ 0 (mod n) has no inverse");
		expect(verifyP256(V0.key, V0.digest, concat(rOf(V0.signature), bytes32(0n)))).toBe(false);
	});

	it("wrong lengths → false", () => {
		const { key, digest, signature } = V0;
		expect(verifyP256(key, digest, signature.subarray(0, 63))).toBe(false);
		expect(verifyP256(key, digest, concat(signature, Uint8Array.of(0)))).toBe(false);
		expect(verifyP256(key, digest, new Uint8Array(0))).toBe(false);
		expect(verifyP256(key, digest.subarray(0, 31), signature)).toBe(false);
		expect(verifyP256(key, concat(digest, Uint8Array.of(0)), signature)).toBe(false);
		expect(verifyP256(key.subarray(0, 64), digest, signature)).toBe(false);
		expect(verifyP256(concat(key, Uint8Array.of(0)), digest, signature)).toBe(false);
		expect(verifyP256(key.subarray(0, 33), digest, signature)).toBe(false);
	});

	it("a key off the curve, with x ≥ p, or with prefix 02/03 → false", () => {
		const { key, digest, signature } = V0;
		const x = key.subarray(1, 33);
		const y = key.subarray(33);
		expect(verifyP256(concat(Uint8Array.of(4), x, bytes32((big(y) + 1n) % P)), digest, signature)).toBe(false);
		expect(verifyP256(concat(Uint8Array.of(4), bytes32(P), y), digest, signature)).toBe(false);
		expect(verifyP256(concat(Uint8Array.of(4), bytes32(SMALL_X_POINT[0] + P), bytes32(SMALL_X_POINT[1])), digest, signature)).toBe(false);
		expect(verifyP256(concat(Uint8Array.of(4), new Uint8Array(64)), digest, signature)).toBe(false);
		expect(verifyP256(concat(Uint8Array.of(2), x, y), digest, signature)).toBe(false);
		expect(verifyP256(concat(Uint8Array.of(3), x, y), digest, signature)).toBe(false);
	});

	it("inputs that are not Uint8Arrays → false, never a throw", () => {
		const { key, digest, signature } = V0;
		const bad = [undefined, null, "04", 42, key.buffer, Array.from(key)] as unknown as Uint8Array[];
		for (const b of bad) {
			expect(verifyP256(b, digest, signature)).toBe(false);
			expect(verifyP256(key, b, signature)).toBe(false);
			expect(verifyP256(key, digest, b)).toBe(false);
		}
	});

	it("reads views at an offset, and leaves its inputs unchanged", () => {
		const { key, digest, signature } = V0;
		const pool = concat(Uint8Array.of(9, 9, 9), key, Uint8Array.of(7), digest, signature, Uint8Array.of(5));
		const k = pool.subarray(3, 68);
		const d = pool.subarray(69, 101);
		const s = pool.subarray(101, 165);
		const before = hex(pool);
		expect(verifyP256(k, d, s)).toBe(true);
		expect(hex(pool)).toBe(before);
	});
});
