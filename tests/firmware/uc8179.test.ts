// UC8179 driver against the UC8179 controller model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs.
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import { attachUC8179, UC8179_ESP32_PINS, UC8179Model, type UC8179Timings } from "../../host-sim/models/uc8179";
import { UC8179, type UC8179Options, type UC8179Timer } from "../../drivers/uc8179";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";
import type { Rect } from "../../firmware/gfx/types";

const P = UC8179_ESP32_PINS;

interface RigOptions {
	width?: number;
	height?: number;
	timings?: Partial<UC8179Timings>;
	driver?: Partial<UC8179Options>;
}

function rig(o: RigOptions = {}) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const model = attachUC8179(board, P, { width: o.width, height: o.height, timings: o.timings });
	const io = board.ioClasses();
	let timersSet = 0;
	const timer: UC8179Timer = {
		set: (cb, ms) => {
			timersSet++;
			return board.schedule(ms, cb);
		},
		clear: (h) => board.cancel(h as number),
	};
	const options = {
		spi: { io: io.SPI, clock: P.clock, out: P.out, select: P.select, port: 1 },
		dc: { io: io.Digital, pin: P.dc },
		reset: { io: io.Digital, pin: P.reset },
		busy: { io: io.Digital, pin: P.busy },
		width: o.width,
		height: o.height,
		timer,
		...o.driver,
	} as unknown as UC8179Options;
	const panel = new UC8179(options);
	return { clock, board, model, panel, options, timersSet: () => timersSet };
}

type Rig = ReturnType<typeof rig>;

/** Runs `start(done)` and advances the clock until done fires (or `limitMs`). */
function run(r: Rig, start: (done: (e?: Error) => void) => void, limitMs = 30_000): { error: Error | undefined; ms: number } {
	let finished = false;
	let error: Error | undefined;
	const t0 = r.clock.ticks();
	start((e) => {
		finished = true;
		error = e;
	});
	while (!finished && r.clock.ticks() - t0 < limitMs) r.clock.advance(5);
	if (!finished) throw new Error("done never called");
	return { error, ms: r.clock.ticks() - t0 };
}

/** Lets any queued async work (sleep sequence) finish. */
function settle(r: Rig, ms = 1000): void {
	r.clock.advance(ms);
}

function frame(w: number, h: number, fill: number): Uint8Array {
	return new Uint8Array((w >> 3) * h).fill(fill);
}

/** 1 bpp pixel of `img` (stride w/8). */
function px(img: Uint8Array, w: number, x: number, y: number): number {
	return (img[y * (w >> 3) + (x >> 3)] >> (7 - (x & 7))) & 1;
}

function full(r: Rig): Rect {
	return { x: 0, y: 0, w: r.panel.width, h: r.panel.height };
}

describe("UC8179 full refresh", () => {
	it("wake → full write → refresh → sleep shows the image, counts, no violations", () => {
		const r = rig();
		expect(r.panel.awake).toBe(false);
		expect(run(r, (d) => r.panel.wake(d)).error).toBeUndefined();
		expect(r.panel.awake).toBe(true);
		expect(r.model.powered).toBe(true);
		// Left half black, right half white (1 = white).
		const img = new Uint8Array(100 * 480);
		for (let y = 0; y < 480; y++) img.fill(0xff, y * 100 + 50, y * 100 + 100);
		r.panel.writeWindow(full(r), img, "both");
		const res = run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(res.error).toBeUndefined();
		expect(res.ms).toBeGreaterThanOrEqual(4000);
		r.panel.sleep();
		settle(r);
		expect(r.model.deepSleeping).toBe(true);
		expect(r.panel.awake).toBe(false);
		expect(px(r.model.shown, 800, 10, 10)).toBe(0);
		expect(px(r.model.shown, 800, 799, 479)).toBe(1);
		expect(r.model.shownGray()[10]).toBe(0);
		expect(r.model.shownGray()[799]).toBe(15);
		expect(r.model.fullRefreshes).toBe(1);
		expect(r.model.partialRefreshes).toBe(0);
		expect(r.model.deepSleeps).toBe(1);
		expect(r.model.violations).toEqual([]);
	});

	it("the init sequence follows the datasheet order and DSLP carries 0xA5", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		expect(r.model.commands).toEqual([0x01, 0x06, 0x04, 0x00, 0x61, 0x15, 0x50, 0x60]);
		r.panel.sleep();
		settle(r);
		expect(r.model.commands.slice(-2)).toEqual([0x02, 0x07]);
		expect(r.model.violations).toEqual([]);
	});

	it("BUSY is awaited asynchronously: other timers fire before done", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0x00), "both");
		let done = false;
		let otherFiredBeforeDone = false;
		r.panel.refresh("full", undefined, () => {
			done = true;
		});
		expect(done).toBe(false);
		expect(r.panel.busy).toBe(true);
		r.board.schedule(1000, () => {
			otherFiredBeforeDone = !done;
		});
		r.clock.advance(5000);
		expect(otherFiredBeforeDone).toBe(true);
		expect(done).toBe(true);
		expect(r.panel.busy).toBe(false);
		expect(r.timersSet()).toBeGreaterThan(100); // polled every 10 ms
	});

	it("wake while awake completes at once", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		let called = false;
		r.panel.wake(() => (called = true));
		expect(called).toBe(true);
	});

	it("wake after sleep resets the chip out of deep sleep", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.sleep();
		settle(r);
		expect(r.model.deepSleeping).toBe(true);
		expect(run(r, (d) => r.panel.wake(d)).error).toBeUndefined();
		expect(r.model.deepSleeping).toBe(false);
		expect(r.model.violations).toEqual([]);
	});
});

describe("UC8179 partial refresh", () => {
	it("changes only the window, and OLD == NEW afterwards (N2OCP)", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		run(r, (d) => r.panel.refresh("full", undefined, d));
		// New RAM everywhere black, but only the window is refreshed.
		r.panel.writeWindow(full(r), frame(800, 480, 0x00), "new");
		const win = { x: 64, y: 100, w: 128, h: 40 };
		const res = run(r, (d) => r.panel.refresh("partial", win, d));
		expect(res.error).toBeUndefined();
		expect(res.ms).toBeLessThan(4000);
		expect(px(r.model.shown, 800, 64, 100)).toBe(0);
		expect(px(r.model.shown, 800, 191, 139)).toBe(0);
		expect(px(r.model.shown, 800, 63, 100)).toBe(1);
		expect(px(r.model.shown, 800, 192, 100)).toBe(1);
		expect(px(r.model.shown, 800, 64, 140)).toBe(1);
		// N2OCP copied NEW into OLD inside the window only.
		expect(px(r.model.oldRam, 800, 64, 100)).toBe(0);
		expect(px(r.model.oldRam, 800, 0, 0)).toBe(1);
		expect(r.model.partialRefreshes).toBe(1);
		expect(r.model.ghost).toBe(1);
		expect(r.model.oldMismatches).toBe(0);
		expect(r.model.violations).toEqual([]);
	});

	it("a window write lands only in the window, and a later partial needs no rewrite of previous", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		run(r, (d) => r.panel.refresh("full", undefined, d));
		const win = { x: 8, y: 8, w: 16, h: 2 };
		r.panel.writeWindow(win, Uint8Array.of(0x0f, 0xf0, 0x00, 0xff), "new");
		run(r, (d) => r.panel.refresh("partial", win, d));
		expect(px(r.model.shown, 800, 8, 8)).toBe(0);
		expect(px(r.model.shown, 800, 12, 8)).toBe(1);
		expect(px(r.model.shown, 800, 16, 8)).toBe(1);
		expect(px(r.model.shown, 800, 20, 8)).toBe(0);
		expect(px(r.model.shown, 800, 8, 9)).toBe(0);
		expect(px(r.model.shown, 800, 16, 9)).toBe(1);
		// Second partial on the same spot: OLD already equals what the glass shows.
		r.panel.writeWindow(win, frame(16, 2, 0xff), "new");
		run(r, (d) => r.panel.refresh("partial", win, d));
		expect(px(r.model.shown, 800, 8, 8)).toBe(1);
		expect(r.model.oldMismatches).toBe(0);
		expect(r.model.ghost).toBe(2);
		// A full refresh clears the ghost count.
		run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(r.model.ghost).toBe(0);
		expect(r.model.violations).toEqual([]);
	});
});

describe("UC8179 400×300 glass (TRES)", () => {
	it("drives the 4.2 inch geometry", () => {
		const r = rig({ width: 400, height: 300 });
		expect(r.panel.width).toBe(400);
		run(r, (d) => r.panel.wake(d));
		const img = frame(400, 300, 0xff);
		img.fill(0x00, 0, 50); // first row black
		r.panel.writeWindow(full(r), img, "both");
		run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(px(r.model.shown, 400, 399, 0)).toBe(0);
		expect(px(r.model.shown, 400, 0, 1)).toBe(1);
		expect(r.model.shownGray().length).toBe(120_000);
		expect(() => r.panel.writeWindow({ x: 400, y: 0, w: 8, h: 1 }, new Uint8Array(1))).toThrow(ConfigError);
		expect(r.model.violations).toEqual([]);
	});

	it("a driver set for 800×480 on 400×300 glass is flagged by TRES", () => {
		const r = rig({ width: 400, height: 300, driver: { width: 800, height: 480 } });
		run(r, (d) => r.panel.wake(d));
		expect(r.model.violations.some((v) => v.includes("TRES 800×480 does not match"))).toBe(true);
	});
});

describe("UC8179 unhappy paths", () => {
	it("write while asleep throws a clear error", () => {
		const r = rig();
		expect(() => r.panel.writeWindow(full(r), frame(800, 480, 0))).toThrow(/UC8179: asleep/);
		expect(() => r.panel.writeWindow(full(r), frame(800, 480, 0))).toThrow(DriverError);
	});

	it("write while busy throws and leaves RAM untouched", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		r.panel.refresh("full", undefined, () => {});
		r.clock.advance(100);
		expect(() => r.panel.writeWindow(full(r), frame(800, 480, 0))).toThrow(/UC8179: busy/);
		r.clock.advance(5000);
		expect(r.model.newRam[0]).toBe(0xff);
		expect(r.model.violations).toEqual([]);
	});

	it("refresh while asleep reports an error through done", () => {
		const r = rig();
		const res = run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(res.error).toBeInstanceOf(DriverError);
		expect(res.error!.message).toMatch(/asleep/);
	});

	it("misaligned or out-of-bounds windows and wrong byte counts are rejected", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		expect(() => r.panel.writeWindow({ x: 3, y: 0, w: 8, h: 1 }, new Uint8Array(1))).toThrow(/multiples of 8/);
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 12, h: 1 }, new Uint8Array(2))).toThrow(ConfigError);
		expect(() => r.panel.writeWindow({ x: 792, y: 479, w: 16, h: 1 }, new Uint8Array(2))).toThrow(/outside/);
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 8, h: 2 }, new Uint8Array(3))).toThrow(/needs 2 bytes/);
		const res = run(r, (d) => r.panel.refresh("partial", { x: 1, y: 0, w: 8, h: 8 }, d));
		expect(res.error).toBeInstanceOf(ConfigError);
		expect(r.model.commands.includes(0x12)).toBe(false);
	});

	it("BUSY stuck low: the wait times out with a DriverError", () => {
		const r = rig({ timings: { fullMs: 1_000_000 }, driver: { busyTimeoutMs: 5000 } });
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		const res = run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(res.error).toBeInstanceOf(DriverError);
		expect(res.error!.message).toBe("UC8179: busy timeout after 5000 ms");
		expect(res.ms).toBeGreaterThanOrEqual(5000);
		expect(res.ms).toBeLessThan(5100);
		expect(r.panel.awake).toBe(false);
	});

	it("missing deep sleep is flagged by the model", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		run(r, (d) => r.panel.refresh("full", undefined, d));
		r.clock.advance(61_000);
		expect(r.model.violations.length).toBe(1);
		expect(r.model.violations[0]).toMatch(/missing deep sleep/);
	});

	it("raw SPI misuse is flagged: RAM write while BUSY, DRF powered off, DSLP without 0xA5, SPI in deep sleep", () => {
		const clock = new VirtualClock();
		const board = new SimBoard(clock);
		const model = new UC8179Model(board, { dc: P.dc, busy: P.busy, reset: P.reset });
		board.attachSPI(1, model, { select: P.select, wiring: { clock: P.clock, out: P.out } });
		const io = board.ioClasses();
		const spi = new io.SPI({ clock: P.clock, out: P.out, select: P.select, hz: 1_000_000, port: 1 });
		const dc = new io.Digital({ pin: P.dc, mode: io.Digital.Output });
		const rst = new io.Digital({ pin: P.reset, mode: io.Digital.Output });
		rst.write(1);
		const cmd = (c: number, ...data: number[]) => {
			dc.write(0);
			spi.write(Uint8Array.of(c));
			if (data.length) {
				dc.write(1);
				spi.write(Uint8Array.from(data));
			}
		};
		cmd(0x12); // DRF while powered off
		expect(model.violations[0]).toMatch(/DRF while powered off/);
		cmd(0x10, 0xff); // DTM1 before PON and TRES, and far too short
		expect(model.violations.some((v) => v.includes("DTM1 before PON"))).toBe(true);
		expect(model.violations.some((v) => v.includes("DTM1 before TRES"))).toBe(true);
		cmd(0x04); // PON: BUSY for 150 ms
		expect(model.violations.some((v) => v.includes("DTM1 wrote 1 bytes"))).toBe(true);
		cmd(0x13); // DTM2 while BUSY
		expect(model.violations.some((v) => v.includes("command 0x13 while BUSY"))).toBe(true);
		clock.advance(200);
		cmd(0x91);
		cmd(0x90, 0, 8, 0, 15, 0, 0, 0, 0, 1); // 8×1 window
		cmd(0x13, 0x00, 0x00); // one byte too many
		expect(model.violations.some((v) => v.includes("outside the PTL window"))).toBe(true);
		cmd(0xfe); // unknown
		expect(model.violations.some((v) => v.includes("unknown command 0xfe"))).toBe(true);
		cmd(0x02);
		clock.advance(100);
		cmd(0x07, 0x00); // DSLP without the check code
		expect(model.violations.some((v) => v.includes("DSLP without check code 0xA5"))).toBe(true);
		expect(model.deepSleeping).toBe(false);
		cmd(0x07, 0xa5);
		expect(model.deepSleeping).toBe(true);
		const before = model.violations.length;
		cmd(0x04);
		expect(model.violations.length).toBe(before + 1);
		expect(model.violations[before]).toMatch(/in deep sleep/);
		expect(model.powered).toBe(false);
	});

	it("constructor rejects a bad geometry and releases nothing it did not open", () => {
		const r = rig();
		expect(() => new UC8179({ ...r.options, width: 801 })).toThrow(ConfigError);
	});

	it("constructor failing on a taken pin releases what it opened", () => {
		const r = rig();
		// BUSY on the D/C pin of the first driver: the second cannot open it.
		expect(() => new UC8179({ ...r.options, spi: { ...r.options.spi, select: 25, clock: 26, out: 27 }, dc: { ...r.options.dc, pin: 32 }, reset: { ...r.options.reset, pin: 33 }, busy: { ...r.options.busy, pin: P.dc } })).toThrow(/UC8179: cannot open BUSY on pin 17/);
		expect(r.board.pinOwner(32)).toBeUndefined();
		expect(r.board.pinOwner(26)).toBeUndefined();
	});
});

describe("UC8179 lifecycle", () => {
	it("close while refreshing: no callback, then deep sleep and IO released; close twice is safe", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		let called = false;
		r.panel.refresh("full", undefined, () => (called = true));
		r.clock.advance(100);
		r.panel.close();
		r.panel.close();
		r.clock.advance(6000);
		expect(called).toBe(false);
		expect(r.model.deepSleeping).toBe(true);
		expect(r.board.pinOwner(P.dc)).toBeUndefined();
		expect(() => r.panel.writeWindow(full(r), frame(800, 480, 0))).toThrow(/closed/);
		expect(r.model.violations).toEqual([]);
	});

	it("sleep requested during a refresh runs after it", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(full(r), frame(800, 480, 0xff), "both");
		let done = false;
		r.panel.refresh("full", undefined, () => (done = true));
		r.panel.sleep();
		r.clock.advance(6000);
		expect(done).toBe(true);
		expect(r.model.deepSleeping).toBe(true);
		expect(r.model.violations).toEqual([]);
	});

	it("wake requested while going to sleep runs after the sleep", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.sleep();
		const res = run(r, (d) => r.panel.wake(d));
		expect(res.error).toBeUndefined();
		expect(r.model.deepSleeps).toBe(1);
		expect(r.panel.awake).toBe(true);
		expect(r.model.violations).toEqual([]);
	});
});
