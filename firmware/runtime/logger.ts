/*
 * Leveled logger with a small ring buffer.
 * Lines go to `trace` (the Moddable console; the sim prefixes the device id).
 * The ring keeps the last `capacity` entries at warn level or above plus any
 * entries at the current level, so a remote-log request (sync layer) can ship
 * recent history without keeping strings forever. Drops are counted.
 */
import { clip } from "./errors";

export const LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LogEntry {
	/** ms since boot */
	t: number;
	level: LogLevel;
	tag: string;
	msg: string;
}

export interface LoggerOptions {
	/** @default "info" */
	level?: LogLevel;
	/** ring buffer entries @default 64 */
	capacity?: number;
	/** ms since boot; injected so tests and the sim control time */
	ticks: () => number;
	/** where formatted lines go (trace on the device) */
	sink: (line: string) => void;
	/** longest message kept in the ring, in characters @default 160 */
	maxMessage?: number;
}

const LABEL: Record<LogLevel, string> = { error: "ERROR", warn: "WARN ", info: "INFO ", debug: "DEBUG" };

export class Logger {
	#rank: number;
	#ring: (LogEntry | undefined)[];
	#head = 0;
	#count = 0;
	#options: LoggerOptions;
	/** entries overwritten in the ring before anyone read them */
	dropped = 0;
	/** called for each entry at error level (the sync layer ships these) */
	onError?: (entry: LogEntry) => void;

	constructor(options: LoggerOptions) {
		this.#options = options;
		this.#rank = LEVELS.indexOf(options.level ?? "info");
		this.#ring = new Array(Math.max(1, options.capacity ?? 64));
	}
	get level(): LogLevel {
		return LEVELS[this.#rank];
	}
	set level(level: LogLevel) {
		const rank = LEVELS.indexOf(level);
		if (rank < 0) throw new RangeError(`logger: unknown level "${level}"`);
		this.#rank = rank;
	}
	enabled(level: LogLevel): boolean {
		return LEVELS.indexOf(level) <= this.#rank;
	}
	log(level: LogLevel, tag: string, msg: string): void {
		if (!this.enabled(level)) return;
		const t = this.#options.ticks();
		const max = this.#options.maxMessage ?? 160;
		const entry: LogEntry = { t, level, tag, msg: clip(msg, max) };
		if (this.#count === this.#ring.length) this.dropped++;
		else this.#count++;
		this.#ring[this.#head] = entry;
		this.#head = (this.#head + 1) % this.#ring.length;
		this.#options.sink(`${formatTicks(t)} ${LABEL[level]} ${tag}: ${msg}`);
		if (level === "error") this.onError?.(entry);
	}
	/** Entries in order, oldest first. `drain` empties the ring (after a successful upload). */
	entries(drain = false): LogEntry[] {
		const out: LogEntry[] = [];
		const start = (this.#head - this.#count + this.#ring.length) % this.#ring.length;
		for (let i = 0; i < this.#count; i++) out.push(this.#ring[(start + i) % this.#ring.length]!);
		if (drain) {
			this.#count = 0;
			this.dropped = 0;
		}
		return out;
	}
	/** A logger that stamps every line with `tag`. */
	tagged(tag: string): TaggedLog {
		return new TaggedLog(this, tag);
	}
}

export class TaggedLog {
	readonly #logger: Logger;
	readonly tag: string;
	constructor(logger: Logger, tag: string) {
		this.#logger = logger;
		this.tag = tag;
	}
	error(msg: string): void {
		this.#logger.log("error", this.tag, msg);
	}
	warn(msg: string): void {
		this.#logger.log("warn", this.tag, msg);
	}
	info(msg: string): void {
		this.#logger.log("info", this.tag, msg);
	}
	debug(msg: string): void {
		this.#logger.log("debug", this.tag, msg);
	}
}

/** "123.456" seconds since boot, fixed width so log columns line up. */
export function formatTicks(ms: number): string {
	const s = Math.floor(ms / 1000);
	const frac = String(Math.floor(ms % 1000)).padStart(3, "0");
	return `${String(s).padStart(6, " ")}.${frac}`;
}
