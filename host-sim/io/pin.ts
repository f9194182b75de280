/*
 * One GPIO of a simulated board: the meeting point of firmware IO (Digital,
 * PWM, SPI select…) and the models wired to it (a button, a BUSY line, a
 * reed switch, a lamp driver's dimming input).
 *
 * Level resolution, as on the pad:
 *   1. the firmware's push-pull output wins (a model driving against it is
 *      contention; the board counts it but the firmware's level is kept);
 *   2. an open-drain output at 0 pulls low; at 1 it releases the line;
 *   3. otherwise an external driver (a model) sets the level;
 *   4. otherwise the pull resistor (ESP32 ~45 kΩ internal pulls);
 *   5. otherwise the pin floats; the sim reads a floating pin as 0.
 * Watchers hear every change of the resolved level (an edge) and every PWM
 * setting change, synchronously, with the board time.
 */

export type Level = 0 | 1;
export type Pull = "up" | "down" | "both" | undefined;

/** LEDC output as configured by the firmware's PWM object. */
export interface PwmState {
	hz: number;
	/** bits */
	resolution: number;
	/** raw value written, 0 ..= 2^resolution - 1 */
	value: number;
	/** 0 ..= 1; the ESP32 turns the maximum value into a 100 % duty cycle */
	duty: number;
}

export interface PinEvent {
	pin: SimPin;
	kind: "edge" | "pwm";
	/** resolved level after the change */
	level: Level;
	/** board time, ms since boot */
	ticks: number;
}

export type PinWatcher = (event: PinEvent) => void;

export class SimPin {
	readonly number: number;
	/** Times a model drove the pin against the firmware's push-pull output. */
	contention = 0;
	#ticks: () => number;
	#external: Level | undefined;
	#output: Level | undefined;
	#openDrain = false;
	#pull: Pull;
	#pwm: PwmState | undefined;
	#level: Level;
	#watchers: PinWatcher[] = [];

	constructor(number: number, ticks: () => number) {
		this.number = number;
		this.#ticks = ticks;
		this.#level = this.#resolve();
	}

	/** The level a voltmeter would read now. */
	get level(): Level {
		return this.#level;
	}

	/** The firmware's LEDC setting while a PWM object owns the pin, else undefined. */
	get pwm(): PwmState | undefined {
		return this.#pwm ? { ...this.#pwm } : undefined;
	}

	/** What the firmware does with the pin: "input" (incl. unused), "output", "open-drain" or "pwm". */
	get role(): "input" | "output" | "open-drain" | "pwm" {
		if (this.#pwm) return "pwm";
		if (this.#output === undefined) return "input";
		return this.#openDrain ? "open-drain" : "output";
	}

	/** Model side: drive the line from outside (1 or 0), or release it (undefined). */
	drive(level: Level | undefined): void {
		if (level !== undefined && this.#output !== undefined && !this.#openDrain && level !== this.#output) this.contention++;
		this.#external = level;
		this.#update();
	}

	/** Subscribes to edges and PWM changes; returns the unsubscribe function. */
	watch(watcher: PinWatcher): () => void {
		this.#watchers.push(watcher);
		return () => {
			const i = this.#watchers.indexOf(watcher);
			if (i >= 0) this.#watchers.splice(i, 1);
		};
	}

	// ---- firmware side, used by the board's IO classes ----

	/** Firmware output: a level, or undefined to make the pin an input again. */
	setOutput(level: Level | undefined, openDrain = false): void {
		this.#output = level;
		this.#openDrain = level !== undefined && openDrain;
		this.#update();
	}

	setPull(pull: Pull): void {
		this.#pull = pull;
		this.#update();
	}

	setPwm(state: PwmState | undefined): void {
		this.#pwm = state ? { ...state } : undefined;
		this.#notify("pwm");
	}

	#resolve(): Level {
		if (this.#output !== undefined) {
			if (!this.#openDrain) return this.#output;
			if (this.#output === 0) return 0;
		}
		if (this.#external !== undefined) return this.#external;
		if (this.#pull === "up") return 1;
		return 0;
	}

	#update(): void {
		const level = this.#resolve();
		if (level === this.#level) return;
		this.#level = level;
		this.#notify("edge");
	}

	#notify(kind: "edge" | "pwm"): void {
		const event: PinEvent = { pin: this, kind, level: this.#level, ticks: this.#ticks() };
		// Copy: a watcher may unsubscribe (close) from inside its callback.
		for (const w of this.#watchers.slice()) w(event);
	}
}
