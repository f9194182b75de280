/*
 * Health snapshot: what a field engineer asks first. Uptime, XS heap from
 * `instrumentation`, reset reason and boot count. Pure data, so the sync
 * layer can encode it as a contract payload.
 */
import Instrumentation from "instrumentation";
import Time from "time";
import type { HealthPayload } from "../contract/payloads";

/** The health fields the runtime measures; the payload adds time, link and log counters. */
export type HealthSnapshot = Omit<HealthPayload, "v" | "t" | "connects" | "logDropped" | "outboxPending" | "outboxLost">;

function counter(name: Parameters<typeof Instrumentation.map>[0]): number | undefined {
	const index = Instrumentation.map(name);
	return index === undefined ? undefined : Instrumentation.get(index);
}

/** Reads the counters now. */
export function healthSnapshot(resetReason: string, bootCount: number): HealthSnapshot {
	return {
		uptimeS: Math.floor(Time.ticks / 1000),
		heapSlots: counter("XS Slot Heap Used"),
		heapChunkBytes: counter("XS Chunk Heap Used"),
		freeBytes: counter("System Free Memory"),
		resetReason,
		bootCount,
	};
}
