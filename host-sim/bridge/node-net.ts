/*
 * The simulated device's network on Node: a real MQTT 3.1.1 client (mqtt.js)
 * over a real TCP socket to a real broker. mqtt.js's own reconnect is turned
 * off because Moddable's `mqtt` module never reconnects; the firmware's
 * session layer must. The link can be cut (Wi-Fi loss) to exercise that.
 * Byte counters come from the socket, so "bytes on the wire" are real.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { MqttClient } from "mqtt";
import type { BridgeInstrumentation, BridgeMqttHandlers, BridgeMqttLink, BridgeMqttOptions, BridgeNet } from "./types";

export class NodeNet implements BridgeNet {
	readonly mac: string;
	#up = true;
	#links = new Set<{ kill: (reason: string) => void }>();
	#counters: BridgeInstrumentation;
	/** Optional host:port rewrite (e.g. through a fault proxy in tests). */
	route?: (host: string, port: number) => { host: string; port: number };
	/** Device ms per real ms (a sped-up clock): MQTT keepalive is real-time on the socket, so it is scaled. */
	#speed: number;

	constructor(mac: string, counters: BridgeInstrumentation, speed = 1) {
		this.mac = mac;
		this.#counters = counters;
		this.#speed = speed;
	}
	up(): boolean {
		return this.#up;
	}
	/** Cuts (false) or restores (true) the device's network. Cutting drops every open link. */
	setUp(up: boolean): void {
		this.#up = up;
		if (!up) for (const link of [...this.#links]) link.kill("network down");
	}
	/** Drops every open link now (broker restart, modem reset) without cutting the network. */
	dropAll(reason = "link dropped"): void {
		for (const link of [...this.#links]) link.kill(reason);
	}

	connect(options: BridgeMqttOptions, handlers: BridgeMqttHandlers): BridgeMqttLink {
		let closed = false;
		const fire = (reason: string) => {
			if (closed) return;
			closed = true;
			this.#links.delete(entry);
			handlers.onClose(reason);
		};
		const entry = { kill: (reason: string) => {} };
		if (!this.#up) {
			setTimeout(() => fire("network down"), 10);
			return { publish() {}, subscribe() {}, unsubscribe() {}, close: () => (closed = true) };
		}
		const target = this.route ? this.route(options.host, options.port) : { host: options.host, port: options.port };
		let socket: Socket | undefined;
		let read = 0;
		let written = 0;
		const counters = this.#counters;
		const account = () => {
			if (!socket) return;
			counters.networkBytesRead += socket.bytesRead - read;
			counters.networkBytesWritten += socket.bytesWritten - written;
			read = socket.bytesRead;
			written = socket.bytesWritten;
		};
		const client = new MqttClient(
			() => {
				socket = tcpConnect(target.port, target.host);
				socket.setNoDelay(true);
				return socket;
			},
			{
				clientId: options.id,
				username: options.user,
				password: options.password,
				// mqtt.js counts whole seconds; 0 would disable keepalive, so at least 1.
				keepalive: options.keepaliveMs > 0 ? Math.max(1, Math.round(options.keepaliveMs / this.#speed / 1000)) : 0,
				clean: options.clean,
				protocolVersion: 4,
				reconnectPeriod: 0,
				connectTimeout: 30_000,
				will: options.will ? { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 0, retain: options.will.retain } : undefined,
			},
		);
		entry.kill = (reason: string) => {
			account();
			client.end(true);
			socket?.destroy();
			fire(reason);
		};
		this.#links.add(entry);
		client.on("connect", () => {
			account();
			// Hand CONNACK to the device on the next turn, as Moddable's socket
			// callback does: firmware code never runs inside mqtt.js's own event.
			setImmediate(() => {
				if (!closed) handlers.onConnect();
			});
		});
		client.on("message", (topic, payload) => {
			account();
			if (!closed) handlers.onMessage(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
		});
		client.on("error", (e) => entry.kill(e.message));
		client.on("close", () => {
			account();
			fire("connection closed");
		});
		return {
			publish: (topic, payload, retain) => {
				client.publish(topic, Buffer.from(payload), { qos: 0, retain }, () => account());
			},
			subscribe: (topic) => {
				client.subscribe(topic, { qos: 0 });
			},
			unsubscribe: (topic) => {
				client.unsubscribe(topic);
			},
			close: () => {
				closed = true;
				this.#links.delete(entry);
				client.end(true);
			},
		};
	}
}
