/*
 * The ops server as one process: the fleet registry (status, health), the
 * outbox acker (stores records, acks them), and the time beacon devices use
 * until their first acked batch has set their clock.
 * With `db` or `http`: the SQLite store (tools/ops/store.ts) behind the
 * registry, acker and control, and the JSON HTTP API (tools/ops/http-api.ts).
 */
import type { MqttClient } from "mqtt";
import { encodePayload } from "../../firmware/contract/codec";
import { TIME_TOPIC } from "../../firmware/contract/topics";
import { Acker } from "./acker";
import { connectOps, opsClientId } from "./connect";
import { Registry, describeEvent, type RegistryEvent } from "./registry";
import { Control } from "./control";
import { HttpApi } from "./http-api";
import { OpsStore } from "./store";
import { ArrivalsBridge, type ArrivalsBridgeOptions } from "./arrivals-bridge";

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
	/** SQLite file for the registry, records, ledger, config and commands @default ":memory:" when `http` is set, none otherwise */
	db?: string;
	/** serve the JSON HTTP API here (port 0: any free port) */
	http?: { host: string; port: number };
	/** run the GTFS/GTFS-RT arrivals bridge (tools/ops/arrivals-bridge.ts) on the same broker; `now` defaults to the server's */
	arrivals?: ArrivalsBridgeOptions;
}

export class OpsServer {
	readonly registry: Registry;
	readonly acker: Acker;
	/** the SQLite store, when `db` or `http` is set */
	readonly store: OpsStore | undefined;
	/** the control connection the HTTP API sends through, when `http` is set */
	readonly control: Control | undefined;
	/** the HTTP API, when `http` is set */
	readonly http: HttpApi | undefined;
	/** the arrivals bridge, when `arrivals` is set (created by start()) */
	arrivals: ArrivalsBridge | undefined;
	#beacon: MqttClient | undefined;
	#timer: NodeJS.Timeout | undefined;
	#options: OpsServerOptions;

	constructor(options: OpsServerOptions) {
		this.#options = options;
		const db = options.db ?? (options.http ? ":memory:" : undefined);
		this.store = db === undefined ? undefined : new OpsStore(db);
		this.registry = new Registry({ store: this.store });
		// acker.records stays in memory unless a db file holds the records (the demo's dashboard reads acker.records).
		this.acker = new Acker({ file: options.recordsFile, shareGroup: options.shareGroup, now: options.now, store: this.store, memory: options.db === undefined });
		if (options.http) {
			this.control = new Control({ now: options.now, store: this.store });
			this.http = new HttpApi({ store: this.store!, control: this.control, registry: this.registry, host: options.http.host, port: options.http.port });
		}
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
		if (o.arrivals) {
			this.arrivals = new ArrivalsBridge({ now: o.now, ...o.arrivals });
			await this.arrivals.start(o.broker);
		}
		if (this.http) {
			try {
				await this.control!.connect(o.broker, opsClientId("control"), 1_000);
				await this.http.listen();
			} catch (e) {
				await this.stop(); // a server that cannot serve its API leaves nothing running
				throw e;
			}
		}
	}

	/** Publishes the time beacon now (a simulator on virtual time calls this on its own clock; the interval above runs on real time). */
	sendTime(): void {
		const beacon = this.#beacon;
		if (beacon?.connected) beacon.publish(TIME_TOPIC, Buffer.from(encodePayload("time", { v: 1, now: Math.floor((this.#options.now ?? Date.now)()) })), { qos: 0 });
	}

	async stop(): Promise<void> {
		clearInterval(this.#timer);
		await this.arrivals?.stop();
		await Promise.all([this.registry.close(), this.acker.close(), this.#beacon?.endAsync(true), this.http?.close(), this.control?.close()]);
		this.store?.close();
	}
}
