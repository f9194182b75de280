/*
 * The light pole's lamp, end to end: LampPolicy decides, LampDimmer drives
 * the 0–10 V stage, LampEnergy keeps the lifetime counters, and every change
 * of level or reason becomes a FIWARE Streetlight record (plus one an hour
 * with the energy counters), except presence boosts (see update()). The operator's `lamp` command sets an override
 * with an expiry.
 *
 * Inputs arrive from the rest of the app: lux readings and light-sensor
 * failures (VEML7700 slot), presence (radar, counters), link state (polled
 * from the session), OTA and safe mode (hooks for the OTA work). The policy
 * is re-evaluated on every input and every `tickMs`, so a hold delay or an
 * expiry takes effect within one tick.
 */
import Preference from "preference";
import Time from "time";
import { LampDimmer } from "../../../drivers/lamp-dimmer";
import type { Config } from "../../runtime/config";
import type { Commands } from "../../runtime/commands";
import type { TaggedLog } from "../../runtime/logger";
import type { Scheduler } from "../../runtime/scheduler";
import type { LampReason } from "../../contract/telemetry";
import { LampEnergy, type LampEnergyRecord, type LampEnergyStore } from "./lamp-energy";
import { LampPolicy, type LampPolicyConfig, type LampScheduleEntry } from "./lamp-policy";
import type { SensorSlot } from "./sensor-slot";

const TICK_MS = 10_000;
const REPORT_MS = 3_600_000;
const ENERGY_DOMAIN = "lamp";
const ENERGY_KEY = "energy";

/** "22:00-05:30=40,05:30-06:30=70" → schedule entries. @throws RangeError */
export function parseSchedule(text: string): LampScheduleEntry[] {
	if (!text) return [];
	return text.split(",").map((part) => {
		const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)=(\d{1,3})$/.exec(part);
		if (!m) throw new RangeError(`lamp schedule: "${part}" is not HH:MM-HH:MM=percent`);
		const fromMin = Number(m[1]) * 60 + Number(m[2]);
		const toMin = Number(m[3]) * 60 + Number(m[4]);
		if (fromMin >= 1440 || toMin >= 1440) throw new RangeError(`lamp schedule: "${part}" has a time past 23:59`);
		return { fromMin, toMin, percent: Number(m[5]) };
	});
}

/** The policy settings the device config holds. @throws RangeError for a bad schedule */
export function policyConfig(config: Config): Partial<LampPolicyConfig> {
	return {
		onBelowLux: config.get("lampOnLux"),
		offAboveLux: config.get("lampOffLux"),
		holdMs: config.get("lampHoldMs"),
		nightPercent: config.get("lampNightPct"),
		schedule: parseSchedule(config.get("lampSchedule")),
		boostPercent: config.get("lampBoostPct"),
		boostHoldMs: config.get("lampBoostMs"),
		failSafePercent: config.get("lampSafePct"),
		offlineGraceMs: config.get("offlineMs"),
	};
}

/** Lifetime counters in NVS: one 16-byte value (two float64, exact for these integers), so they never disagree. */
export const preferenceEnergyStore: LampEnergyStore = {
	load(): LampEnergyRecord | undefined {
		const v = Preference.get(ENERGY_DOMAIN, ENERGY_KEY);
		if (v === undefined) return undefined;
		if (!(v instanceof ArrayBuffer) || v.byteLength !== 16) return { mWh: NaN, burnMs: NaN };
		const f = new Float64Array(v);
		return { mWh: f[0], burnMs: f[1] };
	},
	save(r: LampEnergyRecord): void {
		Preference.set(ENERGY_DOMAIN, ENERGY_KEY, Float64Array.of(r.mWh, r.burnMs).buffer);
	},
};

export interface LampControlOptions {
	config: Config;
	log: TaggedLog;
	scheduler: Scheduler;
	commands: Commands;
	record(kind: "Streetlight", data: Record<string, unknown>): void;
	/** the dimmer output, supervised (a dead output is a sensor.fault "lamp") */
	slot: SensorSlot<LampDimmer>;
	/** link up? */
	online(): boolean;
	/** local minute of day, or undefined while the clock is unsynced */
	minuteOfDay(): number | undefined;
}

export class LampControl {
	readonly policy: LampPolicy;
	readonly energy: LampEnergy;
	#o: LampControlOptions;
	#level = -1;
	#reason: LampReason | undefined;

	/** @throws ConfigError or RangeError when the lamp config does not validate (the app then runs without lamp control and logs it) */
	constructor(options: LampControlOptions) {
		this.#o = options;
		const now = Time.ticks;
		this.policy = new LampPolicy(policyConfig(options.config), now);
		this.energy = new LampEnergy(
			{ ratedW: options.config.get("lampWatts"), store: preferenceEnergyStore, onError: (e) => options.log.warn(`lamp energy not saved: ${e.message}`) },
			now,
		);
		if (this.energy.origin === "corrupt") options.log.warn("lamp energy counters in NVS were corrupt; counting from 0");
		options.commands.register("lamp", (args) => this.#command(args));
	}

	/** Opens the output (at the fail-safe level until the first decision) and starts the tick. */
	start(): void {
		this.#o.slot.start();
		this.#o.scheduler.every("lamp", TICK_MS, () => this.update());
		this.#o.scheduler.every("lamp-report", REPORT_MS, () => this.#report());
		this.update();
	}

	/** A light reading, lx. */
	lux(lux: number): void {
		this.policy.lux(Time.ticks, lux);
		this.update();
	}
	/** The light sensor failed: the policy can no longer tell day from night. */
	lightSensorFailed(): void {
		this.policy.sensorFailed(Time.ticks);
		this.update();
	}
	/** Someone or something moved near the pole. */
	presence(): void {
		this.policy.presence(Time.ticks);
		this.update();
	}
	/** Hooks for the OTA work (issue #6): fail-safe while updating or in safe mode. */
	ota(active: boolean): void {
		this.policy.ota(Time.ticks, active);
		this.update();
	}
	safeMode(on: boolean): void {
		this.policy.safeMode(Time.ticks, on);
		this.update();
	}

	/** Re-reads the config's lamp keys. @throws ConfigError/RangeError, keeping the old settings */
	reconfigure(): void {
		this.policy.configure(policyConfig(this.#o.config));
		this.update();
	}

	/** Applies the policy's decision to the output. */
	update(): void {
		const now = Time.ticks;
		this.policy.link(now, this.#o.online());
		const d = this.policy.decide(now, this.#o.minuteOfDay());
		const dimmer = this.#o.slot.driver;
		if (dimmer && d.percent !== dimmer.read()) this.#o.slot.sample((lamp) => (lamp.write(d.percent), true));
		const level = this.#o.slot.driver?.read() ?? d.percent;
		this.energy.update(now, this.#o.slot.driver ? level : 0);
		if (level !== this.#level || d.reason !== this.#reason) {
			const first = this.#level < 0;
			// A presence boost is not reported on its own: a record per boost would be a timestamp per passer-by
			// (README "Privacy"), and hundreds a night. The hourly report shows the lamp as it is then.
			const boost = d.reason === "presence" || this.#reason === "presence";
			const line = `lamp ${level} % (${d.reason})${first ? "" : `, was ${this.#level} % (${this.#reason})`}`;
			if (boost) this.#o.log.debug(line);
			else this.#o.log.info(line);
			this.#level = level;
			this.#reason = d.reason;
			if (!boost || first) this.#report();
		}
	}

	/** Saves the counters and parks the output at its safe level (LampDimmer.close). */
	stop(): void {
		this.#o.scheduler.cancel("lamp");
		this.#o.scheduler.cancel("lamp-report");
		this.energy.flush(Time.ticks);
		this.#o.slot.stop();
	}

	#report(): void {
		if (this.#reason === undefined) return;
		const level = this.#level;
		this.#o.record("Streetlight", {
			powerState: level === 0 ? "off" : level < 100 ? "low" : "on",
			illuminanceLevel: level / 100,
			reason: this.#reason,
			energyWh: Math.round(this.energy.wh),
			burnHours: Math.round(this.energy.burnHours * 100) / 100,
		});
	}

	#command(args: Record<string, unknown>) {
		const now = Time.ticks;
		if (args.clear === true) this.policy.clearOverride();
		else {
			const { percent, forS } = args;
			if (typeof percent !== "number" || !Number.isInteger(percent)) throw new RangeError("lamp: percent must be an integer 0..100");
			if (typeof forS !== "number" || !Number.isInteger(forS) || forS < 1) throw new RangeError("lamp: forS must be a positive integer (the override always expires)");
			this.policy.override(now, { percent, untilMs: now + forS * 1000 });
		}
		this.update();
		return { percent: this.#level, reason: this.#reason ?? "day" };
	}
}
