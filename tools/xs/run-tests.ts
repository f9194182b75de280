/*
 * Runs the firmware logic suites (tests/firmware/*.test.ts, except the
 * *.node.test.ts ones that need Node-only peers like cbor-x) on the real XS
 * engine through xsnap-worker. Prints one line per file, each failure with its
 * reason, and a final "XS: N passed, N failed" line; exits 1 on any failure or
 * on a suite that never reported (crash, metering limit, hang).
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CaseResult } from "../../tests/xs/harness";
import { bundleSuite } from "./bundle-suite";
import { XsnapWorker } from "./xsnap-worker";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function firmwareSuites(filter?: string): string[] {
	const dir = ROOT + "tests/firmware/";
	return readdirSync(dir)
		.filter((f) => f.endsWith(".test.ts") && !f.endsWith(".node.test.ts"))
		.filter((f) => !filter || f.includes(filter))
		.sort()
		.map((f) => dir + f);
}

export interface SuiteReport {
	file: string;
	results: CaseResult[];
	/** set when the suite never reported */
	crash?: string;
	compute?: number;
	heapSlots?: number;
}

/** Runs one suite in a fresh XS machine. */
export async function runSuite(file: string): Promise<SuiteReport> {
	const script = await bundleSuite(file);
	const worker = new XsnapWorker({ name: "curbside-xs-test" });
	let results: CaseResult[] | undefined;
	let printed = "";
	worker.onPrint = (t) => (printed += t);
	worker.onQuery = (bytes) => {
		results = JSON.parse(bytes.toString("latin1"));
		return Buffer.alloc(0);
	};
	const reply = await worker.evaluate(script);
	await worker.close();
	const report: SuiteReport = { file, results: results ?? [], compute: reply.meters?.compute, heapSlots: reply.meters?.currentHeapCount };
	if (!reply.ok) report.crash = `XS error: ${reply.reply}`;
	else if (!results) report.crash = `suite did not finish (a pending promise or a timer that never fired?)${printed ? `; output: ${printed.slice(0, 300)}` : ""}`;
	return report;
}

async function main(): Promise<void> {
	const files = firmwareSuites(process.argv[2]);
	let passed = 0;
	let failed = 0;
	let skipped = 0;
	for (const file of files) {
		const name = file.slice(ROOT.length);
		let report: SuiteReport;
		try {
			report = await runSuite(file);
		} catch (e) {
			report = { file, results: [], crash: `bundle failed: ${(e as Error).message.split("\n").slice(0, 4).join(" ")}` };
		}
		const ok = report.results.filter((r) => r.status === "passed").length;
		const bad = report.results.filter((r) => r.status === "failed");
		skipped += report.results.filter((r) => r.status === "skipped").length;
		passed += ok;
		failed += bad.length + (report.crash ? 1 : 0);
		const mark = bad.length || report.crash ? "✗" : "✓";
		console.log(`${mark} ${name} (${ok} passed${bad.length ? `, ${bad.length} failed` : ""}; ${report.compute ?? "?"} computrons)`);
		for (const b of bad) console.log(`    ✗ ${b.name}\n      ${b.error}`);
		if (report.crash) console.log(`    ✗ ${report.crash}`);
	}
	console.log(`\nXS: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""} (${files.length} suites on xsnap-worker)`);
	if (failed || files.length === 0) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
