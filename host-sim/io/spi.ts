/*
 * Simulated ECMA-419 SPI controller (ECMA-419 2nd ed. §9.6), bound to a
 * SimBoard. Contract from Moddable's ESP32 backend (modules/io/spi/esp/spi.c):
 *   - clock and hz required (hz 1 ..= 40 MHz, RangeError "invalid hz"); at
 *     least one of out/in (Error "in or out required"); mode 0 ..= 3;
 *     port is the SPI host 0 ..= 2 (SPI1/HSPI/VSPI), else RangeError;
 *   - any pin already held: Error "in use";
 *   - transfers are limited to 65 535 bytes (RangeError "unsupported byteLength");
 *   - `select`, when given, is asserted (at `active`, default 0 per ECMA-419)
 *     on the first transfer and stays asserted until `flush(true)`, `close`,
 *     or another SPI object on the board takes the bus — as modSPI activates
 *     one configuration at a time;
 *   - `read(count)` clocks out zeros; `read(buffer)` and `transfer(buffer)`
 *     clock out the buffer and replace it with what came back;
 *   - after close every method throws "closed"; close twice is a no-op.
 * Bytes go to every SPIModel on the bus whose chip select is asserted (see
 * SimBoard.attachSPI); MISO is the AND of the selected devices' replies,
 * 0xFF when none drives it.
 */
import type { SimBoard } from "./board";
import type { SimPin } from "./pin";
import { type IOBuffer, bytesOf, checkFormat, closedError, toArrayBuffer } from "./common";

const MAX_BYTES = 65_535;

export interface SPIOptions {
	clock: number;
	out?: number;
	in?: number;
	select?: number;
	/** select level while selected @default 0 */
	active?: 0 | 1;
	/** SCLK, Hz */
	hz: number;
	/** CPOL << 1 | CPHA @default 0 */
	mode?: number;
	/** SPI host @default 0 */
	port?: number;
	format?: "buffer";
	target?: unknown;
}

interface State {
	port: number;
	clock: number;
	out?: number;
	in?: number;
	select?: SimPin;
	active: 0 | 1;
	hz: number;
	mode: number;
	pins: number[];
	selected: boolean;
}

/** The one SPI object whose configuration modSPI has active, per board. */
function activeHolder(board: SimBoard): { current: State | undefined } {
	return board.peripheral("spi.active", () => ({ current: undefined as State | undefined }));
}

function optionalPin(value: unknown, name: string): number | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 39) throw new RangeError(`invalid ${name}`);
	return value;
}

function deselect(s: State): void {
	if (!s.selected) return;
	s.selected = false;
	s.select?.setOutput(s.active ? 0 : 1);
}

export function createSPIClass(board: SimBoard) {
	return class SPI {
		target: unknown;
		#s: State | undefined;

		constructor(options: SPIOptions) {
			const clock = optionalPin(options.clock, "clock");
			if (clock === undefined) throw new RangeError("clock required");
			const hz = options.hz;
			if (typeof hz !== "number" || !(hz >= 1) || hz > 40_000_000) throw new RangeError("invalid hz");
			const out = optionalPin(options.out, "out");
			const input = optionalPin(options.in, "in");
			const select = optionalPin(options.select, "select");
			const active = options.active ?? 0;
			if (active !== 0 && active !== 1) throw new RangeError("invalid active");
			const mode = options.mode ?? 0;
			if (!Number.isInteger(mode) || mode & ~3) throw new RangeError("invalid mode");
			if (out === undefined && input === undefined) throw new Error("in or out required");
			const port = options.port ?? 0;
			if (port !== 0 && port !== 1 && port !== 2) throw new RangeError("invalid port");
			checkFormat(options.format, ["buffer"], "buffer");
			const pins = [clock];
			if (out !== undefined) pins.push(out);
			if (input !== undefined && input !== out) pins.push(input);
			if (select !== undefined) pins.push(select);
			board.claimPins(pins, `SPI ${port}`);

			const s: State = { port, clock, out, in: input, active, hz, mode, pins, selected: false };
			if (select !== undefined) {
				s.select = board.pin(select);
				s.select.setPull(undefined);
				s.select.setOutput(active ? 0 : 1);
			}
			this.target = options.target;
			this.#s = s;
		}

		get format(): "buffer" {
			return "buffer";
		}
		set format(value: "buffer") {
			checkFormat(value, ["buffer"], "buffer");
		}

		/** Clocks in `count` bytes (returns an ArrayBuffer) or `buffer.byteLength` bytes into `buffer`. */
		read(count: number): ArrayBuffer;
		read(buffer: IOBuffer): void;
		read(countOrBuffer: number | IOBuffer): ArrayBuffer | void {
			const s = this.#open();
			if (typeof countOrBuffer === "number") {
				if (!Number.isInteger(countOrBuffer) || countOrBuffer <= 0 || countOrBuffer > MAX_BYTES) throw new RangeError("unsupported byteLength");
				return toArrayBuffer(this.#exchange(s, new Uint8Array(countOrBuffer)));
			}
			const bytes = bytesOf(countOrBuffer);
			if (bytes.byteLength > MAX_BYTES) throw new RangeError("unsupported byteLength");
			bytes.set(this.#exchange(s, bytes.slice()));
		}

		/** Clocks out `buffer`; what comes back is discarded. */
		write(buffer: IOBuffer): void {
			const s = this.#open();
			const bytes = bytesOf(buffer);
			if (bytes.byteLength > MAX_BYTES) throw new RangeError("unsupported byteLength");
			this.#exchange(s, bytes.slice());
		}

		/** Full duplex: clocks out `buffer` and replaces its contents with what came back. */
		transfer(buffer: IOBuffer): void {
			const s = this.#open();
			const bytes = bytesOf(buffer);
			if (bytes.byteLength > MAX_BYTES) throw new RangeError("unsupported byteLength");
			bytes.set(this.#exchange(s, bytes.slice()));
		}

		/** Transfers are synchronous in the sim; `deselect` releases chip select. */
		flush(deselectNow?: boolean): void {
			const s = this.#open();
			if (!deselectNow) return;
			deselect(s);
			const holder = activeHolder(board);
			if (holder.current === s) holder.current = undefined;
		}

		close(): void {
			const s = this.#s;
			if (!s) return;
			this.#s = undefined;
			deselect(s);
			const holder = activeHolder(board);
			if (holder.current === s) holder.current = undefined;
			// modGPIOUninit: the select pin stops being driven.
			s.select?.setOutput(undefined);
			board.releasePins(s.pins);
		}

		#exchange(s: State, mosi: Uint8Array): Uint8Array {
			const holder = activeHolder(board);
			if (holder.current !== s) {
				if (holder.current) deselect(holder.current);
				holder.current = s;
			}
			if (!s.selected) {
				s.selected = true;
				s.select?.setOutput(s.active);
			}
			return board.spiExchange({ port: s.port, clock: s.clock, out: s.out, in: s.in, hz: s.hz, mode: s.mode }, mosi);
		}

		#open(): State {
			if (!this.#s) throw closedError();
			return this.#s;
		}
	};
}
