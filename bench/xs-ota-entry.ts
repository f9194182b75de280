/*
 * What the XS OTA crypto benchmark (tools/bench/ota-bench.ts) loads: the OTA
 * crypto port (firmware/ota/crypto.ts) over the host-sim crypt/ecdsa/curve/ecp
 * modules, a synthetic image, and the committed P-256 vectors
 * (tests/firmware/fixtures/ota-vectors.ts). Each step is a function on
 * globalThis.__bench so the runner meters one xsnap evaluation per step;
 * building the image is an evaluation of its own, in no figure.
 * Every pass over the image copies each chunk into one reused chunk buffer
 * first, as the OTA download hands the hasher a chunk at a time: the copy
 * pass alone is the baseline the others are measured against.
 */
import { crc32 } from "../firmware/net/outbox/crc32";
import { parsePublicKey, sha256, verifyP256, type Sha256Stream } from "../firmware/ota/crypto";
import { P256_SIGNATURES } from "../tests/firmware/fixtures/ota-vectors";

/** Set by the runner: image and chunk sizes in bytes. */
declare const __OTA_BENCH__: { imageBytes: number; chunkBytes: number };

const { imageBytes, chunkBytes } = __OTA_BENCH__;

function unhex(s: string): Uint8Array {
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
	return out;
}
const hex = (b: Uint8Array): string => Array.from(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");

const vectors = P256_SIGNATURES.map((v) => ({ key: unhex(v.key), digest: unhex(v.digest), signature: unhex(v.signature) }));
/** The first vector's key with y + 1: passes the length and range checks, fails on the curve check. */
const offCurveKey = vectors[0].key.slice();
offCurveKey[64] ^= 1;

let image = new Uint8Array(0);
const chunk = new Uint8Array(chunkBytes);
let digestHex = "";
let crc = 0;
/** A stream held open between evaluations, for the heap reading. */
let held: Sha256Stream | undefined;

(globalThis as Record<string, unknown>).__bench = {
	/** Builds the image: byte i = the top byte of (i + 1) × 0x9E3779B1 mod 2^32 (ota-bench.ts builds the same bytes on Node). */
	prepare() {
		image = new Uint8Array(imageBytes);
		for (let i = 0; i < imageBytes; i++) image[i] = Math.imul(i + 1, 0x9e3779b1) >>> 24;
	},
	/** An evaluation that does nothing: the metering overhead subtracted from the others. */
	idle() {},
	/** Baseline: the chunk copies alone. */
	copy() {
		for (let at = 0; at < imageBytes; at += chunkBytes) chunk.set(image.subarray(at, at + chunkBytes));
	},
	/** Baseline: the chunk copies and a CRC-32 per chunk (the outbox's table CRC, a JS per-byte loop). */
	crc() {
		for (let at = 0; at < imageBytes; at += chunkBytes) {
			chunk.set(image.subarray(at, at + chunkBytes));
			crc ^= crc32(chunk);
		}
	},
	/** The chunk copies and SHA-256 over them, as the OTA download hashes while it streams. */
	hash() {
		const h = sha256();
		for (let at = 0; at < imageBytes; at += chunkBytes) {
			chunk.set(image.subarray(at, at + chunkBytes));
			h.write(chunk);
		}
		digestHex = hex(h.close());
	},
	digest: () => digestHex,
	/** verifyP256 of vector i; throws if it does not verify. */
	verify(i: number) {
		const v = vectors[i];
		if (!verifyP256(v.key, v.digest, v.signature)) throw new Error(`ota bench: vector ${i} did not verify`);
	},
	/** verifyP256 that stops at the key's on-curve check: the port's own range and curve checks. */
	guards() {
		const v = vectors[0];
		if (verifyP256(offCurveKey, v.digest, v.signature)) throw new Error("ota bench: an off-curve key verified");
	},
	/** parsePublicKey of vector 0's hex (hex decoding and the on-curve check), as at boot. */
	parseKey() {
		parsePublicKey(P256_SIGNATURES[0].key);
	},
	/** Opens a stream and writes one chunk (so it holds a partial state), kept until release(). */
	hold() {
		held = sha256();
		held.write(chunk.subarray(0, chunkBytes - 1));
	},
	release() {
		held = undefined;
	},
	vectors: () => vectors.length,
};
