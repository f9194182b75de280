/*
 * Host-sim `ecp`: Moddable's ECPoint (modules/crypt/arith/ecp.js), an
 * elliptic-curve point with BigInt coordinates. The device's shape is kept:
 * new ECPoint(x, y, identity = false) holds x, y and z (0n for the point at
 * infinity, else 1n), X/Y accessors, isZero(), and fromOctetString(bytes)
 * for the uncompressed octet string 0x04‖X‖Y of SEC 1 v2 §2.3.3
 * (https://www.secg.org/sec1-v2.pdf): any other first byte throws
 * Error("unsupported format"), and the length is not checked (X and Y are
 * the two halves after the prefix), exactly as on the device. Validation
 * (length, coordinates below p, on the curve) is the caller's job.
 * BigInt.fromArrayBuffer, which the device uses here, is an XS extension
 * that xsnap lacks: octetsToBigInt does it portably.
 */

/** The big-endian unsigned integer in bytes[start, end) (SEC 1 §2.3.8 OS2IP). */
export function octetsToBigInt(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
	let n = 0n;
	let i = start;
	// Four bytes per BigInt step: XS interprets every step, and each BigInt operation allocates.
	for (; i + 4 <= end; i += 4) n = (n << 32n) | BigInt(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
	for (; i < end; i++) n = (n << 8n) | BigInt(bytes[i]);
	return n;
}

/** The bytes of a BufferLike (the view's own bytes), without copying. */
export function octets(data: unknown): Uint8Array {
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	throw new TypeError("expected a buffer");
}

export default class ECPoint {
	x: bigint;
	y: bigint;
	z: bigint;

	constructor(x: bigint, y: bigint, identity = false) {
		this.x = x;
		this.y = y;
		this.z = identity ? 0n : 1n;
	}

	get X(): bigint {
		return this.x;
	}
	set X(x: bigint) {
		this.x = x;
	}
	get Y(): bigint {
		return this.y;
	}
	set Y(y: bigint) {
		this.y = y;
	}

	/** true for the point at infinity */
	isZero(): boolean {
		return this.z === 0n;
	}

	toString(): string {
		return this.isZero() ? "0" : `${this.x},${this.y},${this.z}`;
	}

	/** Decodes 0x04‖X‖Y (X and Y of equal length); throws Error("unsupported format") for any other prefix. */
	static fromOctetString(os: Uint8Array): ECPoint {
		if (os[0] !== 0x04) throw new Error("unsupported format");
		const half = (os.length - 1) >> 1;
		return new ECPoint(octetsToBigInt(os, 1, 1 + half), octetsToBigInt(os, 1 + half, os.length));
	}
}

Object.freeze(ECPoint.prototype);
