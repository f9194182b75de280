/*
 * Device wall clock from the cloud. Each outbox ack echoes the batch's send
 * tick and carries the cloud's time, which is one NTP-style exchange
 * (RFC 5905 §8): the cloud's `now` is taken to correspond to the midpoint of
 * the round trip, so the error is at most half the round trip. A sample
 * replaces the current estimate when its round trip is shorter, or when the
 * estimate is older than `maxAgeMs` (drift). The time beacon (no round trip
 * known) only sets the clock while it is unsynced.
 * On sync the RTC is stepped through Moddable's `Time.set`, so Date.now()
 * and every later record carry real time.
 */
import Time from "time";

export interface ClockSyncOptions {
	/** re-sync even from a worse sample after this long @default 3_600_000 */
	maxAgeMs?: number;
	/** reject a sample whose round trip exceeds this @default 30_000 */
	maxRttMs?: number;
	/** steps the RTC; default Moddable's Time.set (seconds) */
	setClock?: (epochMs: number) => void;
	onSync?: (epochAtTick0: number, rttMs: number) => void;
}

export class ClockSync {
	#options: ClockSyncOptions;
	#t0: number | undefined;
	#rtt = Infinity;
	#at = 0;

	constructor(options: ClockSyncOptions = {}) {
		this.#options = options;
	}

	get synced(): boolean {
		return this.#t0 !== undefined;
	}

	/** Epoch ms at tick 0 of this boot, once synced. */
	get epochAtTick0(): number | undefined {
		return this.#t0;
	}

	/** Last accepted round trip, ms (Infinity before any). */
	get rttMs(): number {
		return this.#rtt;
	}

	/** Epoch ms now, or undefined while unsynced. */
	now(): number | undefined {
		return this.#t0 === undefined ? undefined : this.#t0 + Time.ticks;
	}

	/**
	 * One round-trip sample: sent at tick `txTicks`, answered with cloud time `serverNow`, received now.
	 * @returns true when the sample was applied
	 */
	sample(txTicks: number, serverNow: number): boolean {
		const rx = Time.ticks;
		const rtt = rx - txTicks;
		if (rtt < 0 || rtt > (this.#options.maxRttMs ?? 30_000)) return false;
		const stale = rx - this.#at > (this.#options.maxAgeMs ?? 3_600_000);
		if (this.#t0 !== undefined && rtt >= this.#rtt && !stale) return false;
		this.#apply(Math.round(serverNow - (txTicks + rtt / 2)), rtt, rx);
		return true;
	}

	/** A beacon without a round trip: used only while unsynced. */
	beacon(serverNow: number): boolean {
		if (this.#t0 !== undefined) return false;
		this.#apply(serverNow - Time.ticks, Infinity, Time.ticks);
		return true;
	}

	#apply(t0: number, rtt: number, at: number): void {
		this.#t0 = t0;
		this.#rtt = rtt;
		this.#at = at;
		const set = this.#options.setClock ?? ((ms: number) => Time.set(ms / 1000));
		set(t0 + at);
		this.#options.onSync?.(t0, rtt);
	}
}
