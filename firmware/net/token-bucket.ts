/*
 * Outgoing rate limit: a token bucket over bytes (RFC 2697's single-rate
 * idea: a steady rate plus a bounded burst). After a long partition the
 * backlog drains at `ratePerS` instead of hitting a cellular link, the
 * broker and the cloud all at once — one device is gentle, a thousand
 * reconnecting together are what floods.
 * Time comes from the caller (ms ticks) so it runs on any host and in tests.
 */
/** The device's burst for a configured rate: four seconds' worth, at least 4 KB (one full batch of typical records). */
export function burstFor(bytesPerS: number): number {
	return Math.max(4 * 1024, bytesPerS * 4);
}

export class TokenBucket {
	readonly ratePerS: number;
	readonly burst: number;
	#tokens: number;
	#last: number;

	/** @param ratePerS bytes per second; @param burst bucket size in bytes; @param now ticks in ms */
	constructor(ratePerS: number, burst: number, now: number) {
		if (!(ratePerS > 0) || !(burst > 0)) throw new RangeError("token bucket: rate and burst must be positive");
		this.ratePerS = ratePerS;
		this.burst = burst;
		this.#tokens = burst;
		this.#last = now;
	}

	#refill(now: number): void {
		const elapsed = Math.max(0, now - this.#last);
		this.#last = now;
		this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerS) / 1000);
	}

	/** Takes `n` tokens if available. A cost above the burst is allowed from a full bucket, so no message is unsendable. */
	take(n: number, now: number): boolean {
		this.#refill(now);
		if (this.#tokens >= Math.min(n, this.burst)) {
			this.#tokens -= n;
			return true;
		}
		return false;
	}

	/** Takes `n` tokens regardless (control traffic): the debt delays bulk traffic instead. */
	force(n: number, now: number): void {
		this.#refill(now);
		this.#tokens -= n;
	}

	/** ms until `n` tokens are available (0 if now). */
	waitMs(n: number, now: number): number {
		this.#refill(now);
		const need = Math.min(n, this.burst) - this.#tokens;
		return need <= 0 ? 0 : Math.ceil((need * 1000) / this.ratePerS);
	}
}
