/*
 * Named tasks on Moddable's `timer`. A task that throws is logged and counted;
 * it never takes the scheduler or the other tasks down (a pole must keep
 * counting when one sensor misbehaves). Re-adding a name replaces the task.
 */
import Timer from "timer";
import { describeError } from "./errors";
import type { TaggedLog } from "./logger";

export interface TaskStats {
	runs: number;
	failures: number;
	lastError?: string;
}

interface Task {
	timer: Timer;
	stats: TaskStats;
	periodic: boolean;
}

export class Scheduler {
	#tasks = new Map<string, Task>();
	#log: TaggedLog;

	constructor(log: TaggedLog) {
		this.#log = log;
	}

	/**
	 * Runs `fn` every `intervalMs`. The first run is after `firstMs` (default: one interval).
	 * @throws RangeError on a non-positive interval
	 */
	every(name: string, intervalMs: number, fn: () => void, firstMs = intervalMs): void {
		if (!(intervalMs > 0)) throw new RangeError(`scheduler: ${name}: interval must be > 0 ms`);
		this.cancel(name);
		const stats: TaskStats = { runs: 0, failures: 0 };
		const timer = Timer.set(() => this.#run(name, stats, fn), Math.max(0, firstMs), intervalMs);
		this.#tasks.set(name, { timer, stats, periodic: true });
	}

	/** Runs `fn` once after `delayMs`. */
	after(name: string, delayMs: number, fn: () => void): void {
		this.cancel(name);
		const stats: TaskStats = { runs: 0, failures: 0 };
		const timer = Timer.set(() => {
			this.#tasks.delete(name);
			this.#run(name, stats, fn);
		}, Math.max(0, delayMs));
		this.#tasks.set(name, { timer, stats, periodic: false });
	}

	/** Stops a task; unknown names are ignored. */
	cancel(name: string): void {
		const task = this.#tasks.get(name);
		if (!task) return;
		Timer.clear(task.timer);
		this.#tasks.delete(name);
	}

	has(name: string): boolean {
		return this.#tasks.has(name);
	}

	stats(name: string): TaskStats | undefined {
		return this.#tasks.get(name)?.stats;
	}

	/** Names of scheduled tasks, for the health snapshot. */
	names(): string[] {
		return [...this.#tasks.keys()];
	}

	/** Cancels every task (shutdown, safe mode). */
	clear(): void {
		for (const name of [...this.#tasks.keys()]) this.cancel(name);
	}

	#run(name: string, stats: TaskStats, fn: () => void): void {
		stats.runs++;
		try {
			fn();
		} catch (e) {
			stats.failures++;
			stats.lastError = describeError(e);
			this.#log.error(`task ${name} failed: ${stats.lastError}`);
		}
	}
}
