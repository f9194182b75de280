/*
 * The ops server as one process: the fleet registry (status, health), the
 * outbox acker (stores records, acks them), and the time beacon devices use
 * until their first acked batch has set their clock.
 */
import type { MqttClient } from "mqtt";
import { encodePayload } from "../../firmware/contract/codec";
import { TIME_TOPIC } from "../../firmware/contract/topics";
import { Acker } from "./acker";
import { connectOps, opsClientId } from "./connect";
import { Registry, describeEvent, type RegistryEvent } from "./registry";

export interface OpsServerOptions {
	broker: string;
	shareGroup?: string;
	/** JSON-lines file for stored records */
	recordsFile?: string;
	/** time beacon period, ms @default 60_000 */
	beaconMs?: number;
	/** one line per event (registry events and stored records) */
	onLine?: (line: string) => void;
	/** the cloud's clock, epoch ms @default Date.now (a simulator on virtual time passes its clock, so device clocks sync to it) */
	now?: () => number;
}

export class OpsServer {
	readonly registry = new Registry();
	readonly acker: Acker;
	#beacon: MqttClient | undefined;
	#timer: NodeJS.Timeout | undefined;
	#options: OpsServerOptions;

	constructor(options: OpsServerOptions) {
		this.#options = options;
		this.acker = new Acker({ file: options.recordsFile, shareGroup: options.shareGroup, now: options.now });
		const line = options.onLine ?? (() => {});
		this.registry.onEvent = (event: RegistryEvent) => line(describeEvent(event));
		this.acker.onRecord = (r) => line(`${r.device} #${r.seq} ${r.kind} ${JSON.stringify(r.data)}${r.t === undefined ? " (device time unknown)" : ` at ${new Date(r.t).toISOString()}`}`);
		this.acker.onReject = (topic, reason) => line(`rejected batch on ${topic}: ${reason}`);
	}

	async start(): Promise<void> {
		const o = this.#options;
		await this.registry.connect(o.broker, { shareGroup: o.shareGroup });
		await this.acker.connect(o.broker);
		const beacon = (this.#beacon = await connectOps(o.broker, opsClientId("time"), "time beacon"));
		const send = () => this.sendTime();
		beacon.on("connect", send);
		send();
		this.#timer = setInterval(send, o.beaconMs ?? 60_000);
	}

	/** Publishes the time beacon now (a simulator on virtual time calls this on its own clock; the interval above runs on real time). */
	sendTime(): void {
		const beacon = this.#beacon;
		if (beacon?.connected) beacon.publish(TIME_TOPIC, Buffer.from(encodePayload("time", { v: 1, now: Math.floor((this.#options.now ?? Date.now)()) })), { qos: 0 });
	}

	async stop(): Promise<void> {
		clearInterval(this.#timer);
		await Promise.all([this.registry.close(), this.acker.close(), this.#beacon?.endAsync(true)]);
	}
}
