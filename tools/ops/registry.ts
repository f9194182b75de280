/*
 * Fleet registry, first cut: follows every device's retained status (birth
 * and LWT) and health records through the wire contract, and keeps the last
 * known state of each device. Ops consumers connect with any MQTT 3.1.1
 * client; health goes through a shared subscription so several ops processes
 * can split the load (MQTT 5 §4.8.2 "$share", supported by Mosquitto 2,
 * EMQX, VerneMQ, HiveMQ and aedes).
 */
import type { MqttClient } from "mqtt";
import { decodePayload } from "../../firmware/contract/codec";
import type { HealthPayload, StatusPayload } from "../../firmware/contract/payloads";
import { allDevicesFilter, parseTopic } from "../../firmware/contract/topics";
import { describeError } from "../../firmware/runtime/errors";
import { connectOps, opsClientId } from "./connect";

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
	onEvent?: (event: RegistryEvent) => void;
	#client: MqttClient | undefined;

	/** Connects to `url` and follows the fleet. Resolves once subscribed. */
	async connect(url: string, options: { shareGroup?: string; clientId?: string } = {}): Promise<void> {
		const client = (this.#client = await connectOps(url, options.clientId ?? opsClientId("ops"), "ops"));
		client.on("message", (topic, payload) => this.handle(topic, payload));
		client.on("connect", () => this.#subscribe(options.shareGroup));
		await this.#subscribe(options.shareGroup);
	}

	async #subscribe(shareGroup?: string): Promise<void> {
		// Status is retained and must reach every ops process: no share group.
		await this.#client!.subscribeAsync([allDevicesFilter("status"), allDevicesFilter("health", shareGroup)], { qos: 0 });
	}

	/** Applies one message. Malformed payloads are reported, never thrown. */
	handle(topic: string, payload: Uint8Array): void {
		const parsed = parseTopic(topic);
		if (!parsed || parsed.kind !== "device") return;
		const record = this.devices.get(parsed.deviceId) ?? { id: parsed.deviceId, lastSeen: 0 };
		try {
			if (parsed.channel === "status") {
				if (payload.byteLength === 0) return; // retained status cleared
				record.status = decodePayload("status", payload);
				record.lastSeen = Date.now();
				this.devices.set(record.id, record);
				this.onEvent?.({ kind: "status", device: record });
			} else if (parsed.channel === "health") {
				record.health = decodePayload("health", payload);
				record.lastSeen = Date.now();
				this.devices.set(record.id, record);
				this.onEvent?.({ kind: "health", device: record });
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
