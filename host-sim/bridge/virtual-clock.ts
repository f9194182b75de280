/*
 * Deterministic virtual clock for the host simulator and XS test runs.
 * Time only moves when a runner calls `advance`; timers fire in due-time
 * order, ties in scheduling order, so a 24-hour run is repeatable to the
 * millisecond on every host. Pure TypeScript: runs on Node and on XS.
 */
import type { BridgeClock } from "./types";

interface Pending {
	handle: number;
	due: number;
	callback: () => void;
}

export class VirtualClock implements BridgeClock {
	#epochMs: number;
	#ticksMs = 0;
	#next = 1;
	#pending: Pending[] = [];

	/** @param epochMs wall-clock time at tick 0 (default 2026-01-01T00:00:00Z) */
	constructor(epochMs = 1_767_225_600_000) {
		this.#epochMs = epochMs;
	}
	now(): number {
		return this.#epochMs + this.#ticksMs;
	}
	ticks(): number {
		return this.#ticksMs;
	}
	/** Sets wall time without moving ticks, like an SNTP step. */
	setWallClock(epochMs: number): void {
		this.#epochMs = epochMs - this.#ticksMs;
	}
	schedule(ms: number, callback: () => void): number {
		const handle = this.#next++;
		const due = this.#ticksMs + Math.max(0, ms);
		// Insert keeping order by (due, handle): stable for equal due times.
		let i = this.#pending.length;
		while (i > 0 && this.#pending[i - 1].due > due) i--;
		this.#pending.splice(i, 0, { handle, due, callback });
		return handle;
	}
	cancel(handle: number): void {
		const i = this.#pending.findIndex((p) => p.handle === handle);
		if (i >= 0) this.#pending.splice(i, 1);
	}
	delay(ms: number): void {
		this.#ticksMs += Math.max(0, ms);
	}
	/** Tick time of the next due timer, or undefined when idle. */
	nextDue(): number | undefined {
		return this.#pending[0]?.due;
	}
	get pendingCount(): number {
		return this.#pending.length;
	}
	/**
	 * Moves time forward by `ms`, firing every timer that falls due on the way.
	 * A callback that throws does not stop the clock; the error is handed to `onError`.
	 * @returns the number of callbacks fired
	 */
	advance(ms: number, onError?: (e: unknown) => void): number {
		const end = this.#ticksMs + ms;
		let fired = 0;
		while (this.#pending.length && this.#pending[0].due <= end) {
			const p = this.#pending.shift()!;
			this.#ticksMs = Math.max(this.#ticksMs, p.due);
			fired++;
			try {
				p.callback();
			} catch (e) {
				if (onError) onError(e);
				else throw e;
			}
		}
		this.#ticksMs = Math.max(this.#ticksMs, end);
		return fired;
	}
}
