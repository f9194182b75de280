/*
 * What the XS benchmarks load: the firmware's boot, the device codec and the
 * fixtures, on an in-memory bridge with no network (connect attempts fail and
 * back off, as on a device with no broker). Each operation is a function on
 * globalThis.__bench so the runner can meter one xsnap evaluation per step.
 */
import { bridge } from "./xs-bridge";
import { boot } from "../firmware/runtime/boot";
import { decode, encode } from "../firmware/net/cbor/index";
import { telemetryBatch, telemetryRecord } from "./cbor-fixtures";

let runtime: ReturnType<typeof boot> | undefined;
let sink: unknown;
/** Timer callbacks the last run() fired. */
let fired = 0;

(globalThis as Record<string, unknown>).__bench = {
	boot() {
		runtime = boot(() => {});
		if (runtime.state !== "running") throw new Error("boot halted");
	},
	/** Advances the virtual clock: timers (health, reconnects) run as on the device. */
	run(ms: number) {
		fired = bridge.clock.advance(ms);
	},
	/** Where the device stands: clock, callbacks the last run() fired, part states, outbox counts. */
	status() {
		const ring = runtime?.cloud?.ring?.stats;
		return { ticks: bridge.clock.ticks(), fired, parts: runtime?.app?.parts?.() ?? {}, outbox: ring && { appended: ring.appended, pending: ring.pending, dropped: ring.dropped } };
	},
	encodeRecord(n: number) {
		for (let i = 0; i < n; i++) sink = encode(telemetryRecord);
	},
	decodeRecord(n: number) {
		const bytes = encode(telemetryRecord);
		for (let i = 0; i < n; i++) sink = decode(bytes);
	},
	jsonRecord(n: number) {
		for (let i = 0; i < n; i++) sink = JSON.parse(JSON.stringify(telemetryRecord));
	},
	sizes() {
		return { cborRecord: encode(telemetryRecord).byteLength, cborBatch: encode(telemetryBatch).byteLength, jsonRecord: JSON.stringify(telemetryRecord).length, jsonBatch: JSON.stringify(telemetryBatch).length };
	},
	sink: () => sink,
};
