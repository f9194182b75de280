/*
 * A TCP fault-injection proxy for integration tests, on 127.0.0.1 only. It
 * sits between simulated devices and a real broker and injects the network
 * faults a cellular link produces:
 *
 *   pass  forward both ways (after the optional per-chunk delay);
 *   drop  a blackholed link: sockets stay open, bytes are silently discarded
 *         both ways, and neither end sees the other close;
 *   cut   every open connection is destroyed now (RST) and new ones are
 *         destroyed as soon as they are accepted.
 *
 * Semantics of drop, chosen to match a NAT/cellular link that loses packets:
 *   - Bytes discarded during drop are gone for good. Nothing is buffered or
 *     replayed, so a stream that lost bytes is corrupted or stalled; MQTT
 *     clients and brokers must notice through keepalive and timeouts.
 *   - A chunk is discarded if the mode is drop when it arrives or when its
 *     delay expires (it was "in flight" when the link went dark).
 *   - On setMode("pass") after drop, existing connections stay open and
 *     forwarding resumes for new bytes.
 *   - A close on one side during drop is not propagated (its FIN/RST is lost
 *     too). It is propagated when the link comes back (setMode("pass")): the
 *     surviving side is destroyed then, as a real peer would answer the next
 *     segment with an RST.
 *   - A connection accepted during drop gets no upstream connection: its SYN
 *     never reached the target. The upstream connection is opened when the
 *     mode returns to pass (the client's SYN retransmission gets through), so
 *     the target sees whatever the client sends from then on.
 *
 * Errors on either socket (ECONNRESET, EPIPE, ECONNREFUSED, ...) are swallowed:
 * every socket has an 'error' listener from the moment it exists. A target
 * that refuses the connection closes the client side.
 *
 * stats:
 *   connections  client connections accepted by the listener (including ones
 *                refused under cut)
 *   open         proxied connections not yet fully closed
 *   bytesUp      bytes written to the target (client -> target)
 *   bytesDown    bytes written to the client (target -> client)
 *   droppedBytes bytes discarded by drop (both directions)
 *   cuts         connections destroyed by the proxy as a fault: setMode("cut"),
 *                cutAll(), and connections refused while in cut
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export type FaultMode = "pass" | "drop" | "cut";

export interface FaultProxyOptions {
	target: { host: string; port: number };
	/** Listening port on 127.0.0.1; 0 or absent = ephemeral. */
	port?: number;
}

export interface FaultProxyStats {
	connections: number;
	open: number;
	bytesUp: number;
	bytesDown: number;
	droppedBytes: number;
	cuts: number;
}

const HOST = "127.0.0.1";
const noop = () => {};

function hardClose(socket: Socket | undefined): void {
	if (!socket || socket.destroyed) return;
	if (socket.connecting) {
		socket.destroy();
		return;
	}
	try {
		// RST where possible (a reset link), plain destroy otherwise.
		socket.resetAndDestroy();
	} catch {
		socket.destroy();
	}
}

interface Queued {
	chunk: Buffer;
	due: number;
}

/** One direction of one connection: an ordered queue of delayed chunks. */
class Pipe {
	private readonly queue: Queued[] = [];
	private lastDue = 0;
	private timer: ReturnType<typeof setTimeout> | undefined;
	private paused = false;
	private afterFlush: (() => void) | undefined;

	constructor(
		private readonly proxy: FaultProxy,
		private readonly src: () => Socket | undefined,
		private readonly dst: () => Socket | undefined,
		private readonly counter: "bytesUp" | "bytesDown",
	) {}

	/** A chunk arrived from src. */
	push(chunk: Buffer): void {
		if (this.proxy.mode !== "pass") {
			this.proxy._stats.droppedBytes += chunk.length;
			return;
		}
		const delay = this.proxy._delay;
		if (delay <= 0 && this.queue.length === 0) {
			this.forward(chunk);
			return;
		}
		// Never due before an earlier chunk: lowering the delay keeps order.
		const due = Math.max(performance.now() + delay, this.lastDue);
		this.lastDue = due;
		this.queue.push({ chunk, due });
		this.schedule();
	}

	/** Runs `fn` once every queued chunk has been delivered (or discarded). */
	flushThen(fn: () => void): void {
		if (this.queue.length === 0) fn();
		else this.afterFlush = fn;
	}

	clear(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.queue.length = 0;
		this.afterFlush = undefined;
	}

	private schedule(): void {
		if (this.timer || this.queue.length === 0) return;
		const wait = Math.max(0, Math.ceil(this.queue[0]!.due - performance.now()));
		this.timer = setTimeout(() => {
			this.timer = undefined;
			const now = performance.now();
			while (this.queue.length && this.queue[0]!.due <= now) this.forward(this.queue.shift()!.chunk);
			if (this.queue.length) this.schedule();
			else if (this.afterFlush) {
				const fn = this.afterFlush;
				this.afterFlush = undefined;
				fn();
			}
		}, wait);
	}

	private forward(chunk: Buffer): void {
		if (this.proxy.mode === "drop") {
			this.proxy._stats.droppedBytes += chunk.length;
			return;
		}
		const dst = this.dst();
		if (!dst || dst.destroyed || dst.writableEnded) return;
		this.proxy._stats[this.counter] += chunk.length;
		const src = this.src();
		if (!dst.write(chunk) && src && !this.paused) {
			this.paused = true;
			src.pause();
			dst.once("drain", () => {
				this.paused = false;
				if (!src.destroyed) src.resume();
			});
		}
	}
}

/** One proxied client connection and (maybe) its upstream connection. */
class Connection {
	upstream: Socket | undefined;
	private readonly up: Pipe;
	private readonly down: Pipe;
	private clientClosed = false;
	private upstreamClosed = false;
	/** Set once either side went away outside drop: the pair is being torn down. */
	private tearingDown = false;
	/** A side went away during drop; propagated when the link comes back. */
	private deferred: { gone: "client" | "upstream" } | undefined;
	private finished = false;

	constructor(
		private readonly proxy: FaultProxy,
		readonly client: Socket,
	) {
		this.up = new Pipe(proxy, () => client, () => this.upstream, "bytesUp");
		this.down = new Pipe(proxy, () => this.upstream, () => client, "bytesDown");
		client.on("data", (chunk: Buffer) => {
			if (!this.tearingDown) this.up.push(chunk);
		});
		client.on("close", (hadError) => {
			this.clientClosed = true;
			this.sideGone("client", hadError);
		});
	}

	/** Opens the upstream connection (the client's SYN reaches the target). */
	openUpstream(): void {
		if (this.upstream || this.finished || this.tearingDown || this.deferred) return;
		const { host, port } = this.proxy._target;
		const upstream = connect({ host, port });
		upstream.on("error", noop);
		upstream.setNoDelay(true);
		this.upstream = upstream;
		upstream.on("data", (chunk: Buffer) => {
			if (!this.tearingDown) this.down.push(chunk);
		});
		upstream.on("close", (hadError) => {
			this.upstreamClosed = true;
			this.sideGone("upstream", hadError);
		});
	}

	private sideGone(side: "client" | "upstream", hadError: boolean): void {
		if (this.clientClosed && (this.upstreamClosed || !this.upstream)) return this.finish();
		if (this.tearingDown) return;
		if (this.proxy.mode === "drop") {
			this.deferred ??= { gone: side };
			return;
		}
		this.propagate(side, hadError);
	}

	private propagate(gone: "client" | "upstream", hadError: boolean): void {
		this.tearingDown = true;
		const survivor = gone === "client" ? this.upstream : this.client;
		const pipe = gone === "client" ? this.up : this.down;
		if (!survivor || survivor.destroyed) return;
		if (hadError) {
			pipe.clear();
			hardClose(survivor);
			return;
		}
		// Orderly close: deliver what is still in flight, then FIN and close.
		pipe.flushThen(() => {
			if (survivor.destroyed) return;
			survivor.end(() => survivor.destroy());
		});
	}

	/** The link is back: propagate a close that happened during drop, or connect upstream. */
	resume(): void {
		if (this.finished) return;
		if (this.deferred) {
			// The survivor's next segment would be answered with an RST.
			const { gone } = this.deferred;
			this.deferred = undefined;
			this.propagate(gone, true);
			return;
		}
		this.openUpstream();
	}

	/** Destroys both sides now. */
	cut(): void {
		if (this.finished) return;
		this.tearingDown = true;
		this.up.clear();
		this.down.clear();
		hardClose(this.client);
		hardClose(this.upstream);
	}

	private finish(): void {
		if (this.finished) return;
		this.finished = true;
		this.up.clear();
		this.down.clear();
		if (this.upstream && !this.upstream.destroyed) this.upstream.destroy();
		this.proxy._remove(this);
	}
}

export class FaultProxy {
	readonly port: number;
	/** Live counters (see the header comment). */
	readonly stats: Readonly<FaultProxyStats>;
	/** @internal */ readonly _stats: FaultProxyStats;
	/** @internal */ readonly _target: { host: string; port: number };
	/** @internal */ _delay = 0;
	private _mode: FaultMode = "pass";
	private readonly server: Server;
	private readonly conns = new Set<Connection>();
	private closing: Promise<void> | undefined;

	private constructor(server: Server, port: number, target: { host: string; port: number }) {
		this.server = server;
		this.port = port;
		this._target = { ...target };
		this._stats = { connections: 0, open: 0, bytesUp: 0, bytesDown: 0, droppedBytes: 0, cuts: 0 };
		this.stats = this._stats;
		server.on("connection", (socket) => this.accept(socket));
		server.on("error", noop);
	}

	static async start(options: FaultProxyOptions): Promise<FaultProxy> {
		const server = createServer({ noDelay: true });
		const port = await new Promise<number>((resolve, reject) => {
			server.once("error", reject);
			server.listen(options.port ?? 0, HOST, () => {
				server.off("error", reject);
				resolve((server.address() as { port: number }).port);
			});
		});
		return new FaultProxy(server, port, options.target);
	}

	get mode(): FaultMode {
		return this._mode;
	}

	setMode(mode: FaultMode): void {
		const previous = this._mode;
		this._mode = mode;
		if (mode === "cut") this.cutAll();
		else if (mode === "pass" && previous !== "pass") for (const c of [...this.conns]) c.resume();
	}

	/** Extra one-way latency per chunk, both directions, in ms (0 = none). Byte order is preserved. */
	setDelay(ms: number): void {
		if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a non-negative number of ms, got ${ms}`);
		this._delay = ms;
	}

	/** Destroys every open connection once, without changing mode (a modem reset). */
	cutAll(): void {
		for (const c of [...this.conns]) {
			this._stats.cuts++;
			c.cut();
		}
	}

	/** Closes the listener and every socket; idempotent. */
	close(): Promise<void> {
		this.closing ??= new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			for (const c of [...this.conns]) c.cut();
		});
		return this.closing;
	}

	private accept(socket: Socket): void {
		socket.on("error", noop);
		this._stats.connections++;
		if (this.closing) {
			socket.destroy();
			return;
		}
		if (this._mode === "cut") {
			this._stats.cuts++;
			hardClose(socket);
			return;
		}
		socket.setNoDelay(true);
		const conn = new Connection(this, socket);
		this.conns.add(conn);
		this._stats.open++;
		if (this._mode === "pass") conn.openUpstream();
	}

	/** @internal */
	_remove(conn: Connection): void {
		if (this.conns.delete(conn)) this._stats.open--;
	}
}
