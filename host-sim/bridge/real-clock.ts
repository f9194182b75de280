/*
 * Wall-clock BridgeClock for interactive runs (`npm start`) and for tests
 * against real brokers. `speed` > 1 runs device time faster than real time
 * (a partition of several device-minutes in seconds), while sockets stay
 * real; the network layer scales MQTT keepalive by the same factor.
 * `setWallClock` models an SNTP step without moving ticks. Node only.
 */
import type { BridgeClock } from "./types";

export class RealClock implements BridgeClock {
	readonly speed: number;
	#start = performance.now();
	#epochAtStart = Date.now();
	#offsetMs = 0;
	#next = 1;
	#timers = new Map<number, NodeJS.Timeout>();

	/** @param speed device ms per real ms (default 1) */
	constructor(options: { speed?: number } = {}) {
		const speed = options.speed ?? 1;
		if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError("clock speed must be a positive number");
		this.speed = speed;
	}

	now(): number {
		return Math.floor(this.#epochAtStart + this.ticks() + this.#offsetMs);
	}
	ticks(): number {
		return Math.floor((performance.now() - this.#start) * this.speed);
	}
	setWallClock(epochMs: number): void {
		this.#offsetMs = epochMs - (this.#epochAtStart + this.ticks());
	}
	schedule(ms: number, callback: () => void): number {
		const handle = this.#next++;
		const t = setTimeout(
			() => {
				this.#timers.delete(handle);
				callback();
			},
			Math.max(0, ms) / this.speed,
		);
		this.#timers.set(handle, t);
		return handle;
	}
	cancel(handle: number): void {
		clearTimeout(this.#timers.get(handle));
		this.#timers.delete(handle);
	}
	/** Blocks the thread like Timer.delay does on the device (keep it short). */
	delay(ms: number): void {
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms) / this.speed);
	}
	/** Cancels every pending timer (device shutdown). */
	cancelAll(): void {
		for (const t of this.#timers.values()) clearTimeout(t);
		this.#timers.clear();
	}
}
