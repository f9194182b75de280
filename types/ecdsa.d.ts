/*
 * Moddable's `ecdsa` (modules/crypt/etc/ecdsa.js), the verifying half. The
 * hash is computed separately (crypt Digest). verify() does NOT check that
 * 0 < r, s < n nor that the key is on the curve (on the device s = 0 never
 * returns): callers validate first (firmware/ota/crypto.ts). Mapped in
 * manifests/ota.json; host-sim: host-sim/modules/ecdsa.ts.
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
import type Curve from "curve";
import type ECPoint from "ecp";

export default class ECDSA {
	/** @param key the public point Q (ECPoint.fromOctetString); @param curve its curve */
	constructor(key: ECPoint, curve: Curve);
	/**
	 * true when sig is a signature of the hash H. With asn1 false (Curbside),
	 * sig is r‖s, each curve.orderSize bytes big-endian; with asn1 true, DER
	 * (device only: the host-sim throws).
	 */
	verify(H: ArrayBuffer, sig: ArrayBuffer, asn1?: boolean): boolean;
}
