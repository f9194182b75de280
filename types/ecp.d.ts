/*
 * Moddable's `ecp` (modules/crypt/arith/ecp.js): an elliptic-curve point with
 * BigInt affine coordinates, z = 0n for the point at infinity. Mapped in
 * manifests/ota.json; host-sim: host-sim/modules/ecp.ts.
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
export default class ECPoint {
	constructor(x: bigint, y: bigint, identity?: boolean);
	x: bigint;
	y: bigint;
	z: bigint;
	X: bigint;
	Y: bigint;
	/** true for the point at infinity */
	isZero(): boolean;
	/**
	 * Decodes the uncompressed SEC 1 §2.3.3 octet string 0x04‖X‖Y (X and Y the
	 * halves after the prefix). Throws Error("unsupported format") for any other
	 * first byte; checks neither the length nor that the point is on a curve.
	 */
	static fromOctetString(os: Uint8Array): ECPoint;
}
