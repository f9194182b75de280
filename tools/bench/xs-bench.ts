/*
 * Benchmarks on the real XS engine. Every figure is an XS meter reading from
 * xsnap-worker (computrons, live heap slots), which does not depend on how
 * busy the machine is; each is compared with a baseline measured in the same
 * run (an empty machine, or a naive alternative).
 */
import { fileURLToPath } from "node:url";
import { bundleFirmware } from "../../host-sim/bundle";
import { simConfig } from "../../host-sim/manifest-config";
import { XsnapWorker, type XsMeters } from "../xs/xsnap-worker";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The bench firmware bundle (bench/xs-entry.ts) for one device config. */
export function bundle(config: Record<string, unknown>): Promise<string> {
	return bundleFirmware({ entry: ROOT + "bench/xs-entry.ts", define: { __CONFIG__: JSON.stringify(config) } });
}

export async function meter(worker: XsnapWorker, code: string): Promise<XsMeters> {
	const r = await worker.evaluate(code);
	if (!r.ok || !r.meters) throw new Error(`XS: ${r.reply}`);
	return r.meters;
}

/** Evaluates `expression` on the worker and returns its value (JSON-able), handed back through issueCommand. */
export async function query<T = any>(worker: XsnapWorker, expression: string): Promise<T> {
	let answer = "";
	worker.onQuery = (b) => ((answer = b.toString("latin1")), Buffer.alloc(0));
	await meter(worker, `{ const s = JSON.stringify(${expression}); const b = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i); issueCommand(b.buffer); }`);
	return JSON.parse(answer) as T;
}

export interface BootFigures {
	role: string;
	/** heap slots of an empty xsnap machine (baseline) */
	emptyHeapSlots: number;
	/** computrons to load (evaluate) the firmware modules */
	loadComputrons: number;
	/** computrons for boot() */
	bootComputrons: number;
	/** live heap slots right after boot, minus the empty baseline */
	heapSlotsAfterBoot: number;
	/** live heap slots after one virtual hour offline (health + reconnect backoff), minus baseline */
	heapSlotsAfterHour: number;
}

/** Boots one role on a fresh XS machine. */
export async function benchBoot(role: string): Promise<BootFigures> {
	const config = simConfig(role, "generic", { deviceId: `bench-${role}` });
	const script = await bundle(config);
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	try {
		// gc() before each heap reading: live slots, not garbage awaiting collection.
		const empty = await meter(worker, "gc(); 1");
		const load = await meter(worker, script);
		const booted = await meter(worker, "__bench.boot()");
		const afterBoot = await meter(worker, "gc(); 1");
		await meter(worker, "__bench.run(3600000)");
		const steady = await meter(worker, "gc(); 1");
		return {
			role,
			emptyHeapSlots: empty.currentHeapCount,
			loadComputrons: load.compute,
			bootComputrons: booted.compute,
			heapSlotsAfterBoot: afterBoot.currentHeapCount - empty.currentHeapCount,
			heapSlotsAfterHour: steady.currentHeapCount - empty.currentHeapCount,
		};
	} finally {
		await worker.close();
	}
}

export interface CodecFigures {
	iterations: number;
	encodeComputronsPerRecord: number;
	decodeComputronsPerRecord: number;
	/** baseline: JSON.stringify + JSON.parse of the same record on XS */
	jsonRoundTripComputronsPerRecord: number;
	bytes: { cborRecord: number; jsonRecord: number; cborBatch20: number; jsonBatch20: number };
}

/** Device codec cost on XS for the typical telemetry record. */
export async function benchCodec(iterations = 200): Promise<CodecFigures> {
	const script = await bundle(simConfig("light-pole", "generic", { deviceId: "bench-codec" }));
	const worker = new XsnapWorker({ name: "curbside-bench" });
	try {
		await meter(worker, script);
		const overhead = await meter(worker, `__bench.encodeRecord(0)`);
		const enc = await meter(worker, `__bench.encodeRecord(${iterations})`);
		const dec = await meter(worker, `__bench.decodeRecord(${iterations})`);
		const json = await meter(worker, `__bench.jsonRecord(${iterations})`);
		const s = await query(worker, "__bench.sizes()");
		const per = (m: XsMeters) => Math.round((m.compute - overhead.compute) / iterations);
		return {
			iterations,
			encodeComputronsPerRecord: per(enc),
			decodeComputronsPerRecord: per(dec),
			jsonRoundTripComputronsPerRecord: per(json),
			bytes: { cborRecord: s.cborRecord, jsonRecord: s.jsonRecord, cborBatch20: s.cborBatch, jsonBatch20: s.jsonBatch },
		};
	} finally {
		await worker.close();
	}
}
