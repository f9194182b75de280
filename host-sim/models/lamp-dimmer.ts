/*
 * LED streetlight driver with a "0-10 V" dimming input behind a PWM → 0-10 V
 * stage, and an optional mains relay, modelled at the pins.
 * Interface: IEC 60929:2006 Annex E / IEC 63128:2019 current-sink analogue
 * dimming (https://webstore.iec.ch/en/publication/32397): the gear sources a
 * small current onto the control pair, the controller sinks it, and an
 * unloaded (open) pair sits at the gear's open-circuit voltage = full light.
 *
 * What the model reads: `board.pin(dimPin).pwm` (hz, resolution, raw value
 * and duty, host-sim/io/pwm.ts) while a PWM owns the pin, else the pin's
 * resolved level (a released LEDC pin is held low; a reset pin floats and
 * the sim reads it as 0); and the relay pin's level.
 *
 * Control voltage (the RC filter's mean; ripple not modelled):
 *   - non-inverted active stage: V = 10 V × duty (GPIO high fraction);
 *   - inverted sink stage (open collector / opto): V = 10 V × (1 − duty):
 *     a low or floating pin lets the wire rise to the gear's open-circuit
 *     voltage, taken as the 10 V full scale (real gear shows 10–15 V and
 *     saturates at full light above 10 V, so the cap changes nothing).
 * Light curve (project convention, issue #5: 0 V = off, 10 V = 100 %):
 *   - V < `offBelowV` (0.5 V): off (dim-to-off gear, IEC 63128 "minimum/off");
 *   - otherwise max(`minPercent`, 10 % per volt), capped at 100 %: linear, as
 *     0-10 V LED gear usually is; between 0.5 V and 1 V the gear sits at its
 *     minimum, as IEC 60929 Annex E has it for ≤ 1 V.
 * Power: ratedW × light / 100 while lit (LED gear is roughly linear in
 * input power above ~10 %), `standbyW` while powered and dark, 0 with the
 * mains relay open or the supply off.
 *
 * There is no environment to follow (the lamp is an output), so instead of a
 * scenario function the model has a settable `mains` (supply present).
 * Faults (`fault`), the analogues of a bus part's "no answer / garbage /
 * stuck" for a one-way analogue output:
 *   "open-wire"        control pair broken: the gear sees open circuit → 100 %;
 *   "short-wire"       pair shorted: 0 V → off (minimum on IEC gear);
 *   "stuck"            the gear ignores its input and holds the light it had;
 *   "lamp-dead"        LED module open: no light, the gear draws standby;
 *   "relay-welded"     relay contacts welded closed: always powered;
 *   "relay-stuck-open" relay never closes: always unpowered.
 * Deterministic without a PRNG (nothing here is noisy at this level).
 *
 * Attach: `const lamp = new LampDimmerModel(board, { dimPin: 25, relayPin: 26,
 * inverted: true })`; `lamp.detach()` stops watching the pins.
 */
import type { SimPin } from "../io/pin";

export type LampDimmerFault = "open-wire" | "short-wire" | "stuck" | "lamp-dead" | "relay-welded" | "relay-stuck-open" | undefined;

/** What the model needs of a SimBoard. */
export interface LampBoard {
	pin(n: number): SimPin;
	/** ms since boot */
	ticks(): number;
}

export interface LampDimmerModelOptions {
	/** GPIO feeding the PWM → 0-10 V stage */
	dimPin: number;
	/** GPIO driving the relay; without it the gear is always on mains */
	relayPin?: number;
	/** relay pin level that closes the contacts @default 1 */
	relayClosedLevel?: 0 | 1;
	/** the stage inverts (sink transistor on while the GPIO is high) @default false */
	inverted?: boolean;
	/** lowest light the gear dims to, % @default 10 */
	minPercent?: number;
	/** below this control voltage the gear is off, V @default 0.5 */
	offBelowV?: number;
	/** input power at 100 %, W @default 100 */
	ratedW?: number;
	/** input power while powered and dark, W @default 0.5 */
	standbyW?: number;
}

/** One change of what the lamp does, for tests and the dashboard. */
export interface LampChange {
	/** board time, ms since boot */
	ticks: number;
	/** control wire, V */
	controlV: number;
	/** light output, % of full */
	lightPercent: number;
	relayClosed: boolean;
}

/** Full scale of the control wire, V. */
export const LAMP_MODEL_FULL_SCALE_V = 10;
const HISTORY_LIMIT = 256;

/** Light output, %, for a control voltage (see the header's curve). */
export function lampLightPercent(controlV: number, minPercent = 10, offBelowV = 0.5): number {
	if (controlV < offBelowV) return 0;
	return Math.min(100, Math.max(minPercent, (controlV / LAMP_MODEL_FULL_SCALE_V) * 100));
}

export class LampDimmerModel {
	/** Pin and relay activity. */
	readonly stats = { pwmEvents: 0, relaySwitches: 0, changes: 0 };
	/** Changes of control voltage, light or relay, oldest first (last 256). */
	readonly history: LampChange[] = [];
	#board: LampBoard;
	#dim: SimPin;
	#relay: SimPin | undefined;
	#relayClosedLevel: 0 | 1;
	#inverted: boolean;
	#minPercent: number;
	#offBelowV: number;
	#ratedW: number;
	#standbyW: number;
	#fault: LampDimmerFault;
	#mains = true;
	#frozenLight = 0;
	#unwatch: (() => void)[] = [];
	// state since the last update
	#lastTicks: number;
	#light = 0;
	#powerW = 0;
	#onMs = 0;
	#energyWms = 0;
	#last: LampChange | undefined;

	constructor(board: LampBoard, options: LampDimmerModelOptions) {
		this.#board = board;
		this.#dim = board.pin(options.dimPin);
		this.#relay = options.relayPin === undefined ? undefined : board.pin(options.relayPin);
		this.#relayClosedLevel = options.relayClosedLevel ?? 1;
		this.#inverted = options.inverted ?? false;
		this.#minPercent = options.minPercent ?? 10;
		this.#offBelowV = options.offBelowV ?? 0.5;
		this.#ratedW = options.ratedW ?? 100;
		this.#standbyW = options.standbyW ?? 0.5;
		this.#lastTicks = board.ticks();
		this.#unwatch.push(
			this.#dim.watch((e) => {
				if (e.kind === "pwm") this.stats.pwmEvents++;
				this.#update();
			}),
		);
		if (this.#relay) {
			let level = this.#relay.level;
			this.#unwatch.push(
				this.#relay.watch((e) => {
					if (e.kind !== "edge" || e.level === level) return;
					level = e.level;
					this.stats.relaySwitches++;
					this.#update();
				}),
			);
		}
		this.#update();
	}

	get fault(): LampDimmerFault {
		return this.#fault;
	}
	set fault(value: LampDimmerFault) {
		this.#frozenLight = this.#light;
		this.#fault = value;
		this.#update();
	}

	/** Mains supply present (the model's scenario input). */
	get mains(): boolean {
		return this.#mains;
	}
	set mains(value: boolean) {
		this.#mains = value;
		this.#update();
	}

	/** Mean voltage on the control wire now, V. */
	get controlV(): number {
		return this.#controlV();
	}
	/** Relay contacts closed (true without a relay). */
	get relayClosed(): boolean {
		return this.#relayClosed();
	}
	/** Light output now, % of full. */
	get lightPercent(): number {
		return this.#light;
	}
	/** Input power now, W. */
	get powerW(): number {
		return this.#powerW;
	}
	/** Time lit (light > 0) since the model was attached, ms. */
	get onMs(): number {
		this.#update();
		return this.#onMs;
	}
	/** Energy drawn since the model was attached, Wh. */
	get energyWh(): number {
		this.#update();
		return this.#energyWms / 3_600_000;
	}

	/** Stops watching the pins. */
	detach(): void {
		for (const u of this.#unwatch.splice(0)) u();
	}

	#controlV(): number {
		if (this.#fault === "open-wire") return LAMP_MODEL_FULL_SCALE_V;
		if (this.#fault === "short-wire") return 0;
		const pwm = this.#dim.pwm;
		const high = pwm ? pwm.duty : this.#dim.level;
		return LAMP_MODEL_FULL_SCALE_V * (this.#inverted ? 1 - high : high);
	}

	#relayClosed(): boolean {
		if (this.#fault === "relay-welded") return true;
		if (this.#fault === "relay-stuck-open") return false;
		return !this.#relay || this.#relay.level === this.#relayClosedLevel;
	}

	/** Integrates on-time and energy up to now, then recomputes the output. */
	#update(): void {
		const now = this.#board.ticks();
		const dt = now - this.#lastTicks;
		if (dt > 0) {
			if (this.#light > 0) this.#onMs += dt;
			this.#energyWms += this.#powerW * dt;
		}
		this.#lastTicks = now;

		const controlV = this.#controlV();
		const relayClosed = this.#relayClosed();
		const powered = this.#mains && relayClosed;
		let light = 0;
		if (powered && this.#fault !== "lamp-dead") light = this.#fault === "stuck" ? this.#frozenLight : lampLightPercent(controlV, this.#minPercent, this.#offBelowV);
		this.#light = light;
		this.#powerW = !powered ? 0 : light > 0 ? (this.#ratedW * light) / 100 : this.#standbyW;

		const last = this.#last;
		if (last && last.controlV === controlV && last.lightPercent === light && last.relayClosed === relayClosed) return;
		const change = { ticks: now, controlV, lightPercent: light, relayClosed };
		this.#last = change;
		this.stats.changes++;
		this.history.push(change);
		if (this.history.length > HISTORY_LIMIT) this.history.shift();
	}
}
