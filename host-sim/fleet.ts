/*
 * A fleet of simulated devices in one process, on one clock, sharing one
 * compiled firmware bundle per firmware version. Used by `curbside sim run`,
 * `curbside demo` and the integration tests.
 *
 * Versions: a device runs the bundle of the version its booted image names
 * (host-sim/ota). The build's own version is bundled by add(); another one is
 * bundled on first need. SimDevice resolves scripts synchronously from the
 * cache here, so a device whose version is already bundled boots at once,
 * and one whose version is not yet bundled boots when the bundle is ready
 * (device.booting). `await fleet.prepare(v)` before an OTA test keeps every
 * boot synchronous.
 */
import { buildResources } from "./resources";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../firmware/version";
import { bundleFirmware, type BuildVersion } from "./bundle";
import type { BridgeClock } from "./bridge/types";
import { SimDevice } from "./device";
import { simConfig } from "./manifest-config";
import { PoleWorld, parseScenario, type Scenario } from "./world/pole-world";

const ENTRY = fileURLToPath(new URL("./device-entry.ts", import.meta.url));

const pending = new Map<string, Promise<vm.Script>>();
const ready = new Map<string, vm.Script>();

/** Cache key; the build's own version is the unmodified bundle. */
function keyOf(version?: BuildVersion): string {
	if (!version || (version.fw === FIRMWARE_VERSION && version.sec === SECURITY_VERSION)) return "";
	return `${version.fw}#${version.sec}`;
}

/** Bundles the firmware once per process and version (default: the build's own, firmware/version.ts). */
export function firmwareScript(version?: BuildVersion): Promise<vm.Script> {
	const key = keyOf(version);
	let p = pending.get(key);
	if (!p) {
		p = bundleFirmware({ entry: ENTRY, version: key ? version : undefined }).then((code) => {
			const script = new vm.Script(code, { filename: key ? `curbside-firmware-${version!.fw}.js` : "curbside-firmware.js" });
			ready.set(key, script);
			return script;
		});
		pending.set(key, p);
		p.catch(() => pending.delete(key)); // a failed build is retried next time
	}
	return p;
}

/** The bundle for `version` if it is ready, else the promise of it (what SimDevice's resolver needs). */
export function scriptFor(version: BuildVersion): vm.Script | Promise<vm.Script> {
	return ready.get(keyOf(version)) ?? firmwareScript(version);
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
		await firmwareScript();
		const device = new SimDevice({
			id: spec.id,
			script: scriptFor,
			config,
			clock: this.#options.clock,
			stateDir: this.#options.stateDir,
			board: spec.board,
			scenario,
			resources: buildResources(),
			onLine: (line) => this.#options.onLine?.(spec.id, line),
		});
		device.world = world;
		this.devices.set(spec.id, device);
		return device;
	}

	/** Bundles `version` now, so devices that boot into it start synchronously. */
	async prepare(version: BuildVersion): Promise<void> {
		await firmwareScript(version);
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
