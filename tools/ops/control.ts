/*
 * The ops side of the control plane: send a command and wait for its result,
 * set a device's desired config and wait for its report, ask for its logs.
 * Everything goes through the wire contract, so a malformed reply is a clear
 * error here too. Commands get a fresh id and a short expiry: a command that
 * sits in a queue past its usefulness is refused by the device, not run late.
 *
 * With an OpsStore (tools/ops/store.ts) every command sent is recorded with
 * its expiry, then its result when it comes; desired config is recorded when
 * published and the device's report when it answers.
 */
import { randomUUID } from "node:crypto";
import type { MqttClient } from "mqtt";
import { decodePayload, encodePayload, type PayloadKind, type PayloadTypes } from "../../firmware/contract/codec";
import type { CommandResult, ConfigScalar, DesiredConfig, LogPayload, ReportedConfig } from "../../firmware/contract/control-payloads";
import { deviceTopic, type DeviceChannel } from "../../firmware/contract/topics";
import { describeError } from "../../firmware/runtime/errors";
import { connectOps, opsClientId } from "./connect";
import type { OpsStore } from "./store";

/** The device did not answer within the wait (offline, or too slow). */
export class ControlTimeoutError extends Error {
	override get name(): string {
		return "ControlTimeoutError";
	}
}

export interface CommandOptions {
	args?: Record<string, unknown>;
	/** how long the command stays valid, ms @default 60_000 */
	ttlMs?: number;
	/** how long to wait for the result, ms @default 15_000 */
	waitMs?: number;
	/** reuse an id (to show replay protection) */
	id?: string;
}

export class Control {
	#client: MqttClient | undefined;
	#waiters = new Set<{ topic: string; accept: (payload: Buffer) => boolean }>();
	#now: () => number;
	#store: OpsStore | undefined;

	/**
	 * @param options.now the cloud's clock for command expiries, epoch ms @default Date.now (a simulator on virtual time passes its clock)
	 * @param options.store record commands, results and config here
	 */
	constructor(options: { now?: () => number; store?: OpsStore } = {}) {
		this.#now = options.now ?? Date.now;
		this.#store = options.store;
	}

	/** @param reconnectMs 0 for a CLI session (one exchange; a lost link is an error to report), > 0 for a long-lived server's */
	async connect(url: string, clientId = opsClientId("control"), reconnectMs = 0): Promise<void> {
		const client = (this.#client = await connectOps(url, clientId, "ops", reconnectMs));
		client.on("message", (topic, payload) => {
			for (const w of [...this.#waiters]) if (w.topic === topic && w.accept(payload)) this.#waiters.delete(w);
		});
	}

	/** Publishes raw bytes on a device channel (tests: malformed input). */
	async publishRaw(device: string, channel: DeviceChannel, bytes: Uint8Array, retain = false): Promise<void> {
		await this.#client!.publishAsync(deviceTopic(device, channel), Buffer.from(bytes), { qos: 1, retain });
	}

	/** Subscribes to `channel` of `device`, runs `send`, resolves with the first decoded payload `match` accepts. */
	async #exchange<K extends PayloadKind>(device: string, channel: K & DeviceChannel, send: () => Promise<void>, match: (p: PayloadTypes[K]) => boolean, waitMs: number, what: string): Promise<PayloadTypes[K]> {
		const topic = deviceTopic(device, channel);
		let timer: NodeJS.Timeout | undefined;
		let waiter: { topic: string; accept: (payload: Buffer) => boolean } | undefined;
		const result = new Promise<PayloadTypes[K]>((resolve, reject) => {
			waiter = {
				topic,
				accept: (payload: Buffer) => {
					let decoded: PayloadTypes[K];
					try {
						decoded = decodePayload(channel, payload);
					} catch (e) {
						reject(new Error(`${device} sent a malformed ${channel}: ${describeError(e)}`));
						return true;
					}
					if (!match(decoded)) return false;
					resolve(decoded);
					return true;
				},
			};
			this.#waiters.add(waiter);
			timer = setTimeout(() => {
				this.#waiters.delete(waiter!);
				reject(new ControlTimeoutError(`no ${what} from ${device} within ${waitMs} ms (is it online?)`));
			}, waitMs);
		});
		await this.#client!.subscribeAsync(topic, { qos: 0 });
		try {
			await send();
			return await result;
		} finally {
			clearTimeout(timer);
			if (waiter) this.#waiters.delete(waiter);
			await this.#client!.unsubscribeAsync(topic).catch(() => {});
		}
	}

	/**
	 * Sends a command and resolves with its result (also when the device refused it).
	 * @throws ProtocolError when name or args break the contract (nothing is sent), ControlTimeoutError when no result came within waitMs
	 */
	async command(device: string, name: string, options: CommandOptions = {}): Promise<CommandResult> {
		const id = options.id ?? randomUUID();
		const exp = Math.floor(this.#now()) + (options.ttlMs ?? 60_000);
		const payload = encodePayload("cmd", { v: 1, id, exp, name, args: options.args });
		const store = this.#store;
		const send = async () => {
			store?.saveCommand({ id, device, name, args: options.args, sentAt: Date.now(), expires: exp });
			await this.publishRaw(device, "cmd", payload);
		};
		const result = await this.#exchange(device, "cmd/res", send, (r) => r.id === id, options.waitMs ?? 15_000, `result for command ${id}`);
		store?.saveCommandResult(device, result, Date.now());
		return result;
	}

	/** The device's retained reported config, or undefined when it has never reported. */
	async reported(device: string, waitMs = 1_000): Promise<ReportedConfig | undefined> {
		try {
			return await this.#exchange(device, "cfg/reported", async () => {}, () => true, waitMs, "reported config");
		} catch {
			return undefined;
		}
	}

	/**
	 * Sets desired config (retained, so an offline device gets it at its next connect) and waits for the report.
	 * The revision is one past the device's last report, so it is always new to the device.
	 * @throws ProtocolError when a value breaks the contract (nothing is sent), ControlTimeoutError when no report came within waitMs
	 */
	async configure(device: string, values: Record<string, ConfigScalar>, waitMs = 15_000): Promise<ReportedConfig> {
		encodePayload("cfg/desired", { v: 1, rev: 1, values }); // checked before anything is sent: a bad value is the caller's error
		const current = await this.reported(device);
		const rev = Math.max(current?.rev ?? 0, current?.appliedRev ?? 0) + 1;
		const desired: DesiredConfig = { v: 1, rev, values };
		const payload = encodePayload("cfg/desired", desired);
		const store = this.#store;
		const publish = async () => {
			store?.saveDesired(device, desired, Date.now());
			await this.publishRaw(device, "cfg/desired", payload, true);
		};
		const report = await this.#exchange(device, "cfg/reported", publish, (r) => r.rev === rev, waitMs, `report for config rev ${rev}`);
		store?.saveReported(device, report, Date.now());
		return report;
	}

	/** Asks for the device's log ring and resolves with the upload. @throws Error when the device refuses or is rate-limited */
	logs(device: string, waitMs = 15_000): Promise<LogPayload> {
		const ask = async () => {
			const r = await this.command(device, "logs", { waitMs });
			if (!r.ok || r.data?.entries === 0)
				throw new Error(`${device} did not upload logs: ${r.code}${r.msg ? ` (${r.msg})` : ""}${r.data?.retryInMs ? `, retry in ${r.data.retryInMs} ms` : ""}`);
		};
		return this.#exchange(device, "log", ask, () => true, waitMs, "log upload");
	}

	async close(): Promise<void> {
		await this.#client?.endAsync(true);
	}
}

/** "key=value" pairs from the command line, typed like the config schema expects (ints and booleans unquoted). */
export function parseValues(pairs: string[]): Record<string, ConfigScalar> {
	const out: Record<string, ConfigScalar> = {};
	for (const pair of pairs) {
		const eq = pair.indexOf("=");
		if (eq <= 0) throw new Error(`"${pair}" is not key=value`);
		const key = pair.slice(0, eq);
		const raw = pair.slice(eq + 1);
		out[key] = raw === "true" ? true : raw === "false" ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
	}
	return out;
}
