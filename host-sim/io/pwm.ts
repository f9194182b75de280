/*
 * Simulated ECMA-419 PWM (ECMA-419 2nd ed. §9.7) on the ESP32 LEDC, bound to
 * a SimBoard. Contract from Moddable's ESP32 backend (modules/io/pwm/esp32/
 * _pwm.c) and the LEDC limits (ESP32 TRM §14 "LED PWM Controller"):
 *   - defaults hz 1024, resolution 10 bits; resolution 1 ..= 19
 *     (RangeError "invalid resolution"), hz > 0 (RangeError "invalid hz");
 *   - LEDC's 80 MHz clock bounds hz × 2^resolution (Error "configure ledc
 *     timer failed"); Moddable's MIN_HZ table bounds low hz at 8–14 bits;
 *   - Moddable hands PWM only LEDC channels 4–7: a fifth PWM fails with
 *     "no ledc channel"; the four LEDC timers are shared by objects with the
 *     same hz and resolution, a fifth combination fails with "no timer";
 *   - `write(value)`: integer 0 ..= 2^resolution − 1, else RangeError
 *     "invalid value"; the maximum is a 100 % duty cycle;
 *   - close stops the channel with the pin held low (ledc_stop idle 0).
 * Models see the setting as `board.pin(n).pwm`.
 */
import type { SimBoard } from "./board";
import type { SimPin } from "./pin";
import { checkFormat, closedError } from "./common";

const LEDC_CLOCK_HZ = 80_000_000;
/** Moddable MIN_HZ for resolutions 8 ..= 14 on the ESP32 (esp32/_pwm.c). */
const MIN_HZ = [65, 33, 17, 9, 5, 3, 2];
/** LEDC channels Moddable leaves to PWM (MODDEF_PWM_LEDC_CHANNEL_MAP 0xF0). */
const CHANNEL_MAP = 0xf0;
const TIMERS = 4;

export interface PWMOptions {
	pin: number;
	/** @default 1024 */
	hz?: number;
	/** bits @default 10 */
	resolution?: number;
	/** LEDC channel 0 ..= 7; default: the first free one Moddable may use */
	port?: number;
	format?: "number";
	target?: unknown;
}

interface Ledc {
	freeChannels: number;
	timers: { useCount: number; hz: number; resolution: number }[];
}

interface State {
	pin: SimPin;
	channel: number;
	timer: number;
	hz: number;
	resolution: number;
}

function ledc(board: SimBoard): Ledc {
	return board.peripheral("ledc", () => ({
		freeChannels: CHANNEL_MAP,
		timers: Array.from({ length: TIMERS }, () => ({ useCount: 0, hz: 0, resolution: 0 })),
	}));
}

export function createPWMClass(board: SimBoard) {
	return class PWM {
		target: unknown;
		#s: State | undefined;

		constructor(options: PWMOptions) {
			const n = options.pin;
			if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 39) throw new RangeError("invalid pin");
			const hz = options.hz ?? 1024;
			if (typeof hz !== "number" || !Number.isInteger(hz) || hz <= 0) throw new RangeError("invalid hz");
			const resolution = options.resolution ?? 10;
			if (!Number.isInteger(resolution) || resolution <= 0 || resolution >= 20) throw new RangeError("invalid resolution");
			checkFormat(options.format, ["number"], "number");
			if (resolution >= 8 && resolution <= 14 && hz < MIN_HZ[resolution - 8]) throw new RangeError("invalid combination of hz and resolution");
			if (hz * 2 ** resolution > LEDC_CLOCK_HZ) throw new Error("configure ledc timer failed");
			if (board.isInputOnly(n)) throw new RangeError("invalid pin");

			const l = ledc(board);
			let channel = -1;
			if (options.port !== undefined) {
				channel = options.port;
				if (!Number.isInteger(channel) || channel < 0 || channel > 7) throw new RangeError("invalid port");
				if (!(l.freeChannels & (1 << channel))) throw new Error("port unavailable");
			} else {
				for (let c = 0; c < 8 && channel < 0; c++) if (l.freeChannels & (1 << c)) channel = c;
				if (channel < 0) throw new Error("no ledc channel");
			}
			let timer = l.timers.findIndex((t) => t.useCount > 0 && t.hz === hz && t.resolution === resolution);
			if (timer < 0) timer = l.timers.findIndex((t) => t.useCount === 0);
			if (timer < 0) throw new RangeError("no timer");

			board.claimPins([n], `PWM ${n}`);
			l.freeChannels &= ~(1 << channel);
			l.timers[timer] = { useCount: l.timers[timer].useCount + 1, hz, resolution };
			const pin = board.pin(n);
			pin.setPull(undefined);
			pin.setOutput(0);
			pin.setPwm({ hz, resolution, value: 0, duty: 0 });
			this.target = options.target;
			this.#s = { pin, channel, timer, hz, resolution };
		}

		get format(): "number" {
			return "number";
		}
		set format(value: "number") {
			checkFormat(value, ["number"], "number");
		}
		/** PWM frequency, Hz */
		get hz(): number {
			return this.#open().hz;
		}
		/** Duty resolution, bits */
		get resolution(): number {
			return this.#open().resolution;
		}

		/** Sets the duty cycle: `value` / (2^resolution − 1) of the period. */
		write(value: number): void {
			const s = this.#open();
			const max = 2 ** s.resolution - 1;
			if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) throw new RangeError("invalid value");
			// _pwm.c writes max + 1 for the top value, so it is a steady high, not one tick short.
			const duty = value === max ? 1 : value / 2 ** s.resolution;
			s.pin.setPwm({ hz: s.hz, resolution: s.resolution, value, duty });
		}

		close(): void {
			const s = this.#s;
			if (!s) return;
			this.#s = undefined;
			const l = ledc(board);
			l.freeChannels |= 1 << s.channel;
			const t = l.timers[s.timer];
			t.useCount--;
			if (t.useCount === 0) l.timers[s.timer] = { useCount: 0, hz: 0, resolution: 0 };
			s.pin.setPwm(undefined);
			s.pin.setOutput(0);
			board.releasePins([s.pin.number]);
		}

		#open(): State {
			if (!this.#s) throw closedError();
			return this.#s;
		}
	};
}
