/*
 * Stage 1 of an update on the device (firmware/ota/offer-check.ts): every
 * refusal reason, with real ECDSA P-256 signatures (fixtures made by
 * node:crypto), on Node and on XS.
 */
import { describe, expect, it } from "vitest";
import { checkOffer, type RunningImage } from "../../firmware/ota/offer-check";
import { parsePublicKey } from "../../firmware/ota/crypto";
import type { OtaOffer } from "../../firmware/contract/ota-payloads";
import { OFFERS, SIGNER_KEY, STRANGER_KEY } from "./fixtures/ota-offers";

function bytes(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

function offer(name: string): OtaOffer {
	const o = OFFERS[name];
	return { v: 1, id: `t-${name}`, manifest: bytes(o.manifest), sig: bytes(o.sig) };
}

const RUNNING: RunningImage = { role: "light-pole", board: "generic", fw: "0.1.0", sec: 1, minSec: 0, slotBytes: 0x1a0000 };
const KEY = parsePublicKey(SIGNER_KEY);

describe("OTA offer check", () => {
	it("accepts a newer image signed with the device's key, for its role and board", () => {
		const v = checkOffer(offer("good"), KEY, RUNNING);
		expect(v.ok).toBe(true);
		if (v.ok) expect(v.manifest.version).toBe("0.2.0");
	});

	it("refuses everything when the build has no key", () => {
		const v = checkOffer(offer("good"), undefined, RUNNING);
		expect(v.ok).toBe(false);
		if (!v.ok) expect(v.reason).toContain("no OTA signing key");
	});

	it("refuses a manifest signed with another key", () => {
		const v = checkOffer(offer("otherKey"), KEY, RUNNING);
		expect(v.ok).toBe(false);
		if (!v.ok) expect(v.reason).toContain("signature does not verify");
		expect(checkOffer(offer("otherKey"), parsePublicKey(STRANGER_KEY), RUNNING).ok).toBe(true);
	});

	it("refuses a manifest changed after signing, byte by byte", () => {
		const good = offer("good");
		for (let i = 0; i < good.manifest.length; i += 7) {
			const m = good.manifest.slice();
			m[i] ^= 0x01;
			const v = checkOffer({ ...good, manifest: m }, KEY, RUNNING);
			expect(v.ok).toBe(false);
		}
		const sig = good.sig.slice();
		sig[63] ^= 0x80;
		expect(checkOffer({ ...good, sig }, KEY, RUNNING).ok).toBe(false);
	});

	it("refuses the wrong role or board with the reason", () => {
		const role = checkOffer(offer("wrongRole"), KEY, RUNNING);
		expect(role.ok).toBe(false);
		if (!role.ok) expect(role.reason).toBe("image is for role stop-sign, this device is a light-pole");
		const board = checkOffer(offer("wrongBoard"), KEY, RUNNING);
		if (!board.ok) expect(board.reason).toBe("image is for board m5paper, this device is a generic");
		expect(board.ok).toBe(false);
	});

	it("refuses downgrades: older version, same version, lower security version", () => {
		const older = checkOffer(offer("older"), KEY, RUNNING);
		expect(older.ok).toBe(false);
		if (!older.ok) expect(older.reason).toContain("downgrade refused: 0.0.9 is older than the running 0.1.0");
		const same = checkOffer(offer("same"), KEY, RUNNING);
		if (!same.ok) expect(same.reason).toBe("0.1.0 is already running");
		expect(same.ok).toBe(false);
		const low = checkOffer(offer("lowSec"), KEY, RUNNING);
		if (!low.ok) expect(low.reason).toContain("security version 0 is below 1");
		expect(low.ok).toBe(false);
	});

	it("uses the highest security version ever confirmed on the device, not only the running one", () => {
		expect(checkOffer(offer("sec5"), KEY, RUNNING).ok).toBe(true);
		const v = checkOffer(offer("good"), KEY, { ...RUNNING, minSec: 5 });
		expect(v.ok).toBe(false);
		if (!v.ok) expect(v.reason).toContain("security version 1 is below 5");
	});

	it("refuses an image larger than the update partition", () => {
		const v = checkOffer(offer("tooBig"), KEY, { ...RUNNING, slotBytes: 0x100000 });
		expect(v.ok).toBe(false);
		if (!v.ok) expect(v.reason).toContain("does not fit");
	});
});
