/*
 * One parking bay, sensed by an inductive loop detector's presence output
 * on a Digital input (ECMA-419 2nd ed. §9.2): a Nortech/Siemens-style
 * detector's presence relay or open-collector output, active while a
 * vehicle is over the loop. Typical detector figures (Nortech TD136 user
 * manual §2.1): response ~60 ms on and off; presence either permanent or
 * limited (the detector retunes a long stay out after minutes to an hour);
 * "fail-safe" outputs show presence when unpowered, "fail-secure" ones show
 * none (Nortech PD27x manual §4.3).
 * https://www.nortechcontrol.com/ (TD136: 301UM0031, PD27x: 307UM0200)
 *
 *   const bay = new BaySensor({ input: { io: device.io.Digital, pin: 36 }, ticks: () => Time.ticks,
 *                               onChange: (occupied, since) => … });
 *   Timer.repeat(() => bay.poll(), 1000);
 *
 * Reports only changes of the believed state (`onChange`); `read()` gives
 * it: true occupied, false free, undefined unknown (before the first
 * settle, and while flapping).
 *
 * Settle filter: a level must hold `settleMs` (default 2 s) before it is
 * believed, so a car driving over the bay or a trolley or bicycle crossing
 * the loop does not flip it. `sinceTicks` in `onChange` is when that level
 * began (the vehicle arrived), not when it was confirmed. The driver has
 * no timer (it must not import `timer`; it runs on the simulator's virtual
 * clock), so a level is confirmed when the next edge arrives, or when the
 * app calls `poll()` (or `read()`): call `poll()` every second or so, and
 * a state change is reported within settleMs + the poll period.
 *
 * Faults:
 *   - flapping: more than `maxChangesPerMinute` changes in any 60 s (a
 *     damaged loop feeder, crosstalk between adjacent loops on the same
 *     frequency, a detector relay failing) → DriverError "BaySensor
 *     flapping …", and the state is unknown until the line has held still
 *     for `settleMs` and the changes of the last 60 s are back within the
 *     limit. The settled state is then reported through `onChange` even if
 *     it equals the last one, so the app can clear its fault. Changes closer
 *     than 20 ms (relay contact bounce) count once;
 *   - stuck: with `stuckMs` set, a state held that long is reported once by
 *     `poll()` as DriverError "BaySensor output stuck …" (the state is kept:
 *     a long stay is legal, the cloud decides). Off by default.
 * Errors raised in the interrupt callback go to `onError` (thrown from the
 * callback without one); `poll()` throws without one.
 */
import type Digital from "embedded:io/digital";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type DigitalMode = ConstructorParameters<typeof Digital>[0]["mode"];

/** A Digital input descriptor, e.g. `{ ...device.Digital.default, io: device.io.Digital, pin: 36 }`. */
export interface BayInput {
	/** the Digital class, e.g. device.io.Digital */
	io: typeof Digital;
	/** GPIO */
	pin: number;
	/** @default InputPullUp when activeLow (open collector, relay to ground), else Input */
	mode?: DigitalMode;
}

export interface BaySensorOptions {
	input: BayInput;
	/** ms since boot */
	ticks: () => number;
	/** the output is low while a vehicle is present (open collector / relay to ground) @default true */
	activeLow?: boolean;
	/** a level must hold this long before it is believed, ms @default 2000 */
	settleMs?: number;
	/** more changes than this in any 60 s is flapping @default 10 */
	maxChangesPerMinute?: number;
	/** a believed state held this long is reported as stuck by `poll()`; 0 disables, ms @default 0 */
	stuckMs?: number;
	/** The believed state changed: occupied or free since `sinceTicks` (ms). */
	onChange?: (occupied: boolean, sinceTicks: number) => void;
	onError?: (error: DriverError) => void;
}

export type BayStatus = "occupied" | "free" | "unknown";

const WINDOW_MS = 60_000;
/** Changes closer than this are one change (relay contact bounce). */
const BOUNCE_MS = 20;

export class BaySensor {
	#digital: Digital | undefined;
	#closed = false;
	#ticks: () => number;
	#activeLevel: 0 | 1;
	#settleMs: number;
	#maxChanges: number;
	#stuckMs: number;
	#onChange: ((occupied: boolean, sinceTicks: number) => void) | undefined;
	#onError: ((error: DriverError) => void) | undefined;
	/** the line as last read */
	#raw = false;
	#rawSince = 0;
	#believed: boolean | undefined;
	#believedSince: number | undefined;
	#reported: boolean | undefined;
	#flapping = false;
	#stuckReported = false;
	#changes: number[] = [];
	#lastCounted = -Infinity;

	/**
	 * Opens the input and reads the line. The state is unknown until it has held `settleMs`.
	 * @throws ConfigError on bad options; DriverError naming the pin if the input cannot be opened
	 */
	constructor(options: BaySensorOptions) {
		if (!options || typeof options !== "object") throw new ConfigError("options", "BaySensor options required");
		const input = options.input;
		if (!input || typeof input.io !== "function") throw new ConfigError("input", "BaySensor input must be a Digital descriptor");
		if (typeof options.ticks !== "function") throw new ConfigError("ticks", "BaySensor ticks must be a function returning ms");
		const settleMs = options.settleMs ?? 2000;
		if (typeof settleMs !== "number" || !(settleMs >= 0) || !Number.isFinite(settleMs)) throw new ConfigError("settleMs", "BaySensor settleMs must be a finite number ≥ 0");
		const maxChanges = options.maxChangesPerMinute ?? 10;
		if (!Number.isInteger(maxChanges) || maxChanges < 2) throw new ConfigError("maxChangesPerMinute", "BaySensor maxChangesPerMinute must be an integer ≥ 2");
		const stuckMs = options.stuckMs ?? 0;
		if (typeof stuckMs !== "number" || !(stuckMs >= 0) || !Number.isFinite(stuckMs)) throw new ConfigError("stuckMs", "BaySensor stuckMs must be a finite number ≥ 0");
		if (options.onChange !== undefined && typeof options.onChange !== "function") throw new ConfigError("onChange", "BaySensor onChange must be a function");
		if (options.onError !== undefined && typeof options.onError !== "function") throw new ConfigError("onError", "BaySensor onError must be a function");
		this.#ticks = options.ticks;
		this.#settleMs = settleMs;
		this.#maxChanges = maxChanges;
		this.#stuckMs = stuckMs;
		this.#onChange = options.onChange;
		this.#onError = options.onError;
		const activeLow = options.activeLow ?? true;
		this.#activeLevel = activeLow ? 0 : 1;
		const IO = input.io;
		let digital: Digital;
		try {
			digital = new IO({
				pin: input.pin,
				mode: input.mode ?? (activeLow ? IO.InputPullUp : IO.Input),
				edge: IO.Rising | IO.Falling,
				onReadable: () => this.#onEdge(),
			});
		} catch (e) {
			throw this.#error(`cannot open Digital on pin ${input.pin}`, e);
		}
		try {
			this.#raw = digital.read() === this.#activeLevel;
		} catch (e) {
			digital.close();
			throw this.#error(`cannot read pin ${input.pin}`, e);
		}
		this.#rawSince = options.ticks();
		this.#digital = digital;
	}

	/** The believed state after settling: true occupied, false free, undefined unknown. May fire onChange. @throws DriverError when closed */
	read(): boolean | undefined {
		this.#check();
		this.#settle(this.#ticks());
		return this.#believed;
	}

	/** The believed state in the contract's words (ParkingSpot.status). @throws DriverError when closed */
	get status(): BayStatus {
		const s = this.read();
		return s === undefined ? "unknown" : s ? "occupied" : "free";
	}

	/** Ticks (ms) when the believed state began; undefined while unknown. */
	get sinceTicks(): number | undefined {
		return this.#believed === undefined ? undefined : this.#believedSince;
	}

	/** True while the output is flapping (state unknown). */
	get flapping(): boolean {
		return this.#flapping;
	}

	/**
	 * Periodic check (about every second): confirms a level that has held
	 * `settleMs` (firing onChange) and reports a stuck output.
	 * @throws DriverError for a stuck output (unless `onError` was given), or when closed
	 */
	poll(): void {
		this.#check();
		const now = this.#ticks();
		this.#settle(now);
		if (!this.#stuckMs || this.#believed === undefined || this.#stuckReported) return;
		const heldMs = now - this.#believedSince!;
		if (heldMs >= this.#stuckMs) {
			this.#stuckReported = true;
			this.#report(this.#error(`output stuck ${this.#believed ? "occupied" : "free"} for ${Math.round(heldMs)} ms`));
		}
	}

	/** Releases the input. Safe to call twice; no callback runs after it. */
	close(): void {
		this.#closed = true;
		const digital = this.#digital;
		this.#digital = undefined;
		digital?.close();
	}

	/** Digital callback (both edges, coalesced). */
	#onEdge(): void {
		const digital = this.#digital;
		if (!digital) return;
		let occupied: boolean;
		let now: number;
		try {
			occupied = digital.read() === this.#activeLevel;
			now = this.#ticks();
		} catch (e) {
			this.#report(this.#error("cannot read the input", e));
			return;
		}
		// Did the level before this edge hold long enough to be believed?
		this.#settle(now);
		// Same level as before: two edges came together (a blip), still a change.
		this.#raw = occupied;
		this.#rawSince = now;
		this.#changed(now);
		// With settleMs 0 the new level is believed at once (a no-op otherwise).
		this.#settle(now);
	}

	/** Counts a change for the flapping check. */
	#changed(now: number): void {
		if (now - this.#lastCounted < BOUNCE_MS) return;
		this.#lastCounted = now;
		this.#changes.push(now);
		if (this.#recentChanges(now) <= this.#maxChanges || this.#flapping) return;
		this.#flapping = true;
		this.#believed = undefined;
		this.#report(this.#error(`flapping: ${this.#changes.length} changes in ${WINDOW_MS / 1000} s (limit ${this.#maxChanges})`));
	}

	#recentChanges(now: number): number {
		const c = this.#changes;
		while (c.length && now - c[0] >= WINDOW_MS) c.shift();
		// Only the count matters once over the limit: bound the memory.
		if (c.length > this.#maxChanges + 1) c.splice(0, c.length - this.#maxChanges - 1);
		return c.length;
	}

	/** Believes the line's level if it has held settleMs by `now`. */
	#settle(now: number): void {
		if (now - this.#rawSince < this.#settleMs) return;
		let recovered = false;
		if (this.#flapping) {
			if (this.#recentChanges(now) > this.#maxChanges) return;
			this.#flapping = false;
			recovered = true;
		}
		if (this.#believed === this.#raw && !recovered) return;
		this.#believed = this.#raw;
		this.#believedSince = this.#rawSince;
		this.#stuckReported = false;
		if (this.#reported === this.#raw && !recovered) return;
		this.#reported = this.#raw;
		this.#onChange?.(this.#raw, this.#rawSince);
	}

	#report(error: DriverError): void {
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	#check(): void {
		if (this.#closed) throw this.#error("closed");
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`BaySensor ${message}`, cause === undefined ? undefined : { cause });
	}
}

export default BaySensor;
