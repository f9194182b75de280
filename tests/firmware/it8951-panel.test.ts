// IT8951Panel (M5Paper) against the host-sim `it8951` Display (host-sim/modules/it8951.ts).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs.
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import Display, { currentIT8951 } from "../../host-sim/modules/it8951";
import { IT8951Panel, type IT8951PanelOptions, type IT8951Display } from "../../drivers/it8951-panel";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

function rig(options: IT8951PanelOptions = {}) {
	const clock = new VirtualClock();
	const display = new Display({ ticks: () => clock.ticks() });
	const timer = { set: (cb: () => void, ms: number) => clock.schedule(ms, cb), clear: (h: unknown) => clock.cancel(h as number) };
	const panel = new IT8951Panel(display as unknown as IT8951Display, { timer, ...options });
	return { clock, display, panel };
}

type Rig = ReturnType<typeof rig>;

function run(r: Rig, start: (done: (e?: Error) => void) => void): { error: Error | undefined; ms: number } {
	let finished = false;
	let error: Error | undefined;
	const t0 = r.clock.ticks();
	start((e) => {
		finished = true;
		error = e;
	});
	while (!finished && r.clock.ticks() - t0 < 10_000) r.clock.advance(5);
	if (!finished) throw new Error("done never called");
	return { error, ms: r.clock.ticks() - t0 };
}

/** A 4 bpp window filled with one gray, or a ramp 0..15 along x when gray < 0. */
function gray4(w: number, h: number, gray: number): Uint8Array {
	const out = new Uint8Array((w >> 1) * h);
	for (let y = 0; y < h; y++) {
		for (let x = 0; x < w; x += 2) {
			const a = gray < 0 ? x & 15 : gray;
			const b = gray < 0 ? (x + 1) & 15 : gray;
			out[y * (w >> 1) + (x >> 1)] = (a << 4) | b;
		}
	}
	return out;
}

const FULL = { x: 0, y: 0, w: 960, h: 540 };

describe("IT8951Panel", () => {
	it("declares the M5Paper geometry", () => {
		const r = rig();
		expect(r.panel.width).toBe(960);
		expect(r.panel.height).toBe(540);
		expect(r.panel.depth).toBe(4);
		expect(r.panel.xAlign).toBe(4);
		expect(r.panel.rewritePrevious).toBe(false);
		expect(currentIT8951()).toBe(r.display);
	});

	it("a window write changes the image buffer but not the glass; GC16 shows the gray image", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow({ x: 0, y: 0, w: 16, h: 2 }, gray4(16, 2, -1));
		expect(r.display.shownGray()[1]).toBe(15);
		expect(r.display.fullUpdates + r.display.partialUpdates).toBe(0);
		const res = run(r, (d) => r.panel.refresh("full", undefined, d));
		expect(res.error).toBeUndefined();
		expect(res.ms).toBeGreaterThanOrEqual(450);
		const g = r.display.shownGray();
		expect(g[0]).toBe(0);
		expect(g[1]).toBe(1);
		expect(g[7]).toBe(7);
		expect(g[15]).toBe(15);
		expect(g[960 + 5]).toBe(5);
		expect(r.display.updates.GC16).toBe(1);
		expect(r.display.fullUpdates).toBe(1);
		expect(r.display.violations).toEqual([]);
	});

	it("partial refresh uses GL16 and updates only the area", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow(FULL, gray4(960, 540, 8));
		run(r, (d) => r.panel.refresh("full", undefined, d));
		r.panel.writeWindow(FULL, gray4(960, 540, 0));
		const res = run(r, (d) => r.panel.refresh("partial", { x: 100, y: 100, w: 40, h: 20 }, d));
		expect(res.error).toBeUndefined();
		const g = r.display.shownGray();
		expect(g[100 * 960 + 100]).toBe(0);
		expect(g[119 * 960 + 139]).toBe(0);
		expect(g[100 * 960 + 140]).toBe(8);
		expect(g[120 * 960 + 100]).toBe(8);
		expect(r.display.updates.GL16).toBe(1);
		expect(r.display.updates.GC16).toBe(1);
		expect(r.display.partialUpdates).toBe(1);
		expect(r.display.violations).toEqual([]);
	});

	it("partialMode DU selects the DU waveform", () => {
		const r = rig({ partialMode: "DU" });
		run(r, (d) => r.panel.wake(d));
		run(r, (d) => r.panel.refresh("partial", { x: 0, y: 0, w: 8, h: 8 }, d));
		expect(r.display.updates.DU).toBe(1);
	});

	it("target previous is ignored (no OLD RAM)", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, Uint8Array.of(0x00, 0x00), "previous");
		expect(r.display.image[0]).toBe(15);
	});
});

describe("IT8951Panel unhappy paths", () => {
	it("write while asleep throws", () => {
		const r = rig();
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(/IT8951: asleep/);
		run(r, (d) => r.panel.wake(d));
		r.panel.sleep();
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(DriverError);
	});

	it("write while an update runs throws, and works after done", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		let done = false;
		r.panel.refresh("full", undefined, () => (done = true));
		expect(r.panel.busy).toBe(true);
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(/IT8951: busy/);
		r.clock.advance(600);
		expect(done).toBe(true);
		r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(2));
		expect(r.display.image[0]).toBe(0);
	});

	it("misaligned windows and wrong byte counts are rejected before the driver sees them", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		expect(() => r.panel.writeWindow({ x: 2, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(/multiples of 4/);
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(3))).toThrow(ConfigError);
		expect(() => r.panel.writeWindow({ x: 960, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(/outside/);
		const res = run(r, (d) => r.panel.refresh("partial", { x: 1, y: 0, w: 4, h: 4 }, d));
		expect(res.error).toBeInstanceOf(ConfigError);
		expect(r.display.fullUpdates + r.display.partialUpdates).toBe(0);
	});

	it("the sim Display flags raw misuse like the device would suffer it", () => {
		const r = rig();
		expect(() => r.display.begin(2, 0, 8, 1)).toThrow();
		r.display.send(new Uint8Array(4), 0, 4);
		expect(r.display.violations[0]).toMatch(/send outside begin\/end/);
		r.display.configure({ updateMode: "GL16" });
		r.display.begin(0, 0, 8, 2);
		r.display.send(new Uint8Array(3), 0, 3);
		r.display.end();
		expect(r.display.violations.some((v) => v.includes("ended after 3 of 8 bytes"))).toBe(true);
		r.display.begin(0, 0, 8, 1);
		r.display.end();
		expect(r.display.violations.some((v) => v.includes("while the previous one runs"))).toBe(true);
	});

	it("close twice is safe; no done after close; use after close throws", () => {
		const r = rig();
		run(r, (d) => r.panel.wake(d));
		let called = false;
		r.panel.refresh("full", undefined, () => (called = true));
		r.panel.close();
		r.panel.close();
		r.clock.advance(1000);
		expect(called).toBe(false);
		expect(() => r.panel.writeWindow({ x: 0, y: 0, w: 4, h: 1 }, new Uint8Array(2))).toThrow(/IT8951: closed/);
		expect(() => r.display.begin(0, 0, 4, 1)).toThrow("closed");
	});
});
