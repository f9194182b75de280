/*
 * The device configuration schema: every key the firmware reads, its type and
 * bounds. One table, used to validate manifest defaults (mc/config), stored
 * Preference overrides and remote desired config alike.
 * Keys are at most 15 characters because each is stored as an ESP32 NVS key
 * (NVS_KEY_NAME_MAX_SIZE - 1).
 */

/** `live`: applies without a reboot. `remote: false`: refused in a remote desired config (it names the device). */
interface FieldFlags {
	live?: boolean;
	remote?: boolean;
}

export type FieldSpec =
	| ({ type: "string"; maxLength: number; pattern?: RegExp; hint?: string } & FieldFlags)
	| ({ type: "int"; min: number; max: number } & FieldFlags)
	| ({ type: "bool" } & FieldFlags)
	| ({ type: "enum"; values: readonly string[] } & FieldFlags);

import { ROLES } from "../contract/payloads";
import { clip } from "./errors";

/** `live: true` keys take effect without a reboot. Frozen so XS preload keeps it in flash. */
export const CONFIG_SCHEMA = deepFreeze({
	deviceId: { type: "string", maxLength: 32, pattern: /^[A-Za-z0-9_-]*$/, hint: "letters, digits, - and _ (empty = from MAC)", remote: false },
	role: { type: "enum", values: ROLES, remote: false },
	board: { type: "string", maxLength: 32, pattern: /^[a-z0-9_/-]+$/, hint: "lower-case board name", remote: false },
	mqttHost: { type: "string", maxLength: 253, pattern: /^[A-Za-z0-9.-]+$/, hint: "a host name or IPv4 address" },
	mqttPort: { type: "int", min: 1, max: 65_535 },
	mqttUser: { type: "string", maxLength: 64 },
	mqttPass: { type: "string", maxLength: 128 },
	keepaliveMs: { type: "int", min: 5_000, max: 600_000 },
	backoffMinMs: { type: "int", min: 100, max: 60_000 },
	backoffMaxMs: { type: "int", min: 1_000, max: 900_000 },
	healthMs: { type: "int", min: 5_000, max: 86_400_000, live: true },
	logLevel: { type: "enum", values: ["error", "warn", "info", "debug"], live: true },
	stopId: { type: "string", maxLength: 64, pattern: /^[A-Za-z0-9_.:-]*$/, hint: "a GTFS stop_id (stop-sign role)" },
	sampleMs: { type: "int", min: 1_000, max: 3_600_000, live: true },
	// Uplink (firmware/net/uplink.ts): batching, acks, rate limit.
	upDelayMs: { type: "int", min: 0, max: 3_600_000, live: true },
	upMaxRecords: { type: "int", min: 1, max: 200, live: true },
	ackTimeoutMs: { type: "int", min: 1_000, max: 600_000, live: true },
	txBytesPerS: { type: "int", min: 256, max: 1_000_000 },
	logRateMs: { type: "int", min: 1_000, max: 86_400_000, live: true },
	// Local time for schedules: minutes east of UTC (no DST rules on the device; ops pushes the new offset).
	utcOffsetMin: { type: "int", min: -720, max: 840, live: true },
	// Light pole (firmware/apps/light-pole): fitted parts, aggregation, counters.
	parts: { type: "string", maxLength: 120, pattern: /^[a-z0-9]*(,[a-z0-9]+)*$/, hint: "comma-separated part names, e.g. sht3x,veml7700,pms5003,ld2410,people,vehicles,bay,lamp" },
	windowMs: { type: "int", min: 1_000, max: 3_600_000, live: true },
	counterUse: { type: "enum", values: ["pedestrians", "footfall", "equipment"], live: true },
	laneDirection: { type: "enum", values: ["forward", "backward"], live: true },
	debounceMs: { type: "int", min: 0, max: 1_000 },
	// Lamp (lamp-policy.ts): dusk/dawn, schedule, presence boost, fail-safe, energy.
	lampWatts: { type: "int", min: 1, max: 2_000, live: true },
	lampMinPct: { type: "int", min: 0, max: 100 },
	lampOnLux: { type: "int", min: 1, max: 10_000, live: true },
	lampOffLux: { type: "int", min: 2, max: 20_000, live: true },
	lampHoldMs: { type: "int", min: 0, max: 3_600_000, live: true },
	lampNightPct: { type: "int", min: 0, max: 100, live: true },
	lampSchedule: { type: "string", maxLength: 120, pattern: /^([0-2]\d:[0-5]\d-[0-2]\d:[0-5]\d=\d{1,3})?(,[0-2]\d:[0-5]\d-[0-2]\d:[0-5]\d=\d{1,3})*$/, hint: "HH:MM-HH:MM=percent, comma-separated", live: true },
	lampBoostPct: { type: "int", min: 0, max: 100, live: true },
	lampBoostMs: { type: "int", min: 0, max: 3_600_000, live: true },
	lampSafePct: { type: "int", min: 0, max: 100, live: true },
	offlineMs: { type: "int", min: 10_000, max: 86_400_000, live: true },
	// OTA (firmware/ota): the key images must be signed with is part of the build (mcconfig otaPubKey=04…), never set remotely.
	otaPubKey: { type: "string", maxLength: 130, pattern: /^(04[0-9a-f]{128})?$/, hint: "uncompressed P-256 public key as 130 lower-case hex digits (curbside ota keygen prints it); empty refuses every offer", remote: false },
	otaTrialMs: { type: "int", min: 10_000, max: 1_800_000 },
	otaReqMs: { type: "int", min: 500, max: 120_000, live: true },
	safeBoots: { type: "int", min: 2, max: 50 },
	stableMs: { type: "int", min: 5_000, max: 3_600_000 },
	// Stop sign (firmware/apps/stop-sign): what is shown and how the e-paper is refreshed. The panel follows from `board` (panels.ts).
	signLang: { type: "enum", values: ["en", "zh-en"], live: true },
	largeText: { type: "bool", live: true },
	boardTtlS: { type: "int", min: 30, max: 3_600, live: true },
	dueS: { type: "int", min: 0, max: 600, live: true },
	fullEvery: { type: "int", min: 1, max: 1_000, live: true },
	fullMinS: { type: "int", min: 0, max: 86_400, live: true },
	fullMaxS: { type: "int", min: 600, max: 604_800, live: true },
	epdMinC: { type: "int", min: -40, max: 40, live: true },
	audioPin: { type: "int", min: -1, max: 39, remote: false },
} as const satisfies Record<string, FieldSpec>);

function deepFreeze<T extends object>(o: T): T {
	for (const v of Object.values(o)) if (v && typeof v === "object" && !Object.isFrozen(v)) deepFreeze(v);
	return Object.freeze(o);
}

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

type ValueOf<S> = S extends { type: "int" } ? number : S extends { type: "bool" } ? boolean : S extends { type: "enum"; values: readonly (infer V)[] } ? V : string;

export type ConfigValues = { [K in ConfigKey]: ValueOf<(typeof CONFIG_SCHEMA)[K]> };

/** True when `key` is a config key. */
export function isConfigKey(key: string): key is ConfigKey {
	return Object.prototype.hasOwnProperty.call(CONFIG_SCHEMA, key);
}

/** False for keys a remote desired config may not set (`remote: false`); unknown keys are left to Config.apply to reject. */
export function isRemoteSettable(key: string): boolean {
	return !isConfigKey(key) || (CONFIG_SCHEMA[key] as FieldSpec).remote !== false;
}

/**
 * Checks one value against its field. Returns undefined when valid, else a
 * short reason (no key name: callers prefix it).
 */
export function checkValue(key: ConfigKey, value: unknown): string | undefined {
	const spec = CONFIG_SCHEMA[key] as FieldSpec;
	switch (spec.type) {
		case "int":
			if (typeof value !== "number" || !Number.isInteger(value)) return `expected an integer, got ${show(value)}`;
			if (value < spec.min || value > spec.max) return `${value} is outside ${spec.min}..${spec.max}`;
			return undefined;
		case "bool":
			return typeof value === "boolean" ? undefined : `expected true or false, got ${show(value)}`;
		case "enum":
			return typeof value === "string" && spec.values.includes(value) ? undefined : `expected one of ${spec.values.join("|")}, got ${show(value)}`;
		case "string":
			if (typeof value !== "string") return `expected a string, got ${show(value)}`;
			if (value.length > spec.maxLength) return `longer than ${spec.maxLength} characters`;
			if (spec.pattern && !spec.pattern.test(value)) return `"${value}" is not valid: ${spec.hint ?? "bad characters"}`;
			return undefined;
	}
}

function show(value: unknown): string {
	if (typeof value === "string") return `"${clip(value, 41)}"`;
	if (value === null || typeof value !== "object") return String(value);
	return Array.isArray(value) ? "an array" : "an object";
}
