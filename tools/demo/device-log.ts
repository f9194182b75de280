/*
 * The dashboard's memory of what each simulated device said: the last lines
 * of its log (as the Fleet's onLine hands them over, "  12.345 INFO  tag: msg"),
 * and what a sign's lines reveal about its screen. The stop-sign app logs
 * "screen: <from> → <to>" whenever the screen model's source or notice
 * changes (firmware/apps/stop-sign/app.ts), e.g. "screen: live → timetable (stale)",
 * and "tts: …" for each audio-button read-out (announce.ts). Reading those
 * lines rather than reaching into the device realm keeps the dashboard on the
 * same footing as an engineer reading a log.
 */

/** Lines kept per device. */
export const LINES_KEPT = 50;

/** The screen a sign last reported: `source` is live | timetable | none, `notice` why it is not live. */
export interface ScreenReport {
	source: string;
	notice?: string;
	/** the whole line, for display */
	line: string;
}

interface DeviceEntry {
	lines: string[];
	screen?: ScreenReport;
	/** every line ever seen, so a caller can ask for lines after a mark */
	total: number;
}

const SCREEN_LINE = /\bstop-sign: screen: .* → (\w+)(?: \((.+)\))?$/;

export class DeviceLog {
	#devices = new Map<string, DeviceEntry>();

	/** Records one log line of `id`. */
	add(id: string, line: string): void {
		let e = this.#devices.get(id);
		if (!e) this.#devices.set(id, (e = { lines: [], total: 0 }));
		e.lines.push(line);
		e.total++;
		if (e.lines.length > LINES_KEPT) e.lines.splice(0, e.lines.length - LINES_KEPT);
		const m = SCREEN_LINE.exec(line);
		if (m) e.screen = { source: m[1], notice: m[2], line };
	}

	/** The last lines of `id` (oldest first), at most LINES_KEPT. */
	lines(id: string): string[] {
		return [...(this.#devices.get(id)?.lines ?? [])];
	}

	/** What the sign's screen was built from, per its last "screen:" line. */
	screen(id: string): ScreenReport | undefined {
		return this.#devices.get(id)?.screen;
	}

	/** A position in `id`'s log, for since(). */
	mark(id: string): number {
		return this.#devices.get(id)?.total ?? 0;
	}

	/** The kept lines of `id` logged after `mark`. */
	since(id: string, mark: number): string[] {
		const e = this.#devices.get(id);
		if (!e) return [];
		const n = e.total - mark;
		return n <= 0 ? [] : e.lines.slice(-Math.min(n, e.lines.length));
	}
}
