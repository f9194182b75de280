/*
 * Lamp control policy of the light pole: decides the lamp level, %, from
 * ambient light, a night dimming schedule, presence, operator overrides and
 * the node's health. Pure and deterministic: no timers, no IO, no clock of
 * its own; every method takes `nowMs` (monotonic, ms since boot) and the
 * caller feeds it events. The app turns `decide()` into LampDimmer.write().
 *
 * Precedence (first that applies wins):
 *   1. override   an operator command { percent, untilMs } until it expires
 *                 (or clearOverride()). It beats the fail-safe on purpose: an
 *                 operator forcing OFF (a damaged pole, works on the column)
 *                 or ON must be obeyed even while the node is offline or its
 *                 sensor is dead. It is bounded: untilMs is at most
 *                 `maxOverrideMs` ahead (default 24 h) and is lost on reboot
 *                 (monotonic time restarts), so it cannot outlive its intent.
 *   2. fail-safe  `failSafePercent` (default 100 %) when the node cannot
 *                 trust its own picture, in this order of reasons:
 *                   "fail-safe:safe-mode" firmware in safe mode;
 *                   "fail-safe:ota"       an update is in progress (reboots
 *                                         and trial boots ahead);
 *                   "fail-safe:sensor"    light sensor failed, silent for
 *                                         `sensorStaleMs`, or no reading yet
 *                                         since boot: the policy cannot tell
 *                                         day from night, and a dark street
 *                                         is worse than a lamp burning by day;
 *                   "fail-safe:offline"   link down longer than
 *                                         `offlineGraceMs` (from boot too):
 *                                         no schedule updates, no operator
 *                                         reach, local time may have drifted,
 *                                         so no dimming: the lamp burns at
 *                                         failSafePercent while it is dark.
 *                 Offline is the one reason the sensor can still answer: with
 *                 a working light sensor an offline pole is off by day
 *                 ("day"); the street is never dark, and no pole burns at
 *                 noon for a broker outage. The others apply day and night.
 *   3. automatic  dark ? max(schedule level, presence boost) : off.
 *                 reason "presence" when the boost raises the level,
 *                 "schedule" when a schedule entry sets it, "night" for
 *                 `nightPercent` outside every entry (or with no local
 *                 time), "day" when it is light (0 %).
 *
 * Dusk/dawn: dark when lux < `onBelowLux`, light when lux > `offAboveLux`
 * (a hysteresis band between), and a switch needs its condition to hold for
 * `holdMs` (default 120 s) with every reading in that window agreeing, so a
 * passing cloud or headlights do not toggle the lamp. A reading inside the
 * band cancels a pending switch. The first good reading after boot or after a
 * sensor failure sets the state at once (no hold: there is no state to
 * protect; the same after a silence longer than `sensorStaleMs`); a first
 * reading inside the band keeps the last known state, or counts as dark.
 *
 * Schedule: entries { fromMin, toMin, percent } in local minutes of day
 * (0 ..= 1439), from inclusive, to exclusive; fromMin > toMin wraps midnight
 * (22:00–05:00 is { fromMin: 1320, toMin: 300 }). Entries must not overlap.
 */
import { ConfigError } from "../../runtime/errors";

export type LampReason =
	| "day"
	| "night"
	| "schedule"
	| "presence"
	| "override"
	| "fail-safe:offline"
	| "fail-safe:sensor"
	| "fail-safe:safe-mode"
	| "fail-safe:ota";

export interface LampDecision {
	/** lamp level, % (0 ..= 100) */
	percent: number;
	reason: LampReason;
}

export interface LampScheduleEntry {
	/** start, local minute of day 0 ..= 1439, inclusive */
	fromMin: number;
	/** end, local minute of day 0 ..= 1439, exclusive; < fromMin wraps midnight */
	toMin: number;
	/** level while dark in this window, % */
	percent: number;
}

export interface LampPolicyConfig {
	/** dark below this, lx @default 30 */
	onBelowLux: number;
	/** light above this, lx (> onBelowLux) @default 60 */
	offAboveLux: number;
	/** a dusk/dawn condition must hold this long, ms @default 120_000 */
	holdMs: number;
	/** night level outside every schedule entry, % @default 100 */
	nightPercent: number;
	/** dimming windows @default [] */
	schedule: readonly LampScheduleEntry[];
	/** level while presence is fresh (at night), % @default 100 */
	boostPercent: number;
	/** how long a presence keeps the boost, ms @default 60_000 */
	boostHoldMs: number;
	/** level when the node cannot trust itself, % @default 100 */
	failSafePercent: number;
	/** link down this long means offline, ms; Infinity disables @default 900_000 */
	offlineGraceMs: number;
	/** no lux reading for this long means the sensor failed, ms @default 300_000 */
	sensorStaleMs: number;
	/** longest override accepted, ms @default 86_400_000 */
	maxOverrideMs: number;
}

export const LAMP_POLICY_DEFAULTS: Readonly<LampPolicyConfig> = Object.freeze({
	onBelowLux: 30,
	offAboveLux: 60,
	holdMs: 120_000,
	nightPercent: 100,
	schedule: Object.freeze([]) as readonly LampScheduleEntry[],
	boostPercent: 100,
	boostHoldMs: 60_000,
	failSafePercent: 100,
	offlineGraceMs: 900_000,
	sensorStaleMs: 300_000,
	maxOverrideMs: 86_400_000,
});

const MINUTES_PER_DAY = 1440;

export class LampPolicy {
	#config: Readonly<LampPolicyConfig>;
	// ambient light
	#dark: boolean | undefined;
	#lastLux = NaN;
	#lastReadingMs = -Infinity;
	#sensorFailed = true;
	#pendingSince: number | undefined;
	// health
	#linkDownSince: number | undefined;
	#safeMode = false;
	#ota = false;
	// inputs
	#boostUntil = -Infinity;
	#override: { percent: number; untilMs: number } | undefined;

	/**
	 * @param config overrides of LAMP_POLICY_DEFAULTS
	 * @param nowMs time of creation; the link counts as down from here
	 * @throws ConfigError naming the key of an invalid or unknown setting
	 */
	constructor(config: Partial<LampPolicyConfig> = {}, nowMs = 0) {
		this.#config = validate({ ...LAMP_POLICY_DEFAULTS, ...config }, config);
		this.#linkDownSince = nowMs;
	}

	/** The configuration in effect. */
	get config(): Readonly<LampPolicyConfig> {
		return this.#config;
	}

	/** Dark as last decided; undefined before the first good reading. */
	get dark(): boolean | undefined {
		return this.#dark;
	}

	/** Replaces some settings; the whole result is validated first. @throws ConfigError with the key */
	configure(config: Partial<LampPolicyConfig>): void {
		this.#config = validate({ ...this.#config, ...config }, config);
	}

	/**
	 * A light sensor reading. A non-finite or negative value is taken as a
	 * sensor failure (a bad driver value must not crash the lamp logic).
	 */
	lux(nowMs: number, lux: number): void {
		if (!(typeof lux === "number" && lux >= 0 && lux < Infinity)) {
			this.sensorFailed(nowMs);
			return;
		}
		const { onBelowLux, offAboveLux, sensorStaleMs } = this.#config;
		const recovering = this.#sensorFailed || this.#dark === undefined || nowMs - this.#lastReadingMs > sensorStaleMs;
		this.#lastLux = lux;
		this.#lastReadingMs = nowMs;
		if (recovering) {
			this.#sensorFailed = false;
			this.#pendingSince = undefined;
			// No state to protect: classify now. In the band, keep what was known, else dark.
			if (lux < onBelowLux) this.#dark = true;
			else if (lux > offAboveLux) this.#dark = false;
			else this.#dark ??= true;
			return;
		}
		const wantsSwitch = this.#dark ? lux > offAboveLux : lux < onBelowLux;
		if (!wantsSwitch) this.#pendingSince = undefined;
		else this.#pendingSince ??= nowMs;
		this.#settle(nowMs);
	}

	/** The light sensor failed (driver error); cleared by the next good reading. */
	sensorFailed(_nowMs: number): void {
		this.#sensorFailed = true;
		this.#pendingSince = undefined;
	}

	/** Link state: up (MQTT session established) or down. */
	link(nowMs: number, up: boolean): void {
		if (up) this.#linkDownSince = undefined;
		else this.#linkDownSince ??= nowMs;
	}

	/** Safe mode entered (true) or left. */
	safeMode(_nowMs: number, on: boolean): void {
		this.#safeMode = on;
	}

	/** An OTA update started (true) or ended. */
	ota(_nowMs: number, active: boolean): void {
		this.#ota = active;
	}

	/** Presence seen (radar, counter): boost for `boostHoldMs` from now. */
	presence(nowMs: number): void {
		this.#boostUntil = Math.max(this.#boostUntil, nowMs + this.#config.boostHoldMs);
	}

	/**
	 * Operator override: `percent` until monotonic time `untilMs`.
	 * @throws RangeError for a percent outside 0 ..= 100, an untilMs not after
	 *   nowMs, or one more than `maxOverrideMs` ahead
	 */
	override(nowMs: number, command: { percent: number; untilMs: number }): void {
		const { percent, untilMs } = command;
		if (!isPercent(percent)) throw new RangeError(`LampPolicy override percent ${percent} outside 0 ..= 100`);
		if (!(typeof untilMs === "number" && untilMs > nowMs)) throw new RangeError(`LampPolicy override untilMs ${untilMs} not after now (${nowMs})`);
		if (untilMs - nowMs > this.#config.maxOverrideMs) throw new RangeError(`LampPolicy override longer than ${this.#config.maxOverrideMs} ms`);
		this.#override = { percent, untilMs };
	}

	/** Ends an override now; automatic control resumes. */
	clearOverride(): void {
		this.#override = undefined;
	}

	/**
	 * The lamp level now.
	 * @param minuteOfDay local time, minutes since midnight (0 ≤ m < 1440),
	 *   or undefined when local time is unknown (no schedule applies)
	 * @throws RangeError for a minuteOfDay outside 0 ≤ m < 1440
	 */
	decide(nowMs: number, minuteOfDay?: number): LampDecision {
		if (minuteOfDay !== undefined && !(minuteOfDay >= 0 && minuteOfDay < MINUTES_PER_DAY)) throw new RangeError(`LampPolicy minuteOfDay ${minuteOfDay} outside 0 ..= 1439`);
		const c = this.#config;
		const o = this.#override;
		if (o && nowMs >= o.untilMs) this.#override = undefined;
		else if (o) return { percent: o.percent, reason: "override" };

		this.#settle(nowMs);
		const failSafe = this.#failSafe(nowMs);
		if (failSafe && !(failSafe === "fail-safe:offline" && !this.#dark)) return { percent: c.failSafePercent, reason: failSafe };
		if (!this.#dark) return { percent: 0, reason: "day" };

		let percent = c.nightPercent;
		let reason: LampReason = "night";
		const entry = minuteOfDay === undefined ? undefined : c.schedule.find((e) => inWindow(e, minuteOfDay));
		if (entry) {
			percent = entry.percent;
			reason = "schedule";
		}
		if (nowMs < this.#boostUntil && c.boostPercent > percent) {
			percent = c.boostPercent;
			reason = "presence";
		}
		return { percent, reason };
	}

	#failSafe(nowMs: number): LampReason | undefined {
		if (this.#safeMode) return "fail-safe:safe-mode";
		if (this.#ota) return "fail-safe:ota";
		if (this.#sensorFailed || nowMs - this.#lastReadingMs > this.#config.sensorStaleMs) return "fail-safe:sensor";
		if (this.#linkDownSince !== undefined && nowMs - this.#linkDownSince > this.#config.offlineGraceMs) return "fail-safe:offline";
		return undefined;
	}

	/** Completes a pending dusk/dawn switch whose condition has held `holdMs`. */
	#settle(nowMs: number): void {
		if (this.#pendingSince === undefined || nowMs - this.#pendingSince < this.#config.holdMs) return;
		const { onBelowLux, offAboveLux } = this.#config;
		// The last reading still asks for it (a reading that did not would have cleared the pending switch).
		if (this.#dark ? this.#lastLux > offAboveLux : this.#lastLux < onBelowLux) this.#dark = !this.#dark;
		this.#pendingSince = undefined;
	}
}

function inWindow(e: LampScheduleEntry, m: number): boolean {
	return e.fromMin < e.toMin ? m >= e.fromMin && m < e.toMin : m >= e.fromMin || m < e.toMin;
}

function isPercent(value: unknown): value is number {
	return typeof value === "number" && value >= 0 && value <= 100;
}

/** Checks `c` (defaults merged with `given`); unknown keys in `given` are refused. */
function validate(c: LampPolicyConfig, given: Partial<LampPolicyConfig>): Readonly<LampPolicyConfig> {
	for (const key of Object.keys(given)) {
		if (!Object.prototype.hasOwnProperty.call(LAMP_POLICY_DEFAULTS, key)) throw new ConfigError(key, `LampPolicy unknown setting "${key}"`);
	}
	const nonNegative = (key: keyof LampPolicyConfig, allowInfinity = false) => {
		const v = c[key];
		if (typeof v !== "number" || !(v >= 0) || (!allowInfinity && v === Infinity)) throw new ConfigError(key, `LampPolicy invalid ${key}: ${String(v)}`);
	};
	const percent = (key: keyof LampPolicyConfig) => {
		if (!isPercent(c[key])) throw new ConfigError(key, `LampPolicy invalid ${key}: ${String(c[key])} (0 ..= 100 %)`);
	};
	nonNegative("onBelowLux");
	nonNegative("offAboveLux");
	if (!(c.offAboveLux > c.onBelowLux)) throw new ConfigError("offAboveLux", `LampPolicy offAboveLux (${c.offAboveLux}) must exceed onBelowLux (${c.onBelowLux})`);
	nonNegative("holdMs");
	nonNegative("boostHoldMs");
	nonNegative("offlineGraceMs", true);
	nonNegative("sensorStaleMs");
	nonNegative("maxOverrideMs");
	if (c.sensorStaleMs === 0) throw new ConfigError("sensorStaleMs", "LampPolicy sensorStaleMs must be > 0");
	if (c.maxOverrideMs === 0) throw new ConfigError("maxOverrideMs", "LampPolicy maxOverrideMs must be > 0");
	percent("nightPercent");
	percent("boostPercent");
	percent("failSafePercent");

	if (!Array.isArray(c.schedule)) throw new ConfigError("schedule", "LampPolicy schedule must be an array");
	const covered = new Uint8Array(MINUTES_PER_DAY);
	const schedule: LampScheduleEntry[] = [];
	c.schedule.forEach((e, i) => {
		const key = `schedule[${i}]`;
		if (!e || typeof e !== "object") throw new ConfigError(key, `LampPolicy ${key} is not an entry`);
		for (const k of ["fromMin", "toMin"] as const) {
			const v = e[k];
			if (!Number.isInteger(v) || v < 0 || v >= MINUTES_PER_DAY) throw new ConfigError(`${key}.${k}`, `LampPolicy ${key}.${k} must be an integer minute 0 ..= 1439`);
		}
		if (e.fromMin === e.toMin) throw new ConfigError(key, `LampPolicy ${key} is empty (fromMin = toMin)`);
		if (!isPercent(e.percent)) throw new ConfigError(`${key}.percent`, `LampPolicy ${key}.percent must be 0 ..= 100`);
		for (let m = e.fromMin; m !== e.toMin; m = (m + 1) % MINUTES_PER_DAY) {
			if (covered[m]) throw new ConfigError(key, `LampPolicy ${key} overlaps another entry at minute ${m}`);
			covered[m] = 1;
		}
		schedule.push(Object.freeze({ fromMin: e.fromMin, toMin: e.toMin, percent: e.percent }));
	});
	return Object.freeze({ ...c, schedule: Object.freeze(schedule) });
}
