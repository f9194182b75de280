/*
 * Simulated ECMA-419 PulseCount (ECMA-419 2nd ed. §9.8) on the ESP32 PCNT,
 * bound to a SimBoard. Contract from Moddable's ESP32 backend
 * (modules/io/pulsecount/esp32/_pulsecount.c) and the PCNT unit (ESP32 TRM
 * §17 "Pulse Count Controller"):
 *   - counts rising edges of `signal`; with a `control` pin, a low control
 *     level reverses the direction (lctrl_mode REVERSE), high keeps it;
 *   - signal/control already held: RangeError "in use"; eight units, a
 *     ninth object fails with RangeError "all pulsecount units are in use";
 *   - without onReadable the hardware counter is 16-bit: it returns to 0
 *     on reaching +32767 or −32768 (counter_h_lim/l_lim); with onReadable
 *     every count is folded into a JS-side base, so the count is unbounded;
 *   - `onReadable` runs asynchronously after the count changes, coalesced,
 *     never after close; `write(n)` sets the count;
 *   - `filter` (APB cycles, default 100 = 1.25 µs) is accepted but not
 *     modelled: a glitch that short is below what the sim's pulse sources
 *     emit, and real contact bounce (~0.1–5 ms) passes it anyway.
 */
import type { SimBoard } from "./board";
import type { PinEvent, SimPin } from "./pin";
import { checkFormat, closedError, invoke } from "./common";

const UNITS = 8;
const H_LIM = 32_767;
const L_LIM = -32_768;

export interface PulseCountOptions {
	signal: number;
	control?: number;
	// `this` is the IO object; typed loosely so the typings' `this: PulseCount` callbacks fit
	onReadable?: (this: any) => void;
	onError?: (this: any) => void;
	/** glitch filter, APB cycles 0 ..= 1023 @default 100 */
	filter?: number;
	format?: "number";
	target?: unknown;
}

interface State {
	signal: SimPin;
	control?: SimPin;
	unit: number;
	base: number;
	hw: number;
	folding: boolean;
	unwatch: () => void;
	pending: number;
}

function units(board: SimBoard): boolean[] {
	return board.peripheral("pcnt", () => new Array<boolean>(UNITS).fill(false));
}

function checkOptionalPin(value: unknown, name: string): number | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 39) throw new RangeError(`invalid ${name}`);
	return value;
}

export function createPulseCountClass(board: SimBoard) {
	return class PulseCount {
		target: unknown;
		#s: State | undefined;

		constructor(options: PulseCountOptions) {
			const signal = checkOptionalPin(options.signal, "signal");
			if (signal === undefined) throw new RangeError("signal required");
			const control = checkOptionalPin(options.control, "control");
			const filter = options.filter ?? 100;
			if (!Number.isInteger(filter) || filter < 0 || filter > 1023) throw new RangeError("invalid filter");
			checkFormat(options.format, ["number"], "number");
			const used = units(board);
			const unit = used.indexOf(false);
			if (unit < 0) throw new RangeError("all pulsecount units are in use");
			board.claimPins(control === undefined ? [signal] : [signal, control], `PulseCount ${signal}`, RangeError);
			used[unit] = true;

			const onReadable = options.onReadable;
			const signalPin = board.pin(signal);
			const s: State = {
				signal: signalPin,
				control: control === undefined ? undefined : board.pin(control),
				unit,
				base: 0,
				hw: 0,
				folding: !!onReadable,
				unwatch: () => {},
				pending: 0,
			};
			s.unwatch = signalPin.watch((e: PinEvent) => {
				if (e.kind !== "edge" || e.level !== 1) return;
				const step = s.control && s.control.level === 0 ? -1 : 1;
				if (s.folding) s.base += step;
				else {
					s.hw += step;
					if (s.hw >= H_LIM || s.hw <= L_LIM) s.hw = 0;
				}
				if (onReadable && !s.pending) {
					s.pending = board.schedule(0, () => {
						s.pending = 0;
						if (this.#s === s) invoke(this, onReadable);
					});
				}
			});
			this.target = options.target;
			this.#s = s;
		}

		get format(): "number" {
			return "number";
		}
		set format(value: "number") {
			checkFormat(value, ["number"], "number");
		}

		/** Pulses counted since construction or the last `write`. */
		read(): number {
			const s = this.#open();
			return s.base + s.hw;
		}

		/** Sets the count. */
		write(count: number): void {
			const s = this.#open();
			if (typeof count !== "number" || !Number.isInteger(count)) throw new RangeError("invalid count");
			s.base = count;
			s.hw = 0;
		}

		close(): void {
			const s = this.#s;
			if (!s) return;
			this.#s = undefined;
			s.unwatch();
			if (s.pending) board.cancel(s.pending);
			units(board)[s.unit] = false;
			board.releasePins(s.control ? [s.signal.number, s.control.number] : [s.signal.number]);
		}

		#open(): State {
			if (!this.#s) throw closedError();
			return this.#s;
		}
	};
}
