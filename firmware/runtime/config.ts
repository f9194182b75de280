/*
 * Persistent device configuration.
 * Layers, lowest first: the schema-checked manifest defaults (`mc/config`),
 * then overrides stored in Preference domain "cfg". Every write is validated
 * before it is persisted, so what is stored is always a last good value.
 * At boot a stored override that no longer validates (corrupt NVS, or a
 * firmware whose schema tightened) is reported and ignored: the key falls back
 * to its default and the device keeps running.
 */
import Preference from "preference";
import { CONFIG_SCHEMA, type ConfigKey, type ConfigValues, checkValue, isConfigKey } from "./config-schema";
import { ConfigError } from "./errors";

export const CONFIG_DOMAIN = "cfg";

export interface ConfigIssue {
	key: string;
	reason: string;
}

export type ConfigListener = (changed: ConfigKey[]) => void;

export class Config {
	#defaults: ConfigValues;
	#values: ConfigValues;
	#listeners: ConfigListener[] = [];
	/** Problems found while loading: ignored overrides and unknown keys. */
	readonly issues: ConfigIssue[] = [];

	/**
	 * Loads defaults and overrides.
	 * @throws ConfigError when a manifest default is missing or invalid: the build is wrong, not the device.
	 */
	constructor(defaults: Record<string, unknown>) {
		const values = {} as Record<ConfigKey, unknown>;
		for (const key of Object.keys(CONFIG_SCHEMA) as ConfigKey[]) {
			const value = defaults[key];
			if (value === undefined) throw new ConfigError(key, `config: default for "${key}" is missing (add it to the manifest "config" section)`);
			const reason = checkValue(key, value);
			if (reason) throw new ConfigError(key, `config: default for "${key}" is invalid: ${reason}`);
			values[key] = value;
		}
		this.#defaults = { ...(values as ConfigValues) };
		for (const key of Preference.keys(CONFIG_DOMAIN)) {
			if (!isConfigKey(key)) {
				this.issues.push({ key, reason: "unknown key in stored config, ignored" });
				continue;
			}
			const stored = Preference.get(CONFIG_DOMAIN, key);
			const reason = checkValue(key, stored);
			if (reason) this.issues.push({ key, reason: `stored value ignored, using default: ${reason}` });
			else values[key] = stored;
		}
		this.#values = values as ConfigValues;
	}

	get<K extends ConfigKey>(key: K): ConfigValues[K] {
		return this.#values[key];
	}

	/** A copy of every value, for reported config. */
	snapshot(): ConfigValues {
		return { ...this.#values };
	}

	/**
	 * Validates and persists a set of changes, all or nothing.
	 * @returns the keys whose value changed
	 * @throws ConfigError naming the first bad key; nothing is changed then
	 */
	apply(changes: Record<string, unknown>): ConfigKey[] {
		const keys = Object.keys(changes);
		for (const key of keys) {
			if (!isConfigKey(key)) throw new ConfigError(key, `config: unknown key "${key}"`);
			const reason = checkValue(key, changes[key]);
			if (reason) throw new ConfigError(key, `config: ${key}: ${reason}`);
		}
		const changed: ConfigKey[] = [];
		for (const key of keys as ConfigKey[]) {
			const value = changes[key] as ConfigValues[ConfigKey];
			if (value === this.#values[key]) continue;
			if (value === this.#defaults[key]) Preference.delete(CONFIG_DOMAIN, key);
			else Preference.set(CONFIG_DOMAIN, key, value);
			(this.#values as Record<ConfigKey, unknown>)[key] = value;
			changed.push(key);
		}
		if (changed.length) for (const listener of this.#listeners) listener(changed);
		return changed;
	}

	/** Validates and persists one key. @throws ConfigError */
	set<K extends ConfigKey>(key: K, value: ConfigValues[K]): void {
		this.apply({ [key]: value });
	}

	/** Drops the override of `key` (back to the manifest default). */
	reset(key: ConfigKey): void {
		this.apply({ [key]: this.#defaults[key] });
	}

	/** Whether every key in `keys` applies without a reboot. */
	static isLive(keys: readonly ConfigKey[]): boolean {
		return keys.every((k) => (CONFIG_SCHEMA[k] as { live?: boolean }).live === true);
	}

	onChange(listener: ConfigListener): void {
		this.#listeners.push(listener);
	}
}
