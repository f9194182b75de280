/*
 * `npm run bench`: runs every benchmark and writes machine-readable results.
 * Figures are XS meters (computrons, heap slots) and byte counts, never
 * wall-clock times: the machines are shared and noisy.
 * `npx tsx tools/bench/run.ts [--only key,…] [--out file]` runs the
 * benchmarks whose result key is or starts with one of the keys (e.g.
 * "ota" → "ota.verify") and merges them into the existing results file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { benchArrivalsBytes, benchArrivalsLatency } from "./arrivals-bench";
import { benchOtaVerify } from "./ota-bench";
import { benchOtaFleet } from "./ota-fleet-bench";
import { benchOtaWire } from "./ota-wire-bench";
import { benchOutbox } from "./outbox-bench";
import { benchPole } from "./pole-bench";
import { benchSignHeap, benchSignRender } from "./sign-bench";
import { benchWire } from "./wire-bench";
import { benchBoot, benchCodec } from "./xs-bench";

/** The results so far, and the keys asked for (all when undefined). */
interface BenchRun {
	results: Record<string, unknown>;
	only?: string[];
}

/**
 * Runs one benchmark, if selected, and prints its summary. A failure is
 * printed and kept under its key as { error }, the other benchmarks still
 * run and the file is still written; the command then exits non-zero.
 */
async function section<T>({ results, only }: BenchRun, key: string, title: string, run: () => Promise<T>, summary: (r: T) => string): Promise<void> {
	if (only && !only.some((k) => key === k || key.startsWith(k + "."))) return;
	console.log(`bench: ${title}…`);
	try {
		const r = await run();
		results[key] = r;
		console.log(summary(r));
	} catch (e) {
		const error = e instanceof Error ? e.message : String(e);
		results[key] = { error };
		console.log(`  FAILED: ${error}`);
		process.exitCode = 1;
	}
}

/** @param only result keys (or key prefixes before a ".") to run; the others keep their values from `out` */
export async function runBenchmarks(out: string, only?: string[]): Promise<void> {
	const results: Record<string, unknown> = {};
	const bench: BenchRun = { results, only };
	await section(
		bench,
		"boot",
		"booting each role on real XS (xsnap-worker)",
		async () => [await benchBoot("stop-sign"), await benchBoot("light-pole")],
		(boots) =>
			boots
				.map((f) => `  ${f.role}: load ${f.loadComputrons} + boot ${f.bootComputrons} computrons; heap +${f.heapSlotsAfterBoot} slots after boot, +${f.heapSlotsAfterHour} after 1 h offline (empty machine ${f.emptyHeapSlots})`)
				.join("\n"),
	);
	await section(
		bench,
		"codec",
		"device CBOR codec on XS vs JSON baseline",
		() => benchCodec(),
		(c) =>
			`  typical record: encode ${c.encodeComputronsPerRecord}, decode ${c.decodeComputronsPerRecord} computrons (JSON round trip ${c.jsonRoundTripComputronsPerRecord}); ` +
			`${c.bytes.cborRecord} B CBOR vs ${c.bytes.jsonRecord} B JSON; batch of 20: ${c.bytes.cborBatch20} B vs ${c.bytes.jsonBatch20} B`,
	);
	await section(
		bench,
		"outbox",
		"outbox flash ring on XS vs encode baseline",
		() => benchOutbox(),
		(o) =>
			`  ${o.record.bodyBytes} B ${o.record.kind} body: append ${o.appendComputronsPerRecord} computrons (${o.nativeFlash.appendComputronsPerRecord} over native-cost flash) vs encode ${o.encodeComputronsPerRecord}, encode+append ${o.recordComputronsPerRecord} (+${o.appendOverheadComputronsPerRecord}); ` +
			`pending+ack of ${o.batch.records}: ${o.batch.pendingAckComputronsPerBatch} (${o.nativeFlash.pendingAckComputronsPerBatch}); ` +
			`recovery ${o.recovery.computronsPerRecord}/record over ${o.recovery.records} (${o.nativeFlash.recoveryComputronsPerRecord}; empty partition ${o.recovery.emptyPartitionComputrons}); ` +
			`ring heap ${o.heap.ringSlots} slots with ${o.recovery.records} pending vs ${o.heap.emptyRingSlots} empty`,
	);
	await section(
		bench,
		"wire",
		"bytes on the wire per record, real firmware vs naive JSON over MQTT, on a real broker",
		() => benchWire(),
		(w) => {
			const d = w.device;
			return (
				`  ${w.records} records in ${d.batches} batches: ${d.perRecord.up} B/record up + ${d.perRecord.down} down = ${d.perRecord.total} (CBOR ${d.payloadBytesPerRecord} B/record); ` +
				`naive JSON QoS 1: ${w.naive.perRecord.up} + ${w.naive.perRecord.down} = ${w.naive.perRecord.total} (JSON ${w.naive.payloadBytesPerRecord} B/record); ` +
				`${w.ratio.wireTotal}× on the wire, ${w.ratio.payload}× payload; idle twin's ${d.nonTelemetry.upBytes}/${d.nonTelemetry.downBytes} B subtracted, unexplained ${d.unexplained.up}/${d.unexplained.down} B`
			);
		},
	);
	await section(
		bench,
		"lightPole",
		"light pole on XS with a street (heap, computrons per cycle) and a virtual day's bytes on a real broker, vs baselines",
		() => benchPole(),
		(p) => {
			const { pole, baseline, added } = p.xs;
			const { device, naive, ratio, records } = p.day;
			const h = pole.heapSlots;
			return (
				`  heap +${h.afterBoot}/+${h.after1h}/+${h.after6h} slots at boot/1 h/6 h (1→6 h ${h.growth1hTo6h >= 0 ? "+" : ""}${h.growth1hTo6h}, ${h.steady ? "steady" : "GROWING"}) vs no parts +${baseline.heapSlots.after6h} (+${added.heapSlotsSteady} for the parts); ` +
				`${pole.cycle.computronsMean} computrons per ${p.xs.cycleMs / 1000} s cycle vs ${baseline.cycle.computronsMean} idle (+${added.computronsPerCycle}), window close ${pole.windowClose.computrons} (idle ${baseline.windowClose.computrons}); ` +
				`a day: ${records.perDay} records, ${device.upBytes} B up + ${device.downBytes} down = ${device.totalBytes} (telemetry ${device.channels.up.up ?? 0} + ${device.channels.down.ack ?? 0}, health ${device.channels.up.health ?? 0}) ` +
				`vs naive JSON QoS 1 ${naive.totalBytes}: ${ratio.total}× all traffic, ${ratio.telemetry}× telemetry`
			);
		},
	);
	await section(
		bench,
		"sign.render",
		"stop sign on XS: full 800×480 and 960×540 boards, band renderer vs naive per-pixel; band buffer vs frame; one-row update vs full redraw (renderer, and PanelDisplay on the UC8179 model)",
		() => benchSignRender(),
		(r) => {
			const lines = Object.entries(r.layouts).map(([name, l]) => {
				const u = l.rowUpdate;
				return (
					`  ${name} ${l.size} ${l.depth} bpp, ${l.ops} ops: full render ${l.fullRender.bandComputrons} computrons vs naive ${l.fullRender.naiveComputrons} (${l.fullRender.naiveOverBand}×, pixels ${l.fullRender.identicalPixels ? "identical" : "DIFFER"}); ` +
					`band ${l.memory.bandBytes} B (${l.memory.bandRows} rows) vs frame ${l.memory.frameBufferBytes} B (${l.memory.frameOverBand}×); ` +
					`row ${u.row} update ${u.computrons} (diff ${u.diffComputrons}) vs full ${u.fullRenderComputrons} (${u.fullOverRow}×), ${u.bytes} B vs ${u.fullBytes} B (${u.fullOverRowBytes}×), damage ${u.damage.w}×${u.damage.h}; compose ${l.composeComputrons}`
				);
			});
			const p = r.panel;
			lines.push(
				`  PanelDisplay → UC8179 model: full ${p.full.computrons} computrons, ${p.full.spiBytes} B SPI (${p.full.ramBytes} B RAM) vs one row ${p.row.computrons}, ${p.row.spiBytes} B SPI (${p.row.ramBytes} B RAM): ${p.fullOverRowSpi}× bytes; violations ${p.violations.length}`,
			);
			return lines.join("\n");
		},
	);
	await section(
		bench,
		"sign.heap",
		"stop sign firmware on XS (generic-epd75, fed a board every 30 s, redraw every 5 s): live heap at boot/1 h/6 h vs stopId \"\"",
		() => benchSignHeap(),
		(h) => {
			const s = h.sign.heapSlots;
			const b = h.baseline.heapSlots;
			const panel = h.sign.status.panel;
			return (
				`  heap +${s.afterBoot}/+${s.after1h}/+${s.after6h} slots at boot/1 h/6 h (1→6 h ${s.growth1hTo6h >= 0 ? "+" : ""}${s.growth1hTo6h}, ${s.steady ? "steady" : "GROWING"}) ` +
				`vs stopId "" +${b.afterBoot}/+${b.after1h}/+${b.after6h} (1→6 h ${b.growth1hTo6h >= 0 ? "+" : ""}${b.growth1hTo6h}): +${h.added.heapSlotsSteady} for the departures; ` +
				`${h.sign.tick.computronsMean} computrons per 5 s tick vs ${h.baseline.tick.computronsMean} (+${h.added.computronsPerTick}); ` +
				`${h.sign.status.fed.boards} boards fed; panel ${panel?.full ?? 0} full + ${panel?.partial ?? 0} partial refreshes`
			);
		},
	);
	await section(
		bench,
		"ota.verify",
		"OTA image check on XS: SHA-256 over 1.5 MiB in 4 KiB chunks and one P-256 verify, vs chunk copy and CRC-32 baselines",
		() => benchOtaVerify(),
		(o) =>
			`  SHA-256 ${o.sha256.computrons} computrons over ${o.imageBytes} B (${o.sha256.computronsPerKiB}/KiB, ${o.sha256.timesCrc32}× CRC-32's ${o.baseline.crc32Computrons}; copies alone ${o.baseline.copyComputrons}); ` +
			`verify ${o.verify.computrons} (${o.verify.computronsMin}–${o.verify.computronsMax} over ${o.verify.vectors} vectors; its range + curve checks ${o.verify.guardsComputrons}; ≈ hashing ${o.verify.hashKiBEquivalent} KiB); ` +
			`total ${o.total.computrons} (verify ${Math.round(o.total.verifyShare * 1000) / 10} %); open stream ${o.heap.openStreamSlots} slots, ${o.heap.retainedAfterVerifySlots} retained after verify. ` +
			`Upper bounds: on the ESP32, SHA-256 and the EC point arithmetic are native C`,
	);
	await section(
		bench,
		"ota.wire",
		"OTA protocol overhead: the real firmware downloads a 1.5 MiB image through aedes, device socket bytes vs image size, idle twin subtracted",
		() => benchOtaWire(),
		(w) => `  ${w.chunks} chunks: device read ${w.deviceBytesRead} B + wrote ${w.deviceBytesWritten} B (idle twin ${w.idleTwinBytes} B) for ${w.imageBytes} B of image: overhead ${w.overheadBytes} B = ${w.overheadPct} % (${w.chunkRequests} requests, ${w.virtualSeconds} virtual s)`,
	);
	await section(
		bench,
		"ota.fleet",
		"OTA rollout of 1,000 modelled signs in staged route-capped waves vs one wave, virtual time, real campaign engine",
		() => benchOtaFleet(),
		(f) => `  ${JSON.stringify(f)}`,
	);
	await section(
		bench,
		"arrivals.bytes",
		"arrivals bridge: bytes per sign per day at a 30 s feed refresh (cjk-demo + simulated GTFS-RT, virtual day, aedes) vs naive JSON board every poll at QoS 1",
		() => benchArrivalsBytes(),
		(a) =>
			`  ${a.stops} stops, ${a.polls} polls: ${a.bridge.perSignPerDay.boards} boards/sign/day (${a.bridge.boardsUnchanged} unchanged boards skipped, ${a.bridge.freshTicks} more confirmed by a ${Math.round(a.bridge.freshTickPayload / Math.max(1, a.bridge.freshTicks))} B freshness tick instead of a re-send), ${a.bridge.perSignPerDay.boardPayload} B CBOR payload; ` +
			`wire ${a.bridge.perSignPerDay.wire} B/sign/day incl. ≈${a.bridge.perSignPerDay.timetableWire} B of timetables vs naive JSON ${a.naive.perSignPerDay.wire} B (${a.naive.perSignPerDay.payload} B payload): ${a.ratio}×`,
	);
	await section(
		bench,
		"arrivals.latency",
		"arrivals bridge: GTFS-RT change → last board PUBACK with 500 and 2,000 stops (generated feeds, simulated real-time, aedes; wall-clock, indicative)",
		() => benchArrivalsLatency(),
		(runs) =>
			runs
				.map(
					(r) =>
						`  ${r.stops} stops (${r.trips} trips, ${r.tripUpdateEntities} running): poll ${r.pollMs.median} ms median (max ${r.pollMs.max}), ${r.boardsPerPoll} boards/poll, simulator ${r.simulatorMs} ms of it; ` +
						`first poll with every timetable ${r.firstPollMs} ms; one publish at a time ${r.sequentialPollMs.median} ms`,
				)
				.join("\n"),
	);
	const previous = only && existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as { results?: Record<string, unknown> }) : undefined;
	const doc = {
		generatedAt: new Date().toISOString(),
		engine: "XS via @agoric/xsnap xsnap-worker",
		units: { compute: "XS computrons", heap: "XS heap slots", bytes: "bytes" },
		results: { ...previous?.results, ...results },
	};
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(out, JSON.stringify(doc, null, "\t") + "\n");
	console.log(`bench: wrote ${out}${process.exitCode ? " (with failures)" : ""}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const arg = (name: string) => {
		const i = process.argv.indexOf(name);
		return i > 0 ? process.argv[i + 1] : undefined;
	};
	await runBenchmarks(arg("--out") ?? "bench/results.json", arg("--only")?.split(","));
}
