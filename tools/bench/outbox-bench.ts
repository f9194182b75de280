/*
 * The outbox's flash ring on the real XS engine (bench/xs-outbox-entry.ts):
 * computrons per append, per uplink batch (pending + ack) and per record of
 * the boot-time recovery scan, and the heap slots of the ring's RAM index.
 * Baselines from the same machine: the CBOR encode of the same record (what
 * storing a record costs before the ring is involved), an empty partition's
 * recovery, and an empty ring's heap. Each figure subtracts the cost of the
 * same call with nothing to do (n = 0), as the codec bench does.
 */
import { bundleFirmware } from "../../host-sim/bundle";
import { XsnapWorker, type XsMeters } from "../xs/xsnap-worker";
import { meter, query, ROOT } from "./xs-bench";

export interface OutboxFigures {
	record: { kind: string; bodyBytes: number; flashBytes: number };
	appends: number;
	/** baseline: encode([t, kind, data]) of the same record */
	encodeComputronsPerRecord: number;
	/** ring.append(body) of an already encoded body, mean over `appends` from an erased partition (sector opens included) */
	appendComputronsPerRecord: number;
	/** encode + append, as Uplink.record stores a record */
	recordComputronsPerRecord: number;
	/** recordComputronsPerRecord − encodeComputronsPerRecord: what the ring adds to encoding */
	appendOverheadComputronsPerRecord: number;
	/** sectors the appends opened (computed from the record size: 52 records per 4 KiB sector) */
	sectorsOpened: number;
	batch: { records: number; batches: number; pendingAckComputronsPerBatch: number; computronsPerRecord: number };
	recovery: { records: number; emptyPartitionComputrons: number; computrons: number; computronsPerRecord: number };
	/** live XS slots of a ring (gc() before and after its construction); the index keeps its entries in typed arrays (10 B each, chunk memory, not slots), so its slot count does not grow with records */
	heap: { emptyRingSlots: number; ringSlots: number; indexSlotsForRecords: number };
	/** the same figures over a FlashLike with native-cost operations: the ring's own cost without the sim's JS NOR emulation */
	nativeFlash: { appendComputronsPerRecord: number; recordComputronsPerRecord: number; pendingAckComputronsPerBatch: number; recoveryComputronsPerRecord: number };
}

const APPENDS = 500;
const BATCH = 50;
/** 750 typical records (78 B on flash each) fill 15 of the default 64 KiB partition's 16 sectors without a drop; 1000 would not fit. */
const RECOVERY_RECORDS = 750;

export async function benchOutbox(): Promise<OutboxFigures> {
	const script = await bundleFirmware({ entry: ROOT + "bench/xs-outbox-entry.ts", define: { __CONFIG__: JSON.stringify({ deviceId: "bench-outbox" }) } });
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	const run = (code: string) => meter(worker, code);
	const diff = (a: XsMeters, zero: XsMeters, n: number) => Math.round((a.compute - zero.compute) / n);
	try {
		await run(script);
		await run(`__bench.prepare(${Math.max(APPENDS, RECOVERY_RECORDS)})`);

		const encZero = await run(`__bench.encode(0)`);
		const enc = await run(`__bench.encode(${APPENDS})`);
		const encodePer = diff(enc, encZero, APPENDS);

		async function appendFigures(kind: "sim" | "native") {
			await run(`__bench.wipe("${kind}"); __bench.open("${kind}")`);
			const zero = await run(`__bench.append(0)`);
			const append = await run(`__bench.append(${APPENDS})`);
			const stats = await query(worker, "__bench.stats()");
			if (stats.pending !== APPENDS || stats.dropped !== 0) throw new Error(`outbox bench: ${JSON.stringify(stats)}`);
			await run(`__bench.wipe("${kind}"); __bench.open("${kind}")`);
			const recZero = await run(`__bench.record(0)`);
			const rec = await run(`__bench.record(${APPENDS})`);
			return { append: diff(append, zero, APPENDS), record: diff(rec, recZero, APPENDS), stats };
		}

		async function recoveryFigures(kind: "sim" | "native") {
			// Rings of this kind were opened above, so one-time costs (class set-up, CRC table) are paid.
			await run(`__bench.wipe("${kind}")`);
			// Each evaluation itself leaves a slot or so live: measure that between two readings with nothing in between.
			const idleBefore = await run(`gc(); 1`);
			await run(`1`);
			const idleAfter = await run(`gc(); 1`);
			const leak = idleAfter.currentHeapCount - idleBefore.currentHeapCount;
			const emptyBefore = await run(`gc(); 1`);
			const empty = await run(`__bench.open("${kind}")`);
			const emptyAfter = await run(`gc(); 1`);
			await run(`__bench.append(${RECOVERY_RECORDS})`);
			const before = await run(`gc(); 1`);
			const full = await run(`__bench.open("${kind}")`);
			const after = await run(`gc(); 1`);
			const stats = await query(worker, "__bench.stats()");
			if (stats.pending !== RECOVERY_RECORDS || stats.torn !== 0) throw new Error(`outbox bench recovery: ${JSON.stringify(stats)}`);
			// Batches as the uplink sends them, over the recovered ring: 10 × 50 records.
			const batches = Math.floor(APPENDS / BATCH);
			const zero = await run(`__bench.batches(0, ${BATCH})`);
			const acked = await run(`__bench.batches(${batches}, ${BATCH})`);
			return {
				emptyComputrons: empty.compute,
				computrons: full.compute,
				perRecord: Math.round((full.compute - empty.compute) / RECOVERY_RECORDS),
				emptyRingSlots: emptyAfter.currentHeapCount - emptyBefore.currentHeapCount - leak,
				ringSlots: after.currentHeapCount - before.currentHeapCount - leak,
				batches,
				perBatch: diff(acked, zero, batches),
			};
		}

		const sim = await appendFigures("sim");
		const simRecovery = await recoveryFigures("sim");
		const native = await appendFigures("native");
		const nativeRecovery = await recoveryFigures("native");
		const bodyBytes: number = sim.stats.bodyBytes;
		return {
			record: { kind: "AirQualityObserved", bodyBytes, flashBytes: bodyBytes + 12 },
			appends: APPENDS,
			encodeComputronsPerRecord: encodePer,
			appendComputronsPerRecord: sim.append,
			recordComputronsPerRecord: sim.record,
			appendOverheadComputronsPerRecord: sim.record - encodePer,
			sectorsOpened: Math.ceil(APPENDS / Math.floor((4096 - 16) / (bodyBytes + 12))),
			batch: { records: BATCH, batches: simRecovery.batches, pendingAckComputronsPerBatch: simRecovery.perBatch, computronsPerRecord: Math.round(simRecovery.perBatch / BATCH) },
			recovery: { records: RECOVERY_RECORDS, emptyPartitionComputrons: simRecovery.emptyComputrons, computrons: simRecovery.computrons, computronsPerRecord: simRecovery.perRecord },
			heap: { emptyRingSlots: simRecovery.emptyRingSlots, ringSlots: simRecovery.ringSlots, indexSlotsForRecords: simRecovery.ringSlots - simRecovery.emptyRingSlots },
			nativeFlash: {
				appendComputronsPerRecord: native.append,
				recordComputronsPerRecord: native.record,
				pendingAckComputronsPerBatch: nativeRecovery.perBatch,
				recoveryComputronsPerRecord: nativeRecovery.perRecord,
			},
		};
	} finally {
		await worker.close();
	}
}
