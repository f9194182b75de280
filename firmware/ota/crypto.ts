/*
 * The OTA crypto port: SHA-256 streaming and ECDSA P-256 signature checks,
 * over Moddable's `crypt` Digest (native on the device) and its pure-JS
 * `ecdsa`/`curve`/`ecp` stack (manifests/ota.json). The host-sim maps the
 * same specifiers to host-sim/modules/{crypt,ecdsa,curve,ecp}.ts.
 * Signature convention (issue #6): ECDSA P-256 over SHA-256, signature raw
 * r‖s (2 × 32 bytes big-endian, IEEE P1363), public key the uncompressed
 * point 0x04‖X‖Y (SEC 1 v2 §2.3.3), configured as 130 hex digits.
 * Moddable's ECDSA.verify trusts its inputs: r and s are not range-checked
 * (s = 0 makes the native modular inverse loop forever: seen on the SDK 8.2.3
 * lin host; r = 0 is compared with the point at infinity's unspecified x),
 * and the key is not checked to be on the curve. So this file checks, before
 * calling it:
 *   - FIPS 186-4 §6.4.2 step 1 / SEC 1 §4.1.4 step 1: 0 < r < n, 0 < s < n;
 *   - SEC 1 §3.2.2.1 public key validation: x, y < p and y² = x³ − 3x + b
 *     (P-256 has cofactor 1, so a point on the curve is in the group of G).
 * ECDSA has no low-s rule: (r, n − s) is as valid as (r, s). That does not
 * matter here: the device checks a signature, it never uses one as an id.
 * Curve constants: SEC 2 v2 §2.4.2 (https://www.secg.org/sec2-v2.pdf).
 */
import { Digest } from "crypt";
import Curve from "curve";
import ECDSA from "ecdsa";
import ECPoint from "ecp";

export interface Sha256Stream {
	write(bytes: Uint8Array): void;
	/** 32 bytes; the stream can't be written after */
	close(): Uint8Array;
}

/** SEC 2 §2.4.2: the field prime p, the coefficient b (a = −3) and the group order n of secp256r1. */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const FIELD_BYTES = 32;
export const PUBLIC_KEY_BYTES = 1 + 2 * FIELD_BYTES;
export const SIGNATURE_BYTES = 2 * FIELD_BYTES;
export const DIGEST_BYTES = 32;

class Sha256 implements Sha256Stream {
	#digest = new Digest("SHA256");
	#closed = false;

	write(bytes: Uint8Array): void {
		// The device's native Digest would keep hashing onto a finished context.
		if (this.#closed) throw new Error("sha256: write after close");
		// The native write reads any byte view (xsmc.c _xsmcGetBuffer), though the SDK typings say ArrayBuffer:
		// passing the view saves copying every chunk.
		this.#digest.write(bytes as unknown as ArrayBuffer);
	}

	close(): Uint8Array {
		if (this.#closed) throw new Error("sha256: closed twice");
		this.#closed = true;
		return new Uint8Array(this.#digest.close());
	}
}

/** A streaming SHA-256 (FIPS 180-4) over Moddable's Digest. */
export function sha256(): Sha256Stream {
	return new Sha256();
}

/** Big-endian unsigned integer of bytes[start, end) (SEC 1 §2.3.8); BigInt.fromArrayBuffer is an XS extension xsnap lacks. */
function toBigInt(bytes: Uint8Array, start: number, end: number): bigint {
	let n = 0n;
	for (let i = start; i < end; i += 4) n = (n << 32n) | BigInt(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
	return n;
}

/** SEC 1 §3.2.2.1 steps 2–3 for P-256: both coordinates in [0, p) and y² ≡ x³ − 3x + b (mod p). */
function onCurve(x: bigint, y: bigint): boolean {
	if (x >= P || y >= P) return false;
	const rhs = (((x * x) % P) * x - 3n * x + B) % P;
	return (y * y) % P === (rhs < 0n ? rhs + P : rhs);
}

/** Key coordinates from a 65-byte 0x04‖X‖Y, or undefined when that is not a point on P-256. */
function keyPoint(key: Uint8Array): { x: bigint; y: bigint } | undefined {
	if (key.length !== PUBLIC_KEY_BYTES || key[0] !== 0x04) return undefined;
	const x = toBigInt(key, 1, 1 + FIELD_BYTES);
	const y = toBigInt(key, 1 + FIELD_BYTES, PUBLIC_KEY_BYTES);
	return onCurve(x, y) ? { x, y } : undefined;
}

/** decodes 130 hex digits "04…" → 65 bytes; throws RangeError("otaPubKey: …") with the reason (length, prefix, not on the curve) */
export function parsePublicKey(hex: string): Uint8Array {
	if (typeof hex !== "string" || hex.length !== 2 * PUBLIC_KEY_BYTES)
		throw new RangeError(`otaPubKey: expected ${2 * PUBLIC_KEY_BYTES} hex digits (uncompressed P-256 point 04‖X‖Y), got ${typeof hex === "string" ? hex.length : typeof hex}`);
	const key = new Uint8Array(PUBLIC_KEY_BYTES);
	for (let i = 0; i < PUBLIC_KEY_BYTES; i++) {
		const hi = hexDigit(hex.charCodeAt(2 * i));
		const lo = hexDigit(hex.charCodeAt(2 * i + 1));
		if (hi < 0 || lo < 0) throw new RangeError(`otaPubKey: not a hex digit at ${hi < 0 ? 2 * i : 2 * i + 1}`);
		key[i] = (hi << 4) | lo;
	}
	if (key[0] !== 0x04) throw new RangeError(`otaPubKey: expected an uncompressed point (prefix 04), got prefix ${hex.slice(0, 2)}`);
	if (!keyPoint(key)) throw new RangeError("otaPubKey: the point is not on the P-256 curve");
	return key;
}

/** 0–15 for 0-9, a-f, A-F; −1 otherwise. */
function hexDigit(c: number): number {
	if (c >= 0x30 && c <= 0x39) return c - 0x30;
	c |= 0x20; // ASCII lower case
	return c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
}

/** A fresh ArrayBuffer holding exactly the view's bytes (what ECDSA.verify reads with BigInt.fromArrayBuffer). */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
	return bytes.slice().buffer as ArrayBuffer;
}

/** true only for a valid signature: checks lengths, 0 < r,s < n, the key is on the curve, then ECDSA verify. Never throws for bad input: returns false. */
export function verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
	if (!(publicKey instanceof Uint8Array) || !(digest instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
	if (digest.length !== DIGEST_BYTES || signature.length !== SIGNATURE_BYTES) return false;
	const r = toBigInt(signature, 0, FIELD_BYTES);
	const s = toBigInt(signature, FIELD_BYTES, SIGNATURE_BYTES);
	if (r === 0n || r >= N || s === 0n || s >= N) return false;
	if (!keyPoint(publicKey)) return false;
	const key = ECPoint.fromOctetString(publicKey.slice());
	return new ECDSA(key, new Curve("secp256r1")).verify(exactBuffer(digest), exactBuffer(signature), false);
}
