/*
 * A pair of IR photoelectric beams A and B a few cm apart across a footpath
 * or gate, modelled at their two output pins. People cross them from a
 * scenario list: the nearer beam breaks first, the other `offsetMs` later
 * (5 cm at a 1 m/s stroll is 50 ms), each stays broken for `breakMs` (a
 * 0.4 m deep body at 1.3 m/s is ~300 ms). A beam is broken while any body
 * is in it, so people closer than one body merge, as they do on the real
 * beams. The outputs follow common NPN "dark-on" sensors: open collector,
 * pulled low while the beam is broken (`activeLow`, `openCollector`).
 *
 * Bounce, as in host-sim/io/pulse-source.ts: an IR receiver near its
 * threshold (clothing edges, sunlight) chatters as the beam breaks; after
 * each leading edge the output returns to idle and back `bounces` times,
 * `bounceMs` apart, before it settles.
 *
 * Faults (`fault`, on one beam): "blocked-a"/"blocked-b" something stands
 * in the beam (a parked bicycle, a misaligned reflector): held broken, the
 * stuck value; "dead-a"/"dead-b" no power or a cut cable: the output is
 * released, no answer (reads as an unbroken beam with a pull-up);
 * "chatter-a"/"chatter-b" sunlight into the receiver: the output toggles at
 * random every `chatterMinMs … chatterMaxMs`, the garbage of a pin.
 *
 *   const beams = new BeamPairModel(board.pin(32), board.pin(33), board, {
 *     crossings: [{ atMs: 1000, direction: "towards" }, { atMs: 3000, direction: "away", turnBack: true }],
 *   });
 */
import type { BoardTime } from "../io/models";
import type { Level, SimPin } from "../io/pin";
import { xorshift32 } from "./xorshift";

export type BeamPairFault = "blocked-a" | "blocked-b" | "dead-a" | "dead-b" | "chatter-a" | "chatter-b" | undefined;

/** One person at the beams. */
export interface BeamCrossing {
	/** board ticks (ms since boot) when the first beam breaks */
	atMs: number;
	/** towards: A breaks first; away: B first */
	direction: "towards" | "away";
	/** ms between the first and the second beam breaking @default the model's offsetMs */
	offsetMs?: number;
	/** ms each beam stays broken @default the model's breakMs */
	breakMs?: number;
	/** breaks the first beam only and turns back (or slips under the second) */
	turnBack?: boolean;
}

export interface BeamPairModelOptions {
	crossings?: readonly BeamCrossing[];
	/** @default 50 */
	offsetMs?: number;
	/** @default 300 */
	breakMs?: number;
	/** output low while broken @default true */
	activeLow?: boolean;
	/** unbroken = released line (needs a pull-up) @default true */
	openCollector?: boolean;
	/** extra returns to idle after each leading edge @default 0 */
	bounces?: number;
	/** length of each bounce opening and closing, ms @default 0.2 */
	bounceMs?: number;
	/** chatter fault interval range, ms @default 1 … 30 */
	chatterMinMs?: number;
	chatterMaxMs?: number;
	/** PRNG seed for chatter @default 1 */
	seed?: number;
}

type Beam = "a" | "b";

interface BeamState {
	pin: SimPin;
	bodies: number;
	/** in a bounce's open phase */
	open: boolean;
	chatter: boolean;
	chatterTimer: number;
	drive: Level | undefined | null;
}

export class BeamPairModel {
	/** What happened, for tests and the dashboard. */
	readonly stats = { towards: 0, away: 0, turnBacks: 0, breaks: { a: 0, b: 0 } };
	#time: BoardTime;
	#beams: Record<Beam, BeamState>;
	#offsetMs: number;
	#breakMs: number;
	#activeLevel: Level;
	#openCollector: boolean;
	#bounces: number;
	#bounceMs: number;
	#chatterMinMs: number;
	#chatterMaxMs: number;
	#fault: BeamPairFault;
	#timers = new Set<number>();
	#queue: BeamCrossing[] = [];
	#nextTimer = 0;
	#rng: number;

	constructor(a: SimPin, b: SimPin, time: BoardTime, options: BeamPairModelOptions = {}) {
		this.#time = time;
		const beam = (pin: SimPin): BeamState => ({ pin, bodies: 0, open: false, chatter: false, chatterTimer: 0, drive: null });
		this.#beams = { a: beam(a), b: beam(b) };
		this.#offsetMs = options.offsetMs ?? 50;
		this.#breakMs = options.breakMs ?? 300;
		this.#activeLevel = (options.activeLow ?? true) ? 0 : 1;
		this.#openCollector = options.openCollector ?? true;
		this.#bounces = options.bounces ?? 0;
		this.#bounceMs = options.bounceMs ?? 0.2;
		this.#chatterMinMs = options.chatterMinMs ?? 1;
		this.#chatterMaxMs = options.chatterMaxMs ?? 30;
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
		if (!Number.isInteger(this.#bounces) || this.#bounces < 0 || !(this.#bounceMs > 0)) throw new RangeError("beam pair: bounces ≥ 0, bounceMs > 0");
		if (!(this.#chatterMinMs > 0 && this.#chatterMaxMs >= this.#chatterMinMs)) throw new RangeError("beam pair: 0 < chatterMinMs ≤ chatterMaxMs");
		this.#checkTiming(this.#offsetMs, this.#breakMs);
		for (const c of options.crossings ?? []) this.cross(c);
		this.#apply("a");
		this.#apply("b");
	}

	get fault(): BeamPairFault {
		return this.#fault;
	}
	set fault(fault: BeamPairFault) {
		if (fault === this.#fault) return;
		for (const k of ["a", "b"] as const) {
			const s = this.#beams[k];
			if (s.chatterTimer) this.#time.cancel(s.chatterTimer);
			s.chatterTimer = 0;
			s.chatter = false;
		}
		this.#fault = fault;
		if (fault === "chatter-a") this.#chatterNext("a");
		if (fault === "chatter-b") this.#chatterNext("b");
		this.#apply("a");
		this.#apply("b");
	}

	/** Whether beam `beam` is broken by a body now (faults aside). */
	broken(beam: Beam): boolean {
		return this.#beams[beam].bodies > 0;
	}

	/**
	 * Adds one crossing (board ticks). The list is kept in time order and
	 * only the next crossing holds a timer, so a long scenario costs the
	 * clock's queue nothing until it is due.
	 */
	cross(c: BeamCrossing): void {
		this.#checkTiming(c.offsetMs ?? this.#offsetMs, c.breakMs ?? this.#breakMs);
		if (c.direction !== "towards" && c.direction !== "away") throw new RangeError(`beam pair: invalid direction ${String(c.direction)}`);
		const q = this.#queue;
		let i = q.length;
		while (i > 0 && q[i - 1].atMs > c.atMs) i--;
		q.splice(i, 0, c);
		if (i === 0) this.#armNext();
	}

	/** Crossings in the list not yet started. */
	get queued(): number {
		return this.#queue.length;
	}

	/** Cancels crossings not yet done and chatter; beams keep their state. */
	stop(): void {
		for (const h of this.#timers) this.#time.cancel(h);
		this.#timers.clear();
		this.#queue.length = 0;
		if (this.#nextTimer) this.#time.cancel(this.#nextTimer);
		this.#nextTimer = 0;
		for (const k of ["a", "b"] as const) {
			const s = this.#beams[k];
			if (s.chatterTimer) this.#time.cancel(s.chatterTimer);
			s.chatterTimer = 0;
		}
	}

	/** (Re)schedules the timer for the earliest queued crossing. */
	#armNext(): void {
		if (this.#nextTimer) this.#time.cancel(this.#nextTimer);
		this.#nextTimer = 0;
		const c = this.#queue[0];
		if (!c) return;
		this.#nextTimer = this.#time.schedule(Math.max(0, c.atMs - this.#time.ticks()), () => {
			this.#nextTimer = 0;
			this.#queue.shift();
			this.#start(c);
			this.#armNext();
		});
	}

	/** The crossing begins now: the first beam breaks. */
	#start(c: BeamCrossing): void {
		const offsetMs = c.offsetMs ?? this.#offsetMs;
		const breakMs = c.breakMs ?? this.#breakMs;
		const first: Beam = c.direction === "towards" ? "a" : "b";
		const second: Beam = first === "a" ? "b" : "a";
		if (c.turnBack) this.stats.turnBacks++;
		else this.stats[c.direction]++;
		this.#body(first, 0, breakMs);
		if (!c.turnBack) this.#body(second, offsetMs, breakMs);
	}

	#checkTiming(offsetMs: number, breakMs: number): void {
		if (!(offsetMs >= 0) || !(breakMs > 2 * this.#bounces * this.#bounceMs)) throw new RangeError("beam pair: offsetMs ≥ 0 and breakMs must exceed the bounce time");
	}

	/** A body enters `beam` after `delayMs` and leaves `breakMs` later. */
	#body(beam: Beam, delayMs: number, breakMs: number): void {
		const s = this.#beams[beam];
		this.#at(delayMs, () => {
			s.bodies++;
			if (s.bodies === 1) {
				this.stats.breaks[beam]++;
				for (let k = 1; k <= this.#bounces; k++) {
					this.#at((2 * k - 1) * this.#bounceMs, () => {
						s.open = true;
						this.#apply(beam);
					});
					this.#at(2 * k * this.#bounceMs, () => {
						s.open = false;
						this.#apply(beam);
					});
				}
			}
			this.#apply(beam);
		});
		this.#at(delayMs + breakMs, () => {
			s.bodies--;
			this.#apply(beam);
		});
	}

	#apply(beam: Beam): void {
		const s = this.#beams[beam];
		const f = this.#fault;
		let drive: Level | undefined;
		const idle: Level | undefined = this.#openCollector ? undefined : this.#activeLevel ? 0 : 1;
		if (f === `blocked-${beam}`) drive = this.#activeLevel;
		else if (f === `dead-${beam}`) drive = undefined;
		else if (f === `chatter-${beam}`) drive = s.chatter ? this.#activeLevel : idle;
		else drive = s.bodies > 0 && !s.open ? this.#activeLevel : idle;
		if (drive === s.drive) return;
		s.drive = drive;
		s.pin.drive(drive);
	}

	#chatterNext(beam: Beam): void {
		const s = this.#beams[beam];
		const ms = this.#chatterMinMs + (this.#random() / 0xffffffff) * (this.#chatterMaxMs - this.#chatterMinMs);
		s.chatterTimer = this.#time.schedule(ms, () => {
			s.chatterTimer = 0;
			s.chatter = !s.chatter;
			this.#apply(beam);
			this.#chatterNext(beam);
		});
	}

	#at(ms: number, fn: () => void): void {
		const h = this.#time.schedule(ms, () => {
			this.#timers.delete(h);
			fn();
		});
		this.#timers.add(h);
	}

	/** xorshift32: deterministic on every host. */
	#random(): number {
		return (this.#rng = xorshift32(this.#rng));
	}
}
