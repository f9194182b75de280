/*
 * Wall-clock BridgeClock for interactive runs (`npm start`). Node only.
 * `setWallClock` models an SNTP step without moving ticks.
 */
import type { BridgeClock } from "./types";

export class RealClock implements BridgeClock {
	#start = performance.now();
	#offsetMs = 0;
	#next = 1;
	#timers = new Map<number, NodeJS.Timeout>();

	now(): number {
		return Date.now() + this.#offsetMs;
	}
	ticks(): number {
		return Math.floor(performance.now() - this.#start);
	}
	setWallClock(epochMs: number): void {
		this.#offsetMs = epochMs - Date.now();
	}
	schedule(ms: number, callback: () => void): number {
		const handle = this.#next++;
		const t = setTimeout(() => {
			this.#timers.delete(handle);
			callback();
		}, Math.max(0, ms));
		this.#timers.set(handle, t);
		return handle;
	}
	cancel(handle: number): void {
		clearTimeout(this.#timers.get(handle));
		this.#timers.delete(handle);
	}
	/** Blocks the thread like Timer.delay does on the device (keep it short). */
	delay(ms: number): void {
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
	}
	/** Cancels every pending timer (device shutdown). */
	cancelAll(): void {
		for (const t of this.#timers.values()) clearTimeout(t);
		this.#timers.clear();
	}
}
