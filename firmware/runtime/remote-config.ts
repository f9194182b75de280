/*
 * Remote config: the cloud keeps a retained desired config per device
 * (.../cfg/desired); the device answers with a retained reported config
 * (.../cfg/reported). A desired revision is applied at most once and all or
 * nothing (Config.apply validates every key against the one schema before
 * anything is stored). Live keys take effect at once; the others are stored
 * and reported as pending until the next reboot. A bad revision is reported
 * as rejected with the reason, and the device keeps its last good config.
 * Secrets never leave the device: mqttPass is reported redacted.
 */
import Preference from "preference";
import { decodePayload } from "../contract/codec";
import type { ConfigScalar, ReportedConfig } from "../contract/control-payloads";
import { isRemoteSettable, type ConfigKey } from "./config-schema";
import { Config } from "./config";
import { clip, describeError } from "./errors";
import type { TaggedLog } from "./logger";

const DOMAIN = "sys";
const REV_KEY = "cfgRev";
const SECRET_KEYS: readonly string[] = ["mqttPass"];

export interface RemoteConfigOptions {
	config: Config;
	report: (reported: ReportedConfig) => void;
	log: TaggedLog;
}

export class RemoteConfig {
	#o: RemoteConfigOptions;
	#pending = new Set<string>();
	#appliedRev: number;

	constructor(options: RemoteConfigOptions) {
		this.#o = options;
		// Read once: NVS holds it across reboots, this field between writes.
		const rev = Preference.get(DOMAIN, REV_KEY);
		this.#appliedRev = typeof rev === "number" ? rev : 0;
	}

	/** The last applied desired revision (0 before any). */
	get appliedRev(): number {
		return this.#appliedRev;
	}

	/** Handles one .../cfg/desired message and reports the outcome. Never throws. */
	handle(bytes: Uint8Array): ReportedConfig {
		return this.#send(this.#apply(bytes));
	}

	/** Reports the current state (at the first connect of a boot, so the cloud sees reboots apply pending keys). Never throws. */
	reportCurrent(): ReportedConfig {
		return this.#send(this.current());
	}

	#send(reported: ReportedConfig): ReportedConfig {
		try {
			this.#o.report(reported);
		} catch (e) {
			this.#o.log.error(`reported config not sent: ${describeError(e)}`);
		}
		return reported;
	}

	/** The current state as a report (sent at connect so the cloud sees reboots apply pending keys). */
	current(rev = this.appliedRev): ReportedConfig {
		return this.#report(rev, this.#pending.size ? "pending-reboot" : "applied");
	}

	#apply(bytes: Uint8Array): ReportedConfig {
		const log = this.#o.log;
		if (bytes.byteLength === 0) return this.current(); // retained desired cleared: nothing to do
		let rev = 0;
		try {
			const desired = decodePayload("cfg/desired", bytes);
			rev = desired.rev;
			if (rev <= this.appliedRev) return this.current(rev);
			for (const key of Object.keys(desired.values))
				if (!isRemoteSettable(key)) throw new RangeError(`config: ${key} cannot be set remotely (it names the device; reflash or use the console)`);
			const changed = this.#o.config.apply(desired.values);
			Preference.set(DOMAIN, REV_KEY, rev);
			this.#appliedRev = rev;
			for (const key of changed) if (!Config.isLive([key])) this.#pending.add(key);
			log.info(`config rev ${rev} applied: ${changed.length ? changed.join(", ") : "no change"}${this.#pending.size ? `; after reboot: ${[...this.#pending].join(", ")}` : ""}`);
			return this.current(rev);
		} catch (e) {
			const reason = describeError(e);
			log.warn(`config rev ${rev || "?"} rejected, keeping rev ${this.appliedRev}: ${reason}`);
			const r = this.#report(rev, "rejected");
			r.error = clip(reason, 256);
			return r;
		}
	}

	#report(rev: number, state: ReportedConfig["state"]): ReportedConfig {
		const values: Record<string, ConfigScalar> = {};
		const snapshot = this.#o.config.snapshot() as Record<ConfigKey, ConfigScalar>;
		for (const key of Object.keys(snapshot) as ConfigKey[]) {
			const v = snapshot[key];
			values[key] = SECRET_KEYS.includes(key) && v !== "" ? "(set)" : v;
		}
		const r: ReportedConfig = { v: 1, rev, state, appliedRev: this.appliedRev, values };
		if (this.#pending.size) r.pending = [...this.#pending].sort();
		return r;
	}
}
