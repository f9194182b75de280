/*
 * Simulated ECMA-419 Serial (ECMA-419 2nd ed. §9.3) on an ESP32 UART, bound
 * to a SimBoard, plus the wire between a UART and its SerialModel.
 * Contract from Moddable's ESP32 backend (modules/io/serial/esp32/serial.c):
 *   - baud required (RangeError "invalid baud"); at least one of receive/
 *     transmit (Error "invalid"); port 0 ..= 2 (UART_NUM_MAX 3); a port
 *     already open: RangeError "port in use"; pins held: Error "in use";
 *   - 8N1 framing: a byte takes 10 bit times on the wire;
 *   - the RX and TX FIFOs are the UART's 128-byte hardware FIFOs (ESP32 TRM
 *     §13 "UART Controller"): received bytes beyond a full RX FIFO are lost
 *     (counted as overruns); a write larger than the free TX space throws
 *     Error "output full";
 *   - format "number" (default: read/write one byte) or "buffer" (read(n)
 *     returns an ArrayBuffer of up to n available bytes, undefined if none);
 *   - onReadable(bytesAvailable) runs asynchronously when bytes land;
 *     onWritable(bytesFree) runs once after construction and whenever the TX
 *     FIFO drains to 4 bytes or fewer (uart_ll_set_txfifo_empty_thr 4);
 *     both are coalesced and never run after close;
 *   - after close read/write throw "closed"; close twice is a no-op; bytes
 *     still on the wire when the port closes are lost.
 */
import type { SimBoard } from "./board";
import type { SerialLine, SerialModel } from "./models";
import { type IOBuffer, bytesOf, checkFormat, closedError, invoke, toArrayBuffer } from "./common";

const FIFO_BYTES = 128;
const TX_EMPTY_THRESHOLD = 4;

/** The open UART as the wire sees it. */
interface Endpoint {
	session: number;
	baud: number;
	deliver(bytes: Uint8Array): void;
}

/** One UART port's wire: where a model and the firmware's Serial meet. */
export class SerialWire {
	readonly port: number;
	model: SerialModel | undefined;
	endpoint: Endpoint | undefined;
	/** Bytes the model sent while the port was closed (lost). */
	dropped = 0;
	/** Bytes lost because the RX FIFO was full. */
	overruns = 0;
	#sessions = 0;
	#rxFreeAt = 0;
	readonly line: SerialLine;

	constructor(board: SimBoard, port: number) {
		this.port = port;
		const wire = this;
		this.line = {
			get open() {
				return wire.endpoint !== undefined;
			},
			get baud() {
				return wire.endpoint?.baud;
			},
			ticks: () => board.ticks(),
			schedule: (ms, cb) => board.schedule(ms, cb),
			cancel: (h) => board.cancel(h),
			send(bytes: Uint8Array): void {
				const ep = wire.endpoint;
				if (!ep) {
					wire.dropped += bytes.byteLength;
					return;
				}
				const now = board.ticks();
				const start = Math.max(now, wire.#rxFreeAt);
				const end = start + byteTimeMs(wire.model?.baud ?? ep.baud) * bytes.byteLength;
				wire.#rxFreeAt = end;
				const data = wire.garble(bytes.slice());
				board.schedule(end - now, () => {
					if (wire.endpoint === ep) ep.deliver(data);
				});
			},
		};
	}

	/** Starts a session for a newly opened Serial. */
	open(baud: number, deliver: (bytes: Uint8Array) => void): Endpoint {
		const ep: Endpoint = { session: ++this.#sessions, baud, deliver };
		this.endpoint = ep;
		this.#rxFreeAt = 0;
		this.model?.portChanged?.(true, this.line);
		return ep;
	}

	close(ep: Endpoint): void {
		if (this.endpoint !== ep) return;
		this.endpoint = undefined;
		this.model?.portChanged?.(false, this.line);
	}

	/** A baud mismatch corrupts every byte, standing in for framing errors. */
	garble(bytes: Uint8Array): Uint8Array {
		const modelBaud = this.model?.baud;
		const ep = this.endpoint;
		if (modelBaud === undefined || !ep || modelBaud === ep.baud) return bytes;
		for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] * 7 + 0x3d) & 0xff;
		return bytes;
	}
}

/** Time on the wire of one 8N1 byte, ms. */
export function byteTimeMs(baud: number): number {
	return 10_000 / baud;
}

/** The wire for `port`, created on first use. */
export function serialWire(board: SimBoard, port: number): SerialWire {
	const wires = board.peripheral("serial.wires", () => new Map<number, SerialWire>());
	let wire = wires.get(port);
	if (!wire) {
		wire = new SerialWire(board, port);
		wires.set(port, wire);
	}
	return wire;
}

export interface SerialOptions {
	receive?: number;
	transmit?: number;
	/** bits per second */
	baud: number;
	/** UART 0 ..= 2 @default 0 */
	port?: number;
	flowControl?: "hardware" | "none";
	// `this` is the IO object; typed loosely so the typings' `this: Serial` callbacks fit
	onReadable?: (this: any, bytes: number) => void;
	onWritable?: (this: any, bytes: number) => void;
	format?: "number" | "buffer";
	target?: unknown;
}

interface State {
	wire: SerialWire;
	ep: Endpoint;
	pins: number[];
	format: "number" | "buffer";
	rx: number[];
	txQueued: number;
	txFreeAt: number;
	readablePending: number;
	writablePending: number;
	timers: Set<number>;
}

function optionalPin(value: unknown, name: string): number | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 39) throw new RangeError(`invalid ${name}`);
	return value;
}

export function createSerialClass(board: SimBoard) {
	return class Serial {
		target: unknown;
		#s: State | undefined;

		constructor(options: SerialOptions) {
			const transmit = optionalPin(options.transmit, "transmit");
			const receive = optionalPin(options.receive, "receive");
			if (transmit === undefined && receive === undefined) throw new Error("invalid");
			const port = options.port ?? 0;
			if (port !== 0 && port !== 1 && port !== 2) throw new RangeError("invalid port");
			const baud = options.baud;
			if (typeof baud !== "number" || !(baud > 0) || baud > 20_000_000) throw new RangeError("invalid baud");
			const format = checkFormat(options.format, ["number", "buffer"] as const, "number");
			const wire = serialWire(board, port);
			if (wire.endpoint) throw new RangeError("port in use");
			const pins: number[] = [];
			if (transmit !== undefined) pins.push(transmit);
			if (receive !== undefined) pins.push(receive);
			board.claimPins(pins, `Serial ${port}`);

			const onReadable = receive === undefined ? undefined : options.onReadable;
			const onWritable = transmit === undefined ? undefined : options.onWritable;
			const s: State = { wire, ep: undefined!, pins, format, rx: [], txQueued: 0, txFreeAt: 0, readablePending: 0, writablePending: 0, timers: new Set<number>() };
			this.target = options.target;
			this.#s = s;
			this.#onWritable = onWritable;
			s.ep = wire.open(baud, (bytes) => this.#land(s, bytes, receive !== undefined, onReadable));
			if (onWritable) this.#writable(s, onWritable);
		}

		#onWritable: SerialOptions["onWritable"];

		get format(): "number" | "buffer" {
			return this.#open().format;
		}
		/** Bits per character; declared by @moddable/typings 5.6, not by ECMA-419 §9.3. */
		get resolution(): number {
			return 8;
		}
		set format(value: "number" | "buffer") {
			this.#open().format = checkFormat(value, ["number", "buffer"] as const, "number");
		}

		/** number format: one byte or undefined; buffer format: up to `count` (default all) bytes or undefined. */
		read(): number | ArrayBuffer | undefined;
		read(count: number): ArrayBuffer | undefined;
		read(buffer: IOBuffer): number | undefined;
		read(countOrBuffer?: number | IOBuffer): number | ArrayBuffer | undefined {
			const s = this.#open();
			if (!s.rx.length) return undefined;
			if (s.format === "number") return s.rx.shift();
			if (countOrBuffer !== undefined && typeof countOrBuffer !== "number") {
				const into = bytesOf(countOrBuffer);
				const n = Math.min(into.byteLength, s.rx.length);
				into.set(s.rx.splice(0, n));
				return n;
			}
			const n = Math.min(countOrBuffer ?? s.rx.length, s.rx.length);
			if (!Number.isInteger(n) || n < 0) throw new RangeError("invalid byteLength");
			return toArrayBuffer(Uint8Array.from(s.rx.splice(0, n)));
		}

		/** number format: one byte (0 ..= 255); buffer format: a buffer. Throws "output full" past the TX FIFO. */
		write(value: number | IOBuffer): void {
			const s = this.#open();
			let bytes: Uint8Array;
			if (s.format === "number") {
				if (typeof value !== "number") throw new TypeError("number expected");
				bytes = Uint8Array.of(value & 0xff);
			} else {
				if (typeof value === "number") throw new TypeError("buffer expected");
				bytes = bytesOf(value).slice();
			}
			if (bytes.length > FIFO_BYTES - s.txQueued) throw new Error("output full");
			s.txQueued += bytes.length;
			const now = board.ticks();
			const start = Math.max(now, s.txFreeAt);
			s.txFreeAt = start + byteTimeMs(s.ep.baud) * bytes.length;
			this.#later(s, () => {
				s.txQueued -= bytes.length;
				const model = s.wire.model;
				if (model) model.receive(s.wire.garble(bytes), s.wire.line);
				if (this.#onWritable && s.txQueued <= TX_EMPTY_THRESHOLD) this.#writable(s, this.#onWritable);
			}, s.txFreeAt - now);
		}

		/** Discards received bytes not yet read. */
		flush(): void {
			this.#open().rx.length = 0;
		}

		/** DTR/RTS/break are not wired on the sim's UARTs: accepted and ignored. */
		set(_options: { dataTerminalReady?: number; requestToSend?: number; break?: boolean }): void {
			this.#open();
		}

		close(): void {
			const s = this.#s;
			if (!s) return;
			this.#s = undefined;
			for (const h of s.timers) board.cancel(h);
			s.timers.clear();
			s.wire.close(s.ep);
			board.releasePins(s.pins);
		}

		/** Bytes finished arriving: into the RX FIFO (no receive pin: nowhere), then onReadable. */
		#land(s: State, bytes: Uint8Array, receiving: boolean, onReadable: SerialOptions["onReadable"]): void {
			if (!receiving) return;
			const room = FIFO_BYTES - s.rx.length;
			for (let i = 0; i < Math.min(room, bytes.length); i++) s.rx.push(bytes[i]);
			if (bytes.length > room) s.wire.overruns += bytes.length - room;
			if (!onReadable || s.readablePending) return;
			s.readablePending = this.#later(s, () => {
				s.readablePending = 0;
				if (s.rx.length) invoke(this, onReadable, s.rx.length);
			});
		}

		#writable(s: State, onWritable: NonNullable<SerialOptions["onWritable"]>): void {
			if (s.writablePending) return;
			s.writablePending = this.#later(s, () => {
				s.writablePending = 0;
				invoke(this, onWritable, FIFO_BYTES - s.txQueued);
			});
		}

		/** Schedules `fn` for this open session only: close cancels it. */
		#later(s: State, fn: () => void, ms = 0): number {
			const h = board.schedule(ms, () => {
				s.timers.delete(h);
				if (this.#s === s) fn();
			});
			s.timers.add(h);
			return h;
		}

		#open(): State {
			if (!this.#s) throw closedError();
			return this.#s;
		}
	};
}
