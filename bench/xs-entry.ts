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

(globalThis as Record<string, unknown>).__bench = {
	boot() {
		runtime = boot(() => {});
		if (runtime.state !== "running") throw new Error("boot halted");
	},
	/** Advances the virtual clock: timers (health, reconnects) run as on the device. */
	run(ms: number) {
		bridge.clock.advance(ms);
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
