/*
 * One way for ops tools to reach the broker: MQTT 3.1.1 (any broker a city
 * runs), mqtt.js reconnecting on its own (these are long-lived services,
 * unlike the device), and a one-line error when the first connect fails.
 * Credentials go in CONNECT's User Name and Password (MQTT 3.1.1 §3.1.3.4–5);
 * TLS (mqtts://, MQTT 3.1.1 §5.4.4 recommends it for credentials) takes a CA
 * bundle and, for brokers that want client certificates, a cert and key.
 * A service that predates these options calls connectOps without them; it
 * then gets the options `useBrokerOptions` registered for its URL, so
 * `ops serve` sets them once for every service it composes.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/** How to authenticate to the broker. File options are paths (PEM), read when connecting. */
export interface OpsConnectOptions {
	username?: string;
	password?: string;
	/** CA certificate(s) the broker's certificate must chain to (PEM file) */
	caFile?: string;
	/** client certificate and key for brokers that require one (PEM files) */
	certFile?: string;
	keyFile?: string;
	/** accept any broker certificate (testing only) @default false */
	insecure?: boolean;
}

const registered = new Map<string, OpsConnectOptions>();

/** Makes `options` the default for every connectOps to `url` that passes none (for services composed by `ops serve`). */
export function useBrokerOptions(url: string, options: OpsConnectOptions | undefined): void {
	if (options && Object.values(options).some((v) => v !== undefined && v !== false)) registered.set(url, options);
	else registered.delete(url);
}

/** mqtt.js client options for `o`. @throws Error naming a PEM file that cannot be read */
export function mqttAuthOptions(o: OpsConnectOptions | undefined): IClientOptions {
	if (!o) return {};
	const pem = (what: string, file: string | undefined) => {
		if (file === undefined) return undefined;
		try {
			return readFileSync(file);
		} catch (e) {
			throw new Error(`cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
	};
	const out: IClientOptions = {};
	if (o.username !== undefined) out.username = o.username;
	if (o.password !== undefined) out.password = o.password;
	const ca = pem("CA", o.caFile);
	const cert = pem("client certificate", o.certFile);
	const key = pem("client key", o.keyFile);
	if (ca) out.ca = ca;
	if (cert) out.cert = cert;
	if (key) out.key = key;
	if (o.insecure) out.rejectUnauthorized = false;
	return out;
}

/** A client id unique per process and instance, so two ops services in one process never take over each other's session. */
export function opsClientId(role: string): string {
	return `curbside-${role}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * Connects and resolves once CONNACK arrived. `auth` defaults to the options registered for `url` (useBrokerOptions).
 * @throws Error "<what>: cannot reach broker <url>: <reason>"
 */
export async function connectOps(url: string, clientId: string, what: string, reconnectPeriod = 1_000, auth: OpsConnectOptions | undefined = registered.get(url)): Promise<MqttClient> {
	const client = mqtt.connect(url, { clientId, reconnectPeriod, protocolVersion: 4, connectTimeout: 10_000, ...mqttAuthOptions(auth) });
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
