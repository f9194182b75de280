/*
 * Hi-Link HLK-LD2410 (LD2410/B/C) 24 GHz FMCW human-presence radar on a UART.
 * Protocol: Hi-Link "HLK-LD2410 Serial communication protocol" V1.02
 * (2022-07-01; the LD2410B's V1.04 agrees on everything used here),
 * https://www.hlktech.net/index.php?id=1095 (product page, protocol PDF):
 *   §1.1    UART 256000 baud, 8N1 (factory default);
 *   §1.2.2  9 distance gates of 0.75 m, farthest gate 8 → 6 m of range;
 *           energies ("target energy value") 0 ..= 100;
 *   §2.1.1  command/ACK frames FD FC FB FA | length LE16 | command word LE16
 *           | value | 04 03 02 01; ACK word = command | 0x0100, then a LE16
 *           status (0 success);
 *   §2.2.1  enable configuration 0x00FF (value 0x0001) → protocol version,
 *           buffer size; §2.2.2 end configuration 0x00FE; §2.2.3 farthest
 *           gates and unmanned duration 0x0060; §2.2.8 read firmware version
 *           0x00A0 → type, minor, major, build;
 *   §2.3.1  report frames F4 F3 F2 F1 | length LE16 | type (0x02 basic, 0x01
 *           engineering) | 0xAA | target data | 0x55 | 0x00 | F8 F7 F6 F5;
 *   §2.3.2  target data: state (0 none, 1 moving, 2 stationary, 3 both),
 *           moving cm LE16, moving energy, stationary cm LE16, stationary
 *           energy, detection cm LE16 (engineering frames add per-gate
 *           energies, ignored here);
 *   §2.4    commands are taken only between "enable" and "end
 *           configuration", and the radar stops reporting in between.
 *
 * ECMA-419 style: `new LD2410({port: {...device.Serial.default, io:
 * device.io.Serial}, ticks})`, then `read()`, `identify()`, `close()`.
 *
 * Design. The radar streams a 23-byte report about every 100 ms; `onReadable`
 * feeds a streaming parser that resynchronises on the 4-byte headers after
 * garbage or a cut frame (a rejected candidate is dropped one byte at a
 * time, so a header inside it is still found) and never throws. `read()`
 * returns the latest plausible report, or undefined once it is older than
 * `staleMs`. The driver owns no timer (it must not import `timer`; it runs
 * on the caller's clock through `ticks`), so its deadlines — a command's
 * `timeoutMs` and the silence check — are evaluated whenever bytes arrive
 * and on every `read()`: poll `read()` at least every `staleMs`.
 * The constructor cannot check the part without waiting for it, so it only
 * opens the UART; `identify()` is the part check (enable configuration →
 * read firmware version → end configuration, one deadline for all three).
 *
 * Faults reported as DriverError (to `onError`, or thrown by the next
 * `read()` without one), each once per episode, until a good frame ends it:
 *   - not responding: no valid frame for more than 3 × staleMs;
 *   - `badFrameLimit` bad frames in a row (length, head/tail, footer,
 *     type, or a frame's worth of bytes that never made a frame);
 *   - implausible report: distance beyond 600 cm, energy above 100, or a
 *     target state other than 0 ..= 3 (not published);
 *   - output stuck: `stuckLimit` identical reports while a target is seen
 *     (real returns jitter; not published).
 * Quirks: the check byte after 0x55 is documented as 0x00 and checked as
 * such; there is no checksum, integrity rests on lengths and delimiters.
 * The radar has no sleep command: `close()` just releases the UART. A radar
 * left in configuration mode (an interrupted command) stops reporting; a
 * failed command therefore sends "end configuration" on its way out.
 * Privacy: reports carry presence and distances only, no identifiers.
 */
import type Serial from "embedded:io/serial";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

/** Serial as Moddable implements it (construction options as plain data). */
type SerialConstructorOptions = ConstructorParameters<typeof Serial>[0];

export interface LD2410PortOptions {
	/** the Serial class, e.g. device.io.Serial */
	io: typeof Serial;
	/** UART 0 ..= 2 */
	port?: number;
	/** RX pin (the radar's TX) */
	receive?: number;
	/** TX pin (the radar's RX); without it the driver only listens */
	transmit?: number;
	/** bits per second; the part's factory rate (§1.1) @default 256_000 */
	baud?: number;
	flowControl?: "hardware" | "none";
}

export interface LD2410Report {
	/** a target is seen (state ≠ 0) */
	presence: boolean;
	moving: boolean;
	stationary: boolean;
	/** distance of the moving target, cm */
	movingCm: number;
	/** return energy of the moving target, 0 ..= 100 */
	movingEnergy: number;
	/** distance of the stationary target, cm */
	stationaryCm: number;
	/** return energy of the stationary target, 0 ..= 100 */
	stationaryEnergy: number;
	/** "detection distance" of §2.3.2, cm */
	detectionCm: number;
}

export interface LD2410Identity {
	/** as the vendor tool shows it, e.g. "V1.07.22091615" */
	firmware: string;
	firmwareType: number;
	major: number;
	minor: number;
	build: number;
	/** from the enable-configuration ACK (§2.2.1) */
	protocolVersion: number;
	bufferSize: number;
}

export interface LD2410Configuration {
	/** a report older than this is not returned by read(), ms @default 1000 */
	staleMs?: number;
	/** bad frames in a row before an error @default 3 */
	badFrameLimit?: number;
	/** identical reports with a target before "stuck"; 0 disables @default 50 (5 s) */
	stuckLimit?: number;
}

export interface LD2410Options extends LD2410Configuration {
	port: LD2410PortOptions;
	/** ms since boot (the board clock) */
	ticks: () => number;
	/** every plausible report, as it arrives (about 10 per second) */
	onReport?: (report: LD2410Report) => void;
	/** When given, faults come here; otherwise the next read() throws them. */
	onError?: (error: DriverError) => void;
}

/** §2.2.3 parameters: farthest gates (2 ..= 8) and unmanned duration. */
export interface LD2410Range {
	movingGate: number;
	stationaryGate: number;
	/** s, 0 ..= 65535 */
	unmannedS: number;
}

/** Command words, §2.2. */
const COMMAND = Object.freeze({
	enableConfiguration: 0x00ff,
	endConfiguration: 0x00fe,
	maxGatesAndDuration: 0x0060,
	readFirmwareVersion: 0x00a0,
} as const);
const ACK_BIT = 0x0100;

/** Frame delimiters, §2.1.1 and §2.3.1. */
const REPORT_HEADER = Object.freeze([0xf4, 0xf3, 0xf2, 0xf1] as const);
const REPORT_FOOTER = Object.freeze([0xf8, 0xf7, 0xf6, 0xf5] as const);
const COMMAND_HEADER = Object.freeze([0xfd, 0xfc, 0xfb, 0xfa] as const);
const COMMAND_FOOTER = Object.freeze([0x04, 0x03, 0x02, 0x01] as const);
/** Report: type, 0xAA, 9 target bytes, 0x55, 0x00 (§2.3.1). */
const BASIC_LENGTH = 13;
const REPORT_HEAD = 0xaa;
const REPORT_TAIL = 0x55;
const REPORT_CHECK = 0x00;
const TYPE_ENGINEERING = 0x01;
const TYPE_BASIC = 0x02;
/** Longest intra-frame length accepted (engineering reports are 35, the longest ACK 28). */
const MAX_LENGTH = 64;
/** Shortest: an ACK's command word and status. */
const MIN_LENGTH = 4;

/** Farthest gate 8 × 0.75 m (§1.2.2). */
const MAX_CM = 600;
const MAX_ENERGY = 100;
/** A frame's worth of bytes that never became a frame counts as one bad frame. */
const NOISE_BYTES = 23;
const RX_BYTES = 256;

const HEADER_NONE = 0;
const HEADER_REPORT = 1;
const HEADER_COMMAND = 2;
const HEADER_PARTIAL = 3;

interface Step {
	command: number;
	value: readonly number[];
}

interface Transaction {
	steps: readonly Step[];
	index: number;
	timeoutMs: number;
	deadline: number;
	values: Uint8Array[];
	done: (error: DriverError | undefined, values: Uint8Array[]) => void;
}

export class LD2410 {
	/** Parser counters: valid report frames, rejected frames, ACKs, implausible reports. */
	readonly stats = { frames: 0, badFrames: 0, acks: 0, implausible: 0 };
	#io: Serial | undefined;
	#ticks: () => number;
	#onReport: ((report: LD2410Report) => void) | undefined;
	#onError: ((error: DriverError) => void) | undefined;
	#canTransmit: boolean;
	#staleMs = 1000;
	#badFrameLimit = 3;
	#stuckLimit = 50;
	#rx = new Uint8Array(RX_BYTES);
	#n = 0;
	#junk = 0;
	#forgive = 0;
	#badRun = 0;
	#heardAt: number;
	#latest: LD2410Report | undefined;
	#latestAt = 0;
	#lastTarget = new Uint8Array(9);
	#same = 0;
	#latched = { silent: false, bad: false, implausible: false, stuck: false };
	#pendingError: DriverError | undefined;
	#tx: Transaction | undefined;

	/**
	 * Opens the UART (format "buffer") and starts listening; does not wait for the radar.
	 * @throws ConfigError on bad options, DriverError if the UART cannot be opened
	 */
	constructor(options: LD2410Options) {
		if (typeof options?.ticks !== "function") throw new ConfigError("ticks", "LD2410 ticks() required");
		if (!options.port || typeof options.port.io !== "function") throw new ConfigError("port", "LD2410 port.io required");
		this.#ticks = options.ticks;
		this.#onReport = options.onReport;
		this.#onError = options.onError;
		this.#check(options);
		this.#apply(options);
		const { io: IO, baud = 256_000, ...rest } = options.port;
		this.#canTransmit = rest.transmit !== undefined;
		try {
			this.#io = new IO({ ...rest, baud, format: "buffer", onReadable: () => this.#readable() } as SerialConstructorOptions);
		} catch (e) {
			throw this.#error("cannot open UART", e);
		}
		this.#heardAt = this.#ticks();
	}

	/** Changes the staleness, bad-frame and stuck limits. @throws ConfigError, or DriverError when closed */
	configure(options: LD2410Configuration): void {
		if (!this.#io) throw this.#error("closed");
		this.#check(options);
		this.#apply(options);
	}

	/**
	 * The latest plausible report, or undefined when none arrived within `staleMs`.
	 * Also runs the deadlines (see the header).
	 * @throws DriverError: when closed, or a fault when no `onError` was given
	 */
	read(): LD2410Report | undefined {
		if (!this.#io) throw this.#error("closed");
		const now = this.#ticks();
		this.#deadline(now);
		this.#silence(now);
		if (!this.#io) return undefined; // a callback closed us
		const pending = this.#pendingError;
		if (pending) {
			this.#pendingError = undefined;
			throw pending;
		}
		if (!this.#latest || now - this.#latestAt > this.#staleMs) return undefined;
		return this.#latest;
	}

	/**
	 * Asks the radar for its firmware version (enable configuration, read
	 * firmware version, end configuration). `callback` gets the identity, or
	 * DriverError "LD2410 no answer after N ms" / a refusal; it never runs after close().
	 * @throws DriverError when closed, busy or without a transmit pin; ConfigError on a bad timeout
	 */
	identify(callback: (error: DriverError | undefined, identity?: LD2410Identity) => void, timeoutMs = 1000): void {
		this.#begin([{ command: COMMAND.readFirmwareVersion, value: [] }], timeoutMs, (error, values) => {
			if (error) return callback(error);
			const [enable, version] = values;
			if (enable.length < 4 || version.length < 8) return callback(this.#error("malformed ACK"));
			const minor = version[2];
			const major = version[3];
			const build = (version[4] | (version[5] << 8) | (version[6] << 16) | (version[7] << 24)) >>> 0;
			callback(undefined, {
				firmware: `V${major}.${pad(minor.toString(16), 2)}.${pad(build.toString(16), 8)}`.toUpperCase(),
				firmwareType: version[0] | (version[1] << 8),
				major,
				minor,
				build,
				protocolVersion: enable[0] | (enable[1] << 8),
				bufferSize: enable[2] | (enable[3] << 8),
			});
		});
	}

	/**
	 * Writes the farthest moving/stationary gates and the unmanned duration
	 * (§2.2.3; persistent in the part). `callback` gets undefined or a DriverError.
	 * @throws ConfigError on out-of-range values; DriverError when closed, busy or without a transmit pin
	 */
	setRange(range: LD2410Range, callback: (error: DriverError | undefined) => void, timeoutMs = 1000): void {
		const gate = (key: "movingGate" | "stationaryGate") => {
			const v = range?.[key];
			if (!Number.isInteger(v) || v < 2 || v > 8) throw new ConfigError(key, `LD2410 invalid ${key} (2 ..= 8)`);
			return v;
		};
		const value = [...param(0, gate("movingGate")), ...param(1, gate("stationaryGate"))];
		const s = range.unmannedS;
		if (!Number.isInteger(s) || s < 0 || s > 0xffff) throw new ConfigError("unmannedS", "LD2410 invalid unmannedS (0 ..= 65535)");
		value.push(...param(2, s));
		this.#begin([{ command: COMMAND.maxGatesAndDuration, value }], timeoutMs, (error) => callback(error));
	}

	/** Releases the UART (the part has no sleep mode). Safe to call twice; no callback runs afterwards. */
	close(): void {
		const io = this.#io;
		if (!io) return;
		this.#io = undefined;
		this.#tx = undefined;
		this.#latest = undefined;
		this.#pendingError = undefined;
		io.close();
	}

	// ---- options ----

	#check(o: LD2410Configuration): void {
		if (o.staleMs !== undefined && !(typeof o.staleMs === "number" && o.staleMs > 0 && o.staleMs < Infinity)) throw new ConfigError("staleMs", "LD2410 invalid staleMs");
		if (o.badFrameLimit !== undefined && !(Number.isInteger(o.badFrameLimit) && o.badFrameLimit >= 1)) throw new ConfigError("badFrameLimit", "LD2410 invalid badFrameLimit");
		if (o.stuckLimit !== undefined && !(Number.isInteger(o.stuckLimit) && o.stuckLimit >= 0)) throw new ConfigError("stuckLimit", "LD2410 invalid stuckLimit");
	}

	#apply(o: LD2410Configuration): void {
		if (o.staleMs !== undefined) this.#staleMs = o.staleMs;
		if (o.badFrameLimit !== undefined) this.#badFrameLimit = o.badFrameLimit;
		if (o.stuckLimit !== undefined) this.#stuckLimit = o.stuckLimit;
	}

	// ---- receiving ----

	#readable(): void {
		const io = this.#io;
		if (!io) return;
		this.#deadline(this.#ticks());
		while (this.#io) {
			const chunk = io.read(RX_BYTES - this.#n) as ArrayBuffer | undefined;
			if (!chunk || !chunk.byteLength) break;
			this.#rx.set(new Uint8Array(chunk), this.#n);
			this.#n += chunk.byteLength;
			this.#parse();
		}
		if (this.#io) this.#silence(this.#ticks());
	}

	/** Takes every complete frame out of the buffer; keeps an incomplete one. Never throws on bad input. */
	#parse(): void {
		const b = this.#rx;
		const n = this.#n;
		let i = 0;
		while (i < n && this.#io) {
			const kind = headerAt(b, i, n);
			if (kind === HEADER_NONE) {
				this.#skip();
				i++;
				continue;
			}
			if (kind === HEADER_PARTIAL || n - i < 6) break;
			this.#endJunk();
			const length = b[i + 4] | (b[i + 5] << 8);
			if (length < MIN_LENGTH || length > MAX_LENGTH) {
				this.#bad("bad length", 4);
				i++;
				continue;
			}
			const total = length + 10;
			if (n - i < total) break;
			const problem = kind === HEADER_REPORT ? this.#report(b, i + 6, length) : this.#ack(b, i + 6, length);
			if (problem) {
				this.#bad(problem, total);
				i++;
				continue;
			}
			i += total;
		}
		if (!this.#io) return;
		b.copyWithin(0, i, n);
		this.#n = n - i;
	}

	/** A byte outside any frame: the rest of a rejected frame (already counted), or noise. */
	#skip(): void {
		if (this.#forgive > 0) {
			this.#forgive--;
			return;
		}
		if (++this.#junk >= NOISE_BYTES) {
			this.#junk = 0;
			this.#bad("noise", 0);
		}
	}

	/** A header after noise: the noise counts as one bad frame. */
	#endJunk(): void {
		if (this.#junk > 0) {
			this.#junk = 0;
			this.#bad("noise", 0);
		}
		this.#forgive = 0;
	}

	#bad(reason: string, frameBytes: number): void {
		this.stats.badFrames++;
		this.#forgive = Math.max(0, frameBytes - 1);
		if (++this.#badRun >= this.#badFrameLimit && !this.#latched.bad) {
			this.#latched.bad = true;
			this.#fault(`${this.#badRun} bad frames in a row (${reason})`);
		}
	}

	/** Any well-formed frame proves the link: ends the bad-frame and silence episodes. */
	#good(now: number): void {
		this.#badRun = 0;
		this.#latched.bad = false;
		this.#latched.silent = false;
		this.#heardAt = now;
	}

	/** A report frame's data at `d` (§2.3.1/§2.3.2); returns why it is rejected, if it is. */
	#report(b: Uint8Array, d: number, length: number): string | undefined {
		if (!delimiterAt(b, d + length, REPORT_FOOTER)) return "footer mismatch";
		if (b[d + 1] !== REPORT_HEAD || b[d + length - 2] !== REPORT_TAIL || b[d + length - 1] !== REPORT_CHECK) return "head/tail mismatch";
		const type = b[d];
		if (!((type === TYPE_BASIC && length === BASIC_LENGTH) || (type === TYPE_ENGINEERING && length > BASIC_LENGTH))) return `unexpected type 0x${hex(type)}`;
		const now = this.#ticks();
		this.stats.frames++;
		this.#good(now);
		const t = d + 2;
		const state = b[t];
		const report: LD2410Report = Object.freeze({
			presence: state !== 0,
			moving: (state & 1) !== 0,
			stationary: (state & 2) !== 0,
			movingCm: b[t + 1] | (b[t + 2] << 8),
			movingEnergy: b[t + 3],
			stationaryCm: b[t + 4] | (b[t + 5] << 8),
			stationaryEnergy: b[t + 6],
			detectionCm: b[t + 7] | (b[t + 8] << 8),
		});
		const implausible = this.#implausible(state, report);
		if (implausible) {
			this.stats.implausible++;
			if (!this.#latched.implausible) {
				this.#latched.implausible = true;
				this.#fault(`implausible report: ${implausible}`);
			}
			return undefined;
		}
		this.#latched.implausible = false;
		if (this.#stuck(b, t, state)) return undefined;
		this.#latest = report;
		this.#latestAt = now;
		this.#onReport?.(report);
		return undefined;
	}

	#implausible(state: number, r: LD2410Report): string | undefined {
		if (state > 3) return `unknown target state ${state}`;
		if (r.moving && r.movingCm > MAX_CM) return `moving distance ${r.movingCm} cm > ${MAX_CM} cm`;
		if (r.stationary && r.stationaryCm > MAX_CM) return `stationary distance ${r.stationaryCm} cm > ${MAX_CM} cm`;
		if (r.detectionCm > MAX_CM) return `detection distance ${r.detectionCm} cm > ${MAX_CM} cm`;
		if (r.movingEnergy > MAX_ENERGY) return `moving energy ${r.movingEnergy} > ${MAX_ENERGY}`;
		if (r.stationaryEnergy > MAX_ENERGY) return `stationary energy ${r.stationaryEnergy} > ${MAX_ENERGY}`;
		return undefined;
	}

	/** True once `stuckLimit` identical target blocks with a target in them arrived in a row. */
	#stuck(b: Uint8Array, t: number, state: number): boolean {
		const last = this.#lastTarget;
		let same = state !== 0;
		for (let k = 0; k < 9; k++) {
			if (last[k] !== b[t + k]) same = false;
			last[k] = b[t + k];
		}
		this.#same = same ? this.#same + 1 : 1;
		if (!this.#stuckLimit || this.#same < this.#stuckLimit) {
			this.#latched.stuck = false;
			return false;
		}
		if (!this.#latched.stuck) {
			this.#latched.stuck = true;
			this.#fault(`output stuck: ${this.#same} identical reports`);
		}
		return true;
	}

	/** An ACK frame's data at `d` (§2.1.1); returns why it is rejected, if it is. */
	#ack(b: Uint8Array, d: number, length: number): string | undefined {
		if (!delimiterAt(b, d + length, COMMAND_FOOTER)) return "footer mismatch";
		const word = b[d] | (b[d + 1] << 8);
		if (!(word & ACK_BIT)) return `not an ACK (0x${hex(word)})`;
		this.stats.acks++;
		this.#good(this.#ticks());
		const tx = this.#tx;
		if (!tx || word !== (tx.steps[tx.index].command | ACK_BIT)) return undefined; // stale or unasked
		const status = b[d + 2] | (b[d + 3] << 8);
		if (status !== 0) {
			this.#finish(this.#error(`command 0x${pad(hex(tx.steps[tx.index].command), 4)} refused (status ${status})`));
			return undefined;
		}
		tx.values.push(b.slice(d + 4, d + length));
		if (++tx.index === tx.steps.length) this.#finish(undefined);
		else this.#send(tx.steps[tx.index]);
		return undefined;
	}

	// ---- commands ----

	/** Runs enable configuration → `steps` → end configuration under one deadline. */
	#begin(steps: Step[], timeoutMs: number, done: Transaction["done"]): void {
		if (!this.#io) throw this.#error("closed");
		if (this.#tx) throw this.#error("busy: a command is in flight");
		if (!this.#canTransmit) throw this.#error("cannot send commands: no transmit pin");
		if (!(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs < Infinity)) throw new ConfigError("timeoutMs", "LD2410 invalid timeoutMs");
		const all: Step[] = [{ command: COMMAND.enableConfiguration, value: [0x01, 0x00] }, ...steps, { command: COMMAND.endConfiguration, value: [] }];
		this.#tx = { steps: all, index: 0, timeoutMs, deadline: this.#ticks() + timeoutMs, values: [], done };
		this.#send(all[0]);
	}

	/** Ends the transaction; after a failure, asks the radar to leave configuration mode (§2.4). */
	#finish(error: DriverError | undefined): void {
		const tx = this.#tx;
		if (!tx) return;
		this.#tx = undefined;
		if (error) this.#write(COMMAND.endConfiguration, []);
		if (this.#io) tx.done(error, tx.values);
	}

	#send(step: Step): void {
		const sent = this.#write(step.command, step.value);
		if (sent) this.#finish(this.#error("cannot send command", sent));
	}

	/** Writes one command frame (§2.1.1); returns the write error, if any. */
	#write(command: number, value: readonly number[]): unknown {
		const frame = new Uint8Array(12 + value.length);
		frame.set(COMMAND_HEADER, 0);
		frame[4] = (2 + value.length) & 0xff;
		frame[5] = (2 + value.length) >> 8;
		frame[6] = command & 0xff;
		frame[7] = command >> 8;
		frame.set(value, 8);
		frame.set(COMMAND_FOOTER, 8 + value.length);
		try {
			this.#io?.write(frame.buffer);
			return undefined;
		} catch (e) {
			return e ?? "write failed";
		}
	}

	// ---- deadlines and faults ----

	#deadline(now: number): void {
		const tx = this.#tx;
		if (tx && now >= tx.deadline) this.#finish(this.#error(`no answer after ${tx.timeoutMs} ms`));
	}

	#silence(now: number): void {
		const limit = 3 * this.#staleMs;
		if (this.#latched.silent || now - this.#heardAt <= limit) return;
		this.#latched.silent = true;
		this.#fault(`not responding: no valid frame for more than ${limit} ms`);
	}

	#fault(message: string): void {
		if (!this.#io) return;
		const error = this.#error(message);
		if (this.#onError) this.#onError(error);
		else this.#pendingError ??= error;
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`LD2410 ${message}`, cause === undefined ? undefined : { cause });
	}
}

/** Which header starts at `i`: report, command/ACK, a prefix cut by the buffer end, or none. */
function headerAt(b: Uint8Array, i: number, n: number): number {
	const first = b[i];
	const header = first === REPORT_HEADER[0] ? REPORT_HEADER : first === COMMAND_HEADER[0] ? COMMAND_HEADER : undefined;
	if (!header) return HEADER_NONE;
	for (let k = 1; k < 4; k++) {
		if (i + k >= n) return HEADER_PARTIAL;
		if (b[i + k] !== header[k]) return HEADER_NONE;
	}
	return header === REPORT_HEADER ? HEADER_REPORT : HEADER_COMMAND;
}

function delimiterAt(b: Uint8Array, at: number, delimiter: readonly number[]): boolean {
	for (let k = 0; k < 4; k++) if (b[at + k] !== delimiter[k]) return false;
	return true;
}

/** One §2.2.3 parameter: word LE16, value LE32. */
function param(word: number, value: number): number[] {
	return [word & 0xff, word >> 8, value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
}

function hex(n: number): string {
	return n.toString(16);
}

function pad(s: string, width: number): string {
	while (s.length < width) s = "0" + s;
	return s;
}

export default LD2410;
