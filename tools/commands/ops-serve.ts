/*
 * `curbside ops serve`: the cloud side. For now the fleet registry: it prints
 * each device's birth, last will and health as they arrive.
 */
import { Registry, describeEvent } from "../ops/registry";
import { runReal } from "./run-loop";

export async function runOpsServe(options: { broker: string; shareGroup: string; duration?: number }): Promise<void> {
	const registry = new Registry();
	registry.onEvent = (event) => console.log(`ops: ${describeEvent(event)}`);
	await registry.connect(options.broker, { shareGroup: options.shareGroup });
	console.log(`ops: following the fleet on ${options.broker} (share group ${options.shareGroup})`);
	await runReal(options.duration);
	await registry.close();
	console.log(`ops: stopped; ${registry.devices.size} device(s) seen`);
}
