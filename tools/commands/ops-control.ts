/*
 * `curbside ops cmd|config|logs`: the control plane from a terminal. Each
 * prints the device's answer and exits non-zero when the device refused.
 */
import { Control, parseValues } from "../ops/control";

async function withControl<T>(broker: string, run: (c: Control) => Promise<T>): Promise<T> {
	const control = new Control();
	await control.connect(broker);
	try {
		return await run(control);
	} finally {
		await control.close();
	}
}

export async function runOpsCommand(device: string, name: string, options: { broker: string; args?: string; ttl: number; wait: number }): Promise<void> {
	let args: Record<string, unknown> | undefined;
	if (options.args !== undefined) {
		try {
			args = JSON.parse(options.args);
		} catch (e) {
			throw new Error(`--args is not JSON: ${(e as Error).message}`);
		}
		if (!args || typeof args !== "object" || Array.isArray(args)) throw new Error("--args must be a JSON object");
	}
	const result = await withControl(options.broker, (c) => c.command(device, name, { args, ttlMs: options.ttl, waitMs: options.wait }));
	console.log(`${device}: ${name} → ${result.code}${result.msg ? `: ${result.msg}` : ""}${result.data ? ` ${JSON.stringify(result.data)}` : ""}`);
	if (!result.ok) process.exitCode = 1;
}

export async function runOpsConfig(device: string, pairs: string[], options: { broker: string; wait: number }): Promise<void> {
	const values = parseValues(pairs);
	const r = await withControl(options.broker, (c) => c.configure(device, values, options.wait));
	console.log(`${device}: config rev ${r.rev} ${r.state}${r.error ? `: ${r.error}` : ""}${r.pending?.length ? ` (after reboot: ${r.pending.join(", ")})` : ""}; applied rev ${r.appliedRev}`);
	if (r.state === "rejected") process.exitCode = 1;
}

export async function runOpsLogs(device: string, options: { broker: string; wait: number }): Promise<void> {
	const log = await withControl(options.broker, (c) => c.logs(device, options.wait));
	for (const [t, level, tag, msg] of log.e) {
		const when = log.t0 !== undefined ? new Date(log.t0 + t).toISOString() : `+${(t / 1000).toFixed(3)} s`;
		console.log(`${when} ${level.toUpperCase().padEnd(5)} ${tag}: ${msg}`);
	}
	console.log(`(${log.e.length} entries from boot #${log.boot}${log.dropped ? `, ${log.dropped} dropped` : ""})`);
}
