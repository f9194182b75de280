/*
 * Health snapshot: what a field engineer asks first. Uptime, XS heap from
 * `instrumentation`, reset reason and boot count. Pure data, so the sync
 * layer can encode it as a contract payload.
 */
import Instrumentation from "instrumentation";
import Time from "time";

export interface HealthSnapshot {
	/** seconds since boot */
	uptimeS: number;
	/** XS slot heap in use (slots), undefined where the host can't say */
	heapSlots?: number;
	/** XS chunk heap in use (bytes) */
	heapChunkBytes?: number;
	/** free system memory (bytes) */
	freeBytes?: number;
	resetReason: string;
	bootCount: number;
}

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
