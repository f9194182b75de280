/*
 * Lamp output of the light pole: a PWM pin feeding a PWM → 0-10 V stage on
 * the LED driver's dimming input, plus an optional mains relay.
 * Interface: "0-10 V" current-sink dimming, IEC 60929:2006 Annex E
 * ("Control interface for controllable ballasts", d.c. voltage control),
 * superseded for LED controlgear by IEC 63128:2019 ("Analogue voltage
 * dimming interface for electronic current sourcing controlgear"),
 * https://webstore.iec.ch/en/publication/32397 . The controlgear sources a
 * small current (IEC: 10 µA … 2 mA) onto the purple/grey pair and the
 * controller sinks it: the wire sits at the gear's open-circuit voltage
 * (≥ 10 V, full light) unless something pulls it down.
 *
 * Project convention (issue #5): 0 V = off, 10 V = 100 %, linear between.
 * IEC 60929 itself puts "≤ 1 V = minimum light, never off"; gear with
 * "dim-to-off" (IEC 63128's "minimum/off") goes dark near 0 V, and a pole
 * with the relay opens the mains for a true off whatever the gear does.
 *
 * ECMA-419 style: `new LampDimmer({ pwm: { ...device.PWM.default, io:
 * device.io.PWM }, relay: { io: device.io.Digital, pin: device.pin.lampRelay },
 * inverted: true })`, then `write(percent)`, `read()`, `configure`, `close`.
 *
 * Stage topologies (`inverted`):
 *   - false: an active stage (RC filter + op-amp with ×3.03 gain on a
 *     12 V rail) drives the wire to 10 V × duty;
 *   - true: an open-collector NPN or optocoupler sinks the gear's own
 *     current while the GPIO is high, so the filtered wire voltage is
 *     10 V × (1 − duty). Common because it needs no 10 V rail and isolates.
 *
 * Safe state (decision): a streetlight whose controller is gone should be
 * LIT. That is also what the gear does with a floating wire (open-circuit
 * voltage = full light), so `close()` parks at 100 % with the relay closed,
 * then releases the pins. What happens after the release is the hardware's
 * business, and the choice of stage decides it:
 *   - inverted stage: LEDC stops with the pin held low (Moddable esp32
 *     _pwm.c, ledc_stop idle 0), as the pin also sits after a reset or a
 *     crash, so the transistor is off and the wire floats to full: the lamp
 *     stays at 100 % with no firmware at all. This is the recommended wiring;
 *   - non-inverted stage: the low pin makes the op-amp output 0 V, so the
 *     lamp goes OFF once released (or minimum on IEC gear). Such a board is
 *     not fail-safe ON; keep the dimmer open at 100 % instead of closing it.
 *   - relay: `closedLevel` is the GPIO level that closes the contacts
 *     (powers the lamp). Digital close resets the pin to an input with the
 *     pull-up (gpio_reset_pin), so with the default closedLevel 1 a logic-
 *     level relay input sees high and stays closed; a fail-safe-ON pole
 *     wires the relay's NC contact (coil energised = lamp off, closedLevel 0)
 *     and adds an external pull-down, so a dead controller leaves it closed.
 *
 * No part check: the interface is output-only (no readback, no ID), so the
 * constructor fails fast only on options and on IO that will not open.
 *
 * Quirks handled:
 *   - most LED gear does not dim below ~10 % (flicker, driver dropout): a
 *     nonzero request below `minPercent` is raised to it; 0 stays 0;
 *   - the LEDC's duty is value / 2^resolution, except that the top value
 *     2^resolution − 1 is a steady high (esp32 _pwm.c writes max + 1): the
 *     driver scales by 2^resolution and clamps, so 50 % is exactly half and
 *     100 % exactly 10 V (0 V inverted), with ±½ LSB error elsewhere;
 *   - switching on sets the dim level before closing the relay and
 *     switching off opens the relay first, so the gear never powers up at
 *     the previous level (no flash at full before dimming);
 *   - the 1 kHz PWM default sits well above visible flicker and inside what
 *     the stage's RC filter smooths (τ ≈ 10–100 ms in common designs).
 */
import type PWM from "embedded:io/pwm";
import type Digital from "embedded:io/digital";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

/** PWM options as Moddable's ESP32 backend takes them; @moddable/typings 5.6 omit `resolution` and `port`. */
type PWMOptions = ConstructorParameters<typeof PWM>[0] & { resolution?: number; port?: number };
/** PWM as Moddable implements it; the typings omit `close`. */
type PWMPort = PWM & { close(): void };
type PWMClass = new (options: PWMOptions) => PWMPort;

export interface LampDimmerPWMOptions {
	/** the PWM class, e.g. device.io.PWM */
	io: typeof PWM;
	/** GPIO driving the 0-10 V stage */
	pin: number;
	/** PWM frequency, Hz @default 1000 */
	hz?: number;
	/** duty resolution, bits (ESP32 LEDC: 1 ..= 19) @default 10 */
	resolution?: number;
	/** LEDC channel; default: the first free one */
	port?: number;
}

export interface LampDimmerRelayOptions {
	/** the Digital class, e.g. device.io.Digital */
	io: typeof Digital;
	/** GPIO driving the relay coil (through its transistor or opto) */
	pin: number;
	/** GPIO level that closes the contacts, i.e. powers the lamp @default 1 */
	closedLevel?: 0 | 1;
}

export interface LampDimmerOptions {
	pwm: LampDimmerPWMOptions;
	/** optional mains relay in series with the LED driver; open = off */
	relay?: LampDimmerRelayOptions;
	/** the stage inverts (open-collector / opto sink): duty 100 % = 0 V @default false */
	inverted?: boolean;
	/** lowest nonzero level the gear dims to, % (0 ..= 100) @default 10 */
	minPercent?: number;
	/** level set when the constructor opens the output, % @default 100 (the safe state) */
	initialPercent?: number;
	/** When given, `write` hands IO errors here instead of throwing. */
	onError?: (error: DriverError) => void;
}

export interface LampDimmerConfiguration {
	/** lowest nonzero level, % (0 ..= 100); re-applies the current level */
	minPercent?: number;
}

/** Full scale of the control wire, V (IEC 60929 Annex E: ≥ 10 V = maximum light). */
export const LAMP_FULL_SCALE_V = 10;
/** Level `close()` parks the lamp at, % (see the header). */
export const LAMP_PARKED_PERCENT = 100;

export class LampDimmer {
	#pwm: PWMPort | undefined;
	#relay: (Digital & { close(): void }) | undefined;
	#closedLevel: 0 | 1;
	#inverted: boolean;
	#minPercent = 10;
	#max: number;
	#requested = 0;
	#level = -1;
	#onError: ((error: DriverError) => void) | undefined;

	/**
	 * Opens the PWM (and the relay pin) and sets `initialPercent`.
	 * @throws ConfigError for a bad option; DriverError naming the part when
	 *   an IO cannot be opened (everything opened is released).
	 */
	constructor(options: LampDimmerOptions) {
		const { io: PWMIO, pin, hz = 1000, resolution = 10, port } = options.pwm;
		this.#inverted = options.inverted ?? false;
		this.#onError = options.onError;
		this.#closedLevel = options.relay?.closedLevel ?? 1;
		if (this.#closedLevel !== 0 && this.#closedLevel !== 1) throw new ConfigError("relay.closedLevel", "LampDimmer relay.closedLevel must be 0 or 1");
		if (options.minPercent !== undefined) this.#minPercent = checkMin(options.minPercent);
		const initial = options.initialPercent ?? LAMP_PARKED_PERCENT;
		if (!isPercent(initial)) throw new ConfigError("initialPercent", `LampDimmer invalid initialPercent ${initial}`);

		let pwm: PWMPort;
		try {
			const opts: PWMOptions = { pin, hz, resolution };
			if (port !== undefined) opts.port = port;
			pwm = new (PWMIO as unknown as PWMClass)(opts);
		} catch (e) {
			throw this.#error("cannot open PWM", e);
		}
		this.#max = 2 ** pwm.resolution - 1;
		this.#pwm = pwm;
		let step = "cannot open relay";
		try {
			if (options.relay) {
				const R = options.relay.io;
				this.#relay = new R({ pin: options.relay.pin, mode: R.Output }) as Digital & { close(): void };
				// Digital outputs start at 0: with closedLevel 0 the lamp is powered from here on.
			}
			step = "initial write failed";
			this.#apply(initial);
		} catch (e) {
			this.#relay?.close();
			this.#relay = undefined;
			this.#pwm = undefined;
			pwm.close();
			throw this.#error(step, e);
		}
	}

	/**
	 * Sets the lamp level: 0 = off (relay open), otherwise at least `minPercent`.
	 * @param percent 0 ..= 100
	 * @throws RangeError for a value outside 0 ..= 100 or NaN; DriverError
	 *   when closed, or on an IO failure (unless `onError` was given)
	 */
	write(percent: number): void {
		if (!this.#pwm) throw this.#error("closed");
		if (!isPercent(percent)) throw new RangeError(`LampDimmer level ${percent} outside 0 ..= 100 %`);
		try {
			this.#apply(percent);
		} catch (e) {
			const error = e instanceof DriverError ? e : this.#error("write failed", e);
			if (!this.#onError) throw error;
			this.#onError(error);
		}
	}

	/**
	 * The level in effect, % (after raising to `minPercent`).
	 * @throws DriverError when closed
	 */
	read(): number {
		if (!this.#pwm) throw this.#error("closed");
		return this.#level;
	}

	/** Changes `minPercent` and re-applies the last requested level (IO errors as `write`). @throws ConfigError, DriverError when closed */
	configure(options: LampDimmerConfiguration): void {
		if (!this.#pwm) throw this.#error("closed");
		if (options.minPercent !== undefined) {
			this.#minPercent = checkMin(options.minPercent);
			this.write(this.#requested);
		}
	}

	/** Raw PWM value for `percent` as this stage needs it (0 ..= 2^resolution − 1; see the header). */
	dutyFor(percent: number): number {
		const high = this.#inverted ? 1 - percent / 100 : percent / 100;
		return Math.min(this.#max, Math.round(high * (this.#max + 1)));
	}

	/**
	 * Parks the lamp at 100 % with the relay closed, then releases the pins
	 * (see the header for what each stage does afterwards). Safe to call twice.
	 */
	close(): void {
		const pwm = this.#pwm;
		if (!pwm) return;
		try {
			this.#apply(LAMP_PARKED_PERCENT);
		} catch {
			// parked as far as the IO allows; release anyway
		}
		this.#pwm = undefined;
		const relay = this.#relay;
		this.#relay = undefined;
		try {
			relay?.close();
		} finally {
			pwm.close();
		}
	}

	#apply(percent: number): void {
		this.#requested = percent;
		const level = percent === 0 ? 0 : Math.max(percent, this.#minPercent);
		const pwm = this.#pwm!;
		const relay = this.#relay;
		const open = (1 - this.#closedLevel) as 0 | 1;
		if (level === 0) {
			// Relay first: the gear loses mains before its input drops.
			relay?.write(open);
			pwm.write(this.dutyFor(0));
		} else {
			pwm.write(this.dutyFor(level));
			relay?.write(this.#closedLevel);
		}
		this.#level = level;
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`LampDimmer ${message}`, cause === undefined ? undefined : { cause });
	}
}

function isPercent(value: unknown): value is number {
	return typeof value === "number" && value >= 0 && value <= 100; // NaN fails both
}

function checkMin(value: number): number {
	if (!isPercent(value)) throw new ConfigError("minPercent", `LampDimmer invalid minPercent ${value}`);
	return value;
}

export default LampDimmer;
