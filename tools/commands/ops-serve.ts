/*
 * `curbside ops serve`: the cloud side — fleet registry, outbox acker and
 * time beacon (tools/ops/server.ts), printing one line per event.
 */
import { OpsServer } from "../ops/server";
import { runReal } from "./run-loop";

export async function runOpsServe(options: { broker: string; shareGroup?: string; records?: string; duration?: number }): Promise<void> {
	const server = new OpsServer({ broker: options.broker, shareGroup: options.shareGroup, recordsFile: options.records, onLine: (l) => console.log(`ops: ${l}`) });
	await server.start();
	console.log(`ops: following the fleet on ${options.broker}${options.shareGroup ? ` (share group ${options.shareGroup})` : ""}${options.records ? `; records → ${options.records}` : ""}`);
	await runReal(options.duration);
	await server.stop();
	const s = server.acker.stats;
	console.log(`ops: stopped; ${server.registry.devices.size} device(s) seen, ${s.records} record(s) stored, ${s.duplicates} duplicate(s) deduped, ${s.rejected} batch(es) rejected`);
}
