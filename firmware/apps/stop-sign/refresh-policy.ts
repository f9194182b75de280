/*
 * When the sign's e-paper panel refreshes, and how (issue #4, "Refresh as a
 * managed resource"). E-paper wears and ghosts:
 *   - a partial refresh drives only the pixels that changed with a short
 *     waveform; it is fast and calm, but each one leaves a little residual
 *     charge (ghosting), so after N of them a full refresh (the flashing
 *     black/white waveform) clears the image (SSD1680 datasheet §6.8 and
 *     Good Display application notes: "a full refresh after every 5–30
 *     partial refreshes"; GxEPD2 leaves the count to the application);
 *   - a full refresh flashes the whole panel, so it is rate-limited: at least
 *     `fullMinIntervalS` apart, and partials continue until that has passed;
 *   - a panel that sat unchanged for a day still gets a full refresh, so the
 *     residual charge of the last partial does not set in;
 *   - below the panel's operating temperature (0 °C for most EPD modules,
 *     e.g. GDEY029T94 spec "Operating temperature 0–50 °C") the waveform
 *     misbehaves, so nothing is refreshed: the last image stays (an e-paper
 *     image needs no power to persist).
 * The policy is pure logic with explicit time: `decide` does not change
 * anything, `done` records what the app actually did and persists the
 * counters, so they survive reboot and deep sleep (an ESP32 wake from deep
 * sleep is a reboot: the counters are loaded again at construction).
 *
 * Time is `nowS`, seconds on a clock that continues across reboots (epoch
 * seconds from the RTC/SNTP). A clock that goes backwards (lost time after a
 * power cut, then set) makes "time since the last full" unknown: that is
 * treated like an unknown panel state, one full refresh sets a new reference.
 */

export interface RefreshCounters {
	/** partial refreshes since the last full one (drives the every-N rule) */
	partialsSinceFull: number;
	fullTotal: number;
	partialTotal: number;
	/** refreshes refused because the panel was too cold */
	skippedCold: number;
	/** `nowS` of the last full refresh; undefined = never (the panel's image is unknown) */
	lastFullS: number | undefined;
	/** ghosting estimate: partial refreshes since the panel was last cleared by a full one (equal to partialsSinceFull by definition) */
	ghost: number;
}

export interface RefreshStore {
	/** the persisted counters, undefined when none or unreadable */
	load(): RefreshCounters | undefined;
	save(counters: RefreshCounters): void;
}

export interface RefreshPolicyOptions {
	/** full refresh after this many partials. @default 30 */
	fullEvery?: number;
	/** never two full refreshes closer than this, s. @default 180 */
	fullMinIntervalS?: number;
	/** a full refresh at least this often even when nothing changed, s. @default 86400 */
	fullMaxIntervalS?: number;
	/** no refresh below this panel temperature, °C. @default 0 */
	minCelsius?: number;
	/** the panel's image is unknown (power-on, not a deep-sleep wake): the first refresh is full. @default false */
	coldBoot?: boolean;
}

export type RefreshAction = "full" | "partial" | "skip" | "none";

export interface RefreshDecision {
	action: RefreshAction;
	reason: string;
}

export function freshCounters(): RefreshCounters {
	return { partialsSinceFull: 0, fullTotal: 0, partialTotal: 0, skippedCold: 0, lastFullS: undefined, ghost: 0 };
}

function count(v: unknown): v is number {
	return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

/** True when `c` is a well-formed counters record (what a store may hand back after a firmware change or corruption). */
export function validCounters(c: unknown): c is RefreshCounters {
	if (!c || typeof c !== "object") return false;
	const r = c as Record<string, unknown>;
	return (
		count(r.partialsSinceFull) &&
		count(r.fullTotal) &&
		count(r.partialTotal) &&
		count(r.skippedCold) &&
		count(r.ghost) &&
		(r.lastFullS === undefined || (typeof r.lastFullS === "number" && Number.isFinite(r.lastFullS)))
	);
}

function option(name: string, value: number | undefined, fallback: number, min: number): number {
	if (value === undefined) return fallback;
	if (typeof value !== "number" || !Number.isFinite(value) || value < min) throw new RangeError(`refresh policy: ${name} must be a number ≥ ${min}, got ${value}`);
	return value;
}

/** One decimal, without locale formatting (no Intl on XS): -3.25 → "-3.3", 0 → "0". */
function celsiusText(c: number): string {
	const r = Math.round(c * 10) / 10;
	return String(r === 0 ? 0 : r);
}

export class RefreshPolicy {
	readonly fullEvery: number;
	readonly fullMinIntervalS: number;
	readonly fullMaxIntervalS: number;
	readonly minCelsius: number;
	#store: RefreshStore;
	#c: RefreshCounters;
	#panelUnknown: boolean;

	/** @throws RangeError on a bad option (fullEvery < 1, a negative interval, a non-finite number) */
	constructor(store: RefreshStore, options: RefreshPolicyOptions = {}) {
		this.fullEvery = Math.floor(option("fullEvery", options.fullEvery, 30, 1));
		this.fullMinIntervalS = option("fullMinIntervalS", options.fullMinIntervalS, 180, 0);
		this.fullMaxIntervalS = option("fullMaxIntervalS", options.fullMaxIntervalS, 86_400, 1);
		if (options.minCelsius !== undefined && (typeof options.minCelsius !== "number" || !Number.isFinite(options.minCelsius)))
			throw new RangeError(`refresh policy: minCelsius must be a finite number, got ${options.minCelsius}`);
		this.minCelsius = options.minCelsius ?? 0;
		this.#store = store;
		let loaded: RefreshCounters | undefined;
		try {
			loaded = store.load();
		} catch {
			// An unreadable store is a store without counters: the sign must still refresh. The next save rewrites it.
			loaded = undefined;
		}
		this.#c = validCounters(loaded) ? { ...loaded } : freshCounters();
		this.#panelUnknown = options.coldBoot === true;
	}

	/** The panel's image is unknown (power-on reset, a failed refresh, a panel swap): the next refresh is full. */
	coldBoot(): void {
		this.#panelUnknown = true;
	}

	/**
	 * What to do now. `changed`: the rendered image differs from what the panel shows.
	 * `celsius`: panel temperature, undefined when no sensor reading is available.
	 */
	decide(nowS: number, celsius: number | undefined, changed: boolean): RefreshDecision {
		const wanted = this.#wanted(nowS, changed);
		if (wanted.action === "none") return wanted;
		if (celsius !== undefined && celsius < this.minCelsius)
			return { action: "skip", reason: `cold: ${celsiusText(celsius)} °C < ${celsiusText(this.minCelsius)} °C` };
		// An unknown temperature refreshes anyway: many boards have no panel sensor, and the
		// controllers pick their waveform from their own on-chip sensor (SSD1680 §6.7, UC8179
		// TSE); refusing would freeze a possibly stale board on the street, which is worse
		// ("never lie") than a refresh at an unmeasured temperature.
		if (celsius === undefined || !Number.isFinite(celsius)) return { action: wanted.action, reason: `${wanted.reason}; temperature unknown` };
		return wanted;
	}

	#wanted(nowS: number, changed: boolean): RefreshDecision {
		const c = this.#c;
		if (this.#panelUnknown) return { action: "full", reason: "panel state unknown (cold boot)" };
		if (c.lastFullS === undefined) return { action: "full", reason: "no full refresh recorded" };
		const sinceFull = nowS - c.lastFullS;
		if (!(sinceFull >= 0)) return { action: "full", reason: "clock went back: time since the last full refresh unknown" };
		if (sinceFull >= this.fullMaxIntervalS) return { action: "full", reason: `${sinceFull} s since the last full refresh (max ${this.fullMaxIntervalS} s)` };
		if (!changed) return { action: "none", reason: "unchanged" };
		if (c.partialsSinceFull >= this.fullEvery) {
			if (sinceFull >= this.fullMinIntervalS) return { action: "full", reason: `${c.partialsSinceFull} partials since the last full refresh` };
			return { action: "partial", reason: `${c.partialsSinceFull} partials, but only ${sinceFull} s since the last full refresh (min ${this.fullMinIntervalS} s)` };
		}
		return { action: "partial", reason: "changed" };
	}

	/**
	 * Records what was done and persists the counters ("none" records nothing).
	 * @throws whatever the store's save throws; the counters in memory are updated first
	 */
	done(action: RefreshAction, nowS: number): void {
		const c = this.#c;
		if (action === "none") return;
		if (action === "full") {
			c.fullTotal++;
			c.partialsSinceFull = 0;
			c.ghost = 0;
			c.lastFullS = nowS;
			this.#panelUnknown = false;
		} else if (action === "partial") {
			c.partialTotal++;
			c.partialsSinceFull++;
			c.ghost = c.partialsSinceFull;
		} else if (action === "skip") {
			c.skippedCold++;
		} else throw new RangeError(`refresh policy: unknown action "${String(action)}"`);
		this.#store.save({ ...c });
	}

	/**
	 * The clock the counters were kept on moved by `offsetS` (the sign refreshed on boot-relative seconds before its
	 * wall clock was synced): re-expresses the last full refresh on the new clock, so the sync itself does not look
	 * like a day without a full refresh.
	 */
	rebase(offsetS: number): void {
		if (this.#c.lastFullS === undefined || !Number.isFinite(offsetS)) return;
		this.#c.lastFullS += offsetS;
		this.#store.save({ ...this.#c });
	}

	/** A copy of the current counters. */
	counters(): RefreshCounters {
		return { ...this.#c };
	}
}
