export async function runBenchmarks(out: string): Promise<void> {
	throw new Error(`bench: not ready (${out})`);
}
