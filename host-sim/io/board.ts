/*
 * SimBoard: a simulated ESP32 board. It owns the GPIOs and the buses, the
 * peripheral models wired to them, and hands out ECMA-419 IO classes
 * (ECMA-419 2nd ed. §9) bound to itself, so firmware written against
 * `embedded:provider/builtin` drives the models through the same calls,
 * limits and errors as Moddable's ESP32 IO (ARCHITECTURE §2).
 *
 *   const board = new SimBoard(clock);                     // ticks/schedule/cancel[/delay]
 *   board.attachI2C(0, 0x44, new SHT3xModel(), { data: 21, clock: 22 });
 *   const device = board.provider({ I2C: { data: 21, clock: 22 } });
 *   new device.io.I2C({ ...device.I2C.default, address: 0x44, hz: 400_000 });
 *
 * Units: time in ms since boot (board clock), frequencies in Hz, pins are
 * ESP32 GPIO numbers 0 ..= 39. Plain TypeScript: also runs inside XS.
 */
import type { BoardTime, I2CModel, SerialLine, SerialModel, SPIBusContext, SPIModel } from "./models";
import { SimPin } from "./pin";
import { PulseSource, type PulseSourceOptions } from "./pulse-source";
import { createDigitalClass } from "./digital";
import { createI2CClass, createSMBusClass } from "./i2c";
import { createSPIClass } from "./spi";
import { createSerialClass, serialWire } from "./serial";
import { createPWMClass } from "./pwm";
import { createPulseCountClass } from "./pulse-count";
import { inUseError } from "./common";

/** The bridge clock functions the board runs on. */
export interface BoardClock extends BoardTime {
	/** Blocking wait (Timer.delay); advances a virtual clock. Used for I2C clock stretching. */
	delay?(ms: number): void;
}

export interface SimBoardOptions {
	/** GPIOs with no output driver. @default ESP32: 34–39 */
	inputOnlyPins?: readonly number[];
}

/** Which controller pins reach a bus. Without wiring, a bus is reached by controller port number. */
export interface I2CWiring {
	data: number;
	clock: number;
}
export interface SPIWiring {
	clock: number;
	out?: number;
	in?: number;
}

export interface SPIAttachOptions {
	/** the device's chip-select pin; without it the device is always selected */
	select?: number;
	/** chip-select level that selects the device @default 0 */
	active?: 0 | 1;
	wiring?: SPIWiring;
}

/** A controller's transfer as the board routes it. */
export interface SPITransfer {
	port: number;
	clock: number;
	out?: number;
	in?: number;
	hz: number;
	mode: number;
}

/** Provider defaults per IO kind (pins and ports; `io` is added by `provider`). */
export interface ProviderDefaults {
	I2C?: { data: number; clock: number; port?: number; hz?: number };
	SPI?: { clock: number; out?: number; in?: number; port?: number; hz?: number };
	Serial?: { port: number; receive?: number; transmit?: number; baud: number };
	Digital?: { pin: number; mode: number };
	PWM?: { pin: number; hz?: number; resolution?: number };
	PulseCount?: { signal: number; control?: number };
	/** named pins, e.g. { epdBusy: 27 } */
	pin?: Record<string, number>;
}

interface I2CBus {
	wiring?: I2CWiring;
	targets: Map<number, I2CModel>;
}
interface SPIDevice {
	model: SPIModel;
	select?: SimPin;
	active: 0 | 1;
}
interface SPIBus {
	wiring?: SPIWiring;
	devices: SPIDevice[];
}

export type SimIOClasses = ReturnType<SimBoard["ioClasses"]>;
export type SimDevice = ReturnType<SimBoard["provider"]>;

export class SimBoard {
	/** Named models, for the host to inspect and steer (e.g. parts.sht3x). */
	readonly parts: Record<string, unknown> = {};
	#clock: BoardClock;
	#inputOnly: ReadonlySet<number>;
	#pins = new Map<number, SimPin>();
	#owners = new Map<number, string>();
	#peripherals = new Map<string, unknown>();
	#i2c = new Map<number, I2CBus>();
	#spi = new Map<number, SPIBus>();
	#classes: ReturnType<typeof buildClasses> | undefined;

	constructor(clock: BoardClock, options: SimBoardOptions = {}) {
		this.#clock = clock;
		this.#inputOnly = new Set(options.inputOnlyPins ?? [34, 35, 36, 37, 38, 39]);
	}

	// ---- time ----

	/** ms since boot */
	ticks(): number {
		return this.#clock.ticks();
	}
	schedule(ms: number, callback: () => void): number {
		return this.#clock.schedule(ms, callback);
	}
	cancel(handle: number): void {
		this.#clock.cancel(handle);
	}
	/** Blocks for `ms` (advances a virtual clock); a no-op on clocks without delay. */
	delay(ms: number): void {
		this.#clock.delay?.(ms);
	}

	// ---- pins ----

	/** GPIO `n` (0 ..= 39), for models to drive or observe. */
	pin(n: number): SimPin {
		if (!Number.isInteger(n) || n < 0 || n > 39) throw new RangeError(`invalid pin ${n}`);
		let p = this.#pins.get(n);
		if (!p) {
			p = new SimPin(n, () => this.#clock.ticks());
			this.#pins.set(n, p);
		}
		return p;
	}

	isInputOnly(n: number): boolean {
		return this.#inputOnly.has(n);
	}

	/** Which IO object holds pin `n`, e.g. "I2C 21/22"; undefined when free. */
	pinOwner(n: number): string | undefined {
		return this.#owners.get(n);
	}

	/** IO classes: takes `pins` for `owner`, all or none; throws "in use" if any is held. */
	claimPins(pins: readonly number[], owner: string, ErrorType: new (message: string) => Error = Error): void {
		for (const n of pins) {
			const held = this.#owners.get(n);
			if (held !== undefined || pins.indexOf(n) !== pins.lastIndexOf(n)) {
				const e = inUseError(`pin ${n}${held ? ` held by ${held}` : ""}`);
				throw ErrorType === Error ? e : new ErrorType(e.message);
			}
		}
		for (const n of pins) this.#owners.set(n, owner);
	}

	releasePins(pins: readonly number[]): void {
		for (const n of pins) this.#owners.delete(n);
	}

	/** IO classes: per-board state of a hardware block (LEDC, PCNT, UART wires…), created on first use. */
	peripheral<T>(key: string, create: () => T): T {
		if (!this.#peripherals.has(key)) this.#peripherals.set(key, create());
		return this.#peripherals.get(key) as T;
	}

	// ---- I2C ----

	/**
	 * Puts an I2C target on bus `bus` at 7-bit `address`. With `wiring`, the
	 * bus is the pair of wires on those GPIOs and any controller port using
	 * those pins reaches it; without, controllers reach it by `port === bus`.
	 */
	attachI2C(bus: number, address: number, model: I2CModel, wiring?: I2CWiring): void {
		if (!Number.isInteger(address) || address < 0 || address > 127) throw new RangeError(`invalid I2C address ${address}`);
		let b = this.#i2c.get(bus);
		if (!b) {
			b = { wiring, targets: new Map() };
			this.#i2c.set(bus, b);
		} else if (wiring) b.wiring = wiring;
		if (b.targets.has(address)) throw new Error(`I2C bus ${bus}: address 0x${address.toString(16)} already taken`);
		b.targets.set(address, model);
	}

	/** Removes the target (the part is unplugged: its address NACKs from now on). */
	detachI2C(bus: number, address: number): void {
		this.#i2c.get(bus)?.targets.delete(address);
	}

	/** IO classes: the target a controller on these pins reaches at `address`, if any. */
	i2cTarget(port: number, data: number, clock: number, address: number): I2CModel | undefined {
		for (const [n, b] of this.#i2c) {
			const reaches = b.wiring ? b.wiring.data === data && b.wiring.clock === clock : n === port;
			const t = reaches ? b.targets.get(address) : undefined;
			if (t) return t;
		}
		return undefined;
	}

	// ---- SPI ----

	/** Puts an SPI device on bus `bus` (wiring or controller port, as for I2C). Returns a detach function. */
	attachSPI(bus: number, model: SPIModel, options: SPIAttachOptions = {}): () => void {
		let b = this.#spi.get(bus);
		if (!b) {
			b = { wiring: options.wiring, devices: [] };
			this.#spi.set(bus, b);
		} else if (options.wiring) b.wiring = options.wiring;
		const device: SPIDevice = { model, active: options.active ?? 0 };
		let unwatch = () => {};
		if (options.select !== undefined) {
			const select = this.pin(options.select);
			device.select = select;
			if (model.select) {
				unwatch = select.watch((e) => {
					if (e.kind === "edge") model.select!(e.level === device.active, this.#spiContext(undefined));
				});
			}
		}
		b.devices.push(device);
		const devices = b.devices;
		return () => {
			unwatch();
			const i = devices.indexOf(device);
			if (i >= 0) devices.splice(i, 1);
		};
	}

	/** IO classes: clocks `mosi` out to every selected device reached by this controller; returns MISO. */
	spiExchange(t: SPITransfer, mosi: Uint8Array): Uint8Array {
		const miso = new Uint8Array(mosi.byteLength).fill(0xff);
		const ctx = this.#spiContext(t);
		for (const [n, b] of this.#spi) {
			const w = b.wiring;
			const reaches = w ? w.clock === t.clock && (w.out === undefined || w.out === t.out) && (w.in === undefined || w.in === t.in) : n === t.port;
			if (!reaches) continue;
			for (const d of b.devices) {
				if (d.select && d.select.level !== d.active) continue;
				const reply = new Uint8Array(mosi.byteLength).fill(0xff);
				d.model.transfer(mosi.slice(), reply, ctx);
				for (let i = 0; i < miso.length; i++) miso[i] &= reply[i];
			}
		}
		return t.in === undefined ? new Uint8Array(mosi.byteLength) : miso;
	}

	#spiContext(t: SPITransfer | undefined): SPIBusContext {
		return { ticks: () => this.ticks(), hz: t?.hz ?? 0, mode: t?.mode ?? 0, pin: (n) => this.pin(n) };
	}

	// ---- Serial ----

	/** Connects a UART device to port `port` (0 ..= 2); returns the model's line. */
	attachSerial(port: number, model: SerialModel): SerialLine {
		const wire = serialWire(this, port);
		if (wire.model) throw new Error(`UART ${port}: a device is already attached`);
		wire.model = model;
		model.connect?.(wire.line);
		return wire.line;
	}

	/** Counters of UART `port`: bytes dropped while closed and RX FIFO overruns. */
	serialStats(port: number): { dropped: number; overruns: number } {
		const wire = serialWire(this, port);
		return { dropped: wire.dropped, overruns: wire.overruns };
	}

	// ---- pulses ----

	/** A pulse source (counter sensor, reed switch) driving GPIO `pin`. */
	attachPulseSource(pin: number, options?: PulseSourceOptions): PulseSource {
		return new PulseSource(this.pin(pin), this, options);
	}

	// ---- ECMA-419 surface ----

	/** The IO classes bound to this board (one set per board, created on first call). */
	ioClasses() {
		this.#classes ??= buildClasses(this);
		return this.#classes;
	}

	/**
	 * The `device` object of `embedded:provider/builtin` for this board:
	 * `io` classes, a `default` options bag per IO kind given in `defaults`
	 * (with `io` filled in), and the named pins.
	 */
	provider(defaults: ProviderDefaults = {}) {
		const io = this.ioClasses();
		return {
			io,
			I2C: defaults.I2C ? { default: { io: io.I2C, ...defaults.I2C } } : undefined,
			SMBus: defaults.I2C ? { default: { io: io.SMBus, ...defaults.I2C } } : undefined,
			SPI: defaults.SPI ? { default: { io: io.SPI, ...defaults.SPI } } : undefined,
			Serial: defaults.Serial ? { default: { io: io.Serial, ...defaults.Serial } } : undefined,
			Digital: defaults.Digital ? { default: { io: io.Digital, ...defaults.Digital } } : undefined,
			PWM: defaults.PWM ? { default: { io: io.PWM, ...defaults.PWM } } : undefined,
			PulseCount: defaults.PulseCount ? { default: { io: io.PulseCount, ...defaults.PulseCount } } : undefined,
			pin: { ...defaults.pin },
		};
	}
}

function buildClasses(board: SimBoard) {
	const I2C = createI2CClass(board);
	return Object.freeze({
		Digital: createDigitalClass(board),
		I2C,
		SMBus: createSMBusClass(I2C),
		SPI: createSPIClass(board),
		Serial: createSerialClass(board),
		PWM: createPWMClass(board),
		PulseCount: createPulseCountClass(board),
	});
}
