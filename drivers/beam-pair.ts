/*
 * Directional people counter from two through-beam or retro-reflective IR
 * photoelectric sensors, beams A and B a few cm apart across a footpath or
 * gate, mounted at chest height (~1.1–1.3 m) so swinging legs do not split
 * one person into several breaks. Each sensor's switching output goes to a
 * Digital input (ECMA-419 2nd ed. §9.2); most have an NPN open-collector
 * output, "dark-on": it pulls low while the beam is broken (`activeLow`).
 *
 *   new BeamPair({ a: { io: device.io.Digital, pin: 32 }, b: { io: device.io.Digital, pin: 33 },
 *                  ticks: () => Time.ticks })
 *
 * Direction: a person breaks the beam nearer to them first. A then B is
 * "towards", B then A is "away"; which physical beam is A is the
 * installer's choice (or set `reverse`). Each beam is debounced by a
 * PulseCounter (leading edge counted, then a lockout: drivers/pulse-counter.ts);
 * its counted breaks are paired here:
 *   - a break on one beam pairs with the oldest unpaired break on the other
 *     beam if that is at most `maxGapMs` old; the order gives the direction;
 *   - otherwise it waits up to `maxGapMs` for a partner.
 * Decisions, and why:
 *   - A lone break (nothing on the other beam within `maxGapMs`) is counted
 *     as `unknown`, not ignored: it is usually a real passer-by whose second
 *     break was missed (a child under one beam, stepping through at an
 *     angle) or someone who turned back. Ignoring it would hide a dirty or
 *     misaligned beam; a rising unknown share is the maintenance signal,
 *     and `towards + away + unknown` stays an honest footfall total.
 *   - Two people close together: breaks pair first-in first-out, so a
 *     stream of people (either direction, even alternating) gives exact
 *     counts as long as their bodies leave a gap of at least `debounceMs`
 *     on each beam. Bodies closer than that (a couple holding hands, a
 *     dense crowd) keep the beams continuously broken and count as one:
 *     a limit of beams, not of this driver. Use a ToF/radar counter there.
 *   - Bounce: IR receivers chatter near their threshold (clothing edges,
 *     sunlight) and a bag or an arm re-breaks a beam; the per-beam lockout
 *     (`debounceMs`, default 100 ms) merges re-breaks shorter than that.
 *     People in single file at walking pace are ≥ 300 ms apart.
 *   - No timer (drivers run on the simulator's virtual clock): a lone break
 *     becomes `unknown` at the next break, `take()`, `totals()` or `poll()`
 *     after `maxGapMs` has passed. A break younger than that stays pending
 *     across `take()` and is counted in a later window: never lost.
 *   - A beam broken for `blockedMs` (a parked bicycle, a misaligned
 *     reflector) is reported by `poll()` as a DriverError "… stuck broken".
 */
import { ConfigError, DriverError } from "../firmware/runtime/errors";
import { PulseCounter, type PulseCounterInput } from "./pulse-counter";

export type { PulseCounterInput as BeamInput } from "./pulse-counter";

export type BeamDirection = "towards" | "away" | "unknown";

/** Crossings counted, by direction. */
export interface BeamCounts {
	/** A then B (B then A with `reverse`) */
	towards: number;
	/** B then A (A then B with `reverse`) */
	away: number;
	/** one beam only: direction unknown (see the header) */
	unknown: number;
}

export interface BeamPairOptions {
	/** beam A's sensor output */
	a: PulseCounterInput;
	/** beam B's sensor output */
	b: PulseCounterInput;
	/** ms since boot */
	ticks: () => number;
	/** the output is low while the beam is broken (NPN dark-on) @default true */
	activeLow?: boolean;
	/** per-beam lockout after each accepted change, ms @default 100 */
	debounceMs?: number;
	/** most time between the two beams' breaks for one crossing, ms @default 1500 */
	maxGapMs?: number;
	/** a beam broken this long is reported by `poll()`; 0 disables, ms @default 60_000 */
	blockedMs?: number;
	/** swap the meaning of towards and away @default false */
	reverse?: boolean;
	/** Errors from interrupt callbacks and `poll()` come here instead of being thrown. */
	onError?: (error: DriverError) => void;
}

type Beam = "a" | "b";

/** Unpaired breaks kept per beam; older ones become unknown (bounds memory if B is dead). */
const MAX_PENDING = 16;

export class BeamPair {
	#a: PulseCounter | undefined;
	#b: PulseCounter | undefined;
	#closed = false;
	#ticks: () => number;
	#maxGapMs: number;
	#blockedMs: number;
	#reverse: boolean;
	#onError: ((error: DriverError) => void) | undefined;
	#pending: Record<Beam, number[]> = { a: [], b: [] };
	#blocked: Record<Beam, boolean> = { a: false, b: false };
	#totals: BeamCounts = { towards: 0, away: 0, unknown: 0 };
	#taken: BeamCounts = { towards: 0, away: 0, unknown: 0 };

	/**
	 * Opens both inputs.
	 * @throws ConfigError on bad options; DriverError naming the beam if an input cannot be opened (nothing stays open)
	 */
	constructor(options: BeamPairOptions) {
		if (!options || typeof options !== "object") throw new ConfigError("options", "BeamPair options required");
		if (!options.a) throw new ConfigError("a", "BeamPair needs input a");
		if (!options.b) throw new ConfigError("b", "BeamPair needs input b");
		if (typeof options.ticks !== "function") throw new ConfigError("ticks", "BeamPair ticks must be a function returning ms");
		const maxGapMs = options.maxGapMs ?? 1500;
		if (typeof maxGapMs !== "number" || !(maxGapMs > 0) || !Number.isFinite(maxGapMs)) throw new ConfigError("maxGapMs", "BeamPair maxGapMs must be a finite number > 0");
		const blockedMs = options.blockedMs ?? 60_000;
		if (typeof blockedMs !== "number" || !(blockedMs >= 0) || !Number.isFinite(blockedMs)) throw new ConfigError("blockedMs", "BeamPair blockedMs must be a finite number ≥ 0");
		if (options.onError !== undefined && typeof options.onError !== "function") throw new ConfigError("onError", "BeamPair onError must be a function");
		this.#ticks = options.ticks;
		this.#maxGapMs = maxGapMs;
		this.#blockedMs = blockedMs;
		this.#reverse = !!options.reverse;
		this.#onError = options.onError;
		const edge = (options.activeLow ?? true) ? "falling" : "rising";
		const debounceMs = options.debounceMs ?? 100;
		const open = (beam: Beam): PulseCounter => {
			try {
				return new PulseCounter({
					input: options[beam],
					ticks: options.ticks,
					debounceMs,
					edge,
					onPulse: (t) => this.#onBreak(beam, t),
					onError: (e) => this.#report(this.#error(`beam ${beam.toUpperCase()}: ${e.message}`, e)),
				});
			} catch (e) {
				if (e instanceof ConfigError) throw new ConfigError(e.key === "input" ? beam : e.key, `BeamPair beam ${beam.toUpperCase()}: ${e.message}`, { cause: e });
				throw this.#error(`beam ${beam.toUpperCase()}: ${(e as Error).message}`, e);
			}
		};
		this.#a = open("a");
		try {
			this.#b = open("b");
		} catch (e) {
			this.#a.close();
			this.#a = undefined;
			throw e;
		}
	}

	/** Crossings since the previous `take()` (or construction); starts the next window. @throws DriverError when closed */
	take(): BeamCounts {
		const t = this.totals();
		const out = { towards: t.towards - this.#taken.towards, away: t.away - this.#taken.away, unknown: t.unknown - this.#taken.unknown };
		this.#taken = t;
		return out;
	}

	/** Crossings since construction. @throws DriverError when closed */
	totals(): BeamCounts {
		this.#check();
		this.#expire(this.#ticks());
		return { ...this.#totals };
	}

	/** Breaks waiting for a partner on the other beam (counted later, never lost). */
	get pending(): number {
		return this.#pending.a.length + this.#pending.b.length;
	}

	/**
	 * Periodic check (every few seconds): turns lone breaks older than
	 * `maxGapMs` into `unknown` and reports a beam broken for `blockedMs`.
	 * @throws DriverError for a blocked beam (unless `onError` was given), or when closed
	 */
	poll(): void {
		this.#check();
		const now = this.#ticks();
		this.#expire(now);
		if (!this.#blockedMs) return;
		for (const beam of ["a", "b"] as const) {
			const counter = beam === "a" ? this.#a! : this.#b!;
			const brokenMs = now - counter.lastChangeTicks;
			if (!counter.active) this.#blocked[beam] = false;
			else if (brokenMs >= this.#blockedMs && !this.#blocked[beam]) {
				this.#blocked[beam] = true;
				this.#report(this.#error(`beam ${beam.toUpperCase()} stuck broken (blocked) for ${Math.round(brokenMs)} ms`));
			}
		}
	}

	/** Releases both inputs. Safe to call twice; no callback runs after it. */
	close(): void {
		this.#closed = true;
		this.#a?.close();
		this.#b?.close();
		this.#a = undefined;
		this.#b = undefined;
	}

	/** A debounced break on `beam` at `t` (ms). */
	#onBreak(beam: Beam, t: number): void {
		this.#blocked[beam] = false;
		this.#expire(t);
		const other = this.#pending[beam === "a" ? "b" : "a"];
		if (other.length) {
			other.shift();
			// The other beam broke first: B after A is towards.
			const aFirst = beam === "b";
			this.#totals[aFirst !== this.#reverse ? "towards" : "away"]++;
			return;
		}
		const own = this.#pending[beam];
		own.push(t);
		if (own.length > MAX_PENDING) {
			own.shift();
			this.#totals.unknown++;
		}
	}

	/** Lone breaks older than maxGapMs become unknown. */
	#expire(now: number): void {
		for (const beam of ["a", "b"] as const) {
			const q = this.#pending[beam];
			while (q.length && now - q[0] > this.#maxGapMs) {
				q.shift();
				this.#totals.unknown++;
			}
		}
	}

	#report(error: DriverError): void {
		if (!this.#onError) throw error;
		this.#onError(error);
	}

	#check(): void {
		if (this.#closed) throw this.#error("closed");
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`BeamPair ${message}`, cause === undefined ? undefined : { cause });
	}
}

export default BeamPair;
