/*
 * Curbside wire contract, part 1: topics. The ONLY place topic strings are
 * built or parsed; firmware, host-sim and tools all import this module.
 *
 * Scheme (MQTT 3.1.1 §4.7 topic rules; no wildcards or NUL in ids):
 *   cs/v1/dev/<id>/status        retained birth / LWT (device → cloud)
 *   cs/v1/dev/<id>/health        periodic health record (device → cloud)
 *   cs/v1/dev/<id>/up            outbox record batches (device → cloud)
 *   cs/v1/dev/<id>/ack           end-to-end acks of outbox batches (cloud → device)
 *   cs/v1/dev/<id>/cmd           commands (cloud → device)
 *   cs/v1/dev/<id>/cmd/res       command results (device → cloud)
 *   cs/v1/dev/<id>/cfg/desired   retained desired config (cloud → device)
 *   cs/v1/dev/<id>/cfg/reported  retained reported config (device → cloud)
 *   cs/v1/dev/<id>/log           remote log uploads (device → cloud)
 *   cs/v1/dev/<id>/ota/<verb>    reserved for OTA (offer, req, chunk, progress)
 *   cs/v1/stop/<stopId>/board    retained per-stop departures board (cloud → signs)
 *   cs/v1/stop/<stopId>/timetable retained per-stop timetable slice, the offline fallback (cloud → signs)
 *   cs/v1/stop/<stopId>/fresh    retained "unchanged board still current as of t" tick (cloud → signs)
 *   cs/v1/time                   time beacon (cloud → all)
 * The version segment changes only with an incompatible payload change, so a
 * fleet can run two contract versions side by side during a rollout.
 */

export const CONTRACT_VERSION = 1;
export const ROOT = `cs/v${CONTRACT_VERSION}`;

/** Ids allowed in a topic level: what a device id or GTFS stop id may hold. */
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** @throws RangeError when `id` can't be a single topic level. */
export function checkTopicId(id: string, what = "id"): string {
	if (!ID.test(id)) throw new RangeError(`topic ${what} "${id}" must be 1..64 of A-Z a-z 0-9 _ . : -`);
	return id;
}

export const DEVICE_CHANNELS = Object.freeze(["status", "health", "up", "ack", "cmd", "cmd/res", "cfg/desired", "cfg/reported", "log", "ota/offer", "ota/req", "ota/chunk", "ota/progress"] as const);
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Topic of one device channel. */
export function deviceTopic(deviceId: string, channel: DeviceChannel): string {
	return `${ROOT}/dev/${checkTopicId(deviceId, "device id")}/${channel}`;
}

/** Subscription filter for one channel of every device (ops side). Shared-subscription group optional. */
export function allDevicesFilter(channel: DeviceChannel, shareGroup?: string): string {
	const filter = `${ROOT}/dev/+/${channel}`;
	return shareGroup ? `$share/${checkTopicId(shareGroup, "share group")}/${filter}` : filter;
}

/** Retained departures board of one stop. */
export function boardTopic(stopId: string): string {
	return `${ROOT}/stop/${checkTopicId(stopId, "stop id")}/board`;
}

/** Subscription filter for one stop channel of every stop (ops side). */
export function allStopsFilter(channel: "board" | "timetable" | "fresh"): string {
	return `${ROOT}/stop/+/${channel}`;
}

/** Retained freshness tick of one stop's unchanged board (firmware/contract/board-payloads.ts BoardFresh). */
export function freshTopic(stopId: string): string {
	return `${ROOT}/stop/${checkTopicId(stopId, "stop id")}/fresh`;
}

/** Retained timetable slice of one stop (the sign's offline fallback). */
export function timetableTopic(stopId: string): string {
	return `${ROOT}/stop/${checkTopicId(stopId, "stop id")}/timetable`;
}

export const TIME_TOPIC = `${ROOT}/time`;

export type ParsedTopic = { kind: "device"; deviceId: string; channel: DeviceChannel } | { kind: "board"; stopId: string } | { kind: "timetable"; stopId: string } | { kind: "fresh"; stopId: string } | { kind: "time" };

/** Parses a topic of this contract; undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
	if (topic === TIME_TOPIC) return { kind: "time" };
	const prefix = ROOT + "/";
	if (!topic.startsWith(prefix)) return undefined;
	const parts = topic.slice(prefix.length).split("/");
	if (parts[0] === "stop" && parts.length === 3 && ID.test(parts[1])) {
		if (parts[2] === "board") return { kind: "board", stopId: parts[1] };
		if (parts[2] === "timetable") return { kind: "timetable", stopId: parts[1] };
		if (parts[2] === "fresh") return { kind: "fresh", stopId: parts[1] };
	}
	if (parts[0] === "dev" && parts.length >= 3 && ID.test(parts[1])) {
		const channel = parts.slice(2).join("/");
		if ((DEVICE_CHANNELS as readonly string[]).includes(channel)) return { kind: "device", deviceId: parts[1], channel: channel as DeviceChannel };
	}
	return undefined;
}
