// Node-only cross-check of the OTA crypto port (firmware/ota/crypto.ts over
// the host-sim crypt/ecdsa/curve/ecp modules) against node:crypto (OpenSSL):
// fresh random keys, messages and signatures on every run, so it explores
// beyond the committed vectors of ota-crypto.test.ts. Not run on XS (node:crypto).
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parsePublicKey, sha256, verifyP256 } from "../../firmware/ota/crypto";

const SIGNATURES = 200;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function rawPublicKey(publicKey: ReturnType<typeof generateKeyPairSync>["publicKey"]): Uint8Array {
	const jwk = publicKey.export({ format: "jwk" });
	return new Uint8Array(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]));
}

describe("verifyP256 vs node:crypto", () => {
	it(`accepts ${SIGNATURES} fresh OpenSSL signatures (and their high-s twins), rejects them on another message`, () => {
		let highS = 0;
		for (let i = 0; i < SIGNATURES; i++) {
			const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
			const key = rawPublicKey(publicKey);
			expect(parsePublicKey(Buffer.from(key).toString("hex"))).toEqual(key);
			const message = randomBytes(1 + (i % 300));
			const signature = new Uint8Array(sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" }));
			const digest = new Uint8Array(createHash("sha256").update(message).digest());
			const context = `#${i}: key ${Buffer.from(key).toString("hex")} sig ${Buffer.from(signature).toString("hex")}`;
			expect(verifyP256(key, digest, signature), context).toBe(true);
			const s = BigInt("0x" + Buffer.from(signature.subarray(32)).toString("hex"));
			if (s > N / 2n) highS++;
			const twin = signature.slice();
			twin.set(Buffer.from((N - s).toString(16).padStart(64, "0"), "hex"), 32);
			expect(verifyP256(key, digest, twin), context).toBe(true);
			const other = new Uint8Array(createHash("sha256").update(Buffer.concat([message, Buffer.of(i)])).digest());
			expect(verifyP256(key, other, signature), context).toBe(false);
		}
		// OpenSSL does not normalise s: both halves must have been exercised.
		expect(highS).toBeGreaterThan(0);
		expect(highS).toBeLessThan(SIGNATURES);
	});
});

describe("sha256 vs node:crypto", () => {
	it("random messages of 0..2000 bytes in random pieces", () => {
		for (let i = 0; i < 300; i++) {
			const message = randomBytes(Math.floor(Math.random() * 2001));
			const h = sha256();
			for (let at = 0; at < message.length; ) {
				const n = Math.min(message.length - at, Math.floor(Math.random() * 150));
				h.write(message.subarray(at, at + n));
				at += n;
			}
			expect(Buffer.from(h.close()).toString("hex")).toBe(createHash("sha256").update(message).digest("hex"));
		}
	});
});
