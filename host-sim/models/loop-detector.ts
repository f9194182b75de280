/*
 * Inductive loop vehicle detector (Nortech TD136/PD27x, Siemens and alike),
 * modelled at its output pin: the line the firmware reads with a Digital
 * (presence) or a PulseCount (pulse output). What it follows:
 *   - response: the output follows the vehicle over the loop after ~60 ms,
 *     on and off (Nortech TD136 user manual 301UM0031 §2.1 "Response
 *     Times"); the model is a pure delay line, so a vehicle that is over the
 *     loop for less than that still shows, as briefly;
 *   - presence output: active while a vehicle is detected; pulse output:
 *     one pulse of `pulseMs` on each detect (PD160 manual §3.2.5.1: 50 ms …
 *     2 s, 150 ms is common);
 *   - the output stage: an open collector (or relay contact) to ground is
 *     "active low" and leaves the line released when inactive, so the
 *     firmware must pull it up (a missing pull-up reads as a floating 0:
 *     occupied); `openCollector: false` drives both levels;
 *   - fail-safe vs fail-secure (PD27x manual 307UM0200 §4.3): unpowered, a
 *     fail-safe output shows presence, a fail-secure one shows none.
 * Not modelled: tuning at power-up, sensitivity, limited presence (the
 * detector tuning a long stay out), the separate fault relay.
 *
 * Scenario: a list of visits `{ arriveMs, departMs? }` in board ticks (a
 * vehicle's presence is a step function, so an event list is its exact form
 * and costs two timers per visit instead of a timer per detector scan),
 * plus `arrive`/`depart`/`visit` to add more while running.
 *
 * Faults (`fault`): "chatter" the output toggles at random every
 * `chatterMinMs … chatterMaxMs` (a damaged loop feeder, crosstalk between
 * adjacent loops on one frequency; the "garbage" of a pin); "stuck" the
 * output freezes at its level when the fault is set (a welded relay, a
 * hung detector); "dead" no power, no answer: the output goes to its
 * unpowered state (see fail-safe). Clearing the fault restores the output
 * the detector would give now.
 *
 *   const loop = new LoopDetectorModel(board.pin(36), board, { visits: [{ arriveMs: 10_000, departMs: 90_000 }] });
 */
import type { BoardTime } from "../io/models";
import type { Level, SimPin } from "../io/pin";
import { xorshift32 } from "./xorshift";

export type LoopDetectorFault = "chatter" | "stuck" | "dead" | undefined;

/** One vehicle over the loop, board ticks (ms since boot). */
export interface LoopVisit {
	arriveMs: number;
	/** absent: the vehicle stays */
	departMs?: number;
}

export interface LoopDetectorModelOptions {
	visits?: readonly LoopVisit[];
	/** @default "presence" */
	output?: "presence" | "pulse";
	/** pulse output width, ms @default 150 */
	pulseMs?: number;
	/** detect and un-detect delay, ms @default 60 */
	responseMs?: number;
	/** output low while active @default true */
	activeLow?: boolean;
	/** inactive = released line (needs a pull-up) @default true */
	openCollector?: boolean;
	/** unpowered output shows presence @default false (fail-secure) */
	failSafe?: boolean;
	/** chatter fault interval range, ms @default 40 … 400 */
	chatterMinMs?: number;
	chatterMaxMs?: number;
	/** PRNG seed for chatter @default 1 */
	seed?: number;
}

export class LoopDetectorModel {
	readonly pin: SimPin;
	/** What happened, for tests and the dashboard. */
	readonly stats = { arrivals: 0, departures: 0, detects: 0, pulses: 0, outputChanges: 0 };
	#time: BoardTime;
	#output: "presence" | "pulse";
	#pulseMs: number;
	#responseMs: number;
	#activeLevel: Level;
	#openCollector: boolean;
	#failSafe: boolean;
	#chatterMinMs: number;
	#chatterMaxMs: number;
	#fault: LoopDetectorFault;
	/** vehicles over the loop now */
	#vehicles = 0;
	/** vehicles the detector has responded to (the delayed copy) */
	#seen = 0;
	#pulse = false;
	#frozen = false;
	#chatter = false;
	#chatterTimer = 0;
	#active: boolean | undefined;
	#timers = new Set<number>();
	#rng: number;

	constructor(pin: SimPin, time: BoardTime, options: LoopDetectorModelOptions = {}) {
		this.pin = pin;
		this.#time = time;
		this.#output = options.output ?? "presence";
		this.#pulseMs = options.pulseMs ?? 150;
		this.#responseMs = options.responseMs ?? 60;
		this.#activeLevel = (options.activeLow ?? true) ? 0 : 1;
		this.#openCollector = options.openCollector ?? true;
		this.#failSafe = options.failSafe ?? false;
		this.#chatterMinMs = options.chatterMinMs ?? 40;
		this.#chatterMaxMs = options.chatterMaxMs ?? 400;
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
		if (!(this.#pulseMs > 0) || !(this.#responseMs >= 0)) throw new RangeError("loop detector: pulseMs > 0 and responseMs ≥ 0");
		if (!(this.#chatterMinMs > 0 && this.#chatterMaxMs >= this.#chatterMinMs)) throw new RangeError("loop detector: 0 < chatterMinMs ≤ chatterMaxMs");
		for (const v of options.visits ?? []) this.visit(v);
		this.#apply();
	}

	get fault(): LoopDetectorFault {
		return this.#fault;
	}
	set fault(fault: LoopDetectorFault) {
		if (fault === this.#fault) return;
		if (this.#chatterTimer) {
			this.#time.cancel(this.#chatterTimer);
			this.#chatterTimer = 0;
		}
		this.#frozen = !!this.#active;
		this.#chatter = !!this.#active;
		this.#fault = fault;
		if (fault === "chatter") this.#chatterNext();
		this.#apply();
	}

	/** Whether the detector sees a vehicle (after its response time), faults aside. */
	get detecting(): boolean {
		return this.#seen > 0;
	}

	/** Whether the output is at its active level now. */
	get active(): boolean {
		return !!this.#active;
	}

	/** A vehicle enters the loop after `delayMs`. */
	arrive(delayMs = 0): void {
		this.#at(delayMs, () => {
			this.stats.arrivals++;
			this.#vehicles++;
			this.#at(this.#responseMs, () => this.#respond(+1));
		});
	}

	/** A vehicle leaves the loop after `delayMs`. */
	depart(delayMs = 0): void {
		this.#at(delayMs, () => {
			if (this.#vehicles === 0) return;
			this.stats.departures++;
			this.#vehicles--;
			this.#at(this.#responseMs, () => this.#respond(-1));
		});
	}

	/** Schedules a visit given in board ticks. */
	visit(v: LoopVisit): void {
		const now = this.#time.ticks();
		this.arrive(Math.max(0, v.arriveMs - now));
		if (v.departMs !== undefined) {
			if (!(v.departMs >= v.arriveMs)) throw new RangeError("loop detector: departMs before arriveMs");
			this.depart(Math.max(0, v.departMs - now));
		}
	}

	/** Cancels everything scheduled (visits, pulses, chatter); the output keeps its level. */
	stop(): void {
		for (const h of this.#timers) this.#time.cancel(h);
		this.#timers.clear();
		if (this.#chatterTimer) this.#time.cancel(this.#chatterTimer);
		this.#chatterTimer = 0;
	}

	#respond(step: number): void {
		const before = this.#seen > 0;
		this.#seen = Math.max(0, this.#seen + step);
		const now = this.#seen > 0;
		if (now && !before) {
			this.stats.detects++;
			if (this.#output === "pulse") {
				this.stats.pulses++;
				this.#pulse = true;
				this.#at(this.#pulseMs, () => {
					this.#pulse = false;
					this.#apply();
				});
			}
		}
		this.#apply();
	}

	/** Drives the pin from the detector state and the fault. */
	#apply(): void {
		let active: boolean;
		switch (this.#fault) {
			case "dead":
				active = this.#failSafe;
				break;
			case "stuck":
				active = this.#frozen;
				break;
			case "chatter":
				active = this.#chatter;
				break;
			default:
				active = this.#output === "presence" ? this.#seen > 0 : this.#pulse;
		}
		if (active === this.#active) return;
		if (this.#active !== undefined) this.stats.outputChanges++;
		this.#active = active;
		const idle: Level | undefined = this.#openCollector ? undefined : this.#activeLevel ? 0 : 1;
		this.pin.drive(active ? this.#activeLevel : idle);
	}

	#chatterNext(): void {
		const span = this.#chatterMaxMs - this.#chatterMinMs;
		const ms = this.#chatterMinMs + (this.#random() / 0xffffffff) * span;
		this.#chatterTimer = this.#time.schedule(ms, () => {
			this.#chatterTimer = 0;
			this.#chatter = !this.#chatter;
			this.#apply();
			this.#chatterNext();
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
