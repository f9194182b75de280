/*
 * Remote logs: the logger's ring buffer shipped on .../log, on request (a
 * "logs" command) or after an error. Rate-limited so a device stuck in an
 * error loop sends one upload per `minIntervalMs`, not one per error; the
 * upload is bounded in bytes (oldest entries go first, and are counted).
 * The ring is drained only once the upload was handed to the link.
 */
import Time from "time";
import Timer from "timer";
import { encodePayload } from "../contract/codec";
import type { LogLine, LogPayload } from "../contract/control-payloads";
import { clip } from "./errors";
import type { Logger } from "./logger";

export interface RemoteLogOptions {
	logger: Logger;
	bootCount: number;
	epochAtTick0: () => number | undefined;
	/** publishes as bulk traffic; false when offline or throttled */
	publish: (payload: Uint8Array) => boolean;
	/** least time between uploads, ms */
	minIntervalMs: () => number;
	/** upload size bound in bytes @default 2048 */
	maxBytes?: number;
	/** wait after an error so the lines around it make the same upload, ms @default 2000 */
	settleMs?: number;
}

export interface LogPushResult {
	sent: boolean;
	entries: number;
	/** when not sent: ms until an upload is allowed */
	retryInMs?: number;
}

export class RemoteLog {
	#o: RemoteLogOptions;
	#last = -Infinity;
	#timer: Timer | undefined;
	readonly stats = { uploads: 0, suppressed: 0 };

	constructor(options: RemoteLogOptions) {
		this.#o = options;
		options.logger.onError = () => this.#errorSeen();
	}

	/** Uploads now if the rate limit allows. */
	push(reason: LogPayload["reason"]): LogPushResult {
		const now = Time.ticks;
		const wait = this.#last + this.#o.minIntervalMs() - now;
		if (wait > 0) {
			this.stats.suppressed++;
			return { sent: false, entries: 0, retryInMs: wait };
		}
		const entries = this.#o.logger.entries();
		let dropped = this.#o.logger.dropped;
		const lines: LogLine[] = entries.map((e) => [e.t, e.level, clip(e.tag, 32), clip(e.msg, 256)]);
		let payload = this.#encode(reason, lines, dropped);
		const max = this.#o.maxBytes ?? 2048;
		while (payload.byteLength > max && lines.length > 1) {
			const cut = Math.max(1, Math.ceil((lines.length * (payload.byteLength - max)) / payload.byteLength));
			lines.splice(0, cut);
			dropped += cut;
			payload = this.#encode(reason, lines, dropped);
		}
		if (!this.#o.publish(payload)) return { sent: false, entries: 0, retryInMs: 1000 };
		this.#o.logger.entries(true);
		this.#last = now;
		this.stats.uploads++;
		return { sent: true, entries: lines.length };
	}

	stop(): void {
		Timer.clear(this.#timer);
		this.#timer = undefined;
	}

	#encode(reason: LogPayload["reason"], e: LogLine[], dropped: number): Uint8Array {
		return encodePayload("log", { v: 1, boot: this.#o.bootCount, t0: this.#o.epochAtTick0(), reason, dropped, e });
	}

	#errorSeen(): void {
		if (this.#timer) return;
		const allowedIn = Math.max(0, this.#last + this.#o.minIntervalMs() - Time.ticks);
		this.#uploadLater(Math.max(allowedIn, this.#o.settleMs ?? 2_000), true);
	}

	/** One pending upload at a time; offline or throttled, it is retried once, then the next error tries again. */
	#uploadLater(ms: number, retry: boolean): void {
		this.#timer = Timer.set(() => {
			this.#timer = undefined;
			const r = this.push("error");
			if (!r.sent && retry) this.#uploadLater(Math.max(r.retryInMs ?? 0, 5_000), false);
		}, ms);
	}
}
