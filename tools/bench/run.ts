/*
 * `npm run bench`: runs every benchmark and writes machine-readable results.
 * Figures are XS meters (computrons, heap slots) and byte counts, never
 * wall-clock times: the machines are shared and noisy.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { benchOutbox } from "./outbox-bench";
import { benchPole } from "./pole-bench";
import { benchWire } from "./wire-bench";
import { benchBoot, benchCodec } from "./xs-bench";

export async function runBenchmarks(out: string): Promise<void> {
	const results: Record<string, unknown> = {};
	console.log("bench: booting each role on real XS (xsnap-worker)…");
	results.boot = [];
	for (const role of ["stop-sign", "light-pole"]) {
		const f = await benchBoot(role);
		(results.boot as unknown[]).push(f);
		console.log(`  ${role}: load ${f.loadComputrons} + boot ${f.bootComputrons} computrons; heap +${f.heapSlotsAfterBoot} slots after boot, +${f.heapSlotsAfterHour} after 1 h offline (empty machine ${f.emptyHeapSlots})`);
	}
	console.log("bench: device CBOR codec on XS vs JSON baseline…");
	const c = await benchCodec();
	results.codec = c;
	console.log(
		`  typical record: encode ${c.encodeComputronsPerRecord}, decode ${c.decodeComputronsPerRecord} computrons (JSON round trip ${c.jsonRoundTripComputronsPerRecord}); ` +
			`${c.bytes.cborRecord} B CBOR vs ${c.bytes.jsonRecord} B JSON; batch of 20: ${c.bytes.cborBatch20} B vs ${c.bytes.jsonBatch20} B`,
	);
	console.log("bench: outbox flash ring on XS vs encode baseline…");
	const o = await benchOutbox();
	results.outbox = o;
	console.log(
		`  ${o.record.bodyBytes} B ${o.record.kind} body: append ${o.appendComputronsPerRecord} computrons (${o.nativeFlash.appendComputronsPerRecord} over native-cost flash) vs encode ${o.encodeComputronsPerRecord}, encode+append ${o.recordComputronsPerRecord} (+${o.appendOverheadComputronsPerRecord}); ` +
			`pending+ack of ${o.batch.records}: ${o.batch.pendingAckComputronsPerBatch} (${o.nativeFlash.pendingAckComputronsPerBatch}); ` +
			`recovery ${o.recovery.computronsPerRecord}/record over ${o.recovery.records} (${o.nativeFlash.recoveryComputronsPerRecord}; empty partition ${o.recovery.emptyPartitionComputrons}); ` +
			`ring heap ${o.heap.ringSlots} slots with ${o.recovery.records} pending vs ${o.heap.emptyRingSlots} empty`,
	);
	console.log("bench: bytes on the wire per record, real firmware vs naive JSON over MQTT, on a real broker…");
	const w = await benchWire();
	results.wire = w;
	const d = w.device;
	console.log(
		`  ${w.records} records in ${d.batches} batches: ${d.perRecord.up} B/record up + ${d.perRecord.down} down = ${d.perRecord.total} (CBOR ${d.payloadBytesPerRecord} B/record); ` +
			`naive JSON QoS 1: ${w.naive.perRecord.up} + ${w.naive.perRecord.down} = ${w.naive.perRecord.total} (JSON ${w.naive.payloadBytesPerRecord} B/record); ` +
			`${w.ratio.wireTotal}× on the wire, ${w.ratio.payload}× payload; idle twin's ${d.nonTelemetry.upBytes}/${d.nonTelemetry.downBytes} B subtracted, unexplained ${d.unexplained.up}/${d.unexplained.down} B`,
	);
	console.log("bench: light pole on XS with a street (heap, computrons per cycle) and a virtual day's bytes on a real broker, vs baselines…");
	const p = await benchPole();
	results.lightPole = p;
	const { pole, baseline, added } = p.xs;
	const day = p.day;
	console.log(
		`  heap +${pole.heapSlots.afterBoot}/+${pole.heapSlots.after1h}/+${pole.heapSlots.after6h} slots at boot/1 h/6 h (1→6 h ${pole.heapSlots.growth1hTo6h >= 0 ? "+" : ""}${pole.heapSlots.growth1hTo6h}, ${pole.heapSlots.steady ? "steady" : "GROWING"}) vs no parts +${baseline.heapSlots.after6h} (+${added.heapSlotsSteady} for the parts); ` +
			`${pole.cycle.computronsMean} computrons per ${p.xs.cycleMs / 1000} s cycle vs ${baseline.cycle.computronsMean} idle (+${added.computronsPerCycle}), window close ${pole.windowClose.computrons} (idle ${baseline.windowClose.computrons}); ` +
			`a day: ${day.records.stored} records, ${day.device.upBytes} B up + ${day.device.downBytes} down = ${day.device.totalBytes} (telemetry ${day.device.channels.up.up ?? 0} + ${day.device.channels.down.ack ?? 0}, health ${day.device.channels.up.health ?? 0}) vs naive JSON QoS 1 ${day.naive.totalBytes}: ${day.ratio.total}× all traffic, ${day.ratio.telemetry}× telemetry`,
	);
	const doc = { generatedAt: new Date().toISOString(), engine: "XS via @agoric/xsnap xsnap-worker", units: { compute: "XS computrons", heap: "XS heap slots", bytes: "bytes" }, results };
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(out, JSON.stringify(doc, null, "\t") + "\n");
	console.log(`bench: wrote ${out}`);
}
