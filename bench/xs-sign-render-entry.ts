/*
 * The stop sign's render figures on XS (tools/bench/sign-bench.ts): one
 * xsnap evaluation per step, each a function on globalThis.__benchSign.
 *
 * The fonts are the shipped resources (resources/fonts/*.csf): an earlier
 * evaluation leaves their bytes on globalThis.__benchSignResources, keyed
 * "r16.csf" as `new Resource(name)` asks for them (the runner fetches them
 * from Node with issueCommand), and they are parsed once in setup(), as the
 * firmware's fonts.ts keeps them open.
 *
 *   band(layout, n)     n full renders with BandRenderer (4096-byte band) into a sink that drops the bands
 *   naive(layout, n)    n full renders of the same ops with bench/naive-render.ts's per-pixel renderer
 *   rowUpdate(layout, n) n one-row updates: diffOps(prev, next), the damage's union, render of that area only
 *   compose(layout, n)  n composeScreen calls (both paths need one per screen; reported beside them)
 *   panelShow(which)    the screen through PanelDisplay onto a UC8179 model on a SimBoard (virtual clock, SPI bytes counted)
 * A call with n = 0 is the empty evaluation the runner subtracts.
 */
import { BandRenderer } from "../firmware/gfx/band-renderer";
import { diffOps, unionRect } from "../firmware/gfx/damage";
import { PackedFont } from "../firmware/gfx/packed-font";
import type { DrawOp, Font, Rect } from "../firmware/gfx/types";
import { layoutFor, type Layout, type LayoutName } from "../firmware/apps/stop-sign/layouts";
import { PanelDisplay } from "../firmware/apps/stop-sign/panel-display";
import { freshCounters, RefreshPolicy, type RefreshCounters } from "../firmware/apps/stop-sign/refresh-policy";
import { composeScreen } from "../firmware/apps/stop-sign/screen";
import { UC8179, type UC8179Options, type UC8179Timer } from "../drivers/uc8179";
import { VirtualClock } from "../host-sim/bridge/virtual-clock";
import { SimBoard } from "../host-sim/io/board";
import { attachUC8179, UC8179_ESP32_PINS } from "../host-sim/models/uc8179";
import { NaiveRenderer, packFrame } from "./naive-render";
import { benchScreen, CHANGED_ROW } from "./xs-sign-fixtures";

interface Bench {
	layout: Layout;
	/** the full board, and the same board with row CHANGED_ROW's minutes moved on */
	prev: DrawOp[];
	next: DrawOp[];
	band: BandRenderer;
	naive: NaiveRenderer;
}

const resources = (globalThis as { __benchSignResources?: Record<string, Uint8Array> }).__benchSignResources ?? {};
const fonts = new Map<string, Font>();
const benches = new Map<LayoutName, Bench>();
let sink = 0;
const drop = (_band: Rect, bytes: Uint8Array) => {
	sink += bytes.byteLength;
};

function font(name: string): Font {
	let f = fonts.get(name);
	if (!f) {
		const bytes = resources[`${name}.csf`];
		if (!bytes) throw new Error(`bench: font resource ${name}.csf not loaded`);
		f = new PackedFont(bytes);
		fonts.set(name, f);
	}
	return f;
}

function bench(name: LayoutName): Bench {
	const b = benches.get(name);
	if (!b) throw new Error(`bench: layout ${name} not set up`);
	return b;
}

function compose(layout: Layout, minutes: number): DrawOp[] {
	return composeScreen(benchScreen(minutes), layout, font, { bilingual: true });
}

/** Damage of the one-row update, as PanelDisplay takes it: the union of diffOps' rects. */
function damage(b: Bench): Rect | undefined {
	const rects = diffOps(b.prev, b.next);
	return rects.length ? rects.reduce(unionRect) : undefined;
}

/** Bytes the renderer hands out for `area` of `b` (what a panel window write carries). */
function areaBytes(b: Bench, area: Rect): { bytes: number; bands: number; rect: Rect } {
	let bytes = 0;
	let bands = 0;
	let rect: Rect | undefined;
	b.band.render(b.next, area, (band, data) => {
		bytes += data.byteLength;
		bands++;
		rect = rect ? unionRect(rect, band) : { ...band };
	});
	return { bytes, bands, rect: rect ?? { x: 0, y: 0, w: 0, h: 0 } };
}

// ---- the panel path: PanelDisplay → UC8179 driver → SimBoard SPI → UC8179 model, on a virtual clock

interface PanelRig {
	clock: VirtualClock;
	display: PanelDisplay;
	spiBytes: number;
	model: ReturnType<typeof attachUC8179>;
	/** the full board and the one-row change, composed before any metered step */
	full: DrawOp[];
	row: DrawOp[];
}
let rig: PanelRig | undefined;

function panelRig(): PanelRig {
	if (rig) return rig;
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const P = UC8179_ESP32_PINS;
	const model = attachUC8179(board, P, { width: 800, height: 480 });
	const layout = layoutFor("epd750", false);
	const r = { clock, model, spiBytes: 0, full: compose(layout, 12), row: compose(layout, 11) } as PanelRig;
	// Every byte the controller clocks out to the panel (commands, parameters and pixel data), counted at the model's SPI input.
	const transfer = model.transfer.bind(model);
	model.transfer = (mosi, miso, bus) => {
		r.spiBytes += mosi.byteLength;
		transfer(mosi, miso, bus);
	};
	const io = board.ioClasses();
	const timer: UC8179Timer = { set: (cb, ms) => board.schedule(ms, cb), clear: (h) => board.cancel(h as number) };
	const panel = new UC8179({
		spi: { io: io.SPI, clock: P.clock, out: P.out, select: P.select, port: 1 },
		dc: { io: io.Digital, pin: P.dc },
		reset: { io: io.Digital, pin: P.reset },
		busy: { io: io.Digital, pin: P.busy },
		width: 800,
		height: 480,
		timer,
	} as unknown as UC8179Options);
	let counters: RefreshCounters = freshCounters();
	const policy = new RefreshPolicy({ load: () => counters, save: (c) => (counters = { ...c }) }, { coldBoot: true });
	r.display = new PanelDisplay({ panel, width: layout.width, height: layout.height, policy, celsius: () => 20, nowS: () => Math.floor(clock.now() / 1000) });
	return (rig = r);
}

(globalThis as Record<string, unknown>).__benchSign = {
	/** Parses the fonts, composes both screens of each layout, allocates the renderers (not metered with the renders). */
	setup(names: LayoutName[]) {
		for (const name of names) {
			const layout = layoutFor(name, false);
			benches.set(name, {
				layout,
				prev: compose(layout, 12),
				next: compose(layout, 11),
				band: new BandRenderer({ width: layout.width, height: layout.height, depth: layout.depth }),
				naive: new NaiveRenderer(layout.width, layout.height),
			});
		}
	},
	band(name: LayoutName, n: number) {
		const b = bench(name);
		for (let i = 0; i < n; i++) b.band.renderAll(b.prev, drop);
	},
	naive(name: LayoutName, n: number) {
		const b = bench(name);
		for (let i = 0; i < n; i++) b.naive.render(b.prev);
	},
	rowUpdate(name: LayoutName, n: number) {
		const b = bench(name);
		for (let i = 0; i < n; i++) {
			const area = damage(b);
			if (area) b.band.render(b.next, area, drop);
		}
	},
	diff(name: LayoutName, n: number) {
		const b = bench(name);
		for (let i = 0; i < n; i++) damage(b);
	},
	compose(name: LayoutName, n: number) {
		const b = bench(name);
		for (let i = 0; i < n; i++) compose(b.layout, 12);
	},
	/** Shapes and bytes (queried, not metered); `same` = the band image equals the naive frame packed, bit for bit. */
	info(name: LayoutName) {
		const b = bench(name);
		let same = true;
		const naive = packFrame(b.naive.render(b.prev), b.layout.width, b.layout.height, b.layout.depth);
		let at = 0;
		let fullBytes = 0;
		b.band.renderAll(b.prev, (_band, data) => {
			for (let i = 0; i < data.byteLength; i++) if (data[i] !== naive[at + i]) same = false;
			at += data.byteLength;
			fullBytes += data.byteLength;
		});
		const area = damage(b);
		const rects = diffOps(b.prev, b.next);
		return {
			width: b.layout.width,
			height: b.layout.height,
			depth: b.layout.depth,
			ops: b.prev.length,
			bandBytes: b.band.bandBytes,
			bandRows: b.band.bandRows,
			frameBytes: b.band.stride * b.layout.height,
			fullBytes,
			same: same && at === naive.byteLength,
			changedRow: CHANGED_ROW,
			damageRects: rects.length,
			damage: area,
			update: area ? areaBytes(b, area) : undefined,
		};
	},
	/** Shows the full board ("full", the first update after power-on) or the one-row change ("row") through PanelDisplay, and runs the clock until it is done. */
	panelShow(which: "full" | "row" | "none") {
		const r = panelRig();
		if (which === "none") return;
		r.display.show(which === "full" ? r.full : r.row);
		for (let i = 0; r.display.busy && i < 100_000; i++) r.clock.advance(10);
		// The deep-sleep command goes out after the refresh; let it land before the next reading.
		r.clock.advance(1_000);
	},
	/** What the panel path did (queried). */
	panelStatus() {
		const r = panelRig();
		const { full, partial, bytes, errors, last } = r.display.stats;
		return { spiBytes: r.spiBytes, ramBytes: bytes, full, partial, errors, last, violations: r.model.violations.slice(0, 5), fullRefreshes: r.model.fullRefreshes, partialRefreshes: r.model.partialRefreshes, deepSleeps: r.model.deepSleeps };
	},
	sink: () => sink,
};
