/*
 * An OTA lab for the end-to-end and fault suites: Mosquitto on loopback, the
 * ops server (acker: the trial boot's MQTT round trip needs its acks), the
 * ops OTA service (offers, chunks), a fleet of simulated devices running the
 * real firmware on one virtual clock, and a signing key made with the real
 * tools. Power cuts are injected at a byte of a flash write; from that byte
 * on, nothing the device does reaches flash or NVS until it boots again.
 */
import { createHash, createPrivateKey } from "node:crypto";
import { VirtualClock } from "../../../host-sim/bridge/virtual-clock";
import type { MemoryFlash, MemoryNvs, MemoryPartition } from "../../../host-sim/bridge/memory";
import { Fleet } from "../../../host-sim/fleet";
import type { SimDevice } from "../../../host-sim/device";
import { buildSimImage, imageSpan, type SimImageOptions } from "../../../host-sim/ota/app-image";
import { OpsServer } from "../../../tools/ops/server";
import { OtaService, type OtaServiceEvent } from "../../../tools/ops/ota-service";
import { generateSigningKey } from "../../../tools/ota/keys";
import { packImage, signPackage, type OtaPackage } from "../../../tools/ota/package";
import type { OtaChunk } from "../../../firmware/contract/ota-payloads";
import type { OtaEvent } from "../../../firmware/contract/telemetry";
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../../../firmware/version";
import type { TestBroker } from "../../support/brokers";

export interface Release {
	version: string;
	sec?: number;
	role?: "stop-sign" | "light-pole";
	board?: string;
	size?: number;
	chunk?: number;
	/** mc/config baked into the build */
	config?: Record<string, unknown>;
	crashAfterMs?: number;
	/** sign with a key the devices don't trust */
	strangerKey?: boolean;
}

/** Device config for OTA runs: short timers so a virtual run stays short, no parts unless given. */
export const OTA_CONFIG = { upDelayMs: 1_000, otaReqMs: 8_000, otaTrialMs: 90_000, backoffMinMs: 500, backoffMaxMs: 5_000, keepaliveMs: 30_000, healthMs: 600_000, parts: "", stableMs: 30_000 };

export class OtaLab {
	readonly clock = new VirtualClock();
	readonly key = generateSigningKey();
	readonly stranger = generateSigningKey();
	readonly events: OtaServiceEvent[] = [];
	readonly lines: string[] = [];
	/** ota outbox records the cloud stored, per device */
	readonly results = new Map<string, OtaEvent[]>();
	/** signed images, by SHA-256 hex (what the devices may legitimately run) */
	readonly signed = new Set<string>();
	ops!: OpsServer;
	service!: OtaService;
	fleet!: Fleet;
	chunkFault: ((device: string, chunk: OtaChunk) => OtaChunk | undefined) | undefined;
	#frozen = new Set<string>();
	#offers = 0;

	constructor(readonly broker: TestBroker) {}

	async start(): Promise<void> {
		this.ops = new OpsServer({ broker: this.broker.url, now: () => this.clock.now() });
		this.ops.acker.onRecord = (r) => {
			if (r.kind !== "ota") return;
			const list = this.results.get(r.device) ?? [];
			list.push(r.data as unknown as OtaEvent);
			this.results.set(r.device, list);
		};
		await this.ops.start();
		this.service = new OtaService({ now: () => this.clock.now(), requestsPerS: 50, requestBurst: 50, chunkFault: (d, c) => (this.chunkFault ? this.chunkFault(d, c) : c) });
		this.service.onEvent = (e) => this.events.push(e);
		await this.service.connect(this.broker.url);
		this.fleet = new Fleet({ broker: { host: "127.0.0.1", port: this.broker.port }, clock: this.clock, onLine: (id, l) => this.lines.push(`${id} ${l}`) });
	}

	async stop(): Promise<void> {
		this.fleet?.shutdown();
		await this.service?.close();
		await this.ops?.stop();
	}

	async device(id: string, role: "stop-sign" | "light-pole" = "light-pole", config: Record<string, unknown> = {}): Promise<SimDevice> {
		const dev = await this.fleet.add({ id, role, board: "generic", config: { ...OTA_CONFIG, otaPubKey: this.key.publicHex, ...(role === "stop-sign" ? { stopId: "S1" } : {}), ...config } });
		this.#guardStorage(dev);
		dev.boot();
		this.signed.add(hex(runningImageHash(dev)));
		return dev;
	}

	/** Builds, packs and signs a sim image; its version's bundle is prepared so boots stay synchronous. */
	async release(r: Release): Promise<OtaPackage> {
		const role = r.role ?? "light-pole";
		const board = r.board ?? "generic";
		const sec = r.sec ?? SECURITY_VERSION;
		const options: SimImageOptions = { version: r.version, secureVersion: sec, role, board, size: r.size ?? 65_536, config: r.config, crashAfterMs: r.crashAfterMs };
		const image = buildSimImage(options);
		await this.fleet.prepare({ fw: r.version, sec });
		const pkg = packImage(image, { board, role, version: r.version, sec, chunk: r.chunk ?? 4096, note: "lab" });
		const signed = signPackage(pkg, createPrivateKey((r.strangerKey ? this.stranger : this.key).privatePem));
		if (!r.strangerKey) this.signed.add(hex(signed.manifest.sha256));
		return signed;
	}

	/** Registers `pkg` under a fresh offer id and offers it to `devices`. */
	async offer(pkg: OtaPackage, ...devices: SimDevice[]): Promise<string> {
		const id = `lab-${pkg.manifest.version}-${++this.#offers}`;
		this.service.addPackage(id, pkg);
		for (const d of devices) await this.service.offer(d.id, id);
		return id;
	}

	/** Advances virtual time in small steps, letting sockets run between them. */
	async pump(ms: number, stepMs = 25): Promise<void> {
		const end = this.clock.ticks() + ms;
		while (this.clock.ticks() < end) {
			this.clock.advance(Math.min(stepMs, end - this.clock.ticks()));
			await new Promise((r) => setTimeout(r, 1));
		}
	}

	/** Pumps until `done()` or `maxMs` of virtual time; throws naming `what` on timeout. */
	async until(done: () => boolean, maxMs: number, what: string, stepMs = 25): Promise<void> {
		const end = this.clock.ticks() + maxMs;
		while (!done()) {
			if (this.clock.ticks() >= end) throw new Error(`timed out after ${maxMs} virtual ms: ${what}`);
			this.clock.advance(stepMs);
			await new Promise((r) => setTimeout(r, 1));
		}
	}

	/** The OTA agent's counters on the device (chunks written, bad chunks, timeouts, where a resume began). */
	agentStats(dev: SimDevice): { chunks: number; badChunks: number; timeouts: number; resumedAt: number; requests: number } {
		return (dev.runtime as unknown as { ota: { stats: ReturnType<OtaLab["agentStats"]> } }).ota.stats;
	}

	/** The device's ota outbox results stored by the cloud, as states. */
	states(dev: SimDevice): string[] {
		return (this.results.get(dev.id) ?? []).map((e) => e.state);
	}

	/**
	 * Arms a power cut after `bytes` more bytes are programmed into `partition`
	 * ("nextota" = the update slot); the device boots again on the next turn. Resolves after that boot.
	 */
	armPowerCut(dev: SimDevice, partition: string, bytes: number): Promise<void> {
		const part = partitionOf(dev, partition);
		return new Promise((resolve) => {
			part.cutAfterBytes = bytes;
			part.onPowerCut = () => {
				part.onPowerCut = undefined;
				this.#frozen.add(dev.id); // nothing else this turn reaches NVS or flash
				setImmediate(() => {
					dev.powerOff();
					part.cutAfterBytes = undefined;
					this.#frozen.delete(dev.id);
					setTimeout(() => {
						dev.boot("poweron");
						resolve();
					}, 0);
				});
			};
		});
	}

	/** Cuts power now (no code runs), and boots again. */
	powerCycle(dev: SimDevice, reason = "poweron"): void {
		dev.powerOff();
		dev.boot(reason);
	}

	/** Whether the image the device runs is one of the signed ones (or its factory image). */
	runsSigned(dev: SimDevice): boolean {
		return this.signed.has(hex(runningImageHash(dev)));
	}

	#guardStorage(dev: SimDevice): void {
		const nvs = dev.nvs as MemoryNvs;
		const frozen = this.#frozen;
		const set = nvs.set.bind(nvs);
		const del = nvs.delete.bind(nvs);
		nvs.set = (d, k, v) => {
			if (!frozen.has(dev.id)) set(d, k, v);
		};
		nvs.delete = (d, k) => {
			if (!frozen.has(dev.id)) del(d, k);
		};
		for (const part of (dev.flash as MemoryFlash).partitions.values()) {
			const store = part.store.bind(part);
			part.store = (offset, bytes) => {
				if (frozen.has(dev.id)) throw Object.assign(new Error("power is off"), { name: "PowerCut" });
				store(offset, bytes);
			};
		}
	}
}

export function partitionOf(dev: SimDevice, name: string): MemoryPartition {
	const label = name === "nextota" ? dev.bootloader.next() : name === "running" ? dev.bootedLabel! : name;
	const part = (dev.flash as MemoryFlash).partitions.get(label);
	if (!part) throw new Error(`no partition ${label}`);
	return part;
}

/** SHA-256 of the whole image in the running slot (what a package's manifest names). */
export function runningImageHash(dev: SimDevice): Uint8Array {
	if (!dev.bootedImage) return new Uint8Array(0);
	const part = partitionOf(dev, "running");
	const span = imageSpan((o, l) => part.read(o, l), part.byteLength);
	return createHash("sha256").update(part.read(0, span)).digest();
}

export function hex(b: Uint8Array): string {
	return Buffer.from(b).toString("hex");
}

export { FIRMWARE_VERSION };
