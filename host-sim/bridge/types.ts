/*
 * The host bridge: the "hardware" under a simulated device.
 *
 * Host-sim implementations of Moddable modules (host-sim/modules/) run inside
 * the simulated device's own realm, exactly where Moddable's native modules
 * would sit on an ESP32. Everything they need from outside the device —
 * a clock, NVS storage, flash partitions, a TCP/MQTT link, a log sink — comes
 * through this one object, installed as `globalThis.__curbside` before the
 * firmware boots. Two implementations exist:
 *   - bridge/memory.ts: pure, in-memory, deterministic; used on Node and XS;
 *   - bridge/node-*.ts: file-backed storage and a real MQTT client (Node only).
 * Only primitives, plain objects and Uint8Arrays cross the bridge, so a
 * device realm never holds objects from another realm's prototypes.
 */

/** A clock that can be real (wall time) or virtual (advanced by a runner). */
export interface BridgeClock {
	/** Milliseconds since the Unix epoch as the device's RTC sees it. */
	now(): number;
	/** Milliseconds since this device booted (monotonic). */
	ticks(): number;
	/** Call `callback` once after `ms`; returns a handle for `cancel`. */
	schedule(ms: number, callback: () => void): number;
	cancel(handle: number): void;
	/** Busy-wait equivalent of Timer.delay: advances virtual time, blocks real time. */
	delay(ms: number): void;
}

/** ESP32 NVS as the device sees it: domain → key → value. */
export interface BridgeNvs {
	get(domain: string, key: string): string | number | boolean | Uint8Array | undefined;
	set(domain: string, key: string, value: string | number | boolean | Uint8Array): void;
	delete(domain: string, key: string): void;
	keys(domain: string): string[];
}

/** One raw flash partition. Offsets and sizes in bytes. */
export interface BridgePartition {
	readonly byteLength: number;
	readonly blockSize: number;
	read(offset: number, byteLength: number): Uint8Array;
	/** Stores `bytes` verbatim: NOR semantics are applied by the flash module. */
	store(offset: number, bytes: Uint8Array): void;
	/** Erase counts per sector, for wear statistics. */
	eraseCounts: number[];
	/** Records that a sector was erased (after the module set it to 0xFF). */
	noteErase(sector: number): void;
}

export interface BridgeFlash {
	/** A partition by label, or by Moddable's aliases "running" / "nextota" (resolved through the bootloader). */
	open(name: string): BridgePartition | undefined;
}

/**
 * Boot control as the otaBoot module needs it (host-sim/ota/bootloader.ts):
 * ESP-IDF esp_ota_ops over the simulated otadata. Failures come back as
 * one-line strings (never Error objects) so nothing but primitives crosses.
 */
export interface BridgeBoot {
	/** the running slot ("ota_0"/"ota_1") and its otadata state name ("valid", "pending-verify", …, "undefined") */
	running(): { label: string; state: string };
	/** the slot Flash("nextota") opens */
	next(): string;
	/** verify nextota's image, then make it the boot slot (NEW); a reason when the image is invalid */
	setBoot(): string | undefined;
	/** the active entry becomes VALID; a reason on failure */
	markValid(): string | undefined;
	/** another slot has a valid entry and an image that verifies */
	canRollback(): boolean;
	/** the active entry becomes INVALID (the caller restarts); a reason when there is nothing to roll back to */
	markInvalid(): string | undefined;
}

/** MQTT 3.1.1 link as Moddable's `mqtt` module sees the network. */
export interface BridgeMqttOptions {
	host: string;
	port: number;
	id: string;
	user?: string;
	password?: string;
	keepaliveMs: number;
	clean: boolean;
	will?: { topic: string; payload: Uint8Array; retain: boolean };
}

export interface BridgeMqttHandlers {
	onConnect(): void;
	onMessage(topic: string, payload: Uint8Array): void;
	/** The link is gone (refused, dropped, or closed). Fires at most once. */
	onClose(reason: string): void;
}

export interface BridgeMqttLink {
	publish(topic: string, payload: Uint8Array, retain: boolean): void;
	subscribe(topic: string): void;
	unsubscribe(topic: string): void;
	close(): void;
}

export interface BridgeNet {
	connect(options: BridgeMqttOptions, handlers: BridgeMqttHandlers): BridgeMqttLink;
	/** Station MAC address, "aa:bb:cc:dd:ee:ff". */
	mac: string;
	/** False while the simulated Wi-Fi is cut. */
	up(): boolean;
}

/** Counters the sim reports through the `instrumentation` module. */
export interface BridgeInstrumentation {
	networkBytesRead: number;
	networkBytesWritten: number;
}

export interface Bridge {
	readonly deviceId: string;
	readonly clock: BridgeClock;
	readonly nvs: BridgeNvs;
	readonly flash: BridgeFlash;
	/** OTA boot control (the otaBoot module) */
	readonly boot: BridgeBoot;
	readonly net: BridgeNet;
	readonly instrumentation: BridgeInstrumentation;
	/** The build's `mc/config`: manifest defaults merged with role and board. */
	readonly config: Record<string, unknown>;
	/** Why the device last reset, as ESP-IDF names it: "poweron", "sw", "panic", "wdt", "deepsleep", "brownout". */
	resetReason: string;
	/** Named resources (fonts, images) as bytes. */
	resource(name: string): Uint8Array | undefined;
	/** The line sink for `trace`. */
	trace(line: string): void;
	/** Asks the host to restart the device (esp_restart). */
	restart(reason: string): void;
	/** Board wiring for the `embedded:provider/builtin` module: which board, which scenario. */
	readonly boardSpec: { board: string; scenario?: unknown };
	/** Set by the provider module: the simulated board, so the host can read its models. */
	board?: unknown;
}

/** The single global through which host modules reach the bridge. */
export const BRIDGE_KEY = "__curbside";

/** Returns the installed bridge; throws a clear error if none is installed. */
export function bridge(): Bridge {
	const b = (globalThis as unknown as Record<string, Bridge | undefined>)[BRIDGE_KEY];
	if (!b) throw new Error("host-sim: no bridge installed (globalThis.__curbside)");
	return b;
}
