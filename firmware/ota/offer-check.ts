/*
 * Stage 1 of an update (ARCHITECTURE §5): is this offer for us, authentic,
 * and newer? Checked in an order that never trusts a field before the
 * signature over it has been verified:
 *   1. a signing key is compiled into this build (otaPubKey);
 *   2. the signature over the manifest bytes verifies with that key;
 *   3. the manifest decodes and validates (contract/ota-payloads.ts);
 *   4. role and board match this device;
 *   5. security version ≥ the running image's and ≥ the highest ever
 *      confirmed here (anti-rollback, like ESP-IDF's secure_version but in
 *      NVS, since eFuses are not burned by this firmware);
 *   6. version strictly newer than the running one (no downgrade, no
 *      reinstall of the same version);
 *   7. the image fits the update partition.
 * Pure: no I/O, so the same checks run in unit tests on Node and XS.
 */
import { decodePayload } from "../contract/codec";
import { compareVersions, type OtaManifest, type OtaOffer } from "../contract/ota-payloads";
import { describeError } from "../runtime/errors";
import { sha256, verifyP256 } from "./crypto";

export interface RunningImage {
	role: string;
	board: string;
	fw: string;
	sec: number;
	/** highest security version confirmed on this device (NVS) */
	minSec: number;
	/** bytes of the update partition */
	slotBytes: number;
}

export type OfferVerdict = { ok: true; manifest: OtaManifest } | { ok: false; reason: string; manifest?: OtaManifest };

/** SHA-256 of `bytes` through the crypto port. */
export function digest(bytes: Uint8Array): Uint8Array {
	const h = sha256();
	h.write(bytes);
	return h.close();
}

/** Whether `sig` is the signing key's signature over `manifestBytes`. */
export function signatureValid(publicKey: Uint8Array | undefined, manifestBytes: Uint8Array, sig: Uint8Array): boolean {
	return !!publicKey && verifyP256(publicKey, digest(manifestBytes), sig);
}

export function checkOffer(offer: OtaOffer, publicKey: Uint8Array | undefined, running: RunningImage): OfferVerdict {
	if (!publicKey) return { ok: false, reason: "no OTA signing key in this build (otaPubKey is empty): every offer is refused" };
	if (!signatureValid(publicKey, offer.manifest, offer.sig)) return { ok: false, reason: "signature does not verify with this device's key (wrong key, or the manifest was altered)" };
	let m: OtaManifest;
	try {
		m = decodePayload("ota-manifest", offer.manifest);
	} catch (e) {
		return { ok: false, reason: `signed manifest is not valid: ${describeError(e)}` };
	}
	const refuse = (reason: string): OfferVerdict => ({ ok: false, reason, manifest: m });
	if (m.role !== running.role) return refuse(`image is for role ${m.role}, this device is a ${running.role}`);
	if (m.board !== running.board) return refuse(`image is for board ${m.board}, this device is a ${running.board}`);
	const floor = Math.max(running.sec, running.minSec);
	if (m.sec < floor) return refuse(`downgrade refused: security version ${m.sec} is below ${floor}`);
	const order = compareVersions(m.version, running.fw);
	if (order < 0) return refuse(`downgrade refused: ${m.version} is older than the running ${running.fw}`);
	if (order === 0) return refuse(`${m.version} is already running`);
	if (m.size > running.slotBytes) return refuse(`image of ${m.size} bytes does not fit the ${running.slotBytes}-byte update partition`);
	return { ok: true, manifest: m };
}
