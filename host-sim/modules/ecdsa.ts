/*
 * Host-sim `ecdsa`: Moddable's ECDSA (modules/crypt/etc/ecdsa.js), the
 * verifying half, in BigInt TypeScript.
 *   Verification: FIPS 186-4 §6.4.2 / SEC 1 v2 §4.1.4
 *   (https://nvlpubs.nist.gov/nistpubs/FIPS/NIST.FIPS.186-4.pdf,
 *   https://www.secg.org/sec1-v2.pdf): e = H as an integer, w = s⁻¹ mod n,
 *   u1 = e·w, u2 = r·w, R = u1·G + u2·Q (Shamir's trick: curve.ec.mul2),
 *   valid when x(R) = r.
 * Shape kept from the device: new ECDSA(Q: ECPoint, curve: Curve), then
 * verify(H, sig, asn1) with H the hash bytes and sig r‖s, each orderSize
 * (32) bytes big-endian, when asn1 is false.
 * Behaviour kept from the device, which is why firmware/ota/crypto.ts checks
 * its inputs before calling it:
 *   - no range checks: r and s are not required to lie in [1, n−1], the key
 *     is not checked to be on the curve, and a short sig reads as zeros;
 *   - x(R) is compared with r as given. The point at infinity has x = 0n
 *     here, the worst case: on the device its x is whatever the C code left
 *     (Moddable lin host, SDK 8.2.3: r = 0, s = 1, e = 0 came out false),
 *     so here r = 0 with e = 0 "verifies" for any key;
 *   - s ≡ 0 (mod n) throws here: on the device the native inverse
 *     (xsBigIntEx.c fxBigInt_mod_mulinv_general) loops forever for s = 0
 *     (seen on the lin host: verify never returned);
 *   - no low-s rule (ECDSA has none): (r, n − s) verifies when (r, s) does.
 * Differences, on purpose: sign() is not implemented (the device never
 * signs), and asn1 = true (DER signatures) throws.
 */
import type Curve from "./curve";
import { modInverse, type EC } from "./curve";
import ECPoint, { octets, octetsToBigInt } from "./ecp";

export default class ECDSA {
	readonly u: ECPoint;
	readonly G: ECPoint;
	readonly n: bigint;
	readonly orderSize: number;
	readonly ec: EC;

	/** @param key the public point Q; @param curve its Curve */
	constructor(key: ECPoint, curve: Curve) {
		this.u = key;
		this.G = curve.G;
		this.n = curve.n;
		this.orderSize = curve.orderSize;
		this.ec = curve.ec;
	}

	/** true when sig (r‖s, or DER when asn1) is a signature of the hash H under the key. */
	verify(H: BufferLike, sig: BufferLike, asn1 = false): boolean {
		if (asn1) throw new Error("ecdsa: DER signatures are not implemented in the host-sim");
		const l = this.orderSize;
		const s = octets(sig);
		// As the device's sig.slice(): a short signature yields fewer (or no) bytes, read as a smaller number.
		return this._verify(octetsToBigInt(octets(H)), octetsToBigInt(s, 0, Math.min(l, s.length)), octetsToBigInt(s, Math.min(l, s.length), Math.min(2 * l, s.length)));
	}

	/** FIPS 186-4 §6.4.2 steps 4–8 with the device's (lack of) checks; see the header. */
	_verify(e: bigint, r: bigint, s: bigint): boolean {
		const n = this.n;
		if (s % n === 0n) throw new Error("ecdsa: s ≡ 0 (mod n) has no inverse");
		const w = modInverse(s, n);
		const R = this.ec.mul2(this.G, (e * w) % n, this.u, (r * w) % n);
		return R.X === r;
	}
}
