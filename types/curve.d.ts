/*
 * Moddable's `curve` (modules/crypt/etc/curve.js): named Weierstrass curves
 * for ECDSA and ECDH. Curbside uses secp256r1 (P-256) only; the host-sim
 * (host-sim/modules/curve.ts) throws for any other name (on the device an
 * unknown name leaves an unusable object). Mapped in manifests/ota.json.
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
import type ECPoint from "ecp";

export type CurveName = "secp256r1" | "secp384r1";

export default class Curve {
	constructor(name: CurveName);
	/** the base point */
	readonly G: ECPoint;
	/** the order of G */
	readonly n: bigint;
	/** bytes of n: 32 for secp256r1 */
	readonly orderSize: number;
}
