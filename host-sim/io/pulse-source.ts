/*
 * A pulse source driving one board pin: a reed switch on a bike-counter
 * loop, an open-collector people counter, a vehicle detector's output.
 * Each pulse leaves the idle level for `widthMs` and comes back. A
 * mechanical contact also bounces: after the leading edge it opens and
 * closes `bounces` more times, `bounceMs` apart, before it settles. The
 * ESP32 PCNT glitch filter (≤ 1023 APB cycles ≈ 12.8 µs, ESP32 TRM §17)
 * cannot remove millisecond bounce, so each bounce is an extra count
 * unless the firmware debounces: the model exists to catch that.
 */
import type { BoardTime } from "./models";
import type { Level, SimPin } from "./pin";

export interface PulseSourceOptions {
	/** level between pulses @default 0 */
	idle?: Level;
	/** time away from idle per pulse, ms @default 5 */
	widthMs?: number;
	/** extra contact bounces after each leading edge @default 0 */
	bounces?: number;
	/** length of each bounce opening and closing, ms @default 0.2 */
	bounceMs?: number;
}

export class PulseSource {
	readonly pin: SimPin;
	/** Pulses emitted so far (each counted once, bounces excluded). */
	emitted = 0;
	#time: BoardTime;
	#idle: Level;
	#widthMs: number;
	#bounces: number;
	#bounceMs: number;
	#timers = new Set<number>();

	constructor(pin: SimPin, time: BoardTime, options: PulseSourceOptions = {}) {
		this.pin = pin;
		this.#time = time;
		this.#idle = options.idle ?? 0;
		this.#widthMs = options.widthMs ?? 5;
		this.#bounces = options.bounces ?? 0;
		this.#bounceMs = options.bounceMs ?? 0.2;
		if (!(this.#widthMs > 2 * this.#bounces * this.#bounceMs)) throw new RangeError("pulse width must exceed the bounce time");
		pin.drive(this.#idle);
	}

	/**
	 * Schedules `count` pulses, the first after `delayMs`, then one every
	 * `periodMs` (must exceed the pulse width). Advance the clock to see them.
	 */
	emit(count = 1, periodMs = 2 * this.#widthMs, delayMs = 0): void {
		if (!(periodMs > this.#widthMs)) throw new RangeError("period must exceed the pulse width");
		const active: Level = this.#idle ? 0 : 1;
		for (let i = 0; i < count; i++) {
			const t0 = delayMs + i * periodMs;
			this.#at(t0, () => {
				this.emitted++;
				this.pin.drive(active);
			});
			for (let k = 1; k <= this.#bounces; k++) {
				this.#at(t0 + (2 * k - 1) * this.#bounceMs, () => this.pin.drive(this.#idle));
				this.#at(t0 + 2 * k * this.#bounceMs, () => this.pin.drive(active));
			}
			this.#at(t0 + this.#widthMs, () => this.pin.drive(this.#idle));
		}
	}

	/** Cancels pulses not yet emitted and returns the line to idle. */
	stop(): void {
		for (const h of this.#timers) this.#time.cancel(h);
		this.#timers.clear();
		this.pin.drive(this.#idle);
	}

	#at(ms: number, fn: () => void): void {
		const h = this.#time.schedule(ms, () => {
			this.#timers.delete(h);
			fn();
		});
		this.#timers.add(h);
	}
}
