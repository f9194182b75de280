/*
 * Plantower PMS5003 laser particle sensor on a UART (9600 8N1).
 * Datasheet: Plantower "PMS5003 series data manual" V2.3 (2016-06-01),
 * https://www.aqmd.gov/docs/default-source/aq-spec/resources-page/plantower-pms5003-manual_v2-3.pdf
 *   "Technical Index"        effective range 0–500 µg/m³, maximum range ≥ 1000;
 *   "Output result"          passive and active output, active is the power-up
 *                            default (stable mode every 2.3 s, fast 200–800 ms);
 *   "Circuit Attentions" 4)  "Stable data should be got at least 30 seconds after
 *                            the sensor wakeup from the sleep mode because of the
 *                            fan's performance";
 *   "Appendix I"             the 32-byte frame: 0x42 0x4D, frame length 2×13+2,
 *                            13 big-endian words, check code = 16-bit sum of all
 *                            preceding bytes;
 *   "Appendix II"            host commands 0x42 0x4D CMD DATAH DATAL LRCH LRCL
 *                            (LRC = sum of the preceding bytes): 0xE1 mode,
 *                            0xE2 read in passive mode, 0xE4 sleep/wakeup.
 *
 * `new PMS5003({port: {...device.Serial.default, io: device.io.Serial}, ticks})`,
 * then `wake()`, `request()`/`sample()`, `sleep()`, `close()`.
 *
 * Mode: passive. The host paces the traffic: a frame arrives only when asked
 * for (0xE2), so nothing streams into the ESP32's 128-byte RX FIFO (four active
 * frames) while the JS loop is busy drawing or writing flash, a reading is as
 * fresh as the request, and "not responding" is a plain deadline on a request
 * instead of a guess at the sensor's own 0.2–2.3 s active interval. The fan is
 * what wears out (and draws ~100 mA); it stops only in sleep, so the life-cycle
 * is wake() → warmupMs → request()/sample() → sleep().
 *
 * This driver has no clock of its own (it must not import `timer`), so its
 * deadlines are checked when the app calls `sample()`/`request()`, and UART
 * bytes are parsed as they land (onReadable). `sample()` pipelines: it returns
 * the latest valid warm reading (never one older than `maxAgeMs`) and asks for
 * the next. For a fresh value after a long idle: `request()`, then `sample()`
 * once the returned number of ms has passed.
 *
 * Quirks handled:
 *   - no part ID: presence can only be seen from answers, so a dead sensor
 *     shows up as "not responding" (no valid frame > notRespondingMs after a
 *     request), not as a constructor failure;
 *   - mode and sleep commands are answered with an 8-byte frame of length 4
 *     (42 4D 00 04 CMD DATA sum); not in the datasheet, seen on real units;
 *   - a data frame nobody asked for means the sensor is in active mode: after
 *     a confirmed switch to passive that is a reboot (brown-out; active is the
 *     power-up default), so warm-up restarts and passive mode is re-sent; a
 *     frame while asleep means the fan is running again, so sleep is re-sent.
 *     Each request accounts for one frame, so a reboot is seen only once the
 *     active stream outpaces the app's requests (always when asleep or idle);
 *   - the parser resynchronises on 0x42 0x4D after noise, checks the length
 *     and the check code, and never throws; a frame cut short is reported once
 *     its bytes are stale; identical data frames `stuckLimit` times in a row
 *     are a frozen output (low concentrations repeat for a few frames, so the
 *     default is generous);
 *   - close() parks the fan with a sleep command and releases the UART once
 *     that has left the TX FIFO (≈ 7 ms at 9600 baud): a port closed earlier
 *     drops the bytes still queued.
 */
import type Serial from "embedded:io/serial";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type SerialOptions = ConstructorParameters<typeof Serial>[0];

export interface PMS5003PortOptions {
	/** the Serial class, e.g. device.io.Serial */
	io: typeof Serial;
	/** UART 0 ..= 2 */
	port?: number;
	/** GPIO wired to the sensor's TX (pin 5); required */
	receive?: number;
	/** GPIO wired to the sensor's RX (pin 4); required */
	transmit?: number;
	/** The part talks 9600 only (Appendix I) @default 9600 */
	baud?: number;
}

export interface PMS5003Sample {
	/** PM1.0, µg/m³, atmospheric environment (Appendix I data 4) */
	pm1: number;
	/** PM2.5, µg/m³, atmospheric environment (data 5) */
	pm25: number;
	/** PM10, µg/m³, atmospheric environment (data 6) */
	pm10: number;
	/** PM1.0, PM2.5, PM10 µg/m³ at CF=1, "standard particle" (data 1–3) */
	cf1: { pm1: number; pm25: number; pm10: number };
	/** particles larger than the size in 0.1 L of air (data 7–12) */
	particlesPer100ml: { over0_3um: number; over0_5um: number; over1_0um: number; over2_5um: number; over5_0um: number; over10um: number };
	/** board ticks when the frame arrived, ms */
	ticksMs: number;
}

export interface PMS5003Configuration {
	/** readings this long after wake are discarded ("Circuit Attentions" 4) @default 30_000 */
	warmupMs?: number;
	/** `sample()` never returns a reading older than this @default 5_000 */
	maxAgeMs?: number;
	/** awake with a request unanswered this long is "not responding" @default 3_000 */
	notRespondingMs?: number;
	/** identical data frames in a row reported as stuck; 0 disables @default 60 */
	stuckLimit?: number;
}

export interface PMS5003Options extends PMS5003Configuration {
	port: PMS5003PortOptions;
	/** board time, ms */
	ticks: () => number;
	/** each valid warm reading as it arrives */
	onSample?: (sample: PMS5003Sample) => void;
	/** alias of onSample (ECMA-419 style name) */
	onReadable?: (sample: PMS5003Sample) => void;
	/** faults; without it, `sample()`/`request()` throw the first pending one */
	onError?: (error: DriverError) => void;
	/** wake the sensor (true) or park it asleep (false) on construction @default true */
	awake?: boolean;
}

/** Host commands, Appendix II. */
const COMMAND = Object.freeze({
	/** DATAL 0x00 passive, 0x01 active */
	mode: 0xe1,
	/** read in passive mode, DATAL 0x00 */
	read: 0xe2,
	/** DATAL 0x00 sleep (standby), 0x01 wakeup (normal) */
	sleep: 0xe4,
} as const);

/** Frame layout, Appendix I. */
const FRAME = Object.freeze({
	start1: 0x42,
	start2: 0x4d,
	/** frame length field of a data frame: 2 × 13 words + 2 check bytes */
	dataLength: 28,
	/** frame length field of a command answer (observed, not in the datasheet) */
	ackLength: 4,
	/** a whole data frame */
	bytes: 32,
} as const);

/** Highest plausible mass concentration, µg/m³ ("Technical Index": maximum range ≥ 1000). */
const MAX_UG_M3 = 1000;
/** A partial frame whose last byte is older than this was cut short (a whole frame takes 33 ms at 9600). */
const TRUNCATED_AFTER_MS = 100;
/** A data frame this soon after a request still unanswered is its answer. */
const REPLY_WINDOW_MS = 1000;
/** Re-sending mode or sleep after an unexpected frame at most this often. */
const REASSERT_MS = 1000;
/** Assumed sensor turnaround for 0xE2, ms (the datasheet gives none). */
const TURNAROUND_MS = 50;
/** ESP32 UART TX FIFO and the onWritable "almost empty" level (TRM §13, Moddable serial.c). */
const TX_FIFO_BYTES = 128;
const TX_EMPTY_BYTES = 4;
/** Bytes read from the UART at a time; the parse buffer holds a partial frame plus one read. */
const READ_BYTES = 64;

export class PMS5003 {
	#io: Serial | undefined;
	#closed = false;
	#closing = false;
	#ticks: () => number;
	#baud: number;
	#onSample: ((sample: PMS5003Sample) => void) | undefined;
	#onError: ((error: DriverError) => void) | undefined;
	#pending: DriverError | undefined;
	#warmupMs = 30_000;
	#maxAgeMs = 5_000;
	#notRespondingMs = 3_000;
	#stuckLimit = 60;
	#awake = false;
	#wokeAt = 0;
	#passiveConfirmed = false;
	#requestAt = -Infinity;
	#unanswered = 0;
	#waitingSince: number | undefined;
	#noiseAtWait = 0;
	#reassertAt = -Infinity;
	#latest: PMS5003Sample | undefined;
	#previous = new Uint8Array(26);
	#same = 0;
	#rx = new Uint8Array(FRAME.bytes + READ_BYTES);
	#rxLength = 0;
	#rxAt = 0;
	#command = new Uint8Array(7);
	/** What the parser saw, for tests and the dashboard. */
	readonly stats = {
		/** valid data frames */
		frames: 0,
		/** valid command answers (length 4) */
		acks: 0,
		/** frames dropped: bad length, checksum mismatch or cut short */
		badFrames: 0,
		checksumErrors: 0,
		truncated: 0,
		/** bytes skipped while looking for 0x42 0x4D */
		noiseBytes: 0,
		/** valid frames thrown away inside the warm-up */
		warmupDiscarded: 0,
		implausible: 0,
		stuck: 0,
		/** data frames nobody asked for */
		unsolicited: 0,
		/** sensor reboots seen (see the header) */
		restarts: 0,
		requests: 0,
	};

	/** The 16-bit sum used by both the check code (Appendix I) and the LRC (Appendix II). */
	static checksum(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
		let sum = 0;
		for (let i = offset; i < offset + length; i++) sum += bytes[i];
		return sum & 0xffff;
	}

	/**
	 * Opens the UART and wakes the sensor in passive mode (or parks it, `awake: false`).
	 * @throws ConfigError on bad options; DriverError if the UART cannot be opened (nothing is left open)
	 */
	constructor(options: PMS5003Options) {
		if (typeof options.ticks !== "function") throw new ConfigError("ticks", "PMS5003 needs ticks()");
		const { io: IO, baud = 9600, receive, transmit, ...rest } = options.port ?? ({} as PMS5003PortOptions);
		if (typeof IO !== "function") throw new ConfigError("port", "PMS5003 port.io must be a Serial class");
		if (receive === undefined || transmit === undefined) throw new ConfigError("port", "PMS5003 needs both receive and transmit pins");
		if (typeof baud !== "number" || !(baud > 0)) throw new ConfigError("baud", "PMS5003 invalid baud");
		this.#ticks = options.ticks;
		this.#baud = baud;
		this.#onSample = options.onSample ?? options.onReadable;
		this.#onError = options.onError;
		this.#apply(options);
		let io: Serial;
		try {
			io = new IO({
				...rest,
				receive,
				transmit,
				baud,
				format: "buffer",
				onReadable: () => this.#onReadable(),
				onWritable: (bytes: number) => this.#onWritable(bytes),
			} as SerialOptions);
		} catch (e) {
			throw this.#error("cannot open UART", e);
		}
		this.#io = io;
		try {
			if (options.awake ?? true) this.wake();
			else this.#send(io, COMMAND.sleep, 0);
		} catch (e) {
			this.#closed = true;
			this.#io = undefined;
			io.close();
			throw e instanceof DriverError ? e : this.#error("failed", e);
		}
	}

	/** True between wake() and sleep(): the fan runs. */
	get awake(): boolean {
		return this.#awake;
	}

	/** True when awake and past the warm-up: readings from now on count. */
	get warm(): boolean {
		return this.#awake && this.#ticks() - this.#wokeAt >= this.#warmupMs;
	}

	/** ms from a request to its whole answer: both frames on the wire plus the sensor's turnaround. */
	get answerMs(): number {
		return Math.ceil(((7 + FRAME.bytes) * 10_000) / this.#baud) + TURNAROUND_MS;
	}

	/** Changes the timing and fault limits; applies at once. @throws ConfigError, DriverError when closed */
	configure(options: PMS5003Configuration): void {
		this.#open();
		this.#apply(options);
	}

	/**
	 * Starts the fan (0xE4 01) and re-asserts passive mode (0xE1 00); readings
	 * in the next `warmupMs` are discarded. No-op when already awake.
	 * @returns ms until readings count
	 * @throws DriverError when closed or the TX FIFO is full
	 */
	wake(): number {
		const io = this.#open();
		const now = this.#ticks();
		if (!this.#awake) {
			this.#send(io, COMMAND.sleep, 1);
			this.#awake = true;
			this.#wokeAt = now;
			this.#same = 0;
			this.#unanswered = 0;
			this.#waitingSince = undefined;
			this.#passiveConfirmed = false;
			this.#send(io, COMMAND.mode, 0);
		}
		return Math.max(0, this.#wokeAt + this.#warmupMs - now);
	}

	/** Stops the fan (0xE4 00). No-op when already asleep. @throws DriverError when closed or the TX FIFO is full */
	sleep(): void {
		const io = this.#open();
		if (!this.#awake) return;
		this.#awake = false;
		this.#unanswered = 0;
		this.#waitingSince = undefined;
		this.#send(io, COMMAND.sleep, 0);
	}

	/**
	 * Asks for a reading now (0xE2).
	 * @returns ms to wait before `sample()` sees the answer
	 * @throws DriverError when asleep or closed, and pending faults (unless `onError` was given)
	 */
	request(): number {
		const io = this.#open();
		if (!this.#awake) throw this.#error("asleep: call wake() first");
		const now = this.#ticks();
		this.#drain(io);
		this.#check(now);
		this.#request(io, now);
		this.#throwPending();
		return this.answerMs;
	}

	/**
	 * The latest valid reading taken after the warm-up, or undefined when there
	 * is none younger than `maxAgeMs`. When awake it also asks for the next one.
	 * @throws DriverError when closed, and pending faults (unless `onError` was given)
	 */
	sample(): PMS5003Sample | undefined {
		const io = this.#open();
		const now = this.#ticks();
		this.#drain(io);
		this.#check(now);
		if (this.#awake) {
			try {
				this.#request(io, now);
			} catch (e) {
				this.#fail(e as DriverError);
			}
		}
		this.#throwPending();
		const latest = this.#latest;
		return latest && now - latest.ticksMs <= this.#maxAgeMs ? latest : undefined;
	}

	/** Puts the sensor to sleep and releases the UART once that command is out. Safe to call twice; no callback runs afterwards. */
	close(): void {
		const io = this.#io;
		if (this.#closed || !io) return;
		this.#closed = true;
		this.#awake = false;
		this.#latest = undefined;
		try {
			this.#send(io, COMMAND.sleep, 0);
			this.#closing = true;
		} catch {
			this.#release();
		}
	}

	// ---- UART callbacks ----

	#onReadable(): void {
		const io = this.#io;
		if (io && !this.#closed) this.#drain(io);
	}

	#onWritable(bytesFree: number): void {
		if (this.#closing && bytesFree >= TX_FIFO_BYTES - TX_EMPTY_BYTES) this.#release();
	}

	#release(): void {
		const io = this.#io;
		this.#closing = false;
		this.#io = undefined;
		io?.close();
	}

	// ---- parser ----

	/** Reads everything the UART holds into the parser. */
	#drain(io: Serial): void {
		for (;;) {
			const chunk = io.read(READ_BYTES);
			if (!chunk) return;
			const bytes = new Uint8Array(chunk);
			this.#rx.set(bytes, this.#rxLength);
			this.#rxLength += bytes.length;
			this.#rxAt = this.#ticks();
			this.#parse();
		}
	}

	/**
	 * Consumes whole frames from the buffer, resynchronising on 0x42 0x4D, and
	 * keeps a partial frame. Never throws itself; the position is committed even
	 * when an onError/onSample callback throws, so no frame is handled twice.
	 */
	#parse(): void {
		const rx = this.#rx;
		const length = this.#rxLength;
		let i = 0;
		try {
			for (;;) {
				while (i < length && !(rx[i] === FRAME.start1 && (i + 1 === length || rx[i + 1] === FRAME.start2))) {
					i++;
					this.stats.noiseBytes++;
				}
				if (length - i < 4) break;
				const start = i;
				const frameLength = (rx[start + 2] << 8) | rx[start + 3];
				if (frameLength !== FRAME.dataLength && frameLength !== FRAME.ackLength) {
					i++;
					this.stats.badFrames++;
					this.#fail(this.#error(`bad frame length ${frameLength}`));
					continue;
				}
				const total = 4 + frameLength;
				if (length - start < total) break;
				const check = (rx[start + total - 2] << 8) | rx[start + total - 1];
				const sum = PMS5003.checksum(rx, start, total - 2);
				if (check !== sum) {
					i++; // the next frame may start inside this one
					this.stats.badFrames++;
					this.stats.checksumErrors++;
					this.#fail(this.#error(`checksum mismatch (frame 0x${hex(check)}, computed 0x${hex(sum)})`));
					continue;
				}
				i += total;
				this.#waitingSince = undefined;
				if (frameLength === FRAME.ackLength) this.#ack(rx[start + 4], rx[start + 5]);
				else this.#data(rx.slice(start + 4, start + 30));
			}
		} finally {
			rx.copyWithin(0, i, length);
			this.#rxLength = length - i;
		}
	}

	#ack(command: number, data: number): void {
		this.stats.acks++;
		if (command === COMMAND.mode && data === 0) this.#passiveConfirmed = true;
	}

	/** A data frame with a good check code: its 13 words (26 bytes). */
	#data(data: Uint8Array): void {
		const now = this.#rxAt;
		const io = this.#io!;
		this.stats.frames++;
		// Each request is answered by one frame, soon; anything else was sent unasked.
		const solicited = this.#unanswered > 0 && now - this.#requestAt <= REPLY_WINDOW_MS;
		this.#unanswered = solicited ? this.#unanswered - 1 : 0;
		if (!solicited) {
			this.stats.unsolicited++;
			if (!this.#awake) {
				this.#reassert(io, now, COMMAND.sleep, 0); // the fan is running: park it again
				return;
			}
			if (this.#passiveConfirmed) {
				this.stats.restarts++;
				this.#wokeAt = now;
				this.#passiveConfirmed = false;
			}
			this.#reassert(io, now, COMMAND.mode, 0);
		}
		if (!this.#awake) return;
		if (now - this.#wokeAt < this.#warmupMs) {
			this.stats.warmupDiscarded++;
			return;
		}
		let same = this.#same > 0;
		for (let k = 0; same && k < data.length; k++) same = data[k] === this.#previous[k];
		this.#same = same ? this.#same + 1 : 1;
		this.#previous.set(data);
		if (this.#stuckLimit && this.#same >= this.#stuckLimit) {
			this.stats.stuck++;
			if (this.#same === this.#stuckLimit) this.#fail(this.#error(`output stuck: ${this.#same} identical frames`));
			return;
		}
		const word = (n: number) => (data[2 * n] << 8) | data[2 * n + 1];
		const sample: PMS5003Sample = {
			pm1: word(3),
			pm25: word(4),
			pm10: word(5),
			cf1: { pm1: word(0), pm25: word(1), pm10: word(2) },
			particlesPer100ml: { over0_3um: word(6), over0_5um: word(7), over1_0um: word(8), over2_5um: word(9), over5_0um: word(10), over10um: word(11) },
			ticksMs: now,
		};
		const why = implausible(sample);
		if (why) {
			this.stats.implausible++;
			this.#fail(this.#error(`implausible reading: ${why}`));
			return;
		}
		Object.freeze(sample.cf1);
		Object.freeze(sample.particlesPer100ml);
		this.#latest = Object.freeze(sample);
		this.#onSample?.(sample);
	}

	// ---- deadlines, requests, errors ----

	/** Faults only a clock can see: a frame cut short, a request never answered. */
	#check(now: number): void {
		if (this.#rxLength && now - this.#rxAt > TRUNCATED_AFTER_MS) {
			if (this.#rxLength >= 2) {
				const expected = this.#rxLength >= 4 ? 4 + ((this.#rx[2] << 8) | this.#rx[3]) : FRAME.bytes;
				this.stats.badFrames++;
				this.stats.truncated++;
				this.#fail(this.#error(`truncated frame (${this.#rxLength} of ${expected} bytes)`));
			} else this.stats.noiseBytes++;
			this.#rxLength = 0;
		}
		const since = this.#waitingSince;
		if (this.#awake && since !== undefined && now - since > this.#notRespondingMs) {
			const noise = this.stats.noiseBytes - this.#noiseAtWait;
			this.#waitingSince = undefined;
			this.#fail(this.#error(`not responding: no valid frame for ${now - since} ms${noise ? ` (${noise} bytes of noise: wrong baud or wiring?)` : ""}`));
		}
	}

	#request(io: Serial, now: number): void {
		this.#send(io, COMMAND.read, 0);
		this.stats.requests++;
		if (now - this.#requestAt > REPLY_WINDOW_MS) this.#unanswered = 0;
		this.#unanswered++;
		this.#requestAt = now;
		if (this.#waitingSince === undefined) {
			this.#waitingSince = now;
			this.#noiseAtWait = this.stats.noiseBytes;
		}
	}

	/** Re-sends a mode or sleep command after an unexpected frame, at most every REASSERT_MS. */
	#reassert(io: Serial, now: number, command: number, data: number): void {
		if (this.#closed || now - this.#reassertAt < REASSERT_MS) return;
		this.#reassertAt = now;
		try {
			this.#send(io, command, data);
		} catch (e) {
			this.#fail(e as DriverError);
		}
	}

	/** 0x42 0x4D CMD 0x00 DATA LRCH LRCL (Appendix II). */
	#send(io: Serial, command: number, data: number): void {
		const c = this.#command;
		c[0] = FRAME.start1;
		c[1] = FRAME.start2;
		c[2] = command;
		c[3] = 0;
		c[4] = data;
		const lrc = PMS5003.checksum(c, 0, 5);
		c[5] = lrc >> 8;
		c[6] = lrc & 0xff;
		try {
			io.write(c);
		} catch (e) {
			throw this.#error(`cannot send command 0x${hex(command)}`, e);
		}
	}

	/** A fault: to onError, or kept for the next sample()/request() to throw. Nothing after close. */
	#fail(error: DriverError): void {
		if (this.#closed) return;
		if (this.#onError) this.#onError(error);
		else this.#pending ??= error;
	}

	#throwPending(): void {
		const error = this.#pending;
		if (!error) return;
		this.#pending = undefined;
		throw error;
	}

	#apply(options: PMS5003Configuration): void {
		const { warmupMs, maxAgeMs, notRespondingMs, stuckLimit } = options;
		if (warmupMs !== undefined) this.#warmupMs = checkMs("warmupMs", warmupMs, 0);
		if (maxAgeMs !== undefined) this.#maxAgeMs = checkMs("maxAgeMs", maxAgeMs, 1);
		if (notRespondingMs !== undefined) this.#notRespondingMs = checkMs("notRespondingMs", notRespondingMs, 1);
		if (stuckLimit !== undefined) {
			if (!Number.isInteger(stuckLimit) || stuckLimit < 0) throw new ConfigError("stuckLimit", "PMS5003 invalid stuckLimit");
			this.#stuckLimit = stuckLimit;
		}
	}

	#open(): Serial {
		if (this.#closed || !this.#io) throw this.#error("closed");
		return this.#io;
	}

	#error(message: string, cause?: unknown): DriverError {
		return new DriverError(`PMS5003 ${message}`, cause === undefined ? undefined : { cause });
	}
}

/** Why a reading cannot be right, or undefined. Size classes nest (PM1 ⊂ PM2.5 ⊂ PM10) and counts are cumulative. */
function implausible(s: PMS5003Sample): string | undefined {
	if (s.pm10 > MAX_UG_M3) return `PM10 ${s.pm10} µg/m³ above ${MAX_UG_M3}`;
	if (s.pm1 > s.pm25) return `PM1.0 ${s.pm1} > PM2.5 ${s.pm25} µg/m³`;
	if (s.pm25 > s.pm10) return `PM2.5 ${s.pm25} > PM10 ${s.pm10} µg/m³`;
	const c = s.particlesPer100ml;
	if (c.over0_3um < c.over0_5um || c.over0_5um < c.over1_0um || c.over1_0um < c.over2_5um || c.over2_5um < c.over5_0um || c.over5_0um < c.over10um) return "particle counts not cumulative";
	return undefined;
}

function checkMs(key: string, value: number, min: number): number {
	if (typeof value !== "number" || !Number.isFinite(value) || value < min) throw new ConfigError(key, `PMS5003 invalid ${key}`);
	return value;
}

function hex(n: number): string {
	return n.toString(16).padStart(2, "0");
}

export default PMS5003;
