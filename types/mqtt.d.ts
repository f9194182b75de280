/*
 * Moddable's native MQTT client (modules/network/mqtt/mqtt.js), which
 * @moddable/typings does not declare (it only has "mqtt/js").
 * Keep-alive is `timeout` in ms (there is no `keepalive` or `clean` option:
 * CleanSession is always 1). publish/subscribe before CONNACK or after close
 * throw Error("connection closed"). `data` must be a string or an ArrayBuffer
 * (views are not recognised). QoS above 0 only sets header bits, so Curbside
 * uses QoS 0. No automatic reconnect.
 * Module-shaped on purpose: mcconfig maps a specifier to a .d.ts listed in
 * the manifest's "modules" (tsconfig "paths"), as tsconfig.json does here.
 */
type Payload = string | ArrayBuffer;

export interface ClientOptions {
	host: string;
	/** @default 1883 */
	port?: number;
	id: string;
	user?: string;
	password?: string | ArrayBuffer;
	/** keep-alive interval in ms (sent as whole seconds); 0 or absent disables */
	timeout?: number;
	will?: { topic: string; message: Payload; retain?: boolean; quality?: 0 };
}

export default class Client {
	constructor(options: ClientOptions);
	/** Must be set before CONNACK: the module calls it unconditionally. */
	onReady: () => void;
	onMessage?: (topic: string, data: ArrayBuffer) => void;
	onClose?: () => void;
	/** Throws when not connected. */
	publish(topic: string, data: Payload, options?: { retain?: boolean; quality?: 0 }): void;
	subscribe(topic: string): void;
	unsubscribe(topic: string): void;
	close(): void;
}
