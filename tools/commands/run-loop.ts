/*
 * Drives a fleet's clock. Real time just waits; virtual time advances in
 * small steps and yields to Node's event loop between steps, so sockets to
 * the broker keep flowing while hours of device time pass in seconds.
 */
import type { VirtualClock } from "../../host-sim/bridge/virtual-clock";

/** Virtual ms per step; small enough that MQTT round trips land between timer bursts. */
export const VIRTUAL_STEP_MS = 250;

export async function runVirtual(clock: VirtualClock, durationMs: number, onError: (e: unknown) => void, shouldStop = () => false): Promise<void> {
	const end = clock.ticks() + durationMs;
	while (clock.ticks() < end && !shouldStop()) {
		clock.advance(Math.min(VIRTUAL_STEP_MS, end - clock.ticks()), onError);
		// Let socket I/O (broker traffic) run before the next slice of device time.
		await new Promise((r) => setImmediate(r));
	}
}

/** Waits `durationMs` of real time, or until Ctrl-C when undefined. Resolves on SIGINT/SIGTERM too. */
export function runReal(durationMs: number | undefined): Promise<string> {
	return new Promise((resolve) => {
		const done = (why: string) => {
			process.off("SIGINT", onInt);
			process.off("SIGTERM", onTerm);
			clearTimeout(timer);
			resolve(why);
		};
		const onInt = () => done("interrupted");
		const onTerm = () => done("terminated");
		process.once("SIGINT", onInt);
		process.once("SIGTERM", onTerm);
		const timer = durationMs === undefined ? undefined : setTimeout(() => done("duration reached"), durationMs);
	});
}

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];
const assigned = new Map<string, number>();

/** "[device-id] line", colour-coded per device when stdout is a terminal. */
export function deviceLine(id: string, line: string): string {
	if (!process.stdout.isTTY) return `[${id}] ${line}`;
	if (!assigned.has(id)) assigned.set(id, COLORS[assigned.size % COLORS.length]);
	return `\x1b[${assigned.get(id)}m[${id}]\x1b[0m ${line}`;
}
