/*
 * Lamp energy and burn-hour counters of the light pole (lifetime, persisted).
 * Pure logic: no timers, no IO of its own; the app calls `update(nowMs,
 * percent)` whenever the level changes and periodically (once a minute is
 * plenty), with monotonic ms, and backs the store with Moddable Preference.
 *
 * Power model: P = ratedW × level / 100 while lit (level > 0), `standbyW`
 * at level 0. LED drivers are close to linear in input power versus dim
 * level above ~10 %; below that their efficiency drops and this model reads
 * low by a few percent of a small number. `standbyW` is the gear's no-load
 * draw when it stays on mains at 0 % (dim-to-off without a relay); leave it
 * at 0 when a relay cuts the mains. The level is held constant between calls
 * (a step function), so the energy over [t0, t1] uses the level set at t0.
 *
 * Integers where stored: energy accumulates as integer mWh with a fractional
 * carry below 1 mWh (no float drift over years), burn time as ms. Both stay
 * safe integers for millennia (a 250 W lamp burns 2.2e9 mWh a year; 2^53 ≈
 * 9e15). ESP32 Preference integers are 32-bit, so the app should store the
 * record as one 16-byte ArrayBuffer (two Float64, exact for these integers):
 * one NVS write per save, and the two counters never disagree.
 *
 * Flash wear: a periodic save happens only after `saveEveryBurnMs` of burn
 * (default 15 min) since the last save, so at most 86 400 000 / saveEveryBurnMs
 * writes a day (96 at the default; about 48 on a 12 h night), none by day.
 * `flush()` saves on demand (planned reboot, OTA, shutdown); keep it rare.
 * A failed save is retried only after another interval, not on every call.
 * A crash or power cut loses at most the burn since the last save (< 15 min
 * by default) with its energy, plus standby energy since then; the sub-mWh
 * and sub-ms carries are dropped on every reload.
 */
import { ConfigError, StorageError } from "../../runtime/errors";

/** What is stored: non-negative safe integers. */
export interface LampEnergyRecord {
	/** lifetime energy, mWh */
	mWh: number;
	/** lifetime time lit (level > 0), ms */
	burnMs: number;
}

/** Persistence of the lifetime counters (the app backs it with Preference). */
export interface LampEnergyStore {
	/** The saved record, or undefined when none was ever saved. May throw on a storage fault. */
	load(): LampEnergyRecord | undefined;
	save(record: LampEnergyRecord): void;
}

export interface LampEnergyOptions {
	/** input power at 100 %, W (> 0) */
	ratedW: number;
	/** input power at 0 % while on mains, W @default 0 */
	standbyW?: number;
	/** burn time between periodic saves, ms (≥ 60 000) @default 900_000 */
	saveEveryBurnMs?: number;
	store: LampEnergyStore;
	/** Save failures go here (as StorageError); without it `update`/`flush` throw them. */
	onError?: (error: StorageError) => void;
}

/** Where the counters came from at construction. */
export type LampEnergyOrigin = "restored" | "empty" | "corrupt";

const MS_PER_HOUR = 3_600_000;

export class LampEnergy {
	#ratedW: number;
	#standbyW: number;
	#saveEveryBurnMs: number;
	#store: LampEnergyStore;
	#onError: ((error: StorageError) => void) | undefined;
	#origin: LampEnergyOrigin;
	#mWh = 0;
	#carry = 0;
	#burnMs = 0;
	#burnSinceSave = 0;
	#dirty = false;
	#saves = 0;
	#level = 0;
	#lastMs: number;

	/**
	 * Restores the counters from `store` (a missing, unreadable or invalid
	 * record starts from zero; see `origin`).
	 * @param nowMs monotonic ms; the level is 0 until the first `update`
	 * @throws ConfigError naming the option
	 */
	constructor(options: LampEnergyOptions, nowMs = 0) {
		const { ratedW, standbyW = 0, saveEveryBurnMs = 900_000 } = options;
		if (!(typeof ratedW === "number" && ratedW > 0 && ratedW < Infinity)) throw new ConfigError("ratedW", `LampEnergy invalid ratedW ${ratedW}`);
		if (!(typeof standbyW === "number" && standbyW >= 0 && standbyW < Infinity)) throw new ConfigError("standbyW", `LampEnergy invalid standbyW ${standbyW}`);
		if (!(typeof saveEveryBurnMs === "number" && saveEveryBurnMs >= 60_000 && saveEveryBurnMs < Infinity)) throw new ConfigError("saveEveryBurnMs", `LampEnergy saveEveryBurnMs ${saveEveryBurnMs} must be ≥ 60000`);
		if (!options.store || typeof options.store.load !== "function" || typeof options.store.save !== "function") throw new ConfigError("store", "LampEnergy store needs load() and save()");
		this.#ratedW = ratedW;
		this.#standbyW = standbyW;
		this.#saveEveryBurnMs = saveEveryBurnMs;
		this.#store = options.store;
		this.#onError = options.onError;
		this.#lastMs = nowMs;
		let record: LampEnergyRecord | undefined;
		try {
			record = options.store.load();
		} catch {
			record = { mWh: NaN, burnMs: NaN };
		}
		if (record === undefined) this.#origin = "empty";
		else if (record && Number.isSafeInteger(record.mWh) && record.mWh >= 0 && Number.isSafeInteger(record.burnMs) && record.burnMs >= 0) {
			this.#origin = "restored";
			this.#mWh = record.mWh;
			this.#burnMs = record.burnMs;
		} else this.#origin = "corrupt";
	}

	/** Lifetime energy, Wh (including what is not saved yet). */
	get wh(): number {
		return (this.#mWh + this.#carry) / 1000;
	}
	/** Lifetime energy, whole mWh. */
	get mWh(): number {
		return this.#mWh;
	}
	/** Lifetime time lit, ms. */
	get burnMs(): number {
		return this.#burnMs;
	}
	/** Lifetime time lit, h. */
	get burnHours(): number {
		return this.#burnMs / MS_PER_HOUR;
	}
	/** Level in effect since the last update, %. */
	get level(): number {
		return this.#level;
	}
	/** Saves written (successfully) since construction. */
	get saves(): number {
		return this.#saves;
	}
	/** Where the counters came from. */
	get origin(): LampEnergyOrigin {
		return this.#origin;
	}

	/**
	 * Accounts the time since the last call at the previous level, then sets
	 * `percent` as the level from now on; saves when enough burn has passed.
	 * @throws RangeError for a percent outside 0 ..= 100 or time going back;
	 *   StorageError when the save fails and no onError was given
	 */
	update(nowMs: number, percent: number): void {
		if (!(typeof percent === "number" && percent >= 0 && percent <= 100)) throw new RangeError(`LampEnergy level ${percent} outside 0 ..= 100`);
		this.#advance(nowMs);
		this.#level = percent;
		if (this.#burnSinceSave >= this.#saveEveryBurnMs) this.#save();
	}

	/**
	 * Accounts up to now and saves if anything changed since the last save.
	 * @returns true when a record was written
	 * @throws RangeError when time goes back; StorageError as `update`
	 */
	flush(nowMs: number): boolean {
		this.#advance(nowMs);
		return this.#dirty ? this.#save() : false;
	}

	#advance(nowMs: number): void {
		if (!(nowMs >= this.#lastMs)) throw new RangeError(`LampEnergy time went back (${nowMs} < ${this.#lastMs})`);
		const dt = nowMs - this.#lastMs;
		this.#lastMs = nowMs;
		if (dt === 0) return;
		const watts = this.#level > 0 ? (this.#ratedW * this.#level) / 100 : this.#standbyW;
		if (watts > 0) {
			// W × ms / 3600 = mWh; whole mWh go to the integer counter, the rest carries.
			const mWh = (watts * dt) / 3600 + this.#carry;
			const whole = Math.floor(mWh);
			this.#mWh += whole;
			this.#carry = mWh - whole;
			this.#dirty = true;
		}
		if (this.#level > 0) {
			this.#burnMs += dt;
			this.#burnSinceSave += dt;
			this.#dirty = true;
		}
	}

	#save(): boolean {
		// Whether it works or not, wait another interval before the next periodic try.
		this.#burnSinceSave = 0;
		try {
			this.#store.save({ mWh: this.#mWh, burnMs: Math.floor(this.#burnMs) });
		} catch (e) {
			const error = new StorageError("LampEnergy save failed", { cause: e });
			if (!this.#onError) throw error;
			this.#onError(error);
			return false;
		}
		this.#dirty = false;
		this.#saves++;
		return true;
	}
}
