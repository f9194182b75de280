/*
 * Simulated ECMA-419 Digital (ECMA-419 2nd ed. §9.2), bound to a SimBoard.
 * Contract from Moddable's ESP32 backend (modules/io/digital/digital.js and
 * esp32/digitalbank.c):
 *   - modes Input 0, InputPullUp 1, InputPullDown 2, InputPullUpDown 3,
 *     Output 8, OutputOpenDrain 9; edges Rising 1, Falling 2;
 *   - a bad mode, an output mode on an input-only pin (GPIO 34–39) or
 *     `onReadable` with an output mode: RangeError "invalid mode";
 *     `onReadable` without an edge: RangeError "invalid edges";
 *   - a pin already held: Error "in use";
 *   - `read` on an output or `write` on an input: Error "unimplemented";
 *   - outputs start at 0; close resets the pad (gpio_reset_pin: input with
 *     pull-up) and frees the pin; after close methods throw "closed";
 *   - `onReadable` runs asynchronously from the interrupt, coalesced: edges
 *     that happen before it runs produce one call. It never runs after close.
 */
import type { SimBoard } from "./board";
import type { PinEvent, SimPin } from "./pin";
import { checkFormat, closedError, invoke } from "./common";

export const DigitalMode = Object.freeze({
	Input: 0,
	InputPullUp: 1,
	InputPullDown: 2,
	InputPullUpDown: 3,
	Output: 8,
	OutputOpenDrain: 9,
} as const);

export const DigitalEdge = Object.freeze({ Rising: 1, Falling: 2 } as const);

export interface DigitalOptions {
	pin: number;
	mode: number;
	/** Rising | Falling, required with onReadable */
	edge?: number;
	// `this` is the IO object; typed loosely so the typings' `this: Digital` callback fits
	onReadable?: (this: any, triggered: number) => void;
	format?: "number";
	target?: unknown;
}

interface State {
	pin: SimPin;
	input: boolean;
	openDrain: boolean;
	unwatch?: () => void;
	pending: number;
}

export function createDigitalClass(board: SimBoard) {
	return class Digital {
		static readonly Input = DigitalMode.Input;
		static readonly InputPullUp = DigitalMode.InputPullUp;
		static readonly InputPullDown = DigitalMode.InputPullDown;
		static readonly InputPullUpDown = DigitalMode.InputPullUpDown;
		static readonly Output = DigitalMode.Output;
		static readonly OutputOpenDrain = DigitalMode.OutputOpenDrain;
		static readonly Rising = DigitalEdge.Rising;
		static readonly Falling = DigitalEdge.Falling;

		target: unknown;
		#s: State | undefined;

		constructor(options: DigitalOptions) {
			const n = options.pin;
			if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 39) throw new Error("invalid");
			const mode = options.mode;
			const input = mode === 0 || mode === 1 || mode === 2 || mode === 3;
			if (!input && mode !== DigitalMode.Output && mode !== DigitalMode.OutputOpenDrain) throw new RangeError("invalid mode");
			const onReadable = options.onReadable;
			const edge = options.edge ?? 0;
			if (onReadable) {
				if (!input) throw new RangeError("invalid mode");
				if (!(edge & (DigitalEdge.Rising | DigitalEdge.Falling))) throw new RangeError("invalid edges");
			}
			checkFormat(options.format, ["number"], "number");
			if (!input && board.isInputOnly(n)) throw new RangeError("invalid mode");
			board.claimPins([n], `Digital ${n}`);

			const pin = board.pin(n);
			const s: State = { pin, input, openDrain: mode === DigitalMode.OutputOpenDrain, pending: 0 };
			if (input) {
				pin.setOutput(undefined);
				pin.setPull(mode === 1 ? "up" : mode === 2 ? "down" : mode === 3 ? "both" : undefined);
			} else {
				pin.setPull(undefined);
				pin.setOutput(0, s.openDrain);
			}
			this.target = options.target;
			this.#s = s;

			if (onReadable) {
				const mask = 1 << (n & 0x1f);
				s.unwatch = pin.watch((e: PinEvent) => {
					if (e.kind !== "edge") return;
					const hit = e.level ? edge & DigitalEdge.Rising : edge & DigitalEdge.Falling;
					if (!hit || s.pending) return;
					s.pending = board.schedule(0, () => {
						s.pending = 0;
						if (this.#s === s) invoke(this, onReadable, mask);
					});
				});
			}
		}

		get format(): "number" {
			return "number";
		}
		set format(value: "number") {
			checkFormat(value, ["number"], "number");
		}

		/** Level of the pad: 0 or 1. */
		read(): 0 | 1 {
			const s = this.#open();
			if (!s.input) throw new Error("unimplemented");
			return s.pin.level;
		}

		/** Drives the pin: any truthy value is 1. */
		write(value: number): void {
			const s = this.#open();
			if (s.input) throw new Error("unimplemented");
			s.pin.setOutput(value ? 1 : 0, s.openDrain);
		}

		close(): void {
			const s = this.#s;
			if (!s) return;
			this.#s = undefined;
			s.unwatch?.();
			if (s.pending) board.cancel(s.pending);
			// gpio_reset_pin(): back to an input with the pull-up enabled.
			s.pin.setOutput(undefined);
			s.pin.setPull("up");
			board.releasePins([s.pin.number]);
		}

		#open(): State {
			if (!this.#s) throw closedError();
			return this.#s;
		}
	};
}
