/*
 * Counter bookkeeping between drivers and windows, so that no count is lost:
 *   - at a window's end the counts since the last window are taken from the
 *     driver and recorded in the outbox (flash) in the same turn;
 *   - when a counter fails and its driver is closed mid-window, its counts so
 *     far are harvested first and carried into the window;
 *   - on an orderly stop (reboot command, OTA, shutdown) the partial window
 *     is recorded before the drivers close.
 * What remains at risk is a power cut mid-window: the counts of that window
 * so far are in RAM only (at most `windowMs` of counting; README "Light
 * pole"). Pure logic: runs on XS and Node.
 */

/** Crossings or pulses by direction. */
export interface DirectedCounts {
	towards: number;
	away: number;
	/** one beam only: a person passed, direction unknown */
	unknown: number;
}

/** Counts carried for one counter: what the driver has not given us yet plus what it gave. */
export class CountCarry {
	towards = 0;
	away = 0;
	unknown = 0;
	/** all counts ever carried since boot (for the summary and tests) */
	total = 0;

	add(c: Partial<DirectedCounts>): void {
		const t = c.towards ?? 0;
		const a = c.away ?? 0;
		const u = c.unknown ?? 0;
		this.towards += t;
		this.away += a;
		this.unknown += u;
		this.total += t + a + u;
	}

	/** The counts of the window, reset to zero. */
	take(): DirectedCounts {
		const out = { towards: this.towards, away: this.away, unknown: this.unknown };
		this.towards = this.away = this.unknown = 0;
		return out;
	}
}

/** Share of a window a detector was occupied, from 1 Hz samples of its level (an unbiased estimate). */
export class OccupancySampler {
	#on = 0;
	#n = 0;
	add(occupied: boolean): void {
		this.#n++;
		if (occupied) this.#on++;
	}
	/** 0..1 rounded to 3 decimals, or undefined without samples. */
	take(): number | undefined {
		const r = this.#n ? Math.round((1000 * this.#on) / this.#n) / 1000 : undefined;
		this.#on = this.#n = 0;
		return r;
	}
}
