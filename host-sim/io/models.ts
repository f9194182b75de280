/*
 * Peripheral model interfaces: what a simulated part sees of the board.
 *
 * A model answers at the bus, the way the silicon does (ARCHITECTURE §2): an
 * I2C target ACKs or NACKs and returns bytes, an SPI device sees MOSI bytes
 * while its chip select is asserted, a UART device sees a byte stream at a
 * baud rate. Models never see the firmware's objects, only bytes, pin levels
 * and the board's clock, so a driver bug shows up as wrong bytes on the bus.
 *
 * Plain TypeScript, no Node built-ins: models also run inside XS.
 */
import type { SimPin } from "./pin";

/** Time as the board sees it. All times in milliseconds since boot. */
export interface BoardTime {
	ticks(): number;
	/** Calls `callback` once after `ms`; returns a handle for `cancel`. */
	schedule(ms: number, callback: () => void): number;
	cancel(handle: number): void;
}

/** What an I2C target can do to the bus during one transaction. */
export interface I2CBusContext {
	/** ms since boot */
	ticks(): number;
	/**
	 * Clock stretching: the target holds SCL low for `ms` (I2C-bus spec UM10204 §3.1.9).
	 * Returns false when the controller's SCL timeout expires first; the board
	 * then fails the transaction as the ESP32 does ("read failed"/"write failed").
	 * When it returns true, board time has moved on by `ms`.
	 */
	stretch(ms: number): boolean;
}

/**
 * An I2C target (slave) at one 7-bit address. The board calls it once per
 * transaction (START, address, data…, STOP or repeated START).
 */
export interface I2CModel {
	/**
	 * The controller wrote `bytes` (possibly none: an address probe).
	 * Return false to NACK; the controller's `write` then throws.
	 * @param stop false when a repeated START follows instead of a STOP
	 */
	write(bytes: Uint8Array, stop: boolean, bus: I2CBusContext): boolean;
	/**
	 * The controller reads `count` bytes. Return them, or null to NACK the
	 * address (the controller's `read` throws). Fewer than `count` bytes: the
	 * target stopped driving SDA and the rest read as 0xFF (pull-ups).
	 */
	read(count: number, stop: boolean, bus: I2CBusContext): Uint8Array | null;
}

/** What an SPI device sees of the board during a transfer. */
export interface SPIBusContext {
	ticks(): number;
	/** SCLK frequency of this transfer, Hz (a model may flag overclocking). */
	readonly hz: number;
	/** SPI mode 0 ..= 3 (CPOL << 1 | CPHA). */
	readonly mode: number;
	/** A board pin, e.g. to sample D/C at transfer time or drive BUSY. */
	pin(n: number): SimPin;
}

/** An SPI device. It receives transfers only while its chip select is asserted. */
export interface SPIModel {
	/**
	 * One transfer: `mosi` is what the controller clocked out; write the
	 * device's reply into `miso`, which starts as 0xFF (MISO not driven).
	 */
	transfer(mosi: Uint8Array, miso: Uint8Array, bus: SPIBusContext): void;
	/** Chip select changed (true = selected). */
	select?(selected: boolean, bus: SPIBusContext): void;
}

/** The line between a UART device model and the board's UART. */
export interface SerialLine extends BoardTime {
	/**
	 * Sends bytes toward the device. They occupy the wire for 10 bit times
	 * each (8N1) at the port's baud and land in the RX FIFO when done.
	 * Dropped while the device's port is closed: the UART is off.
	 */
	send(bytes: Uint8Array): void;
	/** True while the firmware has the port open. */
	readonly open: boolean;
	/** The baud the firmware opened the port with, or undefined when closed. */
	readonly baud: number | undefined;
}

/** A device on a UART (PMS5003, LD2410, a modem…). */
export interface SerialModel {
	/**
	 * The baud the device itself talks at. When set and the firmware opens the
	 * port at another rate, bytes cross the wire corrupted, both ways, as
	 * framing errors would make them.
	 */
	readonly baud?: number;
	/** Called once when attached, with the line the model uses to send. */
	connect?(line: SerialLine): void;
	/** Bytes the firmware transmitted, delivered when they finish on the wire. */
	receive(bytes: Uint8Array, line: SerialLine): void;
	/** The firmware opened (true) or closed (false) the port. */
	portChanged?(open: boolean, line: SerialLine): void;
}
