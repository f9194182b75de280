/*
 * Fleet registry, first cut: follows every device's retained status (birth
 * and LWT) and health records through the wire contract, and keeps the last
 * known state of each device. Ops consumers connect with any MQTT 3.1.1
 * client; health goes through a shared subscription so several ops processes
 * can split the load (MQTT 5 §4.8.2 "$share", supported by Mosquitto 2,
 * EMQX, VerneMQ, HiveMQ and aedes).
 *
 * With an OpsStore (tools/ops/store.ts) the registry writes through to SQLite,
 * starts from what the store knew before a restart, and also follows every
 * device's retained desired and reported config, command results (from any
 * sender, late ones too) and the retained stop boards (kept in memory: the
 * last board the ops process saw per stop, for the HTTP API).
 */
import type { MqttClient } from "mqtt";
import { decodePayload } from "../../firmware/contract/codec";
import type { StopBoard } from "../../firmware/contract/board-payloads";
import type { HealthPayload, StatusPayload } from "../../firmware/contract/payloads";
import { allDevicesFilter, allStopsFilter, parseTopic } from "../../firmware/contract/topics";
import { describeError } from "../../firmware/runtime/errors";
import { connectOps, opsClientId } from "./connect";
import type { OpsStore } from "./store";

/** Every stop's board, derived from the contract's board topic (a `+` in the stop level, MQTT 3.1.1 §4.7.1.3). */
export interface SeenBoard {
	stopId: string;
	board: StopBoard;
	/** ops wall clock when it arrived, epoch ms */
	receivedAt: number;
}

export interface DeviceRecord {
	id: string;
	status?: StatusPayload;
	health?: HealthPayload;
	/** host ms when anything was last heard from the device */
	lastSeen: number;
}

export type RegistryEvent =
	| { kind: "status"; device: DeviceRecord }
	| { kind: "health"; device: DeviceRecord }
	| { kind: "rejected"; topic: string; reason: string };

export class Registry {
	readonly devices = new Map<string, DeviceRecord>();
	/** the last board seen per stop (followed only with a store) */
	readonly boards = new Map<string, SeenBoard>();
	onEvent?: (event: RegistryEvent) => void;
	#client: MqttClient | undefined;
	#store: OpsStore | undefined;

	/** @param options.store write through to this store, and start from the devices it knows */
	constructor(options: { store?: OpsStore } = {}) {
		this.#store = options.store;
		for (const d of options.store?.devices() ?? []) this.devices.set(d.id, { id: d.id, status: d.status, health: d.health, lastSeen: d.lastSeen });
	}

	/** Connects to `url` and follows the fleet. Resolves once subscribed. */
	async connect(url: string, options: { shareGroup?: string; clientId?: string } = {}): Promise<void> {
		const client = (this.#client = await connectOps(url, options.clientId ?? opsClientId("ops"), "ops"));
		client.on("message", (topic, payload) => this.handle(topic, payload));
		client.on("connect", () => this.#subscribe(options.shareGroup));
		await this.#subscribe(options.shareGroup);
	}

	async #subscribe(shareGroup?: string): Promise<void> {
		// Status is retained and must reach every ops process: no share group.
		const filters = [allDevicesFilter("status"), allDevicesFilter("health", shareGroup)];
		// Config and boards are retained too; command results go to whichever process stores them (one store each).
		if (this.#store) filters.push(allDevicesFilter("cfg/desired"), allDevicesFilter("cfg/reported"), allDevicesFilter("cmd/res"), allStopsFilter("board"));
		await this.#client!.subscribeAsync(filters, { qos: 0 });
	}

	/** Applies one message. Malformed payloads are reported, never thrown. */
	handle(topic: string, payload: Uint8Array): void {
		const parsed = parseTopic(topic);
		if (!parsed) return;
		const store = this.#store;
		try {
			if (parsed.kind === "board") {
				if (payload.byteLength === 0) this.boards.delete(parsed.stopId);
				else this.boards.set(parsed.stopId, { stopId: parsed.stopId, board: decodePayload("board", payload), receivedAt: Date.now() });
				return;
			}
			if (parsed.kind !== "device") return;
			const id = parsed.deviceId;
			const record = this.devices.get(id) ?? { id, lastSeen: 0 };
			const now = Date.now();
			if (parsed.channel === "status") {
				if (payload.byteLength === 0) return; // retained status cleared
				record.status = decodePayload("status", payload);
				record.lastSeen = now;
				this.devices.set(record.id, record);
				store?.saveStatus(id, record.status, now);
				this.onEvent?.({ kind: "status", device: record });
			} else if (parsed.channel === "health") {
				record.health = decodePayload("health", payload);
				record.lastSeen = now;
				this.devices.set(record.id, record);
				store?.saveHealth(id, record.health, now);
				this.onEvent?.({ kind: "health", device: record });
			} else if (!store || payload.byteLength === 0) {
				return;
			} else if (parsed.channel === "cfg/desired") {
				store.saveDesired(id, decodePayload("cfg/desired", payload), now);
			} else if (parsed.channel === "cfg/reported") {
				store.saveReported(id, decodePayload("cfg/reported", payload), now);
			} else if (parsed.channel === "cmd/res") {
				store.saveCommandResult(id, decodePayload("cmd/res", payload), now);
				store.touch(id, now);
			}
		} catch (e) {
			this.onEvent?.({ kind: "rejected", topic, reason: describeError(e) });
		}
	}

	async close(): Promise<void> {
		await this.#client?.endAsync(true);
	}
}

/** One readable line per registry event. */
export function describeEvent(event: RegistryEvent): string {
	if (event.kind === "rejected") return `rejected message on ${event.topic}: ${event.reason}`;
	const d = event.device;
	if (event.kind === "status") {
		const s = d.status!;
		return s.state === "online" ? `${d.id} online: ${s.role} fw ${s.fw} on ${s.board}, boot #${s.bootCount} (${s.boot})` : `${d.id} OFFLINE (last will)`;
	}
	const h = d.health!;
	return `${d.id} health: up ${h.uptimeS} s, boot #${h.bootCount}, ${h.connects} connect(s), reset ${h.resetReason}${h.heapSlots ? `, heap ${h.heapSlots} slots` : ""}`;
}
