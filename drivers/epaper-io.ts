/*
 * The transport layer every SPI e-paper controller shares (STYLE rule 7:
 * transport → colour model → panel): a 4-wire SPI link where a D/C pin tells
 * command bytes (low) from data bytes (high), a RESET pin, and a BUSY pin the
 * controller drives while it works. SSD1680 (drivers/ssd1680.ts) and UC8179
 * use it; they differ only in BUSY polarity (SSD1680 BUSY high = busy,
 * UC8179 BUSY_N low = busy) and in their command sets.
 *
 *   const io = openEPaperIO("ssd1680", { spi, dc, reset, busy });
 *   io.command(0x11, [0x03]);           // D/C low for 0x11, high for 0x03
 *   io.command(0x24); io.data(bytes);   // long data, sent in chunks
 *   const wait = waitWhileBusy(io, { busyLevel: 1, timer, timeoutMs: 10_000, part: "ssd1680" }, done);
 *
 * Why a timer and not `import Timer from "timer"`: drivers run unchanged on
 * the simulator's virtual clock and in the XS test harness, where they get
 * the board's clock; on the device the caller passes Moddable's `Timer`
 * itself (its static set/clear match `EPaperTimer`).
 *
 * Why BUSY is polled from a timer and not taken from an edge interrupt: a
 * controller raises BUSY some time after the command that starts the work,
 * so an edge armed right after the command can miss the rise, and a level
 * read at once can see "not busy yet". The first poll comes `pollMs` later,
 * by when BUSY is certainly up; polling every 10 ms costs nothing next to a
 * refresh of seconds, and the event loop runs between polls.
 *
 * D/C timing: Moddable's ECMA-419 SPI on ESP32 opens its configuration with
 * `sync = true` (modules/io/spi/esp/spi.c), so `write` returns after the
 * bytes are on the wire and D/C can change right after it.
 */
import type SPI from "embedded:io/spi";
import type Digital from "embedded:io/digital";
import { ConfigError, DriverError } from "../firmware/runtime/errors";

type SPIConstructorOptions = ConstructorParameters<typeof SPI>[0];
type DigitalMode = ConstructorParameters<typeof Digital>[0]["mode"];
/** SPI as Moddable implements it; @moddable/typings omit `close`. */
type SPIPort = SPI & { close(): void };

/** An SPI descriptor, e.g. `{ ...device.SPI.default, io: device.io.SPI, select: 5 }`. */
export interface EPaperSPIOptions extends Omit<SPIConstructorOptions, "hz"> {
	/** the SPI class, e.g. device.io.SPI */
	io: typeof SPI;
	/** SCLK, Hz; each driver sets its datasheet's default */
	hz?: number;
}

/** A Digital descriptor for D/C, RESET or BUSY, e.g. `{ io: device.io.Digital, pin: 17 }`. */
export interface EPaperPinOptions {
	/** the Digital class, e.g. device.io.Digital */
	io: typeof Digital;
	/** GPIO */
	pin: number;
	/** input mode (BUSY only) @default Input: the controller drives BUSY push-pull */
	mode?: DigitalMode;
}

/** One-shot timers; Moddable's `Timer` class fits as is. */
export interface EPaperTimer {
	/** calls `callback` once after `ms`; returns a handle for `clear` */
	set(callback: () => void, ms: number): unknown;
	clear(handle: any): void;
}

export interface EPaperIOOptions {
	spi: EPaperSPIOptions;
	dc: EPaperPinOptions;
	reset: EPaperPinOptions;
	busy: EPaperPinOptions;
}

/** Largest single SPI write, bytes: keeps a DMA transfer (and the transient copy, if any) small. */
export const EPAPER_CHUNK_BYTES = 4096;

/** The opened pins and bus of one controller. Methods throw DriverError on bus failure. */
export class EPaperIO {
	readonly part: string;
	#spi: SPIPort | undefined;
	#dc: Digital | undefined;
	#reset: Digital | undefined;
	#busy: Digital | undefined;
	#one = new Uint8Array(1);

	/** Use `openEPaperIO`, which releases what it opened when a later open fails. */
	constructor(part: string, spi: SPIPort, dc: Digital, reset: Digital, busy: Digital) {
		this.part = part;
		this.#spi = spi;
		this.#dc = dc;
		this.#reset = reset;
		this.#busy = busy;
	}

	get closed(): boolean {
		return this.#spi === undefined;
	}

	/** Sends one command byte (D/C low), then its parameter bytes (D/C high), if any. */
	command(command: number, parameters?: ArrayLike<number>): void {
		const spi = this.#open();
		this.#dc!.write(0);
		this.#one[0] = command;
		this.#write(spi, this.#one, command);
		if (parameters && parameters.length) this.data(parameters instanceof Uint8Array ? parameters : Uint8Array.from(parameters), command);
	}

	/** Sends data bytes (D/C high), in chunks of at most EPAPER_CHUNK_BYTES. */
	data(bytes: Uint8Array, command?: number): void {
		const spi = this.#open();
		this.#dc!.write(1);
		for (let offset = 0; offset < bytes.length; offset += EPAPER_CHUNK_BYTES) {
			this.#write(spi, bytes.subarray(offset, Math.min(bytes.length, offset + EPAPER_CHUNK_BYTES)), command);
		}
	}

	/** Releases chip select, so other devices on the bus can be reached. */
	release(): void {
		try {
			this.#spi?.flush(true);
		} catch {
			// nothing was selected
		}
	}

	/** Drives RESET (the controllers' RES# is active low). */
	setReset(level: 0 | 1): void {
		this.#open();
		this.#reset!.write(level);
	}

	/** BUSY as the pad reads it now. */
	readBusy(): 0 | 1 {
		this.#open();
		return this.#busy!.read();
	}

	/** Closes every IO; safe to call twice. Leaves RESET high (not held in reset) as its Digital closes. */
	close(): void {
		const spi = this.#spi;
		if (!spi) return;
		this.#spi = undefined;
		for (const io of [spi, this.#dc, this.#reset, this.#busy]) {
			try {
				io?.close();
			} catch {
				// closing the rest matters more
			}
		}
		this.#dc = this.#reset = this.#busy = undefined;
	}

	#write(spi: SPIPort, bytes: Uint8Array, command: number | undefined): void {
		try {
			spi.write(bytes);
		} catch (e) {
			throw new DriverError(`${this.part}: SPI write failed${command === undefined ? "" : ` (command 0x${command.toString(16)})`}`, { cause: e });
		}
	}

	#open(): SPIPort {
		if (!this.#spi) throw new DriverError(`${this.part}: closed`);
		return this.#spi;
	}
}

/**
 * Opens SPI (default mode 0, given `defaultHz`), D/C and RESET as outputs
 * (D/C low, RESET high: not in reset) and BUSY as an input. All or nothing.
 * @throws ConfigError on a malformed descriptor; DriverError naming the pin or bus that failed to open
 */
export function openEPaperIO(part: string, options: EPaperIOOptions, defaultHz: number): EPaperIO {
	for (const key of ["spi", "dc", "reset", "busy"] as const) {
		const d = options?.[key];
		if (!d || typeof d !== "object" || typeof d.io !== "function") throw new ConfigError(key, `${part}: ${key} must be an IO descriptor with io`);
	}
	const opened: { close(): void }[] = [];
	const fail = (what: string, e: unknown): never => {
		for (const io of opened.reverse()) {
			try {
				io.close();
			} catch {
				// best effort
			}
		}
		throw new DriverError(`${part}: cannot open ${what}`, { cause: e });
	};
	let spi: SPIPort | undefined;
	let dc: Digital | undefined;
	let reset: Digital | undefined;
	let busy: Digital | undefined;
	const { io: SPIClass, ...spiRest } = options.spi;
	try {
		spi = new SPIClass({ mode: 0, ...spiRest, hz: spiRest.hz ?? defaultHz } as SPIConstructorOptions) as SPIPort;
		opened.push(spi);
	} catch (e) {
		fail("SPI", e);
	}
	const output = (d: EPaperPinOptions, level: 0 | 1, name: string): Digital | undefined => {
		try {
			const io = new d.io({ pin: d.pin, mode: d.io.Output as DigitalMode });
			opened.push(io);
			io.write(level);
			return io;
		} catch (e) {
			return fail(`${name} on pin ${d.pin}`, e);
		}
	};
	dc = output(options.dc, 0, "D/C");
	reset = output(options.reset, 1, "RESET");
	try {
		busy = new options.busy.io({ pin: options.busy.pin, mode: options.busy.mode ?? (options.busy.io.Input as DigitalMode) });
		opened.push(busy);
	} catch (e) {
		fail(`BUSY on pin ${options.busy.pin}`, e);
	}
	return new EPaperIO(part, spi!, dc!, reset!, busy!);
}

export interface BusyWaitOptions {
	/** the BUSY level that means "working": SSD1680 1, UC8179 0 */
	busyLevel: 0 | 1;
	timer: EPaperTimer;
	/** give up after this long, ms */
	timeoutMs: number;
	/** poll period, ms @default 10 */
	pollMs?: number;
}

/** A running wait; `cancel` stops it without calling `done`. */
export interface BusyWait {
	cancel(): void;
}

/**
 * Waits, without blocking, until BUSY leaves `busyLevel`, then calls
 * `done()`; after `timeoutMs` calls `done(DriverError "<part>: busy timeout after N ms")`.
 * The first look is `pollMs` from now (see the header). `done` runs once, from a timer callback.
 */
export function waitWhileBusy(io: EPaperIO, options: BusyWaitOptions, done: (error?: Error) => void): BusyWait {
	const { timer, busyLevel, timeoutMs } = options;
	const pollMs = options.pollMs ?? 10;
	let waitedMs = 0;
	let handle: unknown;
	let finished = false;
	const finish = (error?: Error) => {
		finished = true;
		handle = undefined;
		done(error);
	};
	const poll = () => {
		handle = undefined;
		if (finished) return;
		waitedMs += pollMs;
		let level: 0 | 1;
		try {
			level = io.readBusy();
		} catch (e) {
			finish(e instanceof Error ? e : new DriverError(`${io.part}: BUSY read failed`, { cause: e }));
			return;
		}
		if (level !== busyLevel) finish();
		else if (waitedMs >= timeoutMs) finish(new DriverError(`${io.part}: busy timeout after ${timeoutMs} ms`));
		else handle = timer.set(poll, pollMs);
	};
	handle = timer.set(poll, pollMs);
	return {
		cancel() {
			if (finished) return;
			finished = true;
			if (handle !== undefined) timer.clear(handle);
			handle = undefined;
		},
	};
}

/** Calls `callback` after `ms` from `timer`; returns a cancel function. */
export function after(timer: EPaperTimer, ms: number, callback: () => void): () => void {
	let handle: unknown = timer.set(() => {
		handle = undefined;
		callback();
	}, ms);
	return () => {
		if (handle !== undefined) timer.clear(handle);
		handle = undefined;
	};
}
