/*
 * The street around a simulated light pole: weather, daylight, air, people
 * walking past, vehicles over the loop, cars in the parking bay, and the
 * faults a scenario injects into the pole's parts.
 *
 * The world outlives the pole: a board (and its peripheral models) is rebuilt
 * on every boot, but the street goes on. So the world keeps its own time, the
 * shared clock's ticks (never stepped by the device's clock sync), and
 * deterministic event streams; a board asks it what is happening now and
 * which event comes next. Events that fall while the pole is powered off are
 * missed, as they would be on the street; the ledger counts only the events
 * a live board actually put on its pins, which is what the pole must report
 * (tests compare the two: 0 lost).
 *
 * Plain TypeScript, no Node built-ins. The scenario file format is in
 * README "Light-pole scenarios"; parseScenario checks it with clear errors.
 */
import { xorshift32 } from "../models/xorshift";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Scenario {
	/** PRNG seed for every stream @default 1 */
	seed?: number;
	/** local time of day at world time 0, "HH:MM" @default the clock's UTC time of day (so a real-time demo's street matches the wall clock) */
	startTime?: string;
	weather?: { celsius?: [number, number]; relativeHumidity?: [number, number]; hPa?: [number, number] };
	light?: { sunrise?: string; sunset?: string; noonLux?: number; nightLux?: number; overcast?: [from: string, to: string, factor: number][] };
	air?: { pm25?: [number, number]; pm10Ratio?: number; pm1Ratio?: number };
	/** people past the pole; per-hour rates (24 numbers, local hours) or one rate */
	pedestrians?: { perHour?: number | number[]; towardsShare?: number; bounces?: number };
	vehicles?: { perHour?: number | number[]; dwellMs?: number };
	parking?: { arrivalsPerHour?: number | number[]; stayMin?: [number, number] };
	faults?: ScenarioFault[];
}

export interface ScenarioFault {
	/** local time of day "HH:MM", or world minutes as a number */
	at: string | number;
	part: "sht3x" | "bme280" | "veml7700" | "pms5003" | "ld2410" | "people" | "vehicles" | "bay";
	/** the model's fault name (see host-sim/models/*) */
	fault: string;
	/** minutes @default forever */
	forMin?: number;
}

/** One event stream: times (world ms) in increasing order, generated lazily and kept. */
export class EventStream {
	readonly times: number[] = [];
	#rng: () => number;
	#rate: (worldMs: number) => number;
	#maxRatePerMs: number;
	#cursor = 0;

	#minGapMs: number;

	/**
	 * @param rate events per hour at a world time; `maxPerHour` bounds it (thinning, Lewis–Shedler 1979)
	 * @param minGapMs events closer than this are pushed apart: two cars cannot be over one loop
	 *   at once, and two people abreast break a beam pair once (a real limit of beams, not modelled)
	 */
	constructor(seed: number, rate: (worldMs: number) => number, maxPerHour: number, minGapMs = 0) {
		this.#rng = xorshift(seed);
		this.#rate = rate;
		this.#maxRatePerMs = maxPerHour / HOUR_MS;
		this.#minGapMs = minGapMs;
	}

	/** The first event at or after `worldMs`, or undefined when the stream is empty. */
	next(worldMs: number): number | undefined {
		if (this.#maxRatePerMs <= 0) return undefined;
		while ((this.times[this.times.length - 1] ?? -1) < worldMs) this.#generate();
		let i = Math.min(this.#cursor, this.times.length - 1);
		while (i > 0 && this.times[i - 1] >= worldMs) i--;
		while (this.times[i] < worldMs) i++;
		this.#cursor = i;
		return this.times[i];
	}

	#generate(): void {
		const last = this.times[this.times.length - 1];
		let t = last ?? 0;
		for (;;) {
			t += -Math.log(1 - this.#rng()) / this.#maxRatePerMs;
			if (this.#rng() * this.#maxRatePerMs * HOUR_MS <= this.#rate(t)) break;
		}
		this.times.push(Math.round(last === undefined ? t : Math.max(t, last + this.#minGapMs)));
	}
}

/** What a live board emitted, by stream: the truth the pole's reports are checked against. */
export interface WorldLedger {
	pedestriansTowards: number;
	pedestriansAway: number;
	vehicles: number;
	/** cars that parked in the bay */
	bayArrivals: number;
}

export class PoleWorld {
	readonly scenario: Readonly<Scenario>;
	readonly ledger: WorldLedger = { pedestriansTowards: 0, pedestriansAway: 0, vehicles: 0, bayArrivals: 0 };
	/** world time the car in the bay leaves (street state, survives the pole's reboots) */
	bayFreeAt = -Infinity;
	readonly pedestrians: EventStream;
	readonly vehicles: EventStream;
	readonly parking: EventStream;
	#clock: { ticks(): number };
	#origin: number;
	#startMin: number;
	#seed: number;

	/** @param clock the shared (host) clock; world time 0 is its tick at construction */
	constructor(scenario: Scenario, clock: { ticks(): number; now?(): number }) {
		this.scenario = scenario;
		this.#clock = clock;
		this.#origin = clock.ticks();
		this.#startMin = scenario.startTime !== undefined ? minutes(scenario.startTime) : clock.now ? ((clock.now() / MINUTE_MS) % 1440) : 0;
		this.#seed = (scenario.seed ?? 1) >>> 0 || 1;
		const ped = scenario.pedestrians ?? {};
		const veh = scenario.vehicles ?? {};
		const park = scenario.parking ?? {};
		this.pedestrians = new EventStream(this.#seed * 3 + 1, (t) => this.#hourly(ped.perHour ?? 0, t), peak(ped.perHour ?? 0), 1_000);
		this.vehicles = new EventStream(this.#seed * 3 + 2, (t) => this.#hourly(veh.perHour ?? 0, t), peak(veh.perHour ?? 0), 1_500);
		this.parking = new EventStream(this.#seed * 3 + 3, (t) => this.#hourly(park.arrivalsPerHour ?? 0, t), peak(park.arrivalsPerHour ?? 0));
	}

	/** World ms now. */
	now(): number {
		return this.#clock.ticks() - this.#origin;
	}

	/** Local minute of day (0 ..< 1440) at world time `t`. */
	minuteOfDay(t = this.now()): number {
		return (((this.#startMin + t / MINUTE_MS) % 1440) + 1440) % 1440;
	}

	/** Air at the pole: a cosine day, coldest and dampest at 04:00 (ground air on a clear day). */
	environment(t = this.now()): { celsius: number; relativeHumidity: number; hPa: number } {
		const w = this.scenario.weather ?? {};
		const [tLo, tHi] = w.celsius ?? [12, 22];
		const [hLo, hHi] = w.relativeHumidity ?? [40, 70];
		const [pLo, pHi] = w.hPa ?? [1010, 1016];
		const c = Math.cos((2 * Math.PI * (this.minuteOfDay(t) - 240)) / 1440);
		// Pressure drifts on a slower, two-day wave.
		const p = Math.sin((2 * Math.PI * t) / (2 * DAY_MS));
		return { celsius: (tLo + tHi) / 2 - ((tHi - tLo) / 2) * c, relativeHumidity: (hLo + hHi) / 2 + ((hHi - hLo) / 2) * c, hPa: (pLo + pHi) / 2 + ((pHi - pLo) / 2) * p };
	}

	/**
	 * Illuminance at the pole's light sensor, lx: a sine arc between sunrise
	 * and sunset, civil twilight as an exponential ramp over 40 min
	 * (≈ 400 lx at sunset down to ≈ 3 lx, IES lighting handbook figures),
	 * `nightLux` (street and moonlight) otherwise, times any overcast factor.
	 */
	lux(t = this.now()): number {
		const l = this.scenario.light ?? {};
		const rise = minutes(l.sunrise ?? "06:30");
		const set = minutes(l.sunset ?? "18:30");
		const noon = l.noonLux ?? 50_000;
		const night = l.nightLux ?? 0.5;
		const m = this.minuteOfDay(t);
		let lux: number;
		if (m >= rise && m <= set) lux = Math.max(400, noon * Math.sin((Math.PI * (m - rise)) / (set - rise)));
		else {
			const fromEdge = m > set ? m - set : m < rise ? Math.min(rise - m, m + 1440 - set) : 0;
			lux = Math.max(night, 400 * Math.exp(-fromEdge / 8.7));
		}
		for (const [from, to, factor] of l.overcast ?? []) if (within(m, minutes(from), minutes(to))) lux *= factor;
		return lux;
	}

	/** Particulates, µg/m³: higher in the morning and evening rush (08:00 and 18:00 peaks). */
	particulates(t = this.now()): { pm1: number; pm25: number; pm10: number } {
		const a = this.scenario.air ?? {};
		const [lo, hi] = a.pm25 ?? [5, 25];
		const m = this.minuteOfDay(t);
		const rush = Math.max(bump(m, 480, 90), bump(m, 1080, 120));
		const pm25 = lo + (hi - lo) * rush;
		return { pm1: pm25 * (a.pm1Ratio ?? 0.7), pm25, pm10: pm25 * (a.pm10Ratio ?? 1.6) };
	}

	/** Whether someone is near the pole (radar): within 8 s of a pedestrian passing. */
	presence(t = this.now()): { cm: number } | undefined {
		const last = this.#lastBefore(this.pedestrians, t);
		if (last === undefined || t - last > 8_000) return undefined;
		// Walking past at ~1.3 m/s: closest at the crossing, then away.
		return { cm: Math.min(600, 80 + Math.round(((t - last) / 1000) * 130)) };
	}

	/** Which way pedestrian event `t` walks (deterministic per event). */
	towards(t: number): boolean {
		const share = this.scenario.pedestrians?.towardsShare ?? 0.5;
		return xorshift(this.#seed ^ (t >>> 0) ^ 0x9e3779b9)() < share;
	}

	/** How long car event `t` stays in the bay, ms. */
	stayMs(t: number): number {
		const [lo, hi] = this.scenario.parking?.stayMin ?? [15, 120];
		return Math.round((lo + (hi - lo) * xorshift(this.#seed ^ (t >>> 0) ^ 0x85ebca6b)()) * MINUTE_MS);
	}

	/** The fault scheduled for `part` at world time `t`, if any. */
	fault(part: ScenarioFault["part"], t = this.now()): string | undefined {
		for (const f of this.scenario.faults ?? []) {
			if (f.part !== part) continue;
			const start = this.#worldTimeOf(f.at);
			if (t >= start && (f.forMin === undefined || t < start + f.forMin * MINUTE_MS)) return f.fault;
		}
		return undefined;
	}

	/** World times at which some fault starts or ends (a board re-applies faults then). */
	faultEdges(): number[] {
		const out: number[] = [];
		for (const f of this.scenario.faults ?? []) {
			const start = this.#worldTimeOf(f.at);
			out.push(start);
			if (f.forMin !== undefined) out.push(start + f.forMin * MINUTE_MS);
		}
		return out.sort((a, b) => a - b);
	}

	#worldTimeOf(at: string | number): number {
		if (typeof at === "number") return at * MINUTE_MS;
		// The first time that local time comes round, from world time 0.
		return ((((minutes(at) - this.#startMin) % 1440) + 1440) % 1440) * MINUTE_MS;
	}

	#hourly(rate: number | number[], t: number): number {
		return typeof rate === "number" ? rate : rate[Math.floor(this.minuteOfDay(t) / 60)];
	}

	#lastBefore(stream: EventStream, t: number): number | undefined {
		const next = stream.next(t - 8_000);
		return next !== undefined && next <= t ? next : undefined;
	}
}

function peak(rate: number | number[]): number {
	return typeof rate === "number" ? rate : Math.max(0, ...rate);
}

function bump(m: number, centre: number, width: number): number {
	const d = Math.min(Math.abs(m - centre), 1440 - Math.abs(m - centre));
	return Math.exp(-((d / width) ** 2));
}

function within(m: number, from: number, to: number): boolean {
	return from <= to ? m >= from && m < to : m >= from || m < to;
}

/** "HH:MM" → minutes of day. @throws Error */
export function minutes(hhmm: string): number {
	const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
	if (!m) throw new Error(`expected a time of day "HH:MM", got "${hhmm}"`);
	return Number(m[1]) * 60 + Number(m[2]);
}

/** A uniform [0, 1) stream from xorshift32: deterministic on every host. */
export function xorshift(seed: number): () => number {
	let x = seed >>> 0 || 1;
	return () => (x = xorshift32(x)) / 4_294_967_296;
}

const PARTS: readonly ScenarioFault["part"][] = ["sht3x", "bme280", "veml7700", "pms5003", "ld2410", "people", "vehicles", "bay"];

/**
 * Checks a parsed scenario file and returns it typed.
 * @throws Error naming the offending field, e.g. `scenario.pedestrians.perHour: expected 24 rates`
 */
export function parseScenario(value: unknown): Scenario {
	const s = obj(value, "scenario");
	known(s, "scenario", ["seed", "startTime", "weather", "light", "air", "pedestrians", "vehicles", "parking", "faults", "$comment"]);
	if (s.seed !== undefined && !(Number.isInteger(s.seed) && (s.seed as number) > 0)) fail("scenario.seed", "expected a positive integer");
	if (s.startTime !== undefined) time(s.startTime, "scenario.startTime");
	if (s.weather !== undefined) {
		const w = obj(s.weather, "scenario.weather");
		known(w, "scenario.weather", ["celsius", "relativeHumidity", "hPa"]);
		if (w.celsius !== undefined) range(w.celsius, "scenario.weather.celsius", -40, 85);
		if (w.relativeHumidity !== undefined) range(w.relativeHumidity, "scenario.weather.relativeHumidity", 0, 100);
		if (w.hPa !== undefined) range(w.hPa, "scenario.weather.hPa", 300, 1100);
	}
	if (s.light !== undefined) {
		const l = obj(s.light, "scenario.light");
		known(l, "scenario.light", ["sunrise", "sunset", "noonLux", "nightLux", "overcast"]);
		if (l.sunrise !== undefined) time(l.sunrise, "scenario.light.sunrise");
		if (l.sunset !== undefined) time(l.sunset, "scenario.light.sunset");
		if (l.sunrise !== undefined && l.sunset !== undefined && minutes(l.sunrise as string) >= minutes(l.sunset as string)) fail("scenario.light", "sunrise must come before sunset");
		if (l.noonLux !== undefined) num(l.noonLux, "scenario.light.noonLux", 400, 120_000);
		if (l.nightLux !== undefined) num(l.nightLux, "scenario.light.nightLux", 0, 400);
		if (l.overcast !== undefined)
			arr(l.overcast, "scenario.light.overcast").forEach((o, i) => {
				const p = `scenario.light.overcast[${i}]`;
				const e = arr(o, p);
				if (e.length !== 3) fail(p, 'expected ["HH:MM", "HH:MM", factor]');
				time(e[0], `${p}[0]`);
				time(e[1], `${p}[1]`);
				num(e[2], `${p}[2]`, 0, 1);
			});
	}
	if (s.air !== undefined) {
		const a = obj(s.air, "scenario.air");
		known(a, "scenario.air", ["pm25", "pm10Ratio", "pm1Ratio"]);
		if (a.pm25 !== undefined) range(a.pm25, "scenario.air.pm25", 0, 500);
		if (a.pm10Ratio !== undefined) num(a.pm10Ratio, "scenario.air.pm10Ratio", 1, 3);
		if (a.pm1Ratio !== undefined) num(a.pm1Ratio, "scenario.air.pm1Ratio", 0.1, 1);
	}
	if (s.pedestrians !== undefined) {
		const p = obj(s.pedestrians, "scenario.pedestrians");
		known(p, "scenario.pedestrians", ["perHour", "towardsShare", "bounces"]);
		if (p.perHour !== undefined) rates(p.perHour, "scenario.pedestrians.perHour", 3_000);
		if (p.towardsShare !== undefined) num(p.towardsShare, "scenario.pedestrians.towardsShare", 0, 1);
		if (p.bounces !== undefined) num(p.bounces, "scenario.pedestrians.bounces", 0, 10);
	}
	if (s.vehicles !== undefined) {
		const v = obj(s.vehicles, "scenario.vehicles");
		known(v, "scenario.vehicles", ["perHour", "dwellMs"]);
		if (v.perHour !== undefined) rates(v.perHour, "scenario.vehicles.perHour", 3_000);
		if (v.dwellMs !== undefined) num(v.dwellMs, "scenario.vehicles.dwellMs", 50, 10_000);
	}
	if (s.parking !== undefined) {
		const p = obj(s.parking, "scenario.parking");
		known(p, "scenario.parking", ["arrivalsPerHour", "stayMin"]);
		if (p.arrivalsPerHour !== undefined) rates(p.arrivalsPerHour, "scenario.parking.arrivalsPerHour", 60);
		if (p.stayMin !== undefined) range(p.stayMin, "scenario.parking.stayMin", 1, 24 * 60);
	}
	if (s.faults !== undefined)
		arr(s.faults, "scenario.faults").forEach((f, i) => {
			const p = `scenario.faults[${i}]`;
			const o = obj(f, p);
			known(o, p, ["at", "part", "fault", "forMin"]);
			if (typeof o.at === "number") num(o.at, `${p}.at`, 0, 1e9);
			else time(o.at, `${p}.at`);
			if (!PARTS.includes(o.part as ScenarioFault["part"])) fail(`${p}.part`, `expected one of ${PARTS.join("|")}`);
			if (typeof o.fault !== "string" || !o.fault) fail(`${p}.fault`, "expected a fault name");
			if (o.forMin !== undefined) num(o.forMin, `${p}.forMin`, 0, 1e9);
		});
	return s as Scenario;
}

function fail(path: string, why: string): never {
	throw new Error(`${path}: ${why}`);
}
function obj(v: unknown, path: string): Record<string, unknown> {
	if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, "expected an object");
	return v as Record<string, unknown>;
}
function arr(v: unknown, path: string): unknown[] {
	if (!Array.isArray(v)) fail(path, "expected an array");
	return v;
}
function known(o: Record<string, unknown>, path: string, keys: string[]): void {
	for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}.${k}`, `unknown field (known: ${keys.filter((x) => x !== "$comment").join(", ")})`);
}
function num(v: unknown, path: string, min: number, max: number): number {
	if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) fail(path, `expected a number in ${min}..${max}`);
	return v;
}
function range(v: unknown, path: string, min: number, max: number): void {
	const a = arr(v, path);
	if (a.length !== 2) fail(path, "expected [low, high]");
	num(a[0], `${path}[0]`, min, max);
	num(a[1], `${path}[1]`, a[0] as number, max);
}
function time(v: unknown, path: string): void {
	if (typeof v !== "string") fail(path, 'expected "HH:MM"');
	try {
		minutes(v);
	} catch (e) {
		fail(path, (e as Error).message);
	}
}
function rates(v: unknown, path: string, max: number): void {
	if (typeof v === "number") {
		num(v, path, 0, max);
		return;
	}
	const a = arr(v, path);
	if (a.length !== 24) fail(path, "expected one rate or 24 hourly rates");
	a.forEach((x, i) => num(x, `${path}[${i}]`, 0, max));
}
