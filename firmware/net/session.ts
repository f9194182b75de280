/*
 * MQTT session over Moddable's `mqtt` module, which connects once, speaks
 * QoS 0 only and never reconnects (ARCHITECTURE §4). This layer owns:
 *   - connecting with exponential backoff and full jitter, with a deadline
 *     on each attempt so a silent broker can't hang the device;
 *   - the LWT (retained "offline" status) and the retained birth message;
 *   - resubscribing after every reconnect;
 *   - an outgoing byte-rate limit (token bucket): bulk traffic (outbox
 *     batches, logs, health) waits for tokens, control traffic (status,
 *     command results, reported config) always goes and delays bulk instead;
 *   - reporting up/down to the app and the outbox.
 * Delivery guarantees live above (the outbox's end-to-end acks), not here.
 */
import Client from "mqtt";
import Timer from "timer";
import { describeError } from "../runtime/errors";
import type { TaggedLog } from "../runtime/logger";
import { Backoff } from "./backoff";
import { TokenBucket } from "./token-bucket";
import type { SessionStats } from "./stats";
export type { SessionStats };
import Time from "time";

export interface SessionOptions {
	host: string;
	/** @default 1883 */
	port: number;
	clientId: string;
	user?: string;
	password?: string;
	/** MQTT keepalive in ms */
	keepaliveMs: number;
	/** first reconnect delay ceiling in ms */
	backoffMinMs: number;
	/** reconnect delay cap in ms */
	backoffMaxMs: number;
	/** how long one connect attempt may take before it is abandoned, in ms @default 15000 */
	connectTimeoutMs?: number;
	/** last will: published retained by the broker if the link dies */
	will: { topic: string; payload: Uint8Array };
	/** built at each connect so it carries the current time */
	birth: () => { topic: string; payload: Uint8Array };
	log: TaggedLog;
	random?: () => number;
	/** outgoing rate limit; omitted = unlimited */
	rate?: { bytesPerS: number; burstBytes: number };
}

export interface PublishOptions {
	retain?: boolean;
	/** bulk traffic is refused (false) while the rate limit has no tokens for it */
	bulk?: boolean;
}


/** Rough MQTT PUBLISH size: payload, topic, fixed header, length bytes and topic length field (MQTT 3.1.1 §3.3). */
function wireBytes(topic: string, payload: Uint8Array): number {
	return payload.byteLength + topic.length + 6;
}

/** Moddable's mqtt takes an ArrayBuffer, not a view: hand it one of exactly the payload's bytes. */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
	if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
	return bytes.slice().buffer as ArrayBuffer;
}

export class MqttSession {
	#options: SessionOptions;
	#client: Client | undefined;
	#backoff: Backoff;
	#retry: Timer | undefined;
	#deadline: Timer | undefined;
	#subscriptions = new Set<string>();
	#running = false;
	#ready = false;
	#bucket: TokenBucket | undefined;
	readonly stats: SessionStats = { connects: 0, failures: 0, published: 0, publishedBytes: 0, throttled: 0 };
	/** A message arrived on a subscribed topic. */
	onMessage?: (topic: string, payload: Uint8Array) => void;
	/** The session is up (after birth and subscriptions). */
	onUp?: () => void;
	/** The session went down; a reconnect is scheduled. */
	onDown?: (reason: string) => void;

	constructor(options: SessionOptions) {
		this.#options = options;
		this.#backoff = new Backoff(options.backoffMinMs, options.backoffMaxMs, options.random);
		if (options.rate) this.#bucket = new TokenBucket(options.rate.bytesPerS, options.rate.burstBytes, Time.ticks);
	}

	get connected(): boolean {
		return this.#ready;
	}

	/** Starts connecting. Idempotent. */
	start(): void {
		if (this.#running) return;
		this.#running = true;
		this.#connect();
	}

	/**
	 * Closes the link and stops reconnecting. An orderly stop publishes the
	 * will's "offline" itself, since a clean DISCONNECT makes the broker
	 * discard the will (MQTT 3.1.1 §3.1.2.5). Idempotent; no callback fires after it.
	 */
	stop(): void {
		if (this.#ready) this.publish(this.#options.will.topic, this.#options.will.payload, { retain: true });
		this.#running = false;
		Timer.clear(this.#retry);
		Timer.clear(this.#deadline);
		this.#retry = this.#deadline = undefined;
		this.#drop();
	}

	/** Adds a topic filter; subscribed now if up, and again after every reconnect. */
	subscribe(topic: string): void {
		if (this.#subscriptions.has(topic)) return;
		this.#subscriptions.add(topic);
		if (this.#ready) this.#client!.subscribe(topic);
	}

	unsubscribe(topic: string): void {
		if (!this.#subscriptions.delete(topic)) return;
		if (this.#ready) this.#client!.unsubscribe(topic);
	}

	/** ms until a bulk publish of `payload` on `topic` would pass the rate limit (0 = now); the same cost publish() charges. */
	bulkWaitMs(topic: string, payload: Uint8Array): number {
		return this.#bucket ? this.#bucket.waitMs(wireBytes(topic, payload), Time.ticks) : 0;
	}

	/**
	 * Publishes at QoS 0 if the link is up.
	 * @returns false when offline, throttled (bulk only) or refused by the transport (the caller keeps the data)
	 */
	publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): boolean {
		if (!this.#ready) return false;
		const cost = wireBytes(topic, payload);
		if (this.#bucket) {
			if (!options.bulk) this.#bucket.force(cost, Time.ticks);
			else if (!this.#bucket.take(cost, Time.ticks)) {
				this.stats.throttled++;
				return false;
			}
		}
		try {
			this.#client!.publish(topic, exactBuffer(payload), { retain: !!options.retain });
		} catch (e) {
			this.#options.log.warn(`publish to ${topic} failed: ${describeError(e)}`);
			this.#lost(`publish failed: ${describeError(e)}`);
			return false;
		}
		this.stats.published++;
		this.stats.publishedBytes += payload.byteLength;
		return true;
	}

	#connect(): void {
		const o = this.#options;
		this.#retry = undefined;
		o.log.info(`connecting to ${o.host}:${o.port} as ${o.clientId} (attempt ${this.#backoff.attempt + 1})`);
		let client: Client;
		try {
			client = new Client({
				host: o.host,
				port: o.port,
				id: o.clientId,
				user: o.user || undefined,
				password: o.password || undefined,
				timeout: o.keepaliveMs,
				will: { topic: o.will.topic, message: exactBuffer(o.will.payload), retain: true },
			});
		} catch (e) {
			this.#failed(`connect: ${describeError(e)}`);
			return;
		}
		this.#client = client;
		this.#deadline = Timer.set(() => {
			this.#deadline = undefined;
			this.#failed(`no CONNACK within ${o.connectTimeoutMs ?? 15_000} ms`);
		}, o.connectTimeoutMs ?? 15_000);
		client.onReady = () => this.#up();
		client.onMessage = (topic, data) => {
			if (this.#client !== client) return;
			try {
				this.onMessage?.(topic, new Uint8Array(data));
			} catch (e) {
				o.log.error(`handler for ${topic} failed: ${describeError(e)}`);
			}
		};
		client.onClose = () => {
			if (this.#client !== client) return;
			if (this.#ready) this.#lost("connection closed");
			else this.#failed("connection refused or lost before CONNACK");
		};
	}

	#up(): void {
		const o = this.#options;
		Timer.clear(this.#deadline);
		this.#deadline = undefined;
		this.#ready = true;
		this.#backoff.reset();
		this.stats.connects++;
		o.log.info(`connected to ${o.host}:${o.port}`);
		const birth = o.birth();
		this.publish(birth.topic, birth.payload, { retain: true });
		for (const topic of this.#subscriptions) if (this.#ready) this.#client!.subscribe(topic);
		if (this.#ready) this.onUp?.();
	}

	#drop(): void {
		const client = this.#client;
		this.#client = undefined;
		this.#ready = false;
		if (client) {
			client.onReady = () => {};
			client.onClose = client.onMessage = undefined;
			try {
				client.close();
			} catch {
				// Already closed by the transport: nothing left to release.
			}
		}
	}

	/** An attempt failed before the session came up. */
	#failed(reason: string): void {
		Timer.clear(this.#deadline);
		this.#deadline = undefined;
		this.stats.failures++;
		this.stats.lastError = reason;
		this.#drop();
		this.#schedule(reason);
	}

	/** An established session dropped. */
	#lost(reason: string): void {
		this.stats.lastError = reason;
		this.#drop();
		this.onDown?.(reason);
		this.#schedule(reason);
	}

	#schedule(reason: string): void {
		if (!this.#running || this.#retry) return;
		const delay = this.#backoff.next();
		this.#options.log.warn(`${reason}; retry in ${(delay / 1000).toFixed(1)} s`);
		this.#retry = Timer.set(() => this.#connect(), delay);
	}
}
