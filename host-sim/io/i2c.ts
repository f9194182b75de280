/*
 * Simulated ECMA-419 I2C controller (ECMA-419 2nd ed. §9.4 "I2C") and the
 * SMBus subclass (§9.5), bound to a SimBoard. Contract copied from Moddable's
 * ESP32 backend (modules/io/i2c/esp32/_i2c.c), so misuse fails the same way:
 *   - data, clock, address required (RangeError); address 0 ..= 127;
 *     hz 1 ..= 20 MHz; port 0 or 1 (I2C_NUM_0/1);
 *   - several I2C objects may share data/clock pins (one per address; a
 *     second object on the same pins and address: RangeError "duplicate
 *     address"); pins held by other IO: "in use";
 *   - a NACK, an SCL timeout or no target at the address: `read` throws
 *     "read failed", `write` throws "write failed"; a zero-length write is an
 *     address probe and returns 1 on NACK instead of throwing;
 *   - `timeout` (ms) bounds clock stretching. The default is 32 000 APB
 *     cycles = 0.4 ms, and the ESP32's I2C_TIME_OUT_REG holds 20 bits of APB
 *     cycles, so no setting exceeds ~13.1 ms (ESP32 TRM §11 "I2C Controller");
 *   - after close every method throws "closed"; close twice is a no-op.
 * Each transaction is delivered to the I2CModel attached at that address on
 * the bus wired to these pins (see SimBoard.attachI2C).
 */
import type { SimBoard } from "./board";
import type { I2CBusContext } from "./models";
import { type IOBuffer, bytesOf, checkFormat, checkPin, closedError, toArrayBuffer } from "./common";

const APB_HZ = 80_000_000;
const DEFAULT_TIMEOUT_MS = 32_000 / (APB_HZ / 1000);
const MAX_TIMEOUT_MS = 0xf_ffff / (APB_HZ / 1000);

export interface I2COptions {
	data: number;
	clock: number;
	/** 7-bit target address */
	address: number;
	/** SCL frequency, Hz */
	hz: number;
	/** controller, 0 or 1 @default 0 */
	port?: number;
	/** SCL low timeout for clock stretching, ms @default 0.4 */
	timeout?: number;
	/** internal pull-ups on SDA/SCL @default true */
	pullup?: boolean;
	format?: "buffer";
	target?: unknown;
	/** SMBus only: send STOP (not repeated START) after the register byte @default false */
	stop?: boolean;
}

interface Controller {
	port: number;
	data: number;
	clock: number;
	address: number;
	timeoutMs: number;
}

/** Per-board bookkeeping: which addresses are open on which data/clock pair. */
function openAddresses(board: SimBoard): Map<string, Set<number>> {
	return board.peripheral("i2c.addresses", () => new Map<string, Set<number>>());
}

export function createI2CClass(board: SimBoard) {
	class I2C {
		target: unknown;
		#c: Controller | undefined;

		constructor(options: I2COptions) {
			const data = checkPin(options.data, "data");
			const clock = checkPin(options.clock, "clock");
			const address = options.address;
			if (address === undefined) throw new RangeError("address required");
			if (!Number.isInteger(address) || address < 0 || address > 127) throw new RangeError("invalid address");
			const hz = options.hz;
			if (typeof hz !== "number" || !(hz > 0) || hz > 20_000_000) throw new RangeError("invalid hz");
			const port = options.port ?? 0;
			if (port !== 0 && port !== 1) throw new RangeError("invalid port");
			let timeoutMs = DEFAULT_TIMEOUT_MS;
			if (options.timeout !== undefined) {
				if (typeof options.timeout !== "number" || !(options.timeout >= 0)) throw new RangeError("invalid timeout");
				timeoutMs = Math.min(options.timeout, MAX_TIMEOUT_MS);
			}
			checkFormat(options.format, ["buffer"], "buffer");

			const key = `${data}/${clock}`;
			const open = openAddresses(board);
			let users = open.get(key);
			if (users?.has(address)) throw new RangeError("duplicate address");
			if (!users) {
				// First I2C object on these pins: they must be free of other IO.
				board.claimPins([data, clock], `I2C ${key}`);
				users = new Set();
				open.set(key, users);
			}
			users.add(address);
			this.target = options.target;
			this.#c = { port, data, clock, address, timeoutMs };
		}

		get format(): "buffer" {
			return "buffer";
		}
		/**
		 * Bits per transfer unit. Not in ECMA-419 §9.4 nor Moddable's I2C, but
		 * @moddable/typings 5.6 declare it, so the sim provides it.
		 */
		get resolution(): number {
			return 8;
		}
		set format(value: "buffer") {
			checkFormat(value, ["buffer"], "buffer");
		}

		/**
		 * Reads `count` bytes (returns a new ArrayBuffer) or fills `buffer` (returns it).
		 * @param stop false: end with a repeated START instead of STOP
		 */
		read(count: number, stop?: boolean): ArrayBuffer;
		read(buffer: IOBuffer, stop?: boolean): IOBuffer;
		read(countOrBuffer: number | IOBuffer, stop = true): IOBuffer {
			const c = this.#open();
			const into = typeof countOrBuffer === "number" ? undefined : bytesOf(countOrBuffer);
			const count = into ? into.byteLength : countOrBuffer as number;
			if (!Number.isInteger(count) || count < 0) throw new RangeError("invalid byteLength");
			const { bus, stretchFailed } = context(board, c);
			const target = board.i2cTarget(c.port, c.data, c.clock, c.address);
			const reply = target ? target.read(count, !!stop, bus) : null;
			if (!reply || stretchFailed()) throw new Error("read failed");
			const bytes = new Uint8Array(count).fill(0xff);
			bytes.set(reply.subarray(0, count));
			if (into) {
				into.set(bytes);
				return countOrBuffer as IOBuffer;
			}
			return toArrayBuffer(bytes);
		}

		/**
		 * Writes `buffer`. A zero-length write probes the address: returns 1 on NACK.
		 * @param stop false: end with a repeated START instead of STOP
		 */
		write(buffer: IOBuffer, stop = true): void | 1 {
			const c = this.#open();
			const bytes = bytesOf(buffer).slice();
			const { bus, stretchFailed } = context(board, c);
			const target = board.i2cTarget(c.port, c.data, c.clock, c.address);
			const acked = target ? target.write(bytes, !!stop, bus) && !stretchFailed() : false;
			if (acked) return;
			if (bytes.byteLength === 0) return 1;
			throw new Error("write failed");
		}

		close(): void {
			const c = this.#c;
			if (!c) return;
			this.#c = undefined;
			const key = `${c.data}/${c.clock}`;
			const open = openAddresses(board);
			const users = open.get(key);
			users?.delete(c.address);
			if (users && users.size === 0) {
				open.delete(key);
				board.releasePins([c.data, c.clock]);
			}
		}

		#open(): Controller {
			if (!this.#c) throw closedError();
			return this.#c;
		}
	}
	return I2C;
}

function context(board: SimBoard, c: Controller): { bus: I2CBusContext; stretchFailed: () => boolean } {
	let failed = false;
	const bus: I2CBusContext = {
		ticks: () => board.ticks(),
		stretch(ms: number): boolean {
			if (failed || ms > c.timeoutMs) {
				failed = true;
				return false;
			}
			board.delay(ms);
			return true;
		},
	};
	return { bus, stretchFailed: () => failed };
}

export type SimI2C = InstanceType<ReturnType<typeof createI2CClass>>;

/**
 * SMBus on top of the sim I2C (ECMA-419 §9.5): register reads are a write of
 * the register byte, then a repeated START and the read (STOP instead when
 * the `stop` option is true). 16-bit values are little-endian unless asked.
 */
export function createSMBusClass(I2C: ReturnType<typeof createI2CClass>) {
	return class SMBus extends I2C {
		#stop: boolean;
		constructor(options: I2COptions) {
			super(options);
			this.#stop = !!options.stop;
		}
		#select(register: number): void {
			this.write(Uint8Array.of(register & 0xff), this.#stop);
		}
		readUint8(register: number): number {
			this.#select(register);
			return new Uint8Array(this.read(1) as ArrayBuffer)[0];
		}
		writeUint8(register: number, value: number): void {
			this.write(Uint8Array.of(register & 0xff, value & 0xff));
		}
		readUint16(register: number, bigEndian = false): number {
			this.#select(register);
			const b = new Uint8Array(this.read(2) as ArrayBuffer);
			return bigEndian ? (b[0] << 8) | b[1] : (b[1] << 8) | b[0];
		}
		writeUint16(register: number, value: number, bigEndian = false): void {
			const hi = (value >> 8) & 0xff;
			const lo = value & 0xff;
			this.write(Uint8Array.of(register & 0xff, bigEndian ? hi : lo, bigEndian ? lo : hi));
		}
		readBuffer(register: number, countOrBuffer: number | IOBuffer): IOBuffer {
			this.#select(register);
			return typeof countOrBuffer === "number" ? this.read(countOrBuffer) : this.read(countOrBuffer);
		}
		writeBuffer(register: number, buffer: IOBuffer): void {
			const bytes = bytesOf(buffer);
			const out = new Uint8Array(bytes.byteLength + 1);
			out[0] = register & 0xff;
			out.set(bytes, 1);
			this.write(out);
		}
		sendByte(command: number): void {
			this.write(Uint8Array.of(command & 0xff), this.#stop);
		}
		receiveByte(): number {
			return new Uint8Array(this.read(1, this.#stop) as ArrayBuffer)[0];
		}
		readQuick(): void {
			this.read(0, this.#stop);
		}
		writeQuick(): void {
			if (this.write(new ArrayBuffer(0), this.#stop) === 1) throw new Error("write failed");
		}
	};
}
