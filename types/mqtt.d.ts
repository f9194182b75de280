/*
 * Moddable's native MQTT client (modules/network/mqtt/mqtt.js), which
 * @moddable/typings does not declare (it only has "mqtt/js").
 * QoS 0 only; no automatic reconnect; keepalive in milliseconds.
 * Module-shaped on purpose: mcconfig maps a specifier to a .d.ts listed in
 * the manifest's "modules" (tsconfig "paths"), as tsconfig.json does here.
 */
type Payload = string | ArrayBuffer | ArrayBufferView;

export interface ClientOptions {
	host: string;
	/** @default 1883 */
	port?: number;
	id: string;
	user?: string;
	password?: string | ArrayBuffer;
	/** keepalive interval in ms; 0 disables. @default 60000 */
	keepalive?: number;
	/** @default true */
	clean?: boolean;
	will?: { topic: string; message: Payload; retain?: boolean; quality?: 0 };
}

export default class Client {
	constructor(options: ClientOptions);
	onReady?: () => void;
	onMessage?: (topic: string, data: ArrayBuffer) => void;
	onClose?: () => void;
	/** Throws when not connected. */
	publish(topic: string, data: Payload, options?: { retain?: boolean; quality?: 0 }): void;
	subscribe(topic: string): void;
	unsubscribe(topic: string): void;
	close(): void;
}
