/*
 * Curbside wire contract, part 4: what an outbox record may carry.
 *
 * Every record kind a device can emit is listed here with the exact fields it
 * may hold; anything else is refused on the device before it reaches flash
 * (firmware/runtime/cloud-link.ts) and flagged by the ops acker. The table is
 * an allowlist on purpose: it is the privacy guarantee of the light pole
 * (README "Privacy"). Only per-window aggregates, lamp state and bay state
 * exist as kinds; there is no field that could hold an identifier, a track or
 * a raw frame, and text fields are closed enumerations or bounded part names.
 *
 * Telemetry kinds and field names follow FIWARE Smart Data Models
 * (https://github.com/smart-data-models):
 *   AirQualityObserved (dataModel.Environment), TrafficFlowObserved and
 *   CrowdFlowObserved (dataModel.Transportation), Streetlight
 *   (dataModel.Streetlighting), ParkingSpot (dataModel.Parking).
 * Deviations, all for a constrained uplink: times are epoch ms (or
 * [boot, ticks] before the clock is synced, as record times are, see
 * sync-payloads.ts) instead of ISO 8601 text; relativeHumidity and
 * occupancy are 0..1 ratios as in FIWARE; `pressure` is hPa (the issue's
 * name; FIWARE WeatherObserved calls it atmosphericPressure); extensions are
 * marked "(ext)".
 */
import { finite, integer, list, oneOf, onlyKeys, optional, record, text, type Fields } from "./validate";
import { ProtocolError } from "../runtime/errors";
import { recordTime, type RecordTime } from "./sync-payloads";
import { OTA_STATES, type OtaState } from "./ota-payloads";

/** Window bounds: epoch ms once synced, else [boot, ticks]. */
export type WindowTime = RecordTime;

export interface AirQualityObserved {
	dateObservedFrom: WindowTime;
	dateObservedTo: WindowTime;
	/** µg/m³, window means */
	pm1?: number;
	pm25?: number;
	pm10?: number;
	/** °C */
	temperature?: number;
	/** 0..1 */
	relativeHumidity?: number;
	/** hPa */
	pressure?: number;
	/** lx, window mean (ext; FIWARE WeatherObserved `illuminance`) */
	illuminance?: number;
	/** (ext) sensors failed at the window's end; a field is present only if its part gave sane readings in the window, never guessed */
	failed?: SensorName[];
}

export const LANE_DIRECTIONS = ["forward", "backward"] as const;
export interface TrafficFlowObserved {
	dateObservedFrom: WindowTime;
	dateObservedTo: WindowTime;
	/** vehicles in the window */
	intensity: number;
	/** share of the window the detector was occupied, 0..1 */
	occupancy?: number;
	laneDirection: (typeof LANE_DIRECTIONS)[number];
}

/** What the counters count (ext): street pedestrians, park footfall, fitness-equipment uses. */
export const COUNTER_USES = ["pedestrians", "footfall", "equipment"] as const;
export type CounterUse = (typeof COUNTER_USES)[number];
export interface CrowdFlowObserved {
	dateObservedFrom: WindowTime;
	dateObservedTo: WindowTime;
	peopleCount: number;
	peopleCountTowards?: number;
	peopleCountAway?: number;
	/** (ext) */
	usage: CounterUse;
}

export const POWER_STATES = ["on", "off", "low"] as const;
export const STREETLIGHT_STATUS = ["ok", "defectiveLamp", "columnIssue", "brokenLantern"] as const;
/** Why the lamp is at its level (ext): firmware/apps/light-pole/lamp-policy.ts. */
export const LAMP_REASONS = ["day", "night", "schedule", "presence", "override", "fail-safe:offline", "fail-safe:sensor", "fail-safe:safe-mode", "fail-safe:ota"] as const;
export type LampReason = (typeof LAMP_REASONS)[number];
export interface Streetlight {
	powerState: (typeof POWER_STATES)[number];
	/** dimming level 0..1 */
	illuminanceLevel: number;
	/** lamp health; absent unless the pole can measure it (the generic pole has no lamp-current feedback, so it never claims "ok") */
	status?: (typeof STREETLIGHT_STATUS)[number];
	/** (ext) */
	reason: LampReason;
	/** (ext) lifetime energy, Wh */
	energyWh?: number;
	/** (ext) lifetime burning hours */
	burnHours?: number;
}

export const PARKING_STATUS = ["occupied", "free", "unknown"] as const;
export interface ParkingSpot {
	status: (typeof PARKING_STATUS)[number];
	/** when the bay changed to this status */
	timeInstant: WindowTime;
}

/** Parts a pole may carry; sensor events name one of these. */
export const SENSOR_NAMES = ["sht3x", "bme280", "veml7700", "pms5003", "ld2410", "people", "vehicles", "bay", "lamp"] as const;
export type SensorName = (typeof SENSOR_NAMES)[number];
export const SENSOR_FAULTS = ["no-answer", "checksum", "range", "stuck", "garbage", "flapping", "other"] as const;
export type SensorFault = (typeof SENSOR_FAULTS)[number];

/** A part went from working to failed. */
export interface SensorFaultEvent {
	sensor: SensorName;
	fault: SensorFault;
	/** the driver's message, clipped; drivers name parts and registers, never people */
	message: string;
}
/** A failed part works again after `downS` seconds. */
export interface SensorOkEvent {
	sensor: SensorName;
	downS: number;
}

/** The outbox dropped unacked records (ring full): firmware/net/uplink.ts. */
export interface OutboxLoss {
	first: number;
	last: number;
	count: number;
}

/**
 * A step of an over-the-air update that must reach the cloud even across a
 * power cut or a rollback (ota-payloads.ts has the live progress): refused
 * (with the reason), failed, applying, confirmed, rolled-back, safe-mode.
 */
export interface OtaEvent {
	/** offer id; "-" for a state the device entered by itself (safe mode) */
	id: string;
	state: OtaState;
	/** version running when the event happened */
	fw: string;
	/** version on offer */
	to?: string;
	reason?: string;
}

export interface RecordTypes {
	AirQualityObserved: AirQualityObserved;
	TrafficFlowObserved: TrafficFlowObserved;
	CrowdFlowObserved: CrowdFlowObserved;
	Streetlight: Streetlight;
	ParkingSpot: ParkingSpot;
	"sensor.fault": SensorFaultEvent;
	"sensor.ok": SensorOkEvent;
	"outbox.loss": OutboxLoss;
	ota: OtaEvent;
}
export type RecordKind = keyof RecordTypes;

function bounded(value: unknown, path: string, min: number, max: number): number {
	const n = finite(value, path);
	if (n < min || n > max) throw new ProtocolError(`${path}: ${n} outside ${min}..${max}`);
	return n;
}

function window(f: Fields, path: string): { dateObservedFrom: WindowTime; dateObservedTo: WindowTime } {
	return { dateObservedFrom: recordTime(f.dateObservedFrom, `${path}.dateObservedFrom`), dateObservedTo: recordTime(f.dateObservedTo, `${path}.dateObservedTo`) };
}

function count(value: unknown, path: string): number {
	return integer(value, path, 0, 0xffff_ffff);
}

const VALIDATORS: { [K in RecordKind]: (f: Fields, path: string) => RecordTypes[K] } = {
	AirQualityObserved(f, p) {
		onlyKeys(f, p, ["dateObservedFrom", "dateObservedTo", "pm1", "pm25", "pm10", "temperature", "relativeHumidity", "pressure", "illuminance", "failed"]);
		// Ranges: the widest any supported part measures (datasheets of PMS5003, BME280, SHT3x, VEML7700).
		return {
			...window(f, p),
			pm1: optional(f.pm1, (x) => bounded(x, `${p}.pm1`, 0, 1000)),
			pm25: optional(f.pm25, (x) => bounded(x, `${p}.pm25`, 0, 1000)),
			pm10: optional(f.pm10, (x) => bounded(x, `${p}.pm10`, 0, 1000)),
			temperature: optional(f.temperature, (x) => bounded(x, `${p}.temperature`, -40, 125)),
			relativeHumidity: optional(f.relativeHumidity, (x) => bounded(x, `${p}.relativeHumidity`, 0, 1)),
			pressure: optional(f.pressure, (x) => bounded(x, `${p}.pressure`, 300, 1100)),
			illuminance: optional(f.illuminance, (x) => bounded(x, `${p}.illuminance`, 0, 200_000)),
			failed: optional(f.failed, (x) => list(x, `${p}.failed`, SENSOR_NAMES.length).map((s, i) => oneOf(s, `${p}.failed[${i}]`, SENSOR_NAMES))),
		};
	},
	TrafficFlowObserved(f, p) {
		onlyKeys(f, p, ["dateObservedFrom", "dateObservedTo", "intensity", "occupancy", "laneDirection"]);
		return {
			...window(f, p),
			intensity: count(f.intensity, `${p}.intensity`),
			occupancy: optional(f.occupancy, (x) => bounded(x, `${p}.occupancy`, 0, 1)),
			laneDirection: oneOf(f.laneDirection, `${p}.laneDirection`, LANE_DIRECTIONS),
		};
	},
	CrowdFlowObserved(f, p) {
		onlyKeys(f, p, ["dateObservedFrom", "dateObservedTo", "peopleCount", "peopleCountTowards", "peopleCountAway", "usage"]);
		return {
			...window(f, p),
			peopleCount: count(f.peopleCount, `${p}.peopleCount`),
			peopleCountTowards: optional(f.peopleCountTowards, (x) => count(x, `${p}.peopleCountTowards`)),
			peopleCountAway: optional(f.peopleCountAway, (x) => count(x, `${p}.peopleCountAway`)),
			usage: oneOf(f.usage, `${p}.usage`, COUNTER_USES),
		};
	},
	Streetlight(f, p) {
		onlyKeys(f, p, ["powerState", "illuminanceLevel", "status", "reason", "energyWh", "burnHours"]);
		return {
			powerState: oneOf(f.powerState, `${p}.powerState`, POWER_STATES),
			illuminanceLevel: bounded(f.illuminanceLevel, `${p}.illuminanceLevel`, 0, 1),
			status: optional(f.status, (x) => oneOf(x, `${p}.status`, STREETLIGHT_STATUS)),
			reason: oneOf(f.reason, `${p}.reason`, LAMP_REASONS),
			energyWh: optional(f.energyWh, (x) => bounded(x, `${p}.energyWh`, 0, Number.MAX_SAFE_INTEGER)),
			burnHours: optional(f.burnHours, (x) => bounded(x, `${p}.burnHours`, 0, Number.MAX_SAFE_INTEGER)),
		};
	},
	ParkingSpot(f, p) {
		onlyKeys(f, p, ["status", "timeInstant"]);
		return { status: oneOf(f.status, `${p}.status`, PARKING_STATUS), timeInstant: recordTime(f.timeInstant, `${p}.timeInstant`) };
	},
	"sensor.fault"(f, p) {
		onlyKeys(f, p, ["sensor", "fault", "message"]);
		return { sensor: oneOf(f.sensor, `${p}.sensor`, SENSOR_NAMES), fault: oneOf(f.fault, `${p}.fault`, SENSOR_FAULTS), message: text(f.message, `${p}.message`, 120) };
	},
	"sensor.ok"(f, p) {
		onlyKeys(f, p, ["sensor", "downS"]);
		return { sensor: oneOf(f.sensor, `${p}.sensor`, SENSOR_NAMES), downS: count(f.downS, `${p}.downS`) };
	},
	"outbox.loss"(f, p) {
		onlyKeys(f, p, ["first", "last", "count"]);
		return { first: count(f.first, `${p}.first`), last: count(f.last, `${p}.last`), count: count(f.count, `${p}.count`) };
	},
	ota(f, p) {
		onlyKeys(f, p, ["id", "state", "fw", "to", "reason"]);
		return {
			id: text(f.id, `${p}.id`, 40),
			state: oneOf(f.state, `${p}.state`, OTA_STATES),
			fw: text(f.fw, `${p}.fw`, 17),
			to: optional(f.to, (x) => text(x, `${p}.to`, 17)),
			reason: optional(f.reason, (x) => text(x, `${p}.reason`, 160)),
		};
	},
};

/** Whether `kind` is a record kind of this contract. */
export function isRecordKind(kind: string): kind is RecordKind {
	return Object.prototype.hasOwnProperty.call(VALIDATORS, kind);
}

/**
 * Checks a record's data against its kind: known kind, only its fields,
 * finite numbers in range (so never a NaN), closed text values.
 * @throws ProtocolError naming the field, e.g. `AirQualityObserved.pm25`
 */
export function validateRecordData<K extends RecordKind>(kind: K, data: unknown): RecordTypes[K];
export function validateRecordData(kind: string, data: unknown): unknown;
export function validateRecordData(kind: string, data: unknown): unknown {
	if (!isRecordKind(kind)) throw new ProtocolError(`record kind "${kind}" is not in the contract`);
	return VALIDATORS[kind](record(data, kind), kind);
}
