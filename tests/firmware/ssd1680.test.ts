// SSD1680 driver against the SSD1680 controller model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board runs on a VirtualClock, the driver's timer is the clock's).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import { SSD1680_DEVKITC_PINS, SSD1680Model, attachSSD1680, type SSD1680Timings } from "../../host-sim/models/ssd1680";
import { SSD1680, type SSD1680Options } from "../../drivers/ssd1680";
import type { EPaperPinOptions, EPaperSPIOptions, EPaperTimer } from "../../drivers/epaper-io";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const PINS = SSD1680_DEVKITC_PINS;

interface RigOptions {
	width?: 128 | 122;
	height?: 296 | 250;
	timings?: SSD1680Timings;
}

/** A DevKitC board with an SSD1680 panel on GxEPD2's ESP32 pins, and driver options for it. */
function rig(o: RigOptions = {}) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const model = attachSSD1680(board, PINS, { width: o.width, height: o.height, timings: o.timings });
	const device = board.provider({ SPI: { clock: PINS.clock, out: PINS.out, port: 2 } });
	const timer: EPaperTimer = { set: (cb, ms) => clock.schedule(ms, cb), clear: (h) => clock.cancel(h as number) };
	const pin = (n: number) => ({ io: device.io.Digital, pin: n }) as unknown as EPaperPinOptions;
	const base: SSD1680Options = {
		spi: { ...device.SPI!.default, io: device.io.SPI, select: PINS.select } as unknown as EPaperSPIOptions,
		dc: pin(PINS.dc),
		reset: pin(PINS.reset),
		busy: pin(PINS.busy),
		timer,
		width: o.width,
		height: o.height,
	};
	const open = (extra: Partial<SSD1680Options> = {}) => new SSD1680({ ...base, ...extra });
	return { clock, board, model, device, timer, base, open };
}

type Rig = ReturnType<typeof rig>;

/** Runs `start(done)` and advances the clock until done is called (at most `limitMs`); returns the error and the elapsed ms. */
function complete(r: Rig, start: (done: (e?: Error) => void) => void, limitMs = 20_000): { error: Error | undefined; ms: number } {
	let called = 0;
	let error: Error | undefined;
	const t0 = r.clock.ticks();
	let at = t0;
	start((e) => {
		called++;
		error = e;
		at = r.clock.ticks();
	});
	while (!called && r.clock.ticks() - t0 < limitMs) r.clock.advance(5);
	expect(called).toBe(1);
	return { error, ms: at - t0 };
}

function awake(r: Rig, extra: Partial<SSD1680Options> = {}): SSD1680 {
	const panel = r.open(extra);
	expect(complete(r, (done) => panel.wake(done)).error).toBeUndefined();
	return panel;
}

/** A whole-panel image: stride ceil(w/8), `fill` bytes, with a diagonal-ish pattern when `pattern`. */
function image(width: number, height: number, fill = 0xff, pattern = false): Uint8Array {
	const stride = (width + 7) >> 3;
	const out = new Uint8Array(stride * height).fill(fill);
	if (pattern) for (let i = 0; i < out.length; i++) out[i] = (i * 37 + (i >> 4)) & 0xff;
	return out;
}

/** `img` with the pixels of the panel's right-edge padding forced white, as the model reports them. */
function padded(img: Uint8Array, width: number): Uint8Array {
	const stride = (width + 7) >> 3;
	const out = img.slice();
	const spare = stride * 8 - width;
	if (spare) for (let i = stride - 1; i < out.length; i += stride) out[i] |= (1 << spare) - 1;
	return out;
}

/** Wake, write `img` to both RAMs, full refresh, deep sleep. */
function showFull(r: Rig, panel: SSD1680, img: Uint8Array): void {
	if (!panel.awake) expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
	panel.writeWindow({ x: 0, y: 0, w: panel.width, h: panel.height }, img, "both");
	expect(complete(r, (d) => panel.refresh("full", undefined, d)).error).toBeUndefined();
	panel.sleep();
}

/** Raw SPI + D/C + RES# on the panel's pins, for driving the model without the driver. */
function rawBus(r: Rig) {
	const spi = new r.device.io.SPI({ clock: PINS.clock, out: PINS.out, select: PINS.select, hz: 4_000_000 });
	const dc = new r.device.io.Digital({ pin: PINS.dc, mode: r.device.io.Digital.Output });
	const reset = new r.device.io.Digital({ pin: PINS.reset, mode: r.device.io.Digital.Output });
	reset.write(1);
	const send = (command: number, data: number[] = []) => {
		dc.write(0);
		spi.write(Uint8Array.of(command));
		if (data.length) {
			dc.write(1);
			spi.write(Uint8Array.from(data));
		}
	};
	return { spi, dc, reset, send };
}

describe("SSD1680 full refresh", () => {
	it("wake, write both, full refresh, sleep: the panel shows the image", () => {
		const r = rig();
		const panel = r.open();
		const img = image(128, 296, 0, true);
		showFull(r, panel, img);
		expect(r.model.shown).toEqual(img);
		expect(r.model.fullRefreshes).toBe(1);
		expect(r.model.partialRefreshes).toBe(0);
		expect(r.model.deepSleeps).toBe(1);
		expect(panel.awake).toBe(false);
		r.clock.advance(120_000);
		expect(r.model.violations).toEqual([]);
	});

	it("wake does a hardware reset, a SW reset and the init of §9", () => {
		const r = rig();
		awake(r);
		expect(r.model.hardwareResets).toBe(1);
		expect(r.model.softwareResets).toBe(1);
		expect(r.model.gates).toBe(296);
		expect(r.model.dataEntryMode).toBe(0x03);
		expect(r.model.commands.slice(0, 6)).toEqual([0x12, 0x01, 0x11, 0x3c, 0x21, 0x18]);
	});

	it("BUSY is awaited without blocking: a timer set in between fires first", () => {
		const r = rig({ timings: { fullMs: 3000 } });
		const panel = awake(r);
		panel.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296, 0xff), "both");
		const events: string[] = [];
		const t0 = r.clock.ticks();
		let doneAt = -1;
		panel.refresh("full", undefined, (e) => {
			events.push(e ? `error ${e.message}` : "done");
			doneAt = r.clock.ticks();
		});
		r.clock.schedule(100, () => events.push("timer"));
		expect(panel.busy).toBe(true);
		r.clock.advance(2990);
		expect(events).toEqual(["timer"]);
		r.clock.advance(100);
		expect(events).toEqual(["timer", "done"]);
		expect(doneAt - t0).toBeGreaterThanOrEqual(3000);
		expect(doneAt - t0).toBeLessThanOrEqual(3010);
		expect(panel.busy).toBe(false);
	});

	it("write while busy throws and the model sees nothing bad", () => {
		const r = rig();
		const panel = awake(r);
		panel.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296), "both");
		panel.refresh("full", undefined, () => {});
		const sent = r.model.commands.length;
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow("ssd1680: busy");
		expect(() => panel.refresh("partial", undefined, () => {})).toThrow("ssd1680: busy");
		expect(() => panel.sleep()).toThrow("ssd1680: busy");
		expect(() => panel.wake(() => {})).toThrow(DriverError);
		expect(r.model.commands.length).toBe(sent);
		r.clock.advance(4000);
		panel.sleep();
		expect(r.model.violations).toEqual([]);
	});
});

describe("SSD1680 partial refresh", () => {
	it("changes only the window, and rewritePrevious leaves 0x26 equal to 0x24", () => {
		const r = rig();
		const panel = r.open();
		expect(panel.rewritePrevious).toBe(true);
		showFull(r, panel, image(128, 296, 0xff));
		expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
		const win = { x: 16, y: 40, w: 32, h: 20 };
		const bits = image(32, 20, 0, true);
		panel.writeWindow(win, bits, "new");
		expect(complete(r, (d) => panel.refresh("partial", win, d)).ms).toBeGreaterThanOrEqual(500);
		panel.writeWindow(win, bits, "previous");
		panel.sleep();
		for (let y = 0; y < 296; y++) {
			for (let x = 0; x < 128; x++) {
				const inside = x >= 16 && x < 48 && y >= 40 && y < 60;
				const want = inside ? (bits[(y - 40) * 4 + ((x - 16) >> 3)] & (0x80 >> (x & 7))) !== 0 : true;
				if (r.model.isWhite(x, y) !== want) throw new Error(`pixel ${x},${y} is ${r.model.isWhite(x, y) ? "white" : "black"}`);
			}
		}
		expect(r.model.partialRefreshes).toBe(1);
		expect(r.model.ghost).toBe(1);
		expect(r.model.ramImage("red")).toEqual(r.model.ramImage("bw"));
		expect(r.model.violations).toEqual([]);
	});

	it("a full refresh clears the ghost count", () => {
		const r = rig();
		const panel = r.open();
		showFull(r, panel, image(128, 296, 0xff));
		for (let i = 0; i < 3; i++) {
			expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
			panel.writeWindow({ x: 0, y: i * 8, w: 8, h: 8 }, image(8, 8, 0), "new");
			expect(complete(r, (d) => panel.refresh("partial", undefined, d)).error).toBeUndefined();
			panel.writeWindow({ x: 0, y: i * 8, w: 8, h: 8 }, image(8, 8, 0), "previous");
			panel.sleep();
		}
		expect(r.model.ghost).toBe(3);
		showFull(r, panel, image(128, 296, 0xff));
		expect(r.model.ghost).toBe(0);
		expect(r.model.fullRefreshes).toBe(2);
	});

	it("deep sleep mode 1 keeps RAM: a partial refresh after wake is clean", () => {
		const r = rig();
		const panel = r.open();
		showFull(r, panel, image(128, 296, 0xff));
		expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
		expect(r.model.hardwareResets).toBe(2);
		panel.writeWindow({ x: 120, y: 288, w: 8, h: 8 }, image(8, 8, 0), "new");
		expect(complete(r, (d) => panel.refresh("partial", undefined, d)).error).toBeUndefined();
		panel.sleep();
		expect(r.model.isWhite(127, 295)).toBe(false);
		expect(r.model.isWhite(119, 295)).toBe(true);
		expect(r.model.violations).toEqual([]);
	});

	it("model: a caller that skips the 'previous' rewrite leaves stale pixels (differential waveform)", () => {
		const r = rig();
		const panel = r.open();
		showFull(r, panel, image(128, 296, 0xff));
		const win = { x: 0, y: 0, w: 8, h: 8 };
		expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
		panel.writeWindow(win, image(8, 8, 0), "new");
		expect(complete(r, (d) => panel.refresh("partial", undefined, d)).error).toBeUndefined();
		expect(r.model.isWhite(0, 0)).toBe(false);
		// no "previous" rewrite: 0x26 still says white, so white→white is not driven
		panel.writeWindow(win, image(8, 8, 0xff), "new");
		expect(complete(r, (d) => panel.refresh("partial", undefined, d)).error).toBeUndefined();
		panel.sleep();
		expect(r.model.isWhite(0, 0)).toBe(false);
	});

	it("partial refresh with RED RAM never written since power-on is flagged", () => {
		const r = rig();
		const panel = awake(r);
		panel.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296), "new");
		expect(complete(r, (d) => panel.refresh("partial", undefined, d)).error).toBeUndefined();
		panel.sleep();
		expect(r.model.violations.some((v) => v.includes("RED RAM 0x26"))).toBe(true);
	});
});

describe("SSD1680 2.13-inch geometry", () => {
	it("122 columns over byte-wide RAM: a full-width window and a full refresh", () => {
		const r = rig({ width: 122, height: 250 });
		const panel = r.open({ width: 122, height: 250 });
		expect(panel.width).toBe(122);
		expect(panel.height).toBe(250);
		const img = image(122, 250, 0, true);
		showFull(r, panel, img);
		expect(r.model.gates).toBe(250);
		expect(r.model.shown).toHaveLength(16 * 250);
		expect(r.model.shown).toEqual(padded(img, 122));
		expect(r.model.shownGray()).toHaveLength(122 * 250);
		expect(r.model.shownGray()[121]).toBe(img[15] & 0x40 ? 15 : 0);
		expect(r.model.violations).toEqual([]);
	});

	it("a 2.9-inch init on a 2.13-inch panel is flagged (wrong gate count)", () => {
		const r = rig({ width: 122, height: 250 });
		const panel = r.open({ width: 122, height: 296 });
		expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
		panel.writeWindow({ x: 0, y: 0, w: 122, h: 296 }, image(122, 296), "both");
		expect(complete(r, (d) => panel.refresh("full", undefined, d)).error).toBeUndefined();
		panel.sleep();
		expect(r.model.violations.some((v) => v.includes("296 gates"))).toBe(true);
	});

	it("a window past the 122nd column is rejected", () => {
		const r = rig({ width: 122, height: 250 });
		const panel = awake(r, { width: 122, height: 250 });
		expect(() => panel.writeWindow({ x: 120, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow(RangeError);
		panel.writeWindow({ x: 120, y: 0, w: 2, h: 1 }, Uint8Array.of(0));
		panel.sleep();
	});
});

describe("SSD1680 unhappy paths", () => {
	it("misaligned or out-of-panel windows are rejected before any byte is sent", () => {
		const r = rig();
		const panel = awake(r);
		const sent = r.model.commands.length;
		const bytes = new Uint8Array(64);
		expect(() => panel.writeWindow({ x: 4, y: 0, w: 8, h: 1 }, bytes)).toThrow("not a multiple of 8");
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 12, h: 1 }, bytes)).toThrow("not a multiple of 8");
		expect(() => panel.writeWindow({ x: 120, y: 0, w: 16, h: 1 }, bytes)).toThrow("outside 128×296");
		expect(() => panel.writeWindow({ x: 0, y: 290, w: 8, h: 8 }, bytes)).toThrow(RangeError);
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 128, h: 8 }, bytes)).toThrow("needs 128 bytes");
		expect(() => panel.writeWindow({ x: -8, y: 0, w: 8, h: 1 }, bytes)).toThrow(RangeError);
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, bytes, "red" as never)).toThrow(RangeError);
		expect(() => panel.refresh("fast" as never, undefined, () => {})).toThrow(ConfigError);
		expect(r.model.commands.length).toBe(sent);
		panel.sleep();
	});

	it("write, refresh while asleep throw; wake is needed", () => {
		const r = rig();
		const panel = r.open();
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow("ssd1680: asleep, call wake() first");
		expect(() => panel.refresh("full", undefined, () => {})).toThrow("ssd1680: asleep, call wake() first");
		showFull(r, panel, image(128, 296));
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow("asleep");
		expect(r.model.violations).toEqual([]);
	});

	it("wake while awake completes at once without a reset", () => {
		const r = rig();
		const panel = awake(r);
		let called = 0;
		panel.wake((e) => {
			expect(e).toBeUndefined();
			called++;
		});
		expect(called).toBe(1);
		expect(r.model.hardwareResets).toBe(1);
		panel.sleep();
	});

	it("BUSY stuck high: done(error) after busyTimeoutMs, and the driver needs wake()", () => {
		const r = rig({ timings: { fullMs: 60_000 } });
		const panel = awake(r, { busyTimeoutMs: 5000 });
		panel.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296), "both");
		const { error, ms } = complete(r, (d) => panel.refresh("full", undefined, d));
		expect(error).toBeInstanceOf(DriverError);
		expect(error!.message).toBe("ssd1680: busy timeout after 5000 ms");
		expect(ms).toBeGreaterThanOrEqual(5000);
		expect(ms).toBeLessThanOrEqual(5010);
		expect(panel.awake).toBe(false);
		expect(panel.busy).toBe(false);
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow("asleep");
	});

	it("BUSY stuck during wake: done(error), still asleep", () => {
		const r = rig({ timings: { swResetMs: 30_000 } });
		const panel = r.open({ busyTimeoutMs: 1000 });
		const { error } = complete(r, (d) => panel.wake(d));
		expect(error!.message).toMatch(/busy timeout after 1000 ms/);
		expect(panel.awake).toBe(false);
	});

	it("missing deep sleep after a refresh is flagged by the model", () => {
		const r = rig();
		const panel = awake(r);
		panel.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296), "both");
		expect(complete(r, (d) => panel.refresh("full", undefined, d)).error).toBeUndefined();
		r.clock.advance(59_000);
		expect(r.model.violations).toEqual([]);
		r.clock.advance(2_000);
		expect(r.model.violations).toHaveLength(1);
		expect(r.model.violations[0]).toMatch(/missing deep sleep/);
	});

	it("close parks the controller in deep sleep, is safe twice, and no callback runs after it", () => {
		const r = rig();
		const panel = awake(r);
		panel.close();
		panel.close();
		expect(r.model.deepSleeps).toBe(1);
		expect(r.board.pinOwner(PINS.dc)).toBeUndefined();
		expect(r.board.pinOwner(PINS.clock)).toBeUndefined();
		expect(() => panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0))).toThrow("ssd1680: closed");
		expect(() => panel.wake(() => {})).toThrow("ssd1680: closed");

		const r2 = rig();
		const p2 = awake(r2);
		p2.writeWindow({ x: 0, y: 0, w: 128, h: 296 }, image(128, 296), "both");
		let called = 0;
		p2.refresh("full", undefined, () => called++);
		p2.close();
		r2.clock.advance(10_000);
		expect(called).toBe(0);
	});

	it("close during wake cancels it", () => {
		const r = rig();
		const panel = r.open();
		let called = 0;
		panel.wake(() => called++);
		r.clock.advance(5);
		panel.close();
		r.clock.advance(1000);
		expect(called).toBe(0);
	});

	it("bad options: ConfigError; a pin in use: DriverError and nothing stays open", () => {
		const r = rig();
		expect(() => r.open({ width: 200 as never })).toThrow(ConfigError);
		expect(() => r.open({ height: 300 as never })).toThrow(ConfigError);
		expect(() => r.open({ timer: undefined as never })).toThrow(ConfigError);
		expect(() => r.open({ busyTimeoutMs: -1 })).toThrow(ConfigError);
		const blocker = new r.device.io.Digital({ pin: PINS.busy, mode: r.device.io.Digital.Input });
		expect(() => r.open()).toThrow(DriverError);
		expect(() => r.open()).toThrow("ssd1680: cannot open BUSY on pin 4");
		expect(r.board.pinOwner(PINS.dc)).toBeUndefined();
		expect(r.board.pinOwner(PINS.reset)).toBeUndefined();
		expect(r.board.pinOwner(PINS.clock)).toBeUndefined();
		blocker.close();
		r.open().close();
	});
});

describe("SSD1680 bus", () => {
	it("a whole 2.9-inch frame (4736 bytes) goes out in chunks of at most 4096 bytes", () => {
		const r = rig();
		const panel = r.open();
		const img = image(128, 296, 0, true);
		showFull(r, panel, img);
		expect(r.model.maxTransferBytes).toBeLessThanOrEqual(4096);
		expect(r.model.maxTransferBytes).toBeGreaterThan(600);
		expect(r.model.ramImage("bw")).toEqual(img);
		expect(r.model.ramImage("red")).toEqual(img);
	});

	it("SCLK above 20 MHz is flagged by the model", () => {
		const r = rig();
		const panel = r.open({ spi: { ...r.base.spi, hz: 26_000_000 } });
		showFull(r, panel, image(128, 296));
		expect(r.model.violations.some((v) => v.includes("above 20 MHz"))).toBe(true);
	});

	/** The board's SPI class, with writes that fail while `failing.on` is set (a broken wire, a bus error). */
	function faultySPI(r: Rig) {
		const failing = { on: false };
		const Base = r.device.io.SPI;
		class FaultySPI extends Base {
			override write(buffer: ArrayBuffer | ArrayBufferView): void {
				if (failing.on) throw new Error("write failed");
				super.write(buffer as Uint8Array);
			}
		}
		return { failing, spi: { ...r.base.spi, io: FaultySPI } as unknown as EPaperSPIOptions };
	}

	it("a bus fault in writeWindow throws DriverError with the cause, or goes to onError", () => {
		const r = rig();
		const f = faultySPI(r);
		const panel = awake(r, { spi: f.spi });
		f.failing.on = true;
		let thrown: unknown;
		try {
			panel.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0));
		} catch (e) {
			thrown = e;
		}
		expect(thrown).toBeInstanceOf(DriverError);
		expect((thrown as Error).message).toMatch(/ssd1680: SPI write failed \(command 0x44\)/);
		expect(((thrown as Error).cause as Error).message).toBe("write failed");
		panel.close();

		const r2 = rig();
		const f2 = faultySPI(r2);
		const errors: DriverError[] = [];
		const p2 = awake(r2, { spi: f2.spi, onError: (e) => errors.push(e) });
		f2.failing.on = true;
		p2.writeWindow({ x: 0, y: 0, w: 8, h: 1 }, Uint8Array.of(0));
		p2.sleep();
		expect(errors).toHaveLength(2);
		expect(errors[1].message).toMatch(/command 0x10/);
	});

	it("a bus fault when starting a refresh reaches done(error) and leaves the driver asleep", () => {
		const r = rig();
		const f = faultySPI(r);
		const panel = awake(r, { spi: f.spi });
		f.failing.on = true;
		const { error } = complete(r, (d) => panel.refresh("full", undefined, d));
		expect(error).toBeInstanceOf(DriverError);
		expect(panel.awake).toBe(false);
		f.failing.on = false;
		expect(complete(r, (d) => panel.wake(d)).error).toBeUndefined();
		expect(panel.awake).toBe(true);
	});
});

describe("SSD1680 model at the bus", () => {
	it("a RAM write while BUSY (raw SPI, a driver bug) is flagged and ignored", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x12);
		raw.send(0x24, [0x00, 0x00]);
		expect(r.model.violations.some((v) => v.includes("0x24 written while BUSY"))).toBe(true);
		expect(r.model.violations.some((v) => v.includes("written while BUSY is high"))).toBe(true);
	});

	it("commands in deep sleep are flagged until a hardware reset", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x12);
		r.clock.advance(10);
		raw.send(0x10, [0x01]);
		expect(r.model.deepSleepMode).toBe(1);
		raw.send(0x44, [0, 15]);
		expect(r.model.violations).toHaveLength(1);
		expect(r.model.violations[0]).toMatch(/command 0x44 in deep sleep/);
		raw.reset.write(0);
		raw.reset.write(1);
		r.clock.advance(10);
		expect(r.model.deepSleepMode).toBe(0);
		raw.send(0x44, [0, 15]);
		expect(r.model.violations).toHaveLength(1);
	});

	it("refresh with no init, 0x20 without 0x22, RAM write with no window are flagged", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x24, [0xff]);
		raw.send(0x20);
		const v = r.model.violations.join("\n");
		expect(v).toMatch(/no window/);
		expect(v).toMatch(/without 0x22/);
		expect(v).toMatch(/no init/);
	});

	it("RAM write outside the window and short parameter lists are flagged", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x12);
		r.clock.advance(10);
		raw.send(0x44, [0, 1]);
		raw.send(0x45, [0, 0, 1, 0]);
		raw.send(0x4e, [5]);
		raw.send(0x24, [0x00]);
		raw.send(0x45, [0, 0]);
		raw.send(0x7f);
		raw.send(0x99);
		const v = r.model.violations.join("\n");
		expect(v).toMatch(/outside the window at x byte 5/);
		expect(v).toMatch(/0x45: 2 of 4 parameter/);
		expect(v).toMatch(/unknown command 0x99/);
	});

	it("RAM counters wrap inside the window (X increment, Y increment)", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x12);
		r.clock.advance(10);
		raw.send(0x11, [0x03]);
		raw.send(0x44, [1, 2]);
		raw.send(0x45, [0, 0, 1, 0]);
		raw.send(0x4e, [1]);
		raw.send(0x4f, [0, 0]);
		raw.send(0x24, [0x11, 0x22, 0x33, 0x44, 0x55]);
		const bw = r.model.ramImage("bw");
		expect([bw[1], bw[2], bw[16 + 1], bw[16 + 2]]).toEqual([0x55, 0x22, 0x33, 0x44]);
		expect(r.model.violations).toEqual([]);
	});

	it("Y-first decrementing entry mode (AM = 1, ID = 00) fills columns bottom-up", () => {
		const r = rig();
		const raw = rawBus(r);
		raw.send(0x12);
		r.clock.advance(10);
		raw.send(0x11, [0x04]);
		raw.send(0x44, [1, 0]);
		raw.send(0x45, [1, 0, 0, 0]);
		raw.send(0x4e, [1]);
		raw.send(0x4f, [1, 0]);
		raw.send(0x24, [0xa1, 0xa2, 0xa3, 0xa4]);
		const bw = r.model.ramImage("bw");
		expect([bw[16 + 1], bw[1], bw[16], bw[0]]).toEqual([0xa1, 0xa2, 0xa3, 0xa4]);
		expect(r.model.violations).toEqual([]);
	});

	it("model instance is registered on the board", () => {
		const r = rig();
		expect(r.board.parts.ssd1680).toBe(r.model);
		expect(r.model).toBeInstanceOf(SSD1680Model);
	});
});
