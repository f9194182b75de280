/*
 * A per-device view of a shared clock: it remembers the timers its device
 * scheduled so a power cut or restart can cancel exactly those, as a reset
 * would on the board, while other devices on the same clock keep running.
 */
import type { BridgeClock } from "./bridge/types";

export class DeviceClock implements BridgeClock {
	#base: BridgeClock & { setWallClock?: (ms: number) => void };
	#handles = new Set<number>();
	#bootTicks: number;
	#dead = false;

	constructor(base: BridgeClock) {
		this.#base = base;
		this.#bootTicks = base.ticks();
	}
	now(): number {
		return this.#base.now();
	}
	/** ms since this device booted */
	ticks(): number {
		return this.#base.ticks() - this.#bootTicks;
	}
	setWallClock(ms: number): void {
		this.#base.setWallClock?.(ms);
	}
	schedule(ms: number, callback: () => void): number {
		if (this.#dead) return 0;
		const handle = this.#base.schedule(ms, () => {
			this.#handles.delete(handle);
			callback();
		});
		this.#handles.add(handle);
		return handle;
	}
	cancel(handle: number): void {
		this.#handles.delete(handle);
		this.#base.cancel(handle);
	}
	delay(ms: number): void {
		this.#base.delay(ms);
	}
	/** Power is gone: cancel everything and refuse new timers from the dead realm. */
	kill(): void {
		this.#dead = true;
		this.cancelAll();
	}
	/** Cancels everything this device scheduled (reset). */
	cancelAll(): void {
		for (const h of this.#handles) this.#base.cancel(h);
		this.#handles.clear();
	}
}
