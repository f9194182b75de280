/*
 * Moddable's `crypt` digest module (modules/crypt/digest/crypt.js over
 * modCrypt.c; manifest $(MODULES)/crypt/digest/manifest.json), declared as
 * the SDK's own typings/crypt.d.ts declares it: mcconfig's tsc resolves
 * "crypt" to that SDK file (its typings come first), not to this one, so
 * this file states exactly the same API and CI type-checks what the device
 * build will. (@moddable/typings 5.6.0 has no crypt.)
 * Behaviour the typings do not say: write()/update() also read a byte view
 * (Uint8Array, DataView: xsmc.c _xsmcGetBuffer) and throw TypeError("invalid
 * buffer") for wider typed arrays; a string is hashed as its UTF-8 bytes.
 * The host-sim (host-sim/modules/crypt.ts) implements SHA256 only.
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
export type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

export class Digest {
	/** Throws for an unknown name. */
	constructor(type: DigestType);
	write(message: string | ArrayBuffer): void;
	/** Finishes and returns the digest (outputSize bytes). */
	close(): ArrayBuffer;
	/** Starts a new message. */
	reset(): void;
	/** bytes per block: 64 for SHA256 */
	get blockSize(): number;
	/** bytes of the digest: 32 for SHA256 */
	get outputSize(): number;
	update(message: string | ArrayBuffer): void;
}
