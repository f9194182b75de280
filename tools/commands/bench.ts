/*
 * `curbside bench`: see tools/bench/run.ts.
 */
import { runBenchmarks } from "../bench/run";

export async function runBench(options: { out: string }): Promise<void> {
	await runBenchmarks(options.out);
}
