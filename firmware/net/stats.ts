/*
 * The sync layer's counters, in a module of plain types with no Moddable
 * imports, so the host simulator and tools can read a device's figures with
 * the firmware's own shapes (host-sim/device.ts) without compiling firmware.
 */

export interface SessionStats {
	connects: number;
	failures: number;
	lastError?: string;
	published: number;
	publishedBytes: number;
	/** bulk publishes refused by the rate limit (the caller retries) */
	throttled: number;
}

export interface FlashRingStats {
	/** unacked records */
	pending: number;
	/** body bytes of the unacked records */
	pendingBytes: number;
	/** seq the next append gets */
	nextSeq: number;
	/** unacked records dropped to make room, since boot */
	dropped: number;
	/** torn or damaged records and sector headers found at recovery */
	torn: number;
	sectors: number;
	/** record space of all sectors, headers included, in bytes */
	capacityBytes: number;
	/** records appended since boot */
	appended: number;
}

export interface UplinkStats {
	batches: number;
	recordsSent: number;
	bytesSent: number;
	acks: number;
	ackTimeouts: number;
	/** records lost to a full ring since boot (each also reported as an "outbox.loss" record) */
	lost: number;
}
