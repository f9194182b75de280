/*
 * Host-sim `curve`: Moddable's Curve (modules/crypt/etc/curve.js) for
 * secp256r1 (NIST P-256), with the EC arithmetic the device does in C
 * (modules/crypt/arith/ec.js over xsBigIntEx.c) in BigInt TypeScript.
 *   Domain parameters: SEC 2 v2 §2.4.2 (https://www.secg.org/sec2-v2.pdf),
 *   FIPS 186-4 D.1.2.3.
 *   Formulas: Jacobian coordinates (x = X/Z², y = Y/Z³) from the Explicit-
 *   Formulas Database, https://hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-3.html:
 *   "dbl-2001-b" (a = −3) and "madd" (add-1998-cmo-2 with Z2 = 1, for adding
 *   an affine point).
 * Shape kept from the device: new Curve("secp256r1") has G (an ECPoint),
 * n, orderSize (32) and ec, whose add/mul/mul2 take and return affine
 * ECPoints (mul2(P, k, Q, l) = k·P + l·Q by Shamir's trick, one doubling per
 * bit and one addition of P, Q or P+Q). The point at infinity comes back as
 * an ECPoint with z = 0n and x = y = 0n (on the device its x and y are
 * whatever the C code left: callers must test isZero(), not the coordinates).
 * Difference, on purpose: any other curve name throws; on the device,
 * secp384r1 also exists and an unknown name leaves an empty object.
 * Not constant-time: it verifies public data only.
 */
import ECPoint from "./ecp";

/** SEC 2 §2.4.2: p, a = p − 3, b, G and n of secp256r1. */
const P256 = Object.freeze({
	m: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
	a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
	b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
	Gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
	Gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
	n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
});

/** a⁻¹ mod m by the extended Euclidean algorithm; throws RangeError when a ≡ 0 or gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint {
	let r0 = m;
	let r1 = a % m;
	if (r1 < 0n) r1 += m;
	let t0 = 0n;
	let t1 = 1n;
	while (r1 !== 0n) {
		const q = r0 / r1;
		const r2 = r0 - q * r1;
		r0 = r1;
		r1 = r2;
		const t2 = t0 - q * t1;
		t0 = t1;
		t1 = t2;
	}
	if (r0 !== 1n) throw new RangeError("no modular inverse");
	return t0 < 0n ? t0 + m : t0;
}

/** A point in Jacobian coordinates, updated in place; Z = 0n is the point at infinity. */
interface Jacobian {
	X: bigint;
	Y: bigint;
	Z: bigint;
}

/** EC arithmetic over y² = x³ + ax + b mod m with a = m − 3 (every NIST prime curve). */
export class EC {
	readonly a: bigint;
	readonly b: bigint;
	readonly m: bigint;

	constructor(a: bigint, b: bigint, m: bigint) {
		// The doubling formula below uses a = −3; P-256 is the only curve the host-sim builds.
		if (a !== m - 3n) throw new RangeError("EC: the host-sim supports a = −3 curves only");
		this.a = a;
		this.b = b;
		this.m = m;
	}

	/** dbl-2001-b (a = −3): 3M + 5S. Leaves infinity as it is; no point of order 2 exists on a prime-order curve. */
	#double(P: Jacobian): void {
		if (P.Z === 0n) return;
		const p = this.m;
		const delta = (P.Z * P.Z) % p;
		const gamma = (P.Y * P.Y) % p;
		const beta = (P.X * gamma) % p;
		let alpha = (3n * (P.X - delta) * (P.X + delta)) % p;
		if (alpha < 0n) alpha += p;
		let X3 = (alpha * alpha - 8n * beta) % p;
		if (X3 < 0n) X3 += p;
		const yz = P.Y + P.Z;
		let Z3 = (yz * yz - gamma - delta) % p;
		if (Z3 < 0n) Z3 += p;
		let Y3 = (alpha * (4n * beta - X3) - 8n * gamma * gamma) % p;
		if (Y3 < 0n) Y3 += p;
		P.X = X3;
		P.Y = Y3;
		P.Z = Z3;
	}

	/** P += (x2, y2) affine (add-1998-cmo-2, Z2 = 1: 8M + 3S); falls back to doubling for P = Q and gives infinity for P = −Q. */
	#addAffine(P: Jacobian, x2: bigint, y2: bigint): void {
		const p = this.m;
		if (P.Z === 0n) {
			P.X = x2;
			P.Y = y2;
			P.Z = 1n;
			return;
		}
		const z1z1 = (P.Z * P.Z) % p;
		let H = ((x2 * z1z1) % p) - P.X;
		if (H < 0n) H += p;
		let R = ((((y2 * P.Z) % p) * z1z1) % p) - P.Y;
		if (R < 0n) R += p;
		if (H === 0n) {
			if (R === 0n) this.#double(P);
			else P.Z = 0n;
			return;
		}
		const HH = (H * H) % p;
		const HHH = (H * HH) % p;
		const V = (P.X * HH) % p;
		let X3 = (R * R - HHH - 2n * V) % p;
		if (X3 < 0n) X3 += p;
		let Y3 = (R * (V - X3) - P.Y * HHH) % p;
		if (Y3 < 0n) Y3 += p;
		P.Z = (P.Z * H) % p;
		P.X = X3;
		P.Y = Y3;
	}

	/** The affine ECPoint of J (one inversion). */
	#affine(J: Jacobian): ECPoint {
		if (J.Z === 0n) return new ECPoint(0n, 0n, true);
		const p = this.m;
		const zi = modInverse(J.Z, p);
		const zi2 = (zi * zi) % p;
		return new ECPoint((J.X * zi2) % p, (((J.Y * zi2) % p) * zi) % p);
	}

	/** a + b (affine ECPoints; either may be infinity). */
	add(a: ECPoint, b: ECPoint): ECPoint {
		const J: Jacobian = a.isZero() ? { X: 0n, Y: 0n, Z: 0n } : { X: a.x, Y: a.y, Z: 1n };
		if (!b.isZero()) this.#addAffine(J, b.x, b.y);
		return this.#affine(J);
	}

	/** k·a for k ≥ 0 (double-and-add, most significant bit first). */
	mul(a: ECPoint, k: bigint): ECPoint {
		return this.mul2(a, k, a, 0n);
	}

	/** k1·a1 + k2·a2 for k1, k2 ≥ 0, by Shamir's trick (one pass over the longer scalar's bits). */
	mul2(a1: ECPoint, k1: bigint, a2: ECPoint, k2: bigint): ECPoint {
		if (k1 < 0n || k2 < 0n) throw new RangeError("EC: negative scalar");
		// table[j] for j = bit of k1 + 2 × bit of k2: a1, a2, a1 + a2 (affine; undefined = infinity, adding it is a no-op).
		const table: (ECPoint | undefined)[] = [undefined, a1.isZero() ? undefined : a1, a2.isZero() ? undefined : a2, undefined];
		if (k1 !== 0n && k2 !== 0n) {
			const sum = this.add(a1, a2);
			table[3] = sum.isZero() ? undefined : sum;
		}
		let b1 = k1.toString(2);
		let b2 = k2.toString(2);
		const bits = Math.max(b1.length, b2.length);
		b1 = b1.padStart(bits, "0");
		b2 = b2.padStart(bits, "0");
		const R: Jacobian = { X: 0n, Y: 0n, Z: 0n };
		for (let i = 0; i < bits; i++) {
			this.#double(R);
			const entry = table[(b1.charCodeAt(i) - 48) | ((b2.charCodeAt(i) - 48) << 1)];
			if (entry) this.#addAffine(R, entry.x, entry.y);
		}
		return this.#affine(R);
	}
}

export default class Curve {
	readonly G: ECPoint;
	readonly ec: EC;
	readonly n: bigint;

	/** @param name "secp256r1" (the only curve the host-sim implements); throws Error otherwise */
	constructor(name: string) {
		if (name !== "secp256r1") throw new Error(`curve: unsupported curve ${String(name)}`);
		this.G = new ECPoint(P256.Gx, P256.Gy);
		this.ec = new EC(P256.a, P256.b, P256.m);
		this.n = P256.n;
	}

	/** bytes of the group order n: 32 */
	get orderSize(): number {
		return (this.n.toString(2).length + 7) >>> 3;
	}
}
