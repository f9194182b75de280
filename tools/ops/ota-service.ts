/*
 * The ops end of OTA (ARCHITECTURE §5; wire contract in
 * firmware/contract/ota-payloads.ts): publishes and withdraws retained
 * offers, serves chunks on request, and follows what devices report.
 *
 *   offer     cs/v1/dev/<id>/ota/offer   retained, QoS 1; empty = withdrawn
 *   request   cs/v1/dev/<id>/ota/req     {v,id,i,n}, n ≤ OTA_MAX_BATCH
 *   chunk     cs/v1/dev/<id>/ota/chunk   one message per requested index,
 *                                         QoS 0 (the device's mqtt is QoS 0
 *                                         only and re-requests what it lost)
 *   progress  cs/v1/dev/<id>/ota/progress  best effort, followed here
 *   results   "ota" records inside up batches: read passively, never acked
 *             (the acker owns acks; an ack from here would let a device drop
 *             a record the cloud never stored)
 *
 * Why MQTT request/response rather than HTTP range requests: the device
 * keeps its one TLS session (an ESP32 has ~520 KB RAM; a second mbedTLS
 * context costs ~40 KB), one ACL model covers it, and the broker is already
 * reachable through the city's NAT and firewalls. The price is per-chunk
 * framing; `traffic()` counts it (chunk payload bytes vs MQTT bytes including
 * the fixed header and topic, requests included) so it is measured, not guessed.
 *
 * A device asks at most `requestsPerS` times a second (token bucket, burst
 * `requestBurst`); beyond that its requests are dropped and counted, so a
 * buggy device re-requesting in a loop cannot flood the broker. Requests go
 * through a shared subscription when `shareGroup` is set (MQTT 5 §4.8.2;
 * Mosquitto 2, EMQX, VerneMQ, HiveMQ), so several processes can split the
 * serving; progress, results and offers are not shared.
 */
import type { MqttClient } from "mqtt";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import type { OtaChunk, OtaChunkError, OtaProgress } from "../../firmware/contract/ota-payloads";
import { validateRecordData, type OtaEvent } from "../../firmware/contract/telemetry";
import { allDevicesFilter, deviceTopic, parseTopic } from "../../firmware/contract/topics";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { TokenBucket } from "../../firmware/net/token-bucket";
import { describeError } from "../../firmware/runtime/errors";
import type { OtaPackage } from "../ota/package";
import { connectOps, opsClientId } from "./connect";

export interface OtaServiceOptions {
	/** shared-subscription group for chunk requests */
	shareGroup?: string;
	clientId?: string;
	/** steady chunk requests per device, per second @default 10 */
	requestsPerS?: number;
	/** requests a device may send back to back @default 20 */
	requestBurst?: number;
	/** ms clock for the rate limit @default Date.now */
	now?: () => number;
	/** fault injection (tests, soak): returns the chunk to send, a damaged one, or undefined to drop it */
	chunkFault?: (device: string, chunk: OtaChunk) => OtaChunk | undefined;
}

export type OtaServiceEvent =
	| { kind: "progress"; device: string; progress: OtaProgress }
	| { kind: "record"; device: string; seq: number; event: OtaEvent }
	| { kind: "served"; device: string; offerId: string; i: number; n: number; err?: OtaChunkError }
	| { kind: "throttled"; device: string; offerId: string }
	| { kind: "rejected"; topic: string; reason: string };

/** Bytes per offer. "Wire" is the MQTT PUBLISH packet: fixed header, topic, packet id when QoS > 0, payload. */
export interface OfferTraffic {
	/** image bytes carried in chunks (re-sends included) */
	dataBytes: number;
	chunks: number;
	/** chunk messages that carried an error instead of data */
	errors: number;
	chunkPayloadBytes: number;
	chunkWireBytes: number;
	requests: number;
	requestWireBytes: number;
	/** requests dropped by the per-device rate limit */
	throttled: number;
	offers: number;
	offerWireBytes: number;
}

interface Registered {
	offer: Uint8Array;
	manifest: Uint8Array;
	image: Uint8Array;
	chunk: number;
	count: number;
	paused: boolean;
	/** devices whose offer was withdrawn: their requests get "unknown-offer" */
	withdrawn: Set<string>;
	traffic: OfferTraffic;
}

/** Bytes of an MQTT 3.1.1 PUBLISH (§3.3): 1 + remaining-length varint + 2 + topic + (2 if QoS > 0) + payload. */
export function publishWireBytes(topic: string, payloadBytes: number, qos = 0): number {
	const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
	const varint = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
	return 1 + varint + remaining;
}

/** MQTT bytes beyond the image bytes, as a percentage of them. */
export function overheadPercent(t: OfferTraffic): number {
	return t.dataBytes ? ((t.chunkWireBytes + t.requestWireBytes - t.dataBytes) / t.dataBytes) * 100 : 0;
}

export class OtaService {
	onEvent?: (event: OtaServiceEvent) => void;
	#client: MqttClient | undefined;
	#options: OtaServiceOptions;
	#offers = new Map<string, Registered>();
	/** the offer each device holds from this service */
	#held = new Map<string, string>();
	#buckets = new Map<string, TokenBucket>();
	/** (device, seq) of "ota" records already reported: a resent batch must not repeat a result */
	#seen = new Map<string, Set<number>>();

	constructor(options: OtaServiceOptions = {}) {
		this.#options = options;
	}

	async connect(url: string): Promise<void> {
		const client = (this.#client = await connectOps(url, this.#options.clientId ?? opsClientId("ota"), "ota", 1_000));
		client.on("message", (topic, payload, packet) => this.handle(topic, payload, packet.qos));
		const filters = [allDevicesFilter("ota/req", this.#options.shareGroup), allDevicesFilter("ota/progress"), allDevicesFilter("up")];
		client.on("connect", () => void client.subscribe(filters, { qos: 0 }));
		await client.subscribeAsync(filters, { qos: 0 });
	}

	/** Registers a signed package under an offer id. @throws RangeError when unsigned or the id is taken by another image */
	addPackage(offerId: string, pkg: OtaPackage): void {
		if (!pkg.sig) throw new RangeError(`package for offer ${offerId} is not signed`);
		const offer = encodePayload("ota/offer", { v: 1, id: offerId, manifest: pkg.manifestBytes, sig: pkg.sig });
		const known = this.#offers.get(offerId);
		if (known) {
			// The manifest names the image by SHA-256; a fresh signature over it (ECDSA is randomised) is the same release.
			if (Buffer.compare(known.manifest, pkg.manifestBytes) !== 0) throw new RangeError(`offer id ${offerId} is already registered with another package`);
			return;
		}
		if (pkg.image.byteLength !== pkg.manifest.size) throw new RangeError(`package image is ${pkg.image.byteLength} bytes, manifest says ${pkg.manifest.size}`);
		const traffic: OfferTraffic = { dataBytes: 0, chunks: 0, errors: 0, chunkPayloadBytes: 0, chunkWireBytes: 0, requests: 0, requestWireBytes: 0, throttled: 0, offers: 0, offerWireBytes: 0 };
		this.#offers.set(offerId, { offer, manifest: pkg.manifestBytes, image: pkg.image, chunk: pkg.manifest.chunk, count: Math.ceil(pkg.image.byteLength / pkg.manifest.chunk), paused: false, withdrawn: new Set(), traffic });
	}

	/** Stops serving an offer: later requests get "unknown-offer". */
	removePackage(offerId: string): void {
		this.#offers.delete(offerId);
	}

	/** While paused, every request for the offer gets "paused" (the device waits and asks again). */
	setPaused(offerId: string, paused: boolean): void {
		const o = this.#offers.get(offerId);
		if (o) o.paused = paused;
	}

	isPaused(offerId: string): boolean {
		return this.#offers.get(offerId)?.paused ?? false;
	}

	traffic(offerId: string): OfferTraffic | undefined {
		const t = this.#offers.get(offerId)?.traffic;
		return t && { ...t };
	}

	/** Publishes the retained offer to one device. Resolves once the broker has it (QoS 1). */
	async offer(device: string, offerId: string): Promise<void> {
		const o = this.#offers.get(offerId);
		if (!o) throw new RangeError(`no package registered for offer ${offerId}`);
		const topic = deviceTopic(device, "ota/offer");
		o.withdrawn.delete(device);
		this.#held.set(device, offerId);
		o.traffic.offers++;
		o.traffic.offerWireBytes += publishWireBytes(topic, o.offer.byteLength, 1);
		await this.#client!.publishAsync(topic, Buffer.from(o.offer), { qos: 1, retain: true });
	}

	/** Clears the device's retained offer (an empty retained payload, MQTT 3.1.1 §3.3.1.3) and stops serving it chunks. */
	async withdraw(device: string): Promise<void> {
		const held = this.#held.get(device);
		if (held !== undefined) this.#offers.get(held)?.withdrawn.add(device);
		this.#held.delete(device);
		await this.#client!.publishAsync(deviceTopic(device, "ota/offer"), Buffer.alloc(0), { qos: 1, retain: true });
	}

	/** Applies one message. Malformed input is reported as an event, never thrown. */
	handle(topic: string, payload: Uint8Array, qos = 0): void {
		const parsed = parseTopic(topic);
		if (parsed?.kind !== "device") return;
		const device = parsed.deviceId;
		try {
			if (parsed.channel === "ota/req") this.#serve(device, topic, payload, qos);
			else if (parsed.channel === "ota/progress") this.onEvent?.({ kind: "progress", device, progress: decodePayload("ota/progress", payload) });
			else if (parsed.channel === "up") this.#results(device, payload);
		} catch (e) {
			this.onEvent?.({ kind: "rejected", topic, reason: describeError(e) });
		}
	}

	#serve(device: string, topic: string, payload: Uint8Array, qos: number): void {
		const req = decodePayload("ota/req", payload);
		const o = this.#offers.get(req.id);
		if (o) {
			o.traffic.requests++;
			o.traffic.requestWireBytes += publishWireBytes(topic, payload.byteLength, qos);
		}
		const now = (this.#options.now ?? Date.now)();
		let bucket = this.#buckets.get(device);
		if (!bucket) this.#buckets.set(device, (bucket = new TokenBucket(this.#options.requestsPerS ?? 10, this.#options.requestBurst ?? 20, now)));
		if (!bucket.take(1, now)) {
			if (o) o.traffic.throttled++;
			this.onEvent?.({ kind: "throttled", device, offerId: req.id });
			return;
		}
		const err: OtaChunkError | undefined = !o || o.withdrawn.has(device) ? "unknown-offer" : o.paused ? "paused" : undefined;
		const out = deviceTopic(device, "ota/chunk");
		for (let i = req.i; i < req.i + req.n; i++) {
			let chunk: OtaChunk;
			if (err || i >= o!.count) chunk = { v: 1, id: req.id, i, err: err ?? "out-of-range" };
			else {
				const data = o!.image.subarray(i * o!.chunk, Math.min(o!.image.byteLength, (i + 1) * o!.chunk));
				chunk = { v: 1, id: req.id, i, data, crc: crc32(data) };
			}
			if (this.#options.chunkFault) {
				const faulty = this.#options.chunkFault(device, chunk);
				if (!faulty) continue;
				chunk = faulty;
			}
			const bytes = encodePayload("ota/chunk", chunk);
			if (o) {
				const t = o.traffic;
				t.chunks++;
				if (chunk.data) t.dataBytes += chunk.data.byteLength;
				else t.errors++;
				t.chunkPayloadBytes += bytes.byteLength;
				t.chunkWireBytes += publishWireBytes(out, bytes.byteLength, 0);
			}
			this.#client?.publish(out, Buffer.from(bytes), { qos: 0 });
		}
		this.onEvent?.({ kind: "served", device, offerId: req.id, i: req.i, n: req.n, err });
	}

	#results(device: string, payload: Uint8Array): void {
		const batch = decodePayload("up", payload);
		for (const [seq, , kind, data] of batch.r) {
			if (kind !== "ota") continue;
			let seen = this.#seen.get(device);
			if (!seen) this.#seen.set(device, (seen = new Set()));
			if (seen.has(seq)) continue;
			seen.add(seq);
			this.onEvent?.({ kind: "record", device, seq, event: validateRecordData("ota", data) });
		}
	}

	async close(): Promise<void> {
		await this.#client?.endAsync(true);
	}
}
