/*
 * Host-sim `mqtt`: Moddable's MQTT client (modules/network/mqtt) contract.
 *   - new Client({host, port, id, user, password, timeout (keep-alive ms), will})
 *     starts connecting at once; CleanSession is always 1 (no `clean` option);
 *   - onReady() after CONNACK, onMessage(topic, ArrayBuffer), onClose() once
 *     when the connection fails or drops;
 *   - publish data is a string or an ArrayBuffer: a typed-array view is
 *     refused here because the device module silently mishandles it;
 *   - QoS 0 only; publish/subscribe before onReady or after close throw
 *     Error("connection closed"), as on the device;
 *   - it never reconnects: the firmware's session layer owns that.
 * The network itself is the bridge's link (mqtt.js to a real broker on Node).
 */
import type { ClientOptions } from "../../types/mqtt";
import { bridge, type BridgeMqttLink } from "../bridge/types";

type Payload = string | ArrayBuffer;


function utf8(s: string): Uint8Array {
	const out: number[] = [];
	for (const ch of s) {
		const c = ch.codePointAt(0)!;
		if (c < 0x80) out.push(c);
		else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
		else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
		else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
	}
	return new Uint8Array(out);
}

function bytesOf(data: Payload): Uint8Array {
	if (typeof data === "string") return utf8(data);
	if (ArrayBuffer.isView(data)) throw new TypeError("mqtt: pass an ArrayBuffer, not a typed-array view (the device module ignores views)");
	if (data && typeof data === "object" && typeof (data as ArrayBuffer).byteLength === "number") return new Uint8Array(data).slice();
	throw new TypeError("mqtt: payload must be a string or ArrayBuffer");
}

function checkTopic(topic: unknown): string {
	if (typeof topic !== "string" || topic.length === 0) throw new TypeError("mqtt: invalid topic");
	return topic;
}

export default class Client {
	onReady!: () => void;
	onMessage?: (topic: string, data: ArrayBuffer) => void;
	onClose?: () => void;
	#link: BridgeMqttLink | undefined;
	#state: "connecting" | "ready" | "closed" = "connecting";

	constructor(options: ClientOptions) {
		if (!options || typeof options.host !== "string" || !options.host) throw new Error("mqtt: host required");
		if (typeof options.id !== "string" || !options.id) throw new Error("mqtt: id required");
		if (options.will && (options.will.quality ?? 0) !== 0) throw new RangeError("mqtt: only QoS 0 is supported");
		const b = bridge();
		const password = options.password === undefined ? undefined : typeof options.password === "string" ? options.password : String.fromCharCode(...new Uint8Array(options.password));
		this.#link = b.net.connect(
			{
				host: options.host,
				port: options.port ?? 1883,
				id: options.id,
				user: options.user,
				password,
				keepaliveMs: options.timeout ?? 0,
				clean: true,
				will: options.will ? { topic: checkTopic(options.will.topic), payload: bytesOf(options.will.message), retain: !!options.will.retain } : undefined,
			},
			{
				onConnect: () => {
					if (this.#state !== "connecting") return;
					this.#state = "ready";
					if (typeof this.onReady !== "function") throw new TypeError("mqtt: onReady is not a function");
					this.onReady();
				},
				onMessage: (topic, payload) => {
					if (this.#state !== "ready") return;
					const copy = new Uint8Array(payload.byteLength);
					copy.set(payload);
					this.onMessage?.(topic, copy.buffer);
				},
				onClose: () => {
					if (this.#state === "closed") return;
					this.#state = "closed";
					this.#link = undefined;
					this.onClose?.();
				},
			},
		);
	}
	#ready(op: string): BridgeMqttLink {
		if (this.#state !== "ready" || !this.#link) throw new Error("connection closed");
		return this.#link;
	}
	publish(topic: string, data: Payload, options?: { retain?: boolean; quality?: number }): void {
		if ((options?.quality ?? 0) !== 0) throw new RangeError("mqtt: only QoS 0 is supported");
		this.#ready("publish").publish(checkTopic(topic), bytesOf(data), !!options?.retain);
	}
	subscribe(topic: string): void {
		this.#ready("subscribe").subscribe(checkTopic(topic));
	}
	unsubscribe(topic: string): void {
		this.#ready("unsubscribe").unsubscribe(checkTopic(topic));
	}
	/** Closes the connection. No callback fires afterwards. Safe to call twice. */
	close(): void {
		const link = this.#link;
		this.#state = "closed";
		this.#link = undefined;
		link?.close();
	}
}
