/*
 * Pulse counter for one input: an IR beam's output, a reed contact, an
 * open-collector people or vehicle counter, a loop detector's pulse output.
 * Inputs: ECMA-419 Digital (ECMA-419 2nd ed. §9.2) with edge interrupts, or
 * ECMA-419 PulseCount (§9.8) on the ESP32 PCNT (ESP32 TRM §17 "Pulse Count
 * Controller"), https://www.espressif.com/sites/default/files/documentation/esp32_technical_reference_manual_en.pdf
 *
 *   new PulseCounter({ input: { io: device.io.Digital, pin: 34 }, ticks: () => Time.ticks })
 *   new PulseCounter({ counter: { io: device.io.PulseCount, signal: 35 } })
 *
 * `read()` is the running total since construction (a JS number: exact to
 * 2^53, never wraps); `take()` returns the pulses since the previous take
 * and starts the next window, while the total keeps running, so nothing is
 * lost between aggregation windows.
 *
 * Why a software debounce. A contact bounces for ~0.1–5 ms after it closes
 * (and often when it opens). The PCNT glitch filter takes at most 1023 APB
 * cycles ≈ 12.8 µs (TRM §17.2, PCNT_FILTER_THRES_Un), so every millisecond
 * bounce is an extra count in hardware. Only clean electronic outputs
 * (open-collector transistors, a loop detector's solid-state output) may
 * use the `counter` (PCNT) mode; anything with a contact or a noisy
 * threshold uses `input` mode and this debounce.
 *
 * Which debounce. Two common ways:
 *   - require stability before an edge counts (ESPHome's software
 *     pulse_counter: an edge closer than `internal_filter` to the previous
 *     edge of any kind is discarded and restarts the quiet period; debouncers
 *     built on a timer confirm a level after it held N ms);
 *   - count the leading edge at once, then ignore the line for a lockout
 *     (Tasmota's CounterDebounce: an edge counts only if more than the
 *     debounce time has passed since the last counted one).
 * This driver has no timer (it must not import `timer`: it runs on the
 * simulator's virtual clock), so it can only judge stability when the next
 * edge arrives; confirming "held for debounceMs" would leave the last pulse
 * of a burst uncounted until some later edge, possibly hours later. So it
 * counts the leading edge immediately and locks out for `debounceMs`:
 *   - an active level seen outside a lockout counts one pulse and starts a
 *     lockout (leading-edge bounce falls inside it);
 *   - the line returning to idle outside a lockout starts a lockout too, so
 *     bounce on release is not a new pulse when the pulse outlasts
 *     `debounceMs` (a long reed closure);
 *   - anything inside a lockout is ignored (counted in `ignored`).
 * So the line must rest for `debounceMs` in each state: keep `debounceMs`
 * below the shortest pulse and the shortest gap (half the shortest period).
 *
 * Coalesced interrupts. Moddable's Digital `onReadable` runs later, from
 * the event loop, once for all edges since it was queued, and the level is
 * read then. Both edges are watched, so a callback that reads the same
 * level as the previous one saw at least two edges: a whole pulse (or a
 * gap) came and went while JS was busy (e-paper refresh, TLS handshake).
 * It is counted, once: how many pulses hid in a busy spell is unknowable,
 * which is one more reason to use PCNT for fast clean signals.
 *
 * Errors: reading the pin in the interrupt callback can only fail if the IO
 * was closed under the driver; such errors go to `onError` (thrown from the
 * callback without one). Bad options throw ConfigError; an IO that cannot
 * be opened (pin in use, bad pin) throws DriverError naming the pin.
 */
import type Digital from "embedded:io/digital";
import type PulseCount from "embedded:io/pulsecount";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type DigitalOptions = ConstructorParameters<typeof Digital>[0];
type DigitalMode = DigitalOptions["mode"];
/** PulseCount as Moddable implements it; @moddable/typings omit `close` and require `control`. */
type PulseCountPort = PulseCount & { close(): void };

/** A Digital input descriptor, e.g. `{ ...device.Digital.default, io: device.io.Digital, pin: 34 }`. */
export interface PulseCounterInput {
	/** the Digital class, e.g. device.io.Digital */
	io: typeof Digital;
	/** GPIO */
	pin: number;
	/**
	 * Digital mode. @default InputPullUp when the active edge is falling
	 * (open collector), else Input. GPIO 34–39 have no internal pulls: use
	 * Input there and an external resistor.
	 */
	mode?: DigitalMode;
}

/** A PulseCount descriptor, e.g. `{ ...device.PulseCount.default, io: device.io.PulseCount }`. */
export interface PulseCounterCounter {
	/** the PulseCount class, e.g. device.io.PulseCount */
	io: typeof PulseCount;
	/** GPIO counted on rising edges */
	signal: number;
	/** optional direction pin: low counts down (PCNT lctrl_mode REVERSE) */
	control?: number;
	/** PCNT glitch filter, APB cycles 0 ..= 1023 (≤ 12.8 µs, TRM §17.2) */
	filter?: number;
}

interface CommonOptions {
	/** When given, errors raised in interrupt callbacks come here instead of being thrown. */
	onError?: (error: DriverError) => void;
}

export interface PulseCounterInputOptions extends CommonOptions {
	input: PulseCounterInput;
	counter?: undefined;
	/** ms since boot (Time.ticks on the device, the board clock in the simulator) */
	ticks: () => number;
	/** lockout after each accepted change, ms; 0 counts every edge @default 20 */
	debounceMs?: number;
	/** the edge that starts a pulse (the leading edge) @default "rising" */
	edge?: "rising" | "falling";
	/** Called for each counted pulse with the ticks (ms) it was seen at. */
	onPulse?: (ticksMs: number) => void;
}

export interface PulseCounterCounterOptions extends CommonOptions {
	counter: PulseCounterCounter;
	input?: undefined;
	/** unused with a counter; accepted so one options shape fits both modes */
	ticks?: () => number;
	/** PCNT counts rising edges only @default "rising" */
	edge?: "rising";
	/** not available in counter mode (ConfigError): PCNT's filter is ≤ 12.8 µs */
	debounceMs?: undefined;
	onPulse?: undefined;
}

export type PulseCounterOptions = PulseCounterInputOptions | PulseCounterCounterOptions;

/** Default lockout, ms: longer than contact bounce (≤ 5 ms), shorter than a 25 Hz half period. */
const DEFAULT_DEBOUNCE_MS = 20;

export class PulseCounter {
	#digital: Digital | undefined;
	#pcnt: PulseCountPort | undefined;
	#closed = false;
	#onError: ((error: DriverError) => void) | undefined;
	#onPulse: ((ticksMs: number) => void) | undefined;
	#ticks: (() => number) | undefined;
	#debounceMs = DEFAULT_DEBOUNCE_MS;
	#activeLevel: 0 | 1 = 1;
	#lastLevel: 0 | 1 = 0;
	#lockUntil = -Infinity;
	#total = 0;
	#taken = 0;
	#ignored = 0;
	#lastPulseTicks: number | undefined;
	#lastChangeTicks = 0;
	#name = "PulseCounter";

	/**
	 * Opens the input (Digital with both edges watched, or a PulseCount unit).
	 * @throws ConfigError on bad options; DriverError naming the pin if the IO cannot be opened
	 */
	constructor(options: PulseCounterOptions) {
		if (!options || typeof options !== "object") throw new ConfigError("options", "PulseCounter options required");
		const { input, counter } = options;
		if (input && counter) throw new ConfigError("input", "PulseCounter takes an input or a counter, not both");
		if (options.onError !== undefined && typeof options.onError !== "function") throw new ConfigError("onError", "PulseCounter onError must be a function");
		this.#onError = options.onError;
		if (counter) {
			this.#name = `PulseCounter (PCNT ${counter.signal})`;
			this.#openCounter(options as PulseCounterCounterOptions);
		} else if (input) {
			this.#name = `PulseCounter (pin ${input.pin})`;
			this.#openInput(options as PulseCounterInputOptions);
		} else throw new ConfigError("input", "PulseCounter needs an input or a counter");
	}

	/** Pulses counted since construction. @throws DriverError when closed */
	read(): number {
		this.#check();
		return this.#count();
	}

	/** Pulses since the previous `take()` (or construction); starts the next window. @throws DriverError when closed */
	take(): number {
		this.#check();
		const total = this.#count();
		const n = total - this.#taken;
		this.#taken = total;
		return n;
	}

	/** Changes seen inside a lockout and ignored (contact bounce), since construction. 0 in counter mode. */
	get ignored(): number {
		return this.#ignored;
	}

	/** Whether the line is at its active level now (input mode; false in counter mode). @throws DriverError when closed */
	get active(): boolean {
		this.#check();
		return !!this.#digital && this.#digital.read() === this.#activeLevel;
	}

	/** Ticks (ms) of the last counted pulse (input mode), undefined before the first. */
	get lastPulseTicks(): number | undefined {
		return this.#lastPulseTicks;
	}

	/** Ticks (ms) of the last change the driver saw on the line (input mode; construction time before any). */
	get lastChangeTicks(): number {
		return this.#lastChangeTicks;
	}

	/** Releases the input (the pad returns to its reset state). Safe to call twice; no callback runs after it. */
	close(): void {
		this.#closed = true;
		const digital = this.#digital;
		const pcnt = this.#pcnt;
		this.#digital = undefined;
		this.#pcnt = undefined;
		// The PCNT unit goes back to the pool; the Digital pad returns to its reset state.
		pcnt?.close();
		digital?.close();
	}

	#openInput(options: PulseCounterInputOptions): void {
		const { input } = options;
		const IO = input.io;
		if (typeof IO !== "function") throw new ConfigError("input.io", "PulseCounter input.io must be the Digital class");
		if (typeof options.ticks !== "function") throw new ConfigError("ticks", "PulseCounter ticks must be a function returning ms");
		const edge = options.edge ?? "rising";
		if (edge !== "rising" && edge !== "falling") throw new ConfigError("edge", `PulseCounter invalid edge "${String(edge)}"`);
		const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
		if (typeof debounceMs !== "number" || !(debounceMs >= 0) || !Number.isFinite(debounceMs)) throw new ConfigError("debounceMs", "PulseCounter debounceMs must be a finite number ≥ 0");
		if (options.onPulse !== undefined && typeof options.onPulse !== "function") throw new ConfigError("onPulse", "PulseCounter onPulse must be a function");
		this.#ticks = options.ticks;
		this.#debounceMs = debounceMs;
		this.#activeLevel = edge === "rising" ? 1 : 0;
		this.#onPulse = options.onPulse;
		const mode = input.mode ?? (edge === "falling" ? IO.InputPullUp : IO.Input);
		let digital: Digital;
		try {
			digital = new IO({ pin: input.pin, mode, edge: IO.Rising | IO.Falling, onReadable: () => this.#onEdge() });
		} catch (e) {
			throw this.#error(`cannot open Digital on pin ${input.pin}`, e);
		}
		try {
			this.#lastLevel = digital.read();
		} catch (e) {
			digital.close();
			throw this.#error(`cannot read pin ${input.pin}`, e);
		}
		this.#lastChangeTicks = options.ticks();
		this.#digital = digital;
	}

	#openCounter(options: PulseCounterCounterOptions): void {
		const { counter } = options;
		const IO = counter.io;
		if (typeof IO !== "function") throw new ConfigError("counter.io", "PulseCounter counter.io must be the PulseCount class");
		if (options.edge !== undefined && options.edge !== "rising") throw new ConfigError("edge", "PulseCounter PCNT counts rising edges only");
		if (options.debounceMs !== undefined) throw new ConfigError("debounceMs", "PulseCounter debounceMs needs a Digital input: the PCNT filter stops at 12.8 µs");
		if (options.onPulse !== undefined) throw new ConfigError("onPulse", "PulseCounter onPulse needs a Digital input");
		const { io: _io, ...rest } = counter;
		try {
			// onReadable makes Moddable fold every hardware count into a JS-side
			// total, so the count does not return to 0 at the 16-bit limit.
			this.#pcnt = new IO({ ...rest, onReadable: () => {} } as ConstructorParameters<typeof PulseCount>[0]) as PulseCountPort;
		} catch (e) {
			throw this.#error(`cannot open PulseCount on pin ${counter.signal}`, e);
		}
	}

	#count(): number {
		return this.#pcnt ? this.#pcnt.read() : this.#total;
	}

	/** Digital callback: both edges, coalesced; see the header for the rules. */
	#onEdge(): void {
		const digital = this.#digital;
		if (!digital) return;
		let level: 0 | 1;
		let now: number;
		try {
			level = digital.read();
			now = this.#ticks!();
		} catch (e) {
			this.#report(this.#error("cannot read the input", e));
			return;
		}
		const previous = this.#lastLevel;
		this.#lastLevel = level;
		this.#lastChangeTicks = now;
		if (now < this.#lockUntil) {
			this.#ignored++;
			return;
		}
		if (level === this.#activeLevel) {
			// A leading edge (previous idle), or idle-and-back while JS was busy.
			this.#count1(now);
		} else if (previous !== this.#activeLevel) {
			// Idle again after idle: a whole pulse passed unseen. Count it once.
			this.#count1(now);
		} else {
			// Release: lock out its bounce.
			this.#lockUntil = now + this.#debounceMs;
		}
	}

	#count1(now: number): void {
		this.#total++;
		this.#lastPulseTicks = now;
		this.#lockUntil = now + this.#debounceMs;
		this.#onPulse?.(now);
	}

	#report(error: DriverError): void {
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	#check(): void {
		if (this.#closed) throw this.#error("closed");
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`${this.#name} ${message}`, cause === undefined ? undefined : { cause });
	}
}

export default PulseCounter;
