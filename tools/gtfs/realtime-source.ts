/*
 * One GTFS-Realtime feed (TripUpdates or VehiclePositions) as the arrivals
 * bridge reads it: an http(s) URL fetched with a deadline, or a file re-read
 * when its mtime changes. GTFS-RT feeds are served over HTTP as a whole
 * FeedMessage in protobuf (https://gtfs.org/documentation/realtime/reference/,
 * "FeedMessage"; FULL_DATASET incrementality): each fetch replaces the last one.
 *   - conditional GET (RFC 9110 §13.1: If-None-Match with the ETag, else
 *     If-Modified-Since with Last-Modified); a 304 keeps the current message;
 *   - a message whose FeedHeader.timestamp is older than `staleS` is refused
 *     as a "stale feed" (the reference: the timestamp is when the content was
 *     created; a producer that stopped updating keeps serving the old one);
 *   - HTTP errors, timeouts, unreadable files and bad protobuf are reported
 *     (returned and kept in `lastError`), never thrown.
 * The last good message stays in `feed` through any error: the bridge keeps
 * resolving from it, and its old header timestamp is what tells the signs it
 * is old (the bridge never re-stamps it).
 */
import { readFileSync, statSync } from "node:fs";
import { decodeFeed, type FeedMessage } from "./realtime";

export interface RealtimeSourceOptions {
	/** http(s) URL or file path of the protobuf FeedMessage */
	location: string;
	/** label for messages, e.g. "trip updates" @default "realtime feed" */
	label?: string;
	/** deadline for one HTTP fetch, ms @default 10_000 */
	timeoutMs?: number;
	/** a header timestamp older than this is a stale feed, s @default 120 */
	staleS?: number;
	/** epoch ms @default Date.now */
	now?: () => number;
	/** extra request headers (e.g. an agency's API key header) */
	headers?: Record<string, string>;
	/** the fetch to use @default globalThis.fetch */
	fetch?: typeof fetch;
}

export type RealtimePoll =
	| { status: "updated"; feed: FeedMessage }
	| { status: "unchanged" }
	| { status: "error"; error: string };

export interface RealtimeSourceStats {
	polls: number;
	updates: number;
	unchanged: number;
	errors: number;
}

/** Default staleness limit of a feed header, s. */
export const DEFAULT_STALE_S = 120;

export class RealtimeSource {
	readonly location: string;
	readonly label: string;
	readonly stats: RealtimeSourceStats = { polls: 0, updates: 0, unchanged: 0, errors: 0 };
	/** the last good FeedMessage (undefined until one arrived) */
	feed: FeedMessage | undefined;
	/** the last poll's error, cleared by a good poll */
	lastError: string | undefined;
	#o: RealtimeSourceOptions;
	#http: boolean;
	#etag: string | undefined;
	#lastModified: string | undefined;
	#mtimeMs = -1;
	#size = -1;

	constructor(options: RealtimeSourceOptions) {
		this.#o = options;
		this.location = options.location;
		this.label = options.label ?? "realtime feed";
		this.#http = /^https?:\/\//i.test(options.location);
	}

	/** Fetches or re-reads the feed once. Never throws: an error is returned, kept in `lastError`, and `feed` keeps the last good message. */
	async poll(): Promise<RealtimePoll> {
		this.stats.polls++;
		let result: RealtimePoll;
		try {
			const got = this.#http ? await this.#fetch() : this.#read();
			result = got ? this.#accept(got.bytes, got.commit) : this.#unchanged();
		} catch (e) {
			result = { status: "error", error: `${this.label} ${this.location}: ${(e as Error).message}` };
		}
		if (result.status === "error") {
			this.stats.errors++;
			this.lastError = result.error;
		} else {
			this.lastError = undefined;
			if (result.status === "updated") this.stats.updates++;
			else this.stats.unchanged++;
		}
		return result;
	}

	/** @returns the body and how to remember its validators once it proved good, or undefined on 304 Not Modified */
	async #fetch(): Promise<Fetched | undefined> {
		const o = this.#o;
		const timeoutMs = o.timeoutMs ?? 10_000;
		const headers: Record<string, string> = { accept: "application/x-protobuf, application/octet-stream", ...o.headers };
		// Conditional only when there is a message to keep (a 304 with nothing kept would leave the bridge with nothing).
		if (this.feed && this.#etag) headers["if-none-match"] = this.#etag;
		else if (this.feed && this.#lastModified) headers["if-modified-since"] = this.#lastModified;
		let res: Response;
		let body: ArrayBuffer;
		try {
			res = await (o.fetch ?? fetch)(this.location, { headers, signal: AbortSignal.timeout(timeoutMs) });
			if (res.status === 304 && this.feed) return undefined;
			body = await res.arrayBuffer();
		} catch (e) {
			const err = e as Error;
			if (err.name === "TimeoutError" || err.name === "AbortError") throw new Error(`timed out after ${timeoutMs} ms`);
			throw new Error(`fetch failed (${(err.cause as Error | undefined)?.message ?? err.message})`);
		}
		if (!res.ok) throw new Error(`HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}`);
		const etag = res.headers.get("etag") ?? undefined;
		const lastModified = res.headers.get("last-modified") ?? undefined;
		return {
			bytes: new Uint8Array(body),
			commit: () => {
				this.#etag = etag;
				this.#lastModified = lastModified;
			},
		};
	}

	/** @returns the file's bytes, or undefined when its mtime and size are those of the last good read */
	#read(): Fetched | undefined {
		let st;
		try {
			st = statSync(this.location);
		} catch (e) {
			throw new Error(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
		}
		if (this.feed && st.mtimeMs === this.#mtimeMs && st.size === this.#size) return undefined;
		return {
			bytes: readFileSync(this.location),
			commit: () => {
				this.#mtimeMs = st.mtimeMs;
				this.#size = st.size;
			},
		};
	}

	/** Nothing new arrived: still good while the kept message is not too old (a producer that stopped is a stale feed). */
	#unchanged(): RealtimePoll {
		const age = this.#age(this.feed!);
		if (age !== undefined && age.ageS > age.staleS) return { status: "error", error: this.#staleText(age) };
		return { status: "unchanged" };
	}

	#age(feed: FeedMessage): { ts: number; ageS: number; staleS: number } | undefined {
		if (!feed.header || !Object.prototype.hasOwnProperty.call(feed.header, "timestamp")) return undefined;
		const ts = longToNumber(feed.header.timestamp);
		const nowS = Math.floor((this.#o.now ?? Date.now)() / 1000);
		return { ts, ageS: nowS - ts, staleS: this.#o.staleS ?? DEFAULT_STALE_S };
	}

	#staleText(a: { ts: number; ageS: number; staleS: number }): string {
		return `${this.label} ${this.location}: stale feed: header timestamp ${new Date(a.ts * 1000).toISOString()} is ${a.ageS} s old (limit ${a.staleS} s)`;
	}

	#accept(bytes: Uint8Array, commit: () => void): RealtimePoll {
		let feed: FeedMessage;
		try {
			feed = decodeFeed(bytes);
		} catch (e) {
			return { status: "error", error: `${this.label} ${this.location}: not a GTFS-RT FeedMessage (${(e as Error).message})` };
		}
		const age = this.#age(feed);
		if (!age) return { status: "error", error: `${this.label} ${this.location}: FeedHeader has no timestamp, so its age cannot be judged` };
		if (age.ageS > age.staleS) return { status: "error", error: this.#staleText(age) };
		commit();
		this.feed = feed;
		return { status: "updated", feed };
	}
}

interface Fetched {
	bytes: Uint8Array;
	/** remembers the validators (ETag, Last-Modified, or mtime) once the bytes proved good */
	commit(): void;
}

/** uint64 fields decode as Long objects when the long package is present, numbers otherwise. */
function longToNumber(v: unknown): number {
	if (typeof v === "number") return v;
	if (v && typeof (v as { toNumber?: unknown }).toNumber === "function") return (v as { toNumber(): number }).toNumber();
	return Number(v);
}
