/*
 * Curbside wire contract, part 2: payload types and their validators.
 * Every payload is a CBOR map (RFC 8949) with a contract version `v`.
 * Field names follow FIWARE Smart Data Models where one fits.
 */
import { finite, integer, oneOf, onlyKeys, optional, record, text } from "./validate";
import { CONTRACT_VERSION } from "./topics";

export const ROLES = ["stop-sign", "light-pole"] as const;
export type Role = (typeof ROLES)[number];

/** Retained on .../status. Birth has state "online"; the LWT has "offline". */
export interface StatusPayload {
	v: number;
	state: "online" | "offline";
	role: Role;
	fw: string;
	board: string;
	/** reset reason of this boot (birth only) */
	boot?: string;
	bootCount?: number;
	/** device wall clock, ms since epoch (birth only; the LWT is composed at connect time) */
	t?: number;
}

/** Periodic on .../health. */
export interface HealthPayload {
	v: number;
	/** ms since epoch */
	t: number;
	uptimeS: number;
	heapSlots?: number;
	heapChunkBytes?: number;
	freeBytes?: number;
	resetReason: string;
	bootCount: number;
	/** MQTT connects since boot */
	connects: number;
	/** log ring entries lost to overflow since the last upload */
	logDropped: number;
	/** outbox records waiting for a cloud ack */
	outboxPending?: number;
	/** outbox records dropped since boot because the ring was full */
	outboxLost?: number;
	/** state of each fitted part (light pole): the sensor status field; failures are also sensor.fault records */
	parts?: Record<string, PartState>;
}

export const PART_STATES = Object.freeze(["starting", "ok", "failed", "off"] as const);
export type PartState = (typeof PART_STATES)[number];

function version(fields: Record<string, unknown>, path: string): number {
	return integer(fields.v, `${path}.v`, 1, CONTRACT_VERSION);
}

/** @throws ProtocolError */
export function validateStatus(value: unknown): StatusPayload {
	const f = record(value, "status");
	onlyKeys(f, "status", ["v", "state", "role", "fw", "board", "boot", "bootCount", "t"]);
	return {
		v: version(f, "status"),
		state: oneOf(f.state, "status.state", ["online", "offline"] as const),
		role: oneOf(f.role, "status.role", ROLES),
		fw: text(f.fw, "status.fw", 32),
		board: text(f.board, "status.board", 32),
		boot: optional(f.boot, (x) => text(x, "status.boot", 16)),
		bootCount: optional(f.bootCount, (x) => integer(x, "status.bootCount", 0)),
		t: optional(f.t, (x) => integer(x, "status.t", 0)),
	};
}

/** @throws ProtocolError */
export function validateHealth(value: unknown): HealthPayload {
	const f = record(value, "health");
	onlyKeys(f, "health", ["v", "t", "uptimeS", "heapSlots", "heapChunkBytes", "freeBytes", "resetReason", "bootCount", "connects", "logDropped", "outboxPending", "outboxLost", "parts"]);
	return {
		v: version(f, "health"),
		t: integer(f.t, "health.t", 0),
		uptimeS: integer(f.uptimeS, "health.uptimeS", 0),
		heapSlots: optional(f.heapSlots, (x) => integer(x, "health.heapSlots", 0)),
		heapChunkBytes: optional(f.heapChunkBytes, (x) => integer(x, "health.heapChunkBytes", 0)),
		freeBytes: optional(f.freeBytes, (x) => finite(x, "health.freeBytes")),
		resetReason: text(f.resetReason, "health.resetReason", 16),
		bootCount: integer(f.bootCount, "health.bootCount", 0),
		connects: integer(f.connects, "health.connects", 0),
		logDropped: integer(f.logDropped, "health.logDropped", 0),
		outboxPending: optional(f.outboxPending, (x) => integer(x, "health.outboxPending", 0)),
		outboxLost: optional(f.outboxLost, (x) => integer(x, "health.outboxLost", 0)),
		parts: optional(f.parts, (x) => {
			const m = record(x, "health.parts");
			const out: Record<string, PartState> = {};
			for (const key of Object.keys(m)) out[text(key, "health.parts key", 16)] = oneOf(m[key], `health.parts.${key}`, PART_STATES);
			return out;
		}),
	};
}
