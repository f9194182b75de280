/*
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter", 2015): delay = random(0, min(cap, base * 2^attempt)).
 * Full jitter spreads a fleet's reconnects after a broker restart instead of
 * having every sign on a street retry in the same second.
 */

export class Backoff {
	readonly minMs: number;
	readonly maxMs: number;
	#attempt = 0;
	#random: () => number;

	/**
	 * @param minMs base delay in ms (the first retry waits up to this)
	 * @param maxMs cap in ms
	 * @param random source in [0, 1); injectable for tests
	 */
	constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
		if (!(minMs > 0) || !(maxMs >= minMs)) throw new RangeError(`backoff: need 0 < minMs <= maxMs, got ${minMs}, ${maxMs}`);
		this.minMs = minMs;
		this.maxMs = maxMs;
		this.#random = random;
	}
	/** Attempts since the last success. */
	get attempt(): number {
		return this.#attempt;
	}
	/** The ceiling for the next delay, in ms. */
	ceilingMs(): number {
		// 2^attempt overflows nothing here: the cap is reached within ~20 attempts.
		return Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#attempt, 30));
	}
	/** Next delay in ms, and counts the attempt. Never below 1/10 of minMs so a loop can't spin. */
	next(): number {
		const ceiling = this.ceilingMs();
		this.#attempt++;
		return Math.max(Math.floor(this.minMs / 10), Math.floor(this.#random() * ceiling));
	}
	reset(): void {
		this.#attempt = 0;
	}
}
