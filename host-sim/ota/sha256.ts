/*
 * SHA-256 in plain TypeScript (FIPS 180-4 §4.1.2, §5.1.1, §6.2), for the
 * simulated bootloader's image check and for Node tools that build sim images.
 * Runs on XS and Node alike: 32-bit words in an Int32Array, `>>> 0` only where
 * an unsigned value leaves the module. Streaming: update() any number of
 * times, then digest() once.
 *   https://nvlpubs.nist.gov/nistpubs/FIPS/NIST.FIPS.180-4.pdf
 */

// §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = Int32Array.from([
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// §5.3.3: initial hash value.
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

export class Sha256 {
	#h = Int32Array.from(H0);
	#w = new Int32Array(64);
	#block = new Uint8Array(64);
	#fill = 0;
	#length = 0; // bytes hashed so far (< 2^53, plenty for flash images)
	#done = false;

	/** Adds bytes to the message. @throws Error after digest() */
	update(bytes: Uint8Array): this {
		if (this.#done) throw new Error("sha256: update after digest");
		this.#length += bytes.length;
		let i = 0;
		if (this.#fill) {
			const n = Math.min(64 - this.#fill, bytes.length);
			this.#block.set(bytes.subarray(0, n), this.#fill);
			this.#fill += n;
			i = n;
			if (this.#fill < 64) return this;
			this.#compress(this.#block, 0);
			this.#fill = 0;
		}
		for (; i + 64 <= bytes.length; i += 64) this.#compress(bytes, i);
		if (i < bytes.length) {
			this.#block.set(bytes.subarray(i), 0);
			this.#fill = bytes.length - i;
		}
		return this;
	}

	/** Finishes the message (§5.1.1 padding) and returns the 32-byte hash. */
	digest(): Uint8Array {
		if (this.#done) throw new Error("sha256: digest called twice");
		const bits = this.#length * 8;
		const pad = new Uint8Array((this.#fill < 56 ? 56 : 120) - this.#fill + 8);
		pad[0] = 0x80;
		const view = new DataView(pad.buffer);
		view.setUint32(pad.length - 8, Math.floor(bits / 0x1_0000_0000));
		view.setUint32(pad.length - 4, bits >>> 0);
		this.update(pad);
		this.#done = true;
		const out = new Uint8Array(32);
		const o = new DataView(out.buffer);
		for (let j = 0; j < 8; j++) o.setUint32(j * 4, this.#h[j] >>> 0);
		return out;
	}

	// §6.2.2: one 512-bit block.
	#compress(m: Uint8Array, at: number): void {
		const w = this.#w;
		for (let t = 0; t < 16; t++) {
			const p = at + t * 4;
			w[t] = (m[p] << 24) | (m[p + 1] << 16) | (m[p + 2] << 8) | m[p + 3];
		}
		for (let t = 16; t < 64; t++) {
			const x = w[t - 15];
			const y = w[t - 2];
			const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
			const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
			w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
		}
		const h = this.#h;
		let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
		for (let t = 0; t < 64; t++) {
			const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
			const ch = (e & f) ^ (~e & g);
			const t1 = (k + S1 + ch + K[t] + w[t]) | 0;
			const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
			const maj = (a & b) ^ (a & c) ^ (b & c);
			const t2 = (S0 + maj) | 0;
			k = g;
			g = f;
			f = e;
			e = (d + t1) | 0;
			d = c;
			c = b;
			b = a;
			a = (t1 + t2) | 0;
		}
		h[0] = (h[0] + a) | 0;
		h[1] = (h[1] + b) | 0;
		h[2] = (h[2] + c) | 0;
		h[3] = (h[3] + d) | 0;
		h[4] = (h[4] + e) | 0;
		h[5] = (h[5] + f) | 0;
		h[6] = (h[6] + g) | 0;
		h[7] = (h[7] + k) | 0;
	}
}

/** SHA-256 of `bytes` (32 bytes). */
export function sha256(bytes: Uint8Array): Uint8Array {
	return new Sha256().update(bytes).digest();
}
