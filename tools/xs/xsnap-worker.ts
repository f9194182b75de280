/*
 * A small driver for the real XS engine: the `xsnap-worker` binary that the
 * npm package @agoric/xsnap builds from Moddable's XS sources at install time.
 * Protocol (xsnap-native/xsnap/sources/xsnap-worker.c): netstrings on fd 3
 * (to the worker) and fd 4 (from the worker).
 *   to worker:   "e<source>" evaluate a script; "/<bytes>" answer a query
 *   from worker: ".<meter json>\x01<reply>" ok; "!<message>" error;
 *                "?<bytes>" a query from issueCommand() in the worker
 * Every ok reply carries XS meters: {compute, allocate, currentHeapCount}.
 * We drive it directly rather than through the package's JS API, which pulls
 * in the whole Endo/SES stack.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";

export interface XsMeters {
	/** XS computrons spent by the evaluation */
	compute: number;
	/** bytes allocated by the evaluation */
	allocate: number;
	/** live XS heap slots after the evaluation */
	currentHeapCount: number;
}

export interface XsReply {
	ok: boolean;
	reply: string;
	meters?: XsMeters;
}

/** Path of the xsnap-worker binary built by @agoric/xsnap's postinstall. */
export function xsnapWorkerPath(): string {
	const require = createRequire(import.meta.url);
	const pkg = dirname(require.resolve("@agoric/xsnap/package.json"));
	return join(pkg, "xsnap-native/xsnap/build/bin/lin/release/xsnap-worker");
}

function netstring(payload: Buffer): Buffer {
	return Buffer.concat([Buffer.from(`${payload.length}:`), payload, Buffer.from(",")]);
}

export class XsnapWorker {
	#child: ChildProcess;
	#input: Writable;
	#buffered = Buffer.alloc(0);
	#waiters: ((message: Buffer) => void)[] = [];
	#queued: Buffer[] = [];
	#exited: Promise<number | null>;
	/** Answers `issueCommand(bytes)` calls from inside XS; default echoes nothing. */
	onQuery: (bytes: Buffer) => Buffer = () => Buffer.alloc(0);
	/** Receives the worker's stdout (XS `print`). */
	onPrint: (text: string) => void = (t) => process.stdout.write(t);

	/** @param meteringLimit computrons per evaluation before XS aborts it (0 = the worker's default) */
	constructor(options: { meteringLimit?: number; name?: string } = {}) {
		const args = [options.name ?? "curbside-xs"];
		if (options.meteringLimit) args.push("-l", String(options.meteringLimit));
		this.#child = spawn(xsnapWorkerPath(), args, { stdio: ["ignore", "pipe", "inherit", "pipe", "pipe"] });
		this.#input = this.#child.stdio[3] as Writable;
		(this.#child.stdout as Readable).setEncoding("utf8");
		(this.#child.stdout as Readable).on("data", (t: string) => this.onPrint(t));
		(this.#child.stdio[4] as Readable).on("data", (chunk: Buffer) => this.#onData(chunk));
		this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
		this.#exited.then(() => {
			for (const w of this.#waiters.splice(0)) w(Buffer.from("!xsnap-worker exited"));
		});
	}

	#onData(chunk: Buffer): void {
		this.#buffered = Buffer.concat([this.#buffered, chunk]);
		for (;;) {
			const colon = this.#buffered.indexOf(0x3a);
			if (colon < 0) return;
			const length = Number(this.#buffered.subarray(0, colon).toString());
			if (this.#buffered.length < colon + 1 + length + 1) return;
			const message = this.#buffered.subarray(colon + 1, colon + 1 + length);
			this.#buffered = this.#buffered.subarray(colon + 2 + length);
			this.#dispatch(Buffer.from(message));
		}
	}

	#dispatch(message: Buffer): void {
		if (message[0] === 0x3f /* ? */) {
			let answer: Buffer;
			try {
				answer = this.onQuery(message.subarray(1));
			} catch (e) {
				answer = Buffer.from(String(e));
			}
			this.#input.write(netstring(Buffer.concat([Buffer.from("/"), answer])));
			return;
		}
		const waiter = this.#waiters.shift();
		if (waiter) waiter(message);
		else this.#queued.push(message);
	}

	/** Evaluates a script in the worker's global scope and runs it to idle (promise jobs included). */
	evaluate(source: string): Promise<XsReply> {
		return new Promise((resolve) => {
			this.#waiters.push((message) => {
				if (message[0] === 0x2e /* . */) {
					const sep = message.indexOf(1);
					const meters = sep > 0 ? (JSON.parse(message.subarray(1, sep).toString()) as XsMeters) : undefined;
					resolve({ ok: true, reply: message.subarray(sep > 0 ? sep + 1 : 1).toString(), meters });
				} else resolve({ ok: false, reply: message.subarray(1).toString() });
			});
			this.#input.write(netstring(Buffer.from("e" + source)));
		});
	}

	/** Ends the worker; resolves with its exit code. */
	async close(): Promise<number | null> {
		this.#input.end();
		const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
		const code = await this.#exited;
		clearTimeout(timer);
		return code;
	}
}
