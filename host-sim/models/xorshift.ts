/*
 * xorshift32 (Marsaglia, "Xorshift RNGs", J. Stat. Softw. 8(14), 2003, the
 * 13/17/5 triple): the one PRNG of the peripheral models, so noise, garbage
 * and chatter are the same on every host and every run with the same seed.
 */

/** The next state after `state` (a non-zero u32); also the next random u32. */
export function xorshift32(state: number): number {
	let x = state;
	x ^= x << 13;
	x ^= x >>> 17;
	x ^= x << 5;
	return x >>> 0;
}
