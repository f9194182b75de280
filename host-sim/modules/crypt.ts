/*
 * Host-sim `crypt`: the Digest class of Moddable's modules/crypt/digest
 * (crypt.js over modCrypt.c), SHA-256 only, in plain TypeScript.
 *   SHA-256: FIPS 180-4 §4.1.2 (functions), §4.2.2 (K), §5.1.1 (padding),
 *   §5.3.3 (H0), §6.2.2 (the hash computation).
 *   https://nvlpubs.nist.gov/nistpubs/FIPS/NIST.FIPS.180-4.pdf
 * Contract kept from the device: write()/update() take a string (hashed as
 * its UTF-8 bytes, as modCrypt.c hashes the C string) or a buffer: an
 * ArrayBuffer, or a byte view (Uint8Array, DataView…: only the view's
 * bytes); a wider typed array throws TypeError("invalid buffer") as the
 * device does. close() returns the digest as an ArrayBuffer, reset() starts
 * over, process(...) is reset + write each + close.
 * Differences, on purpose: any other algorithm name throws "crypt:
 * unsupported digest NAME" (the device also has MD5, SHA1, SHA224, SHA384
 * and SHA512, which Curbside does not use); write or close after close
 * throws until reset() (the device's native Digest keeps hashing onto a
 * finalized context there, a bug in the caller).
 * Speed: 32-bit words in an Int32Array, rotations as shift pairs (`>>>` by
 * ≥ 1 stays a small integer on XS), and whole 64-byte blocks read straight
 * from the caller's bytes; only a block split across writes is copied.
 */

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = Int32Array.of(
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

// FIPS 180-4 §5.3.3: the initial hash value.
const H0 = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/**
 * FIPS 180-4 §6.2.2: folds the 64-byte block at bytes[p] into state H, using W
 * for the message schedule. Eight rounds per loop pass with the working
 * variables' roles rotated instead of shifting a..h along (each round only
 * changes the variables that play d and h): about 15 % fewer XS computrons.
 * Per round, with the roles named as in the standard:
 *   T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t];  d += T1;  h = T1 + Σ0(a) + Maj(a, b, c)
 *   Σ1 = ROTR6 ^ ROTR11 ^ ROTR25, Σ0 = ROTR2 ^ ROTR13 ^ ROTR22 (§4.1.2 (4.4), (4.5));
 *   Ch = g ^ (e & (f ^ g)) and Maj = (a & b) | (c & (a | b)), equal to (4.2), (4.3) with fewer operations.
 */
function compress(H: Int32Array, W: Int32Array, bytes: Uint8Array, p: number): void {
	for (let t = 0; t < 16; t++, p += 4) W[t] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
	for (let t = 16; t < 64; t++) {
		const x = W[t - 15];
		const y = W[t - 2];
		// W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16]; σ0 = ROTR7 ^ ROTR18 ^ SHR3, σ1 = ROTR17 ^ ROTR19 ^ SHR10 (§4.1.2 (4.6), (4.7))
		W[t] = (W[t - 16] + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + W[t - 7] + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;
	}
	let a = H[0];
	let b = H[1];
	let c = H[2];
	let d = H[3];
	let e = H[4];
	let f = H[5];
	let g = H[6];
	let h = H[7];
	for (let t = 0; t < 64; t += 8) {
		h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[t] + W[t]) | 0;
		d = (d + h) | 0;
		h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
		g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + K[t + 1] + W[t + 1]) | 0;
		c = (c + g) | 0;
		g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0;
		f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + K[t + 2] + W[t + 2]) | 0;
		b = (b + f) | 0;
		f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0;
		e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + K[t + 3] + W[t + 3]) | 0;
		a = (a + e) | 0;
		e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0;
		d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + K[t + 4] + W[t + 4]) | 0;
		h = (h + d) | 0;
		d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0;
		c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + K[t + 5] + W[t + 5]) | 0;
		g = (g + c) | 0;
		c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0;
		b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + K[t + 6] + W[t + 6]) | 0;
		f = (f + b) | 0;
		b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0;
		a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + K[t + 7] + W[t + 7]) | 0;
		e = (e + a) | 0;
		a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0;
	}
	H[0] = (H[0] + a) | 0;
	H[1] = (H[1] + b) | 0;
	H[2] = (H[2] + c) | 0;
	H[3] = (H[3] + d) | 0;
	H[4] = (H[4] + e) | 0;
	H[5] = (H[5] + f) | 0;
	H[6] = (H[6] + g) | 0;
	H[7] = (H[7] + h) | 0;
}

/** UTF-8 bytes of a string, without TextEncoder (not on XS); lone surrogates become U+FFFD as TextEncoder does. */
function utf8(s: string): Uint8Array {
	const out: number[] = [];
	for (const ch of s) {
		let c = ch.codePointAt(0)!;
		if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
		if (c < 0x80) out.push(c);
		else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
		else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
		else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
	}
	return Uint8Array.from(out);
}

/**
 * The bytes of a write() argument, without copying a buffer. As the device's
 * _xsmcGetBuffer (xs/sources/xsmc.c): an ArrayBuffer, a typed array of 1-byte
 * elements or a DataView (the view's own bytes); anything else, a Uint16Array
 * included, is TypeError("invalid buffer").
 */
function bytesOf(data: unknown): Uint8Array {
	if (typeof data === "string") return utf8(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (data instanceof Uint8Array || data instanceof DataView || data instanceof Int8Array || data instanceof Uint8ClampedArray) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	throw new TypeError("invalid buffer");
}

/** What write() takes (Moddable's global BufferLike, spelled out: Node-side tools import this module too). */
type DigestInput = string | ArrayBuffer | ArrayBufferView;

export class Digest {
	#H = new Int32Array(8);
	#W = new Int32Array(64);
	/** the bytes of a block split across writes */
	#pending = new Uint8Array(BLOCK_BYTES);
	#fill = 0;
	/** message bytes so far; a Number is exact far beyond any image (2^53) */
	#length = 0;
	#closed = false;

	/** @param type "SHA256" (the only algorithm the host-sim implements); throws Error otherwise */
	constructor(type: string) {
		if (type !== "SHA256") throw new Error(`crypt: unsupported digest ${String(type)}`);
		this.reset();
	}

	get blockSize(): number {
		return BLOCK_BYTES;
	}

	get outputSize(): number {
		return DIGEST_BYTES;
	}

	reset(): void {
		this.#H.set(H0);
		this.#fill = 0;
		this.#length = 0;
		this.#closed = false;
	}

	/** Hashes a string's UTF-8 bytes or a buffer's bytes; throws TypeError("invalid buffer") for other values. */
	write(data: string | DigestInput): void {
		if (this.#closed) throw new Error("crypt: can't call digest write after close");
		const bytes = bytesOf(data);
		const H = this.#H;
		const W = this.#W;
		const n = bytes.length;
		let i = 0;
		if (this.#fill) {
			const take = Math.min(BLOCK_BYTES - this.#fill, n);
			this.#pending.set(bytes.subarray(0, take), this.#fill);
			this.#fill += take;
			i = take;
			if (this.#fill < BLOCK_BYTES) {
				this.#length += n;
				return;
			}
			compress(H, W, this.#pending, 0);
			this.#fill = 0;
		}
		for (; i + BLOCK_BYTES <= n; i += BLOCK_BYTES) compress(H, W, bytes, i);
		if (i < n) {
			this.#pending.set(bytes.subarray(i), 0);
			this.#fill = n - i;
		}
		this.#length += n;
	}

	update(data: string | DigestInput): void {
		this.write(data);
	}

	/** Pads (FIPS 180-4 §5.1.1) and returns the 32-byte digest; write/close then throw until reset(). */
	close(): ArrayBuffer {
		if (this.#closed) throw new Error("crypt: can't call digest close after close");
		this.#closed = true;
		const block = this.#pending;
		const H = this.#H;
		// A 1 bit, zeros to 56 mod 64, then the message length in bits as a 64-bit big-endian integer.
		block[this.#fill++] = 0x80;
		if (this.#fill > BLOCK_BYTES - 8) {
			block.fill(0, this.#fill);
			compress(H, this.#W, block, 0);
			this.#fill = 0;
		}
		block.fill(0, this.#fill, BLOCK_BYTES - 8);
		const high = Math.floor(this.#length / 0x2000_0000); // bits 32..63 of length × 8
		const low = (this.#length % 0x2000_0000) * 8; // bits 0..31
		const view = new DataView(block.buffer, block.byteOffset, BLOCK_BYTES);
		view.setUint32(BLOCK_BYTES - 8, high);
		view.setUint32(BLOCK_BYTES - 4, low);
		compress(H, this.#W, block, 0);
		const out = new ArrayBuffer(DIGEST_BYTES);
		const digest = new DataView(out);
		for (let i = 0; i < 8; i++) digest.setInt32(4 * i, H[i]);
		return out;
	}

	/** reset(), write() each argument, close(). */
	process(...data: (string | DigestInput)[]): ArrayBuffer {
		this.reset();
		for (const d of data) this.write(d);
		return this.close();
	}
}

export default Object.freeze({ Digest });
