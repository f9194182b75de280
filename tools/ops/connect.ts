/*
 * One way for ops tools to reach the broker: MQTT 3.1.1 (any broker a city
 * runs), mqtt.js reconnecting on its own (these are long-lived services,
 * unlike the device), and a one-line error when the first connect fails.
 */
import { randomUUID } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";

/** A client id unique per process and instance, so two ops services in one process never take over each other's session. */
export function opsClientId(role: string): string {
	return `curbside-${role}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** Connects and resolves once CONNACK arrived. @throws Error "<what>: cannot reach broker <url>: <reason>" */
export async function connectOps(url: string, clientId: string, what: string, reconnectPeriod = 1_000): Promise<MqttClient> {
	const client = mqtt.connect(url, { clientId, reconnectPeriod, protocolVersion: 4, connectTimeout: 10_000 });
	await new Promise<void>((resolve, reject) => {
		const fail = (e: Error) => {
			client.end(true);
			reject(new Error(`${what}: cannot reach broker ${url}: ${e.message}`));
		};
		client.once("error", fail);
		client.once("connect", () => {
			client.off("error", fail);
			resolve();
		});
	});
	return client;
}
