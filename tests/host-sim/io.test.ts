// The simulated ECMA-419 IO classes keep the contract of Moddable's ESP32 IO:
// pins in use, close twice, use after close, no callbacks after close, I2C
// NACK, Serial delivery and timing, PWM range, PulseCount counting.
// Portable: vitest imports and project files only.
import { describe, it, expect, beforeEach } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import type { I2CModel, SerialLine, SerialModel, SPIBusContext, SPIModel } from "../../host-sim/io/models";

/** A register-file I2C target: first byte written is the register pointer. */
class Registers implements I2CModel {
	regs = new Uint8Array(256);
	pointer = 0;
	log: { bytes: number[]; stop: boolean }[] = [];
	write(bytes: Uint8Array, stop: boolean): boolean {
		this.log.push({ bytes: Array.from(bytes), stop });
		if (bytes.length) {
			this.pointer = bytes[0];
			this.regs.set(bytes.subarray(1), this.pointer);
		}
		return true;
	}
	read(count: number): Uint8Array {
		return this.regs.slice(this.pointer, this.pointer + count);
	}
}

/** A UART device that records what it hears and can talk back. */
class Uart implements SerialModel {
	heard: { bytes: number[]; at: number }[] = [];
	line!: SerialLine;
	baud?: number;
	constructor(baud?: number) {
		this.baud = baud;
	}
	connect(line: SerialLine): void {
		this.line = line;
	}
	receive(bytes: Uint8Array, line: SerialLine): void {
		this.heard.push({ bytes: Array.from(bytes), at: line.ticks() });
	}
}

let clock: VirtualClock;
let board: SimBoard;
let io: ReturnType<SimBoard["ioClasses"]>;

beforeEach(() => {
	clock = new VirtualClock();
	board = new SimBoard(clock);
	io = board.ioClasses();
});

describe("pins", () => {
	it("a pin held by one IO object is in use for another until closed", () => {
		const a = new io.Digital({ pin: 4, mode: io.Digital.Output });
		expect(() => new io.Digital({ pin: 4, mode: io.Digital.Input })).toThrow("in use");
		expect(() => new io.PWM({ pin: 4 })).toThrow("in use");
		a.close();
		new io.Digital({ pin: 4, mode: io.Digital.Input }).close();
	});

	it("I2C objects share their pins with each other, not with other IO", () => {
		const a = new io.I2C({ data: 21, clock: 22, address: 0x10, hz: 100_000 });
		const b = new io.I2C({ data: 21, clock: 22, address: 0x11, hz: 100_000 });
		expect(() => new io.I2C({ data: 21, clock: 22, address: 0x10, hz: 100_000 })).toThrow("duplicate address");
		expect(() => new io.Digital({ pin: 21, mode: io.Digital.Input })).toThrow("in use");
		a.close();
		expect(() => new io.Digital({ pin: 22, mode: io.Digital.Input })).toThrow("in use");
		b.close();
		new io.Digital({ pin: 22, mode: io.Digital.Input }).close();
	});

	it("every class: close twice is safe, use after close throws", () => {
		board.attachSerial(2, new Uart());
		const objects = [
			[new io.Digital({ pin: 4, mode: io.Digital.Output }), (o: any) => o.write(1)],
			[new io.I2C({ data: 21, clock: 22, address: 0x40, hz: 100_000 }), (o: any) => o.write(Uint8Array.of(0))],
			[new io.SPI({ clock: 18, out: 23, hz: 1_000_000, port: 2 }), (o: any) => o.write(Uint8Array.of(0))],
			[new io.Serial({ port: 2, receive: 16, transmit: 17, baud: 9600 }), (o: any) => o.write(0x55)],
			[new io.PWM({ pin: 25 }), (o: any) => o.write(1)],
			[new io.PulseCount({ signal: 34 }), (o: any) => o.read()],
		] as const;
		for (const [object, use] of objects) {
			object.close();
			object.close();
			expect(() => use(object)).toThrow("closed");
		}
	});
});

describe("Digital", () => {
	it("outputs start low and drive the pin; read on an output is unimplemented", () => {
		const led = new io.Digital({ pin: 2, mode: io.Digital.Output });
		expect(board.pin(2).level).toBe(0);
		led.write(1);
		expect(board.pin(2).level).toBe(1);
		expect(() => led.read()).toThrow("unimplemented");
	});

	it("input-only GPIO 34–39 refuse output modes; onReadable needs an edge", () => {
		expect(() => new io.Digital({ pin: 34, mode: io.Digital.Output })).toThrow("invalid mode");
		expect(() => new io.Digital({ pin: 5, mode: io.Digital.Input, onReadable() {} } as never)).toThrow("invalid edges");
	});

	it("reads the pull-up, then what a model drives", () => {
		const button = new io.Digital({ pin: 0, mode: io.Digital.InputPullUp });
		expect(button.read()).toBe(1);
		board.pin(0).drive(0);
		expect(button.read()).toBe(0);
	});

	it("onReadable runs asynchronously, once for edges that came together", () => {
		const calls: number[] = [];
		new io.Digital({ pin: 5, mode: io.Digital.Input, edge: io.Digital.Rising, onReadable: (t: number) => calls.push(t) });
		const p = board.pin(5);
		p.drive(1);
		p.drive(0);
		p.drive(1);
		expect(calls).toHaveLength(0);
		clock.advance(0);
		expect(calls).toEqual([1 << 5]);
	});

	it("no onReadable after close, even for an edge already seen", () => {
		let calls = 0;
		const d = new io.Digital({ pin: 5, mode: io.Digital.Input, edge: io.Digital.Rising | io.Digital.Falling, onReadable: () => calls++ });
		board.pin(5).drive(1);
		d.close();
		clock.advance(10);
		board.pin(5).drive(0);
		clock.advance(10);
		expect(calls).toBe(0);
	});
});

describe("I2C", () => {
	it("no target at the address: read and write throw, a probe returns 1", () => {
		const i2c = new io.I2C({ data: 21, clock: 22, address: 0x50, hz: 400_000 });
		expect(() => i2c.read(2)).toThrow("read failed");
		expect(() => i2c.write(Uint8Array.of(1))).toThrow("write failed");
		expect(i2c.write(new Uint8Array(0))).toBe(1);
	});

	it("a target that NACKs makes write throw", () => {
		board.attachI2C(0, 0x50, { write: () => false, read: () => null }, { data: 21, clock: 22 });
		const i2c = new io.I2C({ data: 21, clock: 22, address: 0x50, hz: 400_000 });
		expect(() => i2c.write(Uint8Array.of(1))).toThrow("write failed");
	});

	it("reaches a target only on the wires it is attached to", () => {
		const regs = new Registers();
		board.attachI2C(0, 0x50, regs, { data: 21, clock: 22 });
		const wrong = new io.I2C({ data: 18, clock: 19, address: 0x50, hz: 400_000 });
		expect(() => wrong.read(1)).toThrow("read failed");
		const right = new io.I2C({ data: 21, clock: 22, address: 0x50, hz: 400_000, port: 1 });
		right.write(Uint8Array.of(0x10, 0xab, 0xcd), false);
		expect(regs.log[0]).toEqual({ bytes: [0x10, 0xab, 0xcd], stop: false });
		right.write(Uint8Array.of(0x10));
		const into = new Uint8Array(2);
		expect(right.read(into)).toBe(into);
		expect(Array.from(into)).toEqual([0xab, 0xcd]);
	});

	it("SMBus reads 16-bit registers little-endian by default", () => {
		const regs = new Registers();
		regs.regs.set([0x34, 0x12], 0x04);
		board.attachI2C(0, 0x10, regs, { data: 21, clock: 22 });
		const bus = new io.SMBus({ data: 21, clock: 22, address: 0x10, hz: 100_000 });
		expect(bus.readUint16(0x04)).toBe(0x1234);
		expect(bus.readUint16(0x04, true)).toBe(0x3412);
		bus.writeUint16(0x06, 0xbeef);
		expect(bus.readUint8(0x06)).toBe(0xef);
		expect(regs.log[0].stop).toBe(false);
	});

	it("validates options like the ESP32 backend", () => {
		expect(() => new io.I2C({ data: 21, clock: 22, address: 128, hz: 100_000 })).toThrow("invalid address");
		expect(() => new io.I2C({ data: 21, clock: 22, address: 0x10, hz: 0 })).toThrow("invalid hz");
		expect(() => new io.I2C({ data: 21, clock: 22, address: 0x10, hz: 100_000, port: 2 })).toThrow("invalid port");
	});
});

describe("SPI", () => {
	it("a device hears transfers only while selected; it can sample D/C", () => {
		const heard: { bytes: number[]; dc: number }[] = [];
		const panel: SPIModel = {
			transfer(mosi: Uint8Array, miso: Uint8Array, bus: SPIBusContext) {
				heard.push({ bytes: Array.from(mosi), dc: bus.pin(17).level });
				miso.fill(0x5a);
			},
		};
		board.attachSPI(2, panel, { select: 5 });
		const dc = new io.Digital({ pin: 17, mode: io.Digital.Output });
		const spi = new io.SPI({ clock: 18, out: 23, in: 19, select: 5, hz: 4_000_000, port: 2 });
		expect(board.pin(5).level).toBe(1);
		spi.write(Uint8Array.of(0x12));
		expect(board.pin(5).level).toBe(0);
		dc.write(1);
		const reply = Uint8Array.of(1, 2);
		spi.transfer(reply);
		expect(Array.from(reply)).toEqual([0x5a, 0x5a]);
		spi.flush(true);
		expect(board.pin(5).level).toBe(1);
		expect(heard).toEqual([
			{ bytes: [0x12], dc: 0 },
			{ bytes: [1, 2], dc: 1 },
		]);
		board.pin(5).drive(undefined);
	});
});

describe("Serial", () => {
	it("delivers device bytes asynchronously via onReadable, after their wire time", () => {
		const uart = new Uart();
		board.attachSerial(2, uart);
		const counts: number[] = [];
		const serial = new io.Serial({ port: 2, receive: 16, transmit: 17, baud: 9600, format: "buffer", onReadable: (n: number) => counts.push(n) });
		uart.line.send(Uint8Array.of(0x42, 0x4d, 0x00, 0x1c));
		expect(serial.read()).toBeUndefined();
		clock.advance(4); // 4 bytes × 10 bits at 9600 baud = 4.17 ms
		expect(counts).toHaveLength(0);
		clock.advance(1);
		expect(counts).toEqual([4]);
		expect(Array.from(new Uint8Array(serial.read() as ArrayBuffer))).toEqual([0x42, 0x4d, 0x00, 0x1c]);
		expect(serial.read()).toBeUndefined();
	});

	it("transmits to the device and calls onWritable with the free FIFO space", () => {
		const uart = new Uart();
		board.attachSerial(1, uart);
		const free: number[] = [];
		const serial = new io.Serial({ port: 1, transmit: 10, baud: 115_200, onWritable: (n: number) => free.push(n) });
		clock.advance(0);
		expect(free).toEqual([128]);
		serial.write(0x55);
		serial.write(0xaa);
		expect(uart.heard).toHaveLength(0);
		clock.advance(1);
		expect(uart.heard.map((h) => h.bytes)).toEqual([[0x55], [0xaa]]);
		// Fires as the FIFO drains to ≤ 4 bytes (threshold 4), reporting free space.
		expect(free[free.length - 1]).toBe(128);
		for (const n of free) expect(n).toBeGreaterThanOrEqual(124);
	});

	it("a write beyond the 128-byte TX FIFO throws output full", () => {
		board.attachSerial(1, new Uart());
		const serial = new io.Serial({ port: 1, transmit: 10, baud: 9600, format: "buffer" });
		serial.write(new Uint8Array(100));
		expect(() => serial.write(new Uint8Array(29))).toThrow("output full");
	});

	it("a port opens once; bytes sent while closed are lost; none delivered after close", () => {
		const uart = new Uart();
		board.attachSerial(2, uart);
		uart.line.send(Uint8Array.of(1, 2, 3));
		expect(board.serialStats(2).dropped).toBe(3);
		let calls = 0;
		const serial = new io.Serial({ port: 2, receive: 16, baud: 9600, onReadable: () => calls++ });
		expect(() => new io.Serial({ port: 2, receive: 4, baud: 9600 })).toThrow("port in use");
		uart.line.send(Uint8Array.of(4));
		serial.close();
		clock.advance(100);
		expect(calls).toBe(0);
	});

	it("a baud mismatch corrupts the bytes", () => {
		const uart = new Uart(9600);
		board.attachSerial(2, uart);
		const serial = new io.Serial({ port: 2, receive: 16, baud: 115_200 });
		uart.line.send(Uint8Array.of(0x42));
		clock.advance(5);
		expect(serial.read()).not.toBe(0x42);
	});
});

describe("PWM", () => {
	it("accepts 0 ..= 2^resolution − 1 and nothing else", () => {
		const pwm = new io.PWM({ pin: 25, hz: 1000, resolution: 10 });
		expect(pwm.resolution).toBe(10);
		pwm.write(0);
		pwm.write(1023);
		expect(board.pin(25).pwm!.duty).toBe(1);
		pwm.write(256);
		expect(board.pin(25).pwm!.duty).toBe(0.25);
		expect(() => pwm.write(1024)).toThrow("invalid value");
		expect(() => pwm.write(-1)).toThrow("invalid value");
		expect(() => pwm.write(1.5)).toThrow("invalid value");
	});

	it("hz × 2^resolution is bounded by the 80 MHz LEDC clock", () => {
		expect(() => new io.PWM({ pin: 25, hz: 100_000, resolution: 10 })).toThrow("configure ledc timer failed");
		new io.PWM({ pin: 25, hz: 40_000, resolution: 10 }).close();
	});

	it("only four LEDC channels are left to PWM", () => {
		for (const pin of [12, 13, 14, 15]) new io.PWM({ pin });
		expect(() => new io.PWM({ pin: 16 })).toThrow("no ledc channel");
	});
});

describe("PulseCount", () => {
	it("counts each pulse from a clean source", () => {
		const counter = new io.PulseCount({ signal: 34 });
		const source = board.attachPulseSource(34);
		source.emit(5, 20);
		clock.advance(200);
		expect(counter.read()).toBe(5);
		counter.write(100);
		source.emit(1);
		clock.advance(20);
		expect(counter.read()).toBe(101);
	});

	it("counts contact bounce too (the firmware must debounce)", () => {
		const counter = new io.PulseCount({ signal: 34 });
		board.attachPulseSource(34, { bounces: 2, bounceMs: 0.5, widthMs: 10 }).emit(3, 50);
		clock.advance(500);
		expect(counter.read()).toBe(9);
	});

	it("a low control pin counts down", () => {
		const counter = new io.PulseCount({ signal: 34, control: 35 });
		board.pin(35).drive(0);
		board.attachPulseSource(34).emit(4, 20);
		clock.advance(200);
		expect(counter.read()).toBe(-4);
	});

	it("onReadable runs after counts, never after close; units run out at eight", () => {
		let calls = 0;
		const counter = new io.PulseCount({ signal: 34, onReadable: () => calls++ });
		board.attachPulseSource(34).emit(3, 20);
		clock.advance(100);
		expect(calls).toBeGreaterThan(0);
		const seen = calls;
		board.attachPulseSource(34).emit(3, 20);
		counter.close();
		clock.advance(100);
		expect(calls).toBe(seen);
		const units = [0, 1, 2, 3, 4, 5, 12, 13].map((signal) => new io.PulseCount({ signal }));
		expect(() => new io.PulseCount({ signal: 14 })).toThrow("all pulsecount units are in use");
		for (const u of units) u.close();
	});

	it("without onReadable the 16-bit hardware counter returns to 0 at its limit", () => {
		const counter = new io.PulseCount({ signal: 34 });
		const pin = board.pin(34);
		for (let i = 0; i < 32_767; i++) {
			pin.drive(1);
			pin.drive(0);
		}
		expect(counter.read()).toBe(0);
	});
});
