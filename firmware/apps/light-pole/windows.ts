/*
 * Aggregation windows of the light pole: only per-window aggregates leave
 * the device (README "Privacy").
 *
 * Windows are aligned to the wall clock once it is synced (a 5-minute window
 * ends at :00, :05, …, so windows from different poles line up for the
 * city's dashboards), and to ticks since boot before that. The first window
 * after boot or a change of length is partial; its true bounds are sent.
 * Bounds are epoch ms, or [boot, ticks] while unsynced, like record times.
 * Pure logic: runs on XS and Node.
 */
import type { WindowTime } from "../../contract/telemetry";

export interface WindowTimeSource {
	/** ms since boot */
	ticks(): number;
	/** epoch ms now, or undefined while the clock is unsynced */
	epoch(): number | undefined;
	bootCount: number;
}

/**
 * ms from now to the next window boundary. A boundary less than a tenth of
 * a window away is skipped (the window runs up to 1.1× long): after the
 * clock syncs or steps, alignment moves, and a sliver of a window would
 * only add a record with nothing in it.
 */
export function msToBoundary(time: WindowTimeSource, windowMs: number): number {
	const now = time.epoch() ?? time.ticks();
	const left = windowMs - (now % windowMs);
	return left < windowMs / 10 ? left + windowMs : left;
}

/** The record form of "now": epoch ms when synced, else [boot, ticks]. */
export function windowTime(time: WindowTimeSource): WindowTime {
	const e = time.epoch();
	return e === undefined ? [time.bootCount, Math.floor(time.ticks())] : Math.floor(e);
}

/** Running mean of one quantity over a window; empty → undefined (never 0, never NaN). */
export class Mean {
	#sum = 0;
	#n = 0;
	add(x: number): void {
		if (!Number.isFinite(x)) return;
		this.#sum += x;
		this.#n++;
	}
	get count(): number {
		return this.#n;
	}
	/** The mean, rounded to single precision (5 CBOR bytes, RFC 8949 §4.2.2), or undefined with no samples. */
	take(): number | undefined {
		const n = this.#n;
		const mean = n ? this.#sum / n : undefined;
		this.#sum = 0;
		this.#n = 0;
		return mean === undefined ? undefined : Math.fround(mean);
	}
}
