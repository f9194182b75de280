/*
 * `npm run bench`: runs every benchmark and writes machine-readable results.
 * Figures are XS meters (computrons, heap slots) and byte counts, never
 * wall-clock times: the machines are shared and noisy.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
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
	const doc = { generatedAt: new Date().toISOString(), engine: "XS via @agoric/xsnap xsnap-worker", units: { compute: "XS computrons", heap: "XS heap slots", bytes: "bytes" }, results };
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(out, JSON.stringify(doc, null, "\t") + "\n");
	console.log(`bench: wrote ${out}`);
}
