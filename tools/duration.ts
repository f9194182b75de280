/*
 * Durations on the command line: "500ms", "30s", "10m", "2h", "1d", or a bare
 * number of seconds. One parser so every command agrees.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** @returns milliseconds @throws Error with a one-line reason */
export function parseDuration(text: string): number {
	const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
	if (!m) throw new Error(`invalid duration "${text}" (examples: 500ms, 30s, 10m, 2h, 1d)`);
	const ms = Number(m[1]) * UNITS[m[2] ?? "s"];
	if (!Number.isFinite(ms) || ms <= 0) throw new Error(`invalid duration "${text}"`);
	return Math.round(ms);
}

/** "1h 02m 03s" style for summaries. */
export function formatDuration(ms: number): string {
	const s = Math.round(ms / 1000);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = s % 60;
	return h ? `${h}h ${String(m).padStart(2, "0")}m ${String(sec).padStart(2, "0")}s` : m ? `${m}m ${String(sec).padStart(2, "0")}s` : `${sec}s`;
}
