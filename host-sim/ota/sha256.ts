/*
 * SHA-256 for the simulated bootloader and image tools (esp_image_verify's
 * appended hash, ESP-IDF esp_image_format.h): a byte-oriented face over the
 * one SHA-256 of the host simulator, the `Digest` of host-sim/modules/crypt.ts
 * (FIPS 180-4). Device-safe: no Node built-ins, so it also runs on XS.
 */
import { Digest } from "../modules/crypt";

export class Sha256 {
	#digest = new Digest("SHA256");

	/** Adds bytes to the message. @throws Error after digest() */
	update(bytes: Uint8Array): this {
		this.#digest.write(bytes);
		return this;
	}

	/** The 32-byte digest; the object can't be updated after. */
	digest(): Uint8Array {
		return new Uint8Array(this.#digest.close());
	}
}

/** SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
	return new Sha256().update(bytes).digest();
}
