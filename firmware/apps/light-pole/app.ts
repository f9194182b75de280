/*
 * Light-pole application (README "Light pole"): environment sensors, people
 * and vehicle counters, a parking bay and the lamp, each a supervised part
 * (sensor-slot.ts), aggregated over aligned windows (windows.ts) into FIWARE
 * records in the outbox (firmware/contract/telemetry.ts).
 *
 * Cadence:
 *   every second   radar, beams, bay and loop detector housekeeping (the
 *                  drivers have no clock of their own), presence → lamp,
 *                  occupancy samples, the PMS5003's duty cycle;
 *   every sampleMs SHT3x, BME280, VEML7700 readings into the window means;
 *                  lux → lamp;
 *   every window   AirQualityObserved, CrowdFlowObserved, TrafficFlowObserved;
 *   on change      ParkingSpot, Streetlight, sensor.fault / sensor.ok.
 * The PMS5003's fan runs only for the last `PM_AWAKE_MS` of each window (30 s
 * warm-up per its datasheet, then readings), which keeps a 5-minute window's
 * fan duty at 15 % and its life ~6× longer than always-on.
 * Privacy: nothing here keeps or sends anything per person: beams give
 * counts, the radar gives "someone is near" to the lamp only, the bay gives
 * its state. The contract's allowlist enforces it at the outbox.
 */
import Time from "time";
import type { App, AppContext } from "../app";
import type { BME280 } from "../../../drivers/bme280";
import type { BeamPair } from "../../../drivers/beam-pair";
import type { BaySensor } from "../../../drivers/bay-sensor";
import type { LampDimmer } from "../../../drivers/lamp-dimmer";
import type { LD2410 } from "../../../drivers/ld2410";
import type { PMS5003 } from "../../../drivers/pms5003";
import type { PulseCounter } from "../../../drivers/pulse-counter";
import type { SHT3x } from "../../../drivers/sht3x";
import type { VEML7700 } from "../../../drivers/veml7700";
import type { PartState } from "../../contract/payloads";
import type { SensorName } from "../../contract/telemetry";
import { describeError } from "../../runtime/errors";
import { CountCarry, OccupancySampler } from "./counts";
import { LampControl } from "./lamp-control";
import { fittedParts, openBay, openBeams, openBME280, openLamp, openLD2410, openPMS5003, openSHT3x, openVEML7700, openVehicleLoop, type PartName } from "./parts";
import { createPoleSafeMode } from "./safe-mode";
import { SensorSlot, type SlotHost } from "./sensor-slot";
import { Mean, msToBoundary, windowTime, type WindowTimeSource } from "./windows";

const TICK_MS = 1_000;
/** The PMS5003 wakes this long before a window ends: 30 s warm-up + 15 s of readings. */
const PM_AWAKE_MS = 45_000;
/** Bad PMS5003 frames tolerated between two good readings before the part counts as failed (UART noise happens). */
const PM_ERRORS_TOLERATED = 3;
const MINUTES_PER_DAY = 1440;

/** Parts with a periodic reading: during an OTA trial each must give a sane one. The PMS5003 is left out: its fan wakes only near a window's end. */
const READ_BY_TRIAL: readonly SensorName[] = ["sht3x", "bme280", "veml7700", "ld2410"];

export function createLightPole(context: AppContext): App {
	if (context.safeMode) return createPoleSafeMode(context);
	const { config, log, scheduler, record, session } = context;
	let fitted: Set<PartName>;
	try {
		fitted = fittedParts(config.get("parts"));
	} catch (e) {
		log.error(`${describeError(e)}; running with no parts`);
		fitted = new Set();
	}
	const host: SlotHost = {
		ticks: () => Time.ticks,
		record: (kind, data) => void record(kind, data),
		after: (name, ms, fn) => scheduler.after(name, ms, fn),
		cancel: (name) => scheduler.cancel(name),
		log,
	};
	const time: WindowTimeSource = { ticks: () => Time.ticks, epoch: () => context.epoch(), bootCount: context.bootCount };
	const slots = new Map<SensorName, SensorSlot<unknown>>();
	/** Event parts (no reading to prove they work) must run this long without an error to count as recovered. */
	const EVENT_PROBATION_MS = 120_000;
	function slot<D extends { close(): void }>(name: PartName, open: (report: (e: unknown) => void) => D, close: (d: D) => void = (d) => d.close(), probationMs = 0): SensorSlot<D> | undefined {
		if (!fitted.has(name)) return undefined;
		const s = new SensorSlot<D>({ name, open: (report) => open(report), close, probationMs }, host);
		slots.set(name, s as SensorSlot<unknown>);
		return s;
	}

	// ---- environment ----
	const air = { temperature: new Mean(), humidity: new Mean(), pressure: new Mean(), lux: new Mean(), pm1: new Mean(), pm25: new Mean(), pm10: new Mean() };
	const sht = slot<SHT3x>("sht3x", (report) => openSHT3x(report));
	const bme = slot<BME280>("bme280", (report) => openBME280(report));
	const light = slot<VEML7700>("veml7700", (report) => openVEML7700(report));
	let pmErrors = 0;
	const pms = slot<PMS5003>("pms5003", (report) =>
		openPMS5003((e) => {
			// One bad frame is noise; PM_ERRORS_TOLERATED in a row with no good reading is a fault.
			if (++pmErrors >= PM_ERRORS_TOLERATED) {
				pmErrors = 0;
				report(e);
			} else log.debug(`PMS5003: ${describeError(e)}`);
		}),
	);

	// ---- counters, bay, radar ----
	const people = new CountCarry();
	const vehicles = new CountCarry();
	const occupancy = new OccupancySampler();
	const beams = slot<BeamPair>(
		"people",
		(report) => openBeams(report, config.get("debounceMs")),
		(d) => {
			people.add(d.take());
			d.close();
		},
		EVENT_PROBATION_MS,
	);
	const loop = slot<PulseCounter>(
		"vehicles",
		(report) => openVehicleLoop(report, config.get("debounceMs")),
		(d) => {
			vehicles.add({ towards: d.take() });
			d.close();
		},
		EVENT_PROBATION_MS,
	);
	const radar = slot<LD2410>("ld2410", (report) => openLD2410(report));
	const bay = slot<BaySensor>(
		"bay",
		(report) =>
			openBay(report, (occupied, sinceTicks) => {
				bay?.ok();
				if (bay?.working) parking(occupied ? "occupied" : "free", sinceTicks);
			}),
		undefined,
		EVENT_PROBATION_MS,
	);
	let bayStatus: string | undefined;
	function parking(status: "occupied" | "free" | "unknown", sinceTicks: number): void {
		if (status === bayStatus) return;
		bayStatus = status;
		const e = context.epoch();
		record("ParkingSpot", { status, timeInstant: e === undefined ? [context.bootCount, Math.floor(sinceTicks)] : Math.floor(e - (Time.ticks - sinceTicks)) });
		log.info(`parking bay ${status}`);
	}

	// ---- lamp ----
	const lampSlot = slot<LampDimmer>("lamp", (report) => openLamp(report, config.get("lampMinPct")));
	let lamp: LampControl | undefined;
	if (lampSlot) {
		try {
			lamp = new LampControl({
				config,
				log,
				scheduler,
				commands: context.commands,
				record: (kind, data) => void record(kind, data),
				slot: lampSlot,
				online: () => session.connected,
				minuteOfDay,
			});
		} catch (e) {
			// A bad lamp config: the dimmer keeps its safe level (100 %, drivers/lamp-dimmer.ts) rather than guessing.
			log.error(`lamp control not started: ${describeError(e)}; the lamp stays at its safe level`);
		}
	}
	function minuteOfDay(): number | undefined {
		const e = context.epoch();
		if (e === undefined) return undefined;
		const m = Math.floor(e / 60_000) + config.get("utcOffsetMin");
		return ((m % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
	}

	// ---- sampling ----
	function sample(): void {
		const s = sht?.sample((d) => d.sample());
		if (s) {
			air.temperature.add(s.temperature);
			air.humidity.add(s.humidity / 100);
		}
		const b = bme?.sample((d) => d.sample());
		if (b) {
			// SHT3x is the better hygrometer (±2 %RH vs ±3 %RH); the BME280 stands in when the SHT3x is absent or failed.
			if (!sht?.working || !s) {
				air.temperature.add(b.temperature);
				air.humidity.add(b.humidity / 100);
			}
			air.pressure.add(b.pressure);
		}
		const l = light?.sample((d) => d.sample());
		if (l) {
			air.lux.add(l.lux);
			lamp?.lux(l.lux);
		} else if (light && !light.working) lamp?.lightSensorFailed();
	}

	function tick(): void {
		const r = radar?.sample((d) => d.read());
		if (r?.presence) lamp?.presence();
		beams?.sample((d) => {
			const pending = d.pending;
			d.poll();
			return pending;
		});
		bay?.sample((d) => (d.poll(), d.status === "unknown" ? undefined : d.status));
		if (bay && !bay.working) parking("unknown", Time.ticks);
		const v = loop?.sample((d) => d.active);
		if (v !== undefined) occupancy.add(v);
		pmDuty();
	}

	let pmWarmAt = Infinity;
	let pmLastTicks = -1;
	function pmDuty(): void {
		const d = pms?.driver;
		if (!d) return;
		const windowMs = config.get("windowMs");
		const alwaysOn = windowMs < 2 * PM_AWAKE_MS;
		const wantAwake = alwaysOn || windowEndsAt - Time.ticks <= PM_AWAKE_MS;
		pms!.sample((p) => {
			if (wantAwake && !p.awake) pmWarmAt = Time.ticks + p.wake();
			if (!p.awake || Time.ticks < pmWarmAt) return undefined;
			const reading = p.sample();
			// sample() hands back the latest answer: the same frame twice when an answer was lost; count it once.
			if (!reading || reading.ticksMs === pmLastTicks) return undefined;
			pmLastTicks = reading.ticksMs;
			pmErrors = 0;
			air.pm1.add(reading.pm1);
			air.pm25.add(reading.pm25);
			air.pm10.add(reading.pm10);
			return true;
		});
	}

	// ---- windows ----
	let windowStart = windowTime(time);
	function closeWindow(): void {
		const from = windowStart;
		const to = windowTime(time);
		windowStart = to;
		const summary: string[] = [];
		const envParts = (["sht3x", "bme280", "veml7700", "pms5003"] as const).filter((n) => slots.has(n));
		if (envParts.length) {
			const failed = envParts.filter((n) => !slots.get(n)!.working);
			const data = {
				dateObservedFrom: from,
				dateObservedTo: to,
				pm1: air.pm1.take(),
				pm25: air.pm25.take(),
				pm10: air.pm10.take(),
				temperature: air.temperature.take(),
				relativeHumidity: air.humidity.take(),
				pressure: air.pressure.take(),
				illuminance: air.lux.take(),
				failed: failed.length ? failed : undefined,
			};
			record("AirQualityObserved", data);
			summary.push(
				[
					data.temperature === undefined ? "" : `${data.temperature.toFixed(1)} °C`,
					data.relativeHumidity === undefined ? "" : `${Math.round(data.relativeHumidity * 100)} %RH`,
					data.pm25 === undefined ? "" : `PM2.5 ${data.pm25.toFixed(1)} µg/m³`,
					data.illuminance === undefined ? "" : `${Math.round(data.illuminance)} lx`,
					failed.length ? `failed: ${failed.join(" ")}` : "",
				]
					.filter(Boolean)
					.join(", "),
			);
		}
		if (beams) {
			const d = beams.driver;
			if (d) people.add(d.take());
			const c = people.take();
			const n = c.towards + c.away + c.unknown;
			record("CrowdFlowObserved", { dateObservedFrom: from, dateObservedTo: to, peopleCount: n, peopleCountTowards: c.towards, peopleCountAway: c.away, usage: config.get("counterUse") });
			summary.push(`${n} ${config.get("counterUse") === "equipment" ? "uses" : "people"} (${c.towards} towards, ${c.away} away)`);
		}
		if (loop) {
			const d = loop.driver;
			if (d) vehicles.add({ towards: d.take() });
			const c = vehicles.take();
			const occ = occupancy.take();
			record("TrafficFlowObserved", { dateObservedFrom: from, dateObservedTo: to, intensity: c.towards, occupancy: occ, laneDirection: config.get("laneDirection") });
			summary.push(`${c.towards} vehicles${occ === undefined ? "" : ` (occupancy ${occ})`}`);
		}
		if (pms?.driver && config.get("windowMs") >= 2 * PM_AWAKE_MS) pms.sample((p) => (p.sleep(), undefined));
		if (summary.length) log.info(`window: ${summary.join("; ")}`);
	}
	let windowEndsAt = Infinity;
	function scheduleWindow(): void {
		const ms = msToBoundary(time, config.get("windowMs"));
		windowEndsAt = Time.ticks + ms;
		scheduler.after("window", ms, () => {
			closeWindow();
			scheduleWindow();
		});
	}

	config.onChange((keys) => {
		if (keys.includes("sampleMs")) scheduler.every("sample", config.get("sampleMs"), sample);
		if (keys.includes("windowMs")) scheduleWindow();
		if (lamp && keys.some((k) => k.startsWith("lamp") || k === "offlineMs")) {
			try {
				lamp.reconfigure();
			} catch (e) {
				log.error(`lamp config not applied: ${describeError(e)}`);
			}
		}
	});

	let started = false;
	return {
		start() {
			started = true;
			for (const s of slots.values()) if (s !== lampSlot) s.start();
			lamp?.start();
			if (bay && !bay.working) parking("unknown", Time.ticks);
			scheduler.every("sample", config.get("sampleMs"), sample);
			scheduler.every("pole-tick", TICK_MS, tick);
			scheduleWindow();
			log.info(`parts: ${[...fitted].join(", ") || "none"}; sampling every ${config.get("sampleMs")} ms, ${Math.round(config.get("windowMs") / 1000)} s windows`);
		},
		stop() {
			if (!started) return;
			started = false;
			scheduler.cancel("sample");
			scheduler.cancel("pole-tick");
			scheduler.cancel("window");
			// The partial window goes to the outbox before the parts close: a planned stop loses no count.
			closeWindow();
			lamp?.stop();
			for (const s of slots.values()) s.stop();
		},
		parts() {
			const out: Record<string, PartState> = {};
			for (const [name, s] of slots) out[name] = s.state;
			return out;
		},
		selfTest(required) {
			// Parts that worked under the previous image must work under this one; a part that was already broken does not block every update.
			const must = [...slots.values()].filter((s) => (required ? required.includes(s.name) : true));
			const failed = must.filter((s) => s.state === "failed").map((s) => s.name);
			const waiting = must.filter((s) => s.state === "starting" && READ_BY_TRIAL.includes(s.name)).map((s) => s.name);
			if (failed.length) return { state: "pending", detail: `failed: ${failed.join(", ")}` };
			if (waiting.length) return { state: "pending", detail: `no reading yet from ${waiting.join(", ")}` };
			return { state: "pass", detail: must.length ? `parts working: ${must.map((s) => s.name).join(", ")}` : "no parts to check" };
		},
		otaBusy(busy) {
			lamp?.ota(busy);
		},
	};
}

