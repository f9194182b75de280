/*
 * A fleet of simulated devices in one process, on one clock, sharing one
 * compiled firmware bundle. Used by `curbside sim run`, `curbside demo` and
 * the integration tests.
 */
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { bundleFirmware } from "./bundle";
import type { BridgeClock } from "./bridge/types";
import { SimDevice } from "./device";
import { simConfig } from "./manifest-config";
import { PoleWorld, parseScenario, type Scenario } from "./world/pole-world";

const ENTRY = fileURLToPath(new URL("./device-entry.ts", import.meta.url));

let cached: Promise<vm.Script> | undefined;

/** Bundles the firmware once per process. */
export function firmwareScript(): Promise<vm.Script> {
	cached ??= bundleFirmware({ entry: ENTRY }).then((code) => new vm.Script(code, { filename: "curbside-firmware.js" }));
	return cached;
}

export interface DeviceSpec {
	id: string;
	role: string;
	board: string;
	/** mc/config overrides (name → value) */
	config?: Record<string, unknown>;
	/**
	 * Light pole: a PoleWorld, or a scenario (README "Light-pole scenarios")
	 * the fleet turns into one; default DEFAULT_STREET. Other roles: board
	 * scenario data (host-sim/boards.ts).
	 */
	scenario?: unknown;
}

/** A modest street for a pole run without a scenario, on the clock's UTC time of day: people and cars by the hour, dusk and dawn. */
export const DEFAULT_STREET: Scenario = Object.freeze({
	pedestrians: { perHour: [2, 1, 1, 1, 2, 6, 20, 60, 90, 50, 40, 45, 70, 55, 45, 50, 70, 95, 80, 50, 30, 20, 10, 5], towardsShare: 0.55 },
	vehicles: { perHour: [10, 5, 4, 4, 8, 30, 120, 300, 320, 200, 160, 170, 190, 180, 170, 200, 300, 340, 260, 150, 90, 60, 40, 20] },
	parking: { arrivalsPerHour: 2, stayMin: [10, 90] },
}) as Scenario;

export interface FleetOptions {
	broker: { host: string; port: number };
	clock: BridgeClock;
	stateDir?: string;
	onLine?: (deviceId: string, line: string) => void;
}

export class Fleet {
	readonly devices = new Map<string, SimDevice>();
	#options: FleetOptions;

	constructor(options: FleetOptions) {
		this.#options = options;
	}

	/**
	 * Creates a device from its role and board manifests; does not boot it.
	 * @throws Error with a one-line reason (unknown role or board, duplicate id)
	 */
	async add(spec: DeviceSpec): Promise<SimDevice> {
		if (this.devices.has(spec.id)) throw new Error(`device id "${spec.id}" is already in the fleet`);
		const config = simConfig(spec.role, spec.board, {
			deviceId: spec.id,
			board: spec.board,
			mqttHost: this.#options.broker.host,
			mqttPort: this.#options.broker.port,
			...spec.config,
		});
		let scenario = spec.scenario;
		let world: PoleWorld | undefined;
		if (spec.role === "light-pole") {
			world = spec.scenario instanceof PoleWorld ? spec.scenario : new PoleWorld(parseScenario(spec.scenario ?? DEFAULT_STREET), this.#options.clock);
			scenario = { world };
		}
		const device = new SimDevice({
			id: spec.id,
			script: await firmwareScript(),
			config,
			clock: this.#options.clock,
			stateDir: this.#options.stateDir,
			board: spec.board,
			scenario,
			onLine: (line) => this.#options.onLine?.(spec.id, line),
		});
		device.world = world;
		this.devices.set(spec.id, device);
		return device;
	}

	get(id: string): SimDevice {
		const d = this.devices.get(id);
		if (!d) throw new Error(`no device "${id}" in the fleet`);
		return d;
	}

	bootAll(): void {
		for (const d of this.devices.values()) d.boot();
	}

	shutdown(): void {
		for (const d of this.devices.values()) d.shutdown();
	}
}

/** Parses mqtt://host:port into its parts. @throws Error on anything else */
export function parseBrokerUrl(url: string): { host: string; port: number } {
	let u: URL;
	try {
		u = new URL(url);
	} catch {
		throw new Error(`broker URL "${url}" is not a URL (expected mqtt://host:port)`);
	}
	if (u.protocol !== "mqtt:") throw new Error(`broker URL "${url}": only mqtt:// is supported by the simulated devices`);
	return { host: u.hostname, port: u.port ? Number(u.port) : 1883 };
}
