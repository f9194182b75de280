/*
 * The stop sign's benchmarks (issue #4 "Benchmarks"). Every figure is an XS
 * meter reading from xsnap-worker (computrons, live heap slots) or a byte
 * count, each beside a baseline measured in the same run.
 *
 * sign.render (bench/xs-sign-render-entry.ts), on one XS machine:
 *   - a full board (bench/xs-sign-fixtures.ts benchScreen: five bilingual
 *     rows with carriage icons, Due, a cancelled row, an alert in both
 *     languages, the footer) composed with composeScreen on the shipped
 *     fonts (resources/fonts/*.csf bytes, parsed once), rendered whole by
 *     BandRenderer at the default 4096-byte band into a sink that drops the
 *     bands, versus bench/naive-render.ts's per-pixel renderer on the same
 *     ops; the 7.5" layout (800×480, 1 bpp) and M5Paper (960×540, 4 bpp).
 *     Per render: (n renders − the same call with n = 0) / n. The band image
 *     is checked bit for bit against the naive frame packed, so both draw
 *     the same pixels.
 *   - band buffer bytes (BandRenderer.bandBytes) versus a full frame buffer
 *     (stride × height).
 *   - one-row update versus full redraw: the same board with one row's
 *     minutes moved on; diffOps(prev, next) → union of the damage → render
 *     of that area only, versus the full render; bytes = what the renderer
 *     hands the panel for each. Composing the screen (needed by both) is
 *     reported beside them.
 *   - the same two updates through the real pipeline: PanelDisplay → UC8179
 *     driver → SimBoard SPI → UC8179 controller model on a virtual clock
 *     (policy: cold boot, so the first is full, the second partial), SPI
 *     bytes counted at the model's input. Its computrons include the driver
 *     and the JS model decoding every byte (on a device that is silicon).
 * sign.heap (bench/xs-sign-app-entry.ts): the stop-sign firmware booted in
 *   xsnap on the generic-epd75 board (UC8179 model, fonts as resources), fed
 *   a time beacon, a timetable and a board every 30 s through the session's
 *   onMessage (bench/xs-sign-app-entry.ts), redrawing every 5 s; live slots
 *   (gc() first) above the machine with the font resources loaded (on the
 *   device they are flash-mapped, not heap) after boot + 1 min (first full
 *   refresh done), 1 h and 6 h; steady = the 1 h → 6 h growth is within
 *   HEAP_BOUND_SLOTS. Baseline: the same bundle and board with stopId ""
 *   (the sign shows "Sign not configured" and ignores the stop topics): the
 *   runtime, panel driver, renderer and fonts without the departures.
 */
import { bundleFirmware } from "../../host-sim/bundle";
import { simConfig } from "../../host-sim/manifest-config";
import { buildResources } from "../../host-sim/resources";
import { XsnapWorker } from "../xs/xsnap-worker";
import { meter, query, ROOT } from "./xs-bench";

const LAYOUTS = ["epd750", "m5paper"] as const;
type LayoutName = (typeof LAYOUTS)[number];
const BAND_RENDERS = 3;
const NAIVE_RENDERS = 1;
const ROW_UPDATES = 10;
const COMPOSES = 5;
const HOUR_MS = 3_600_000;
/** Virtual time per evaluation while running for hours. */
const CHUNK_MS = 600_000;
/** The firmware boots this long after power-on (as pole-bench). */
const POWER_ON_MS = 500;
/** Steady state: live slots may move this much between 1 h and 6 h (the board's rows and their draw list vary in length). */
const HEAP_BOUND_SLOTS = 300;
/** The sign's redraw period (firmware/apps/stop-sign/app.ts TICK_MS), and how many are metered in steady state. */
const TICK_MS = 5_000;
const TICKS = 24;

function round(x: number, digits = 1): number {
	const k = 10 ** digits;
	return Math.round(x * k) / k;
}

/** Puts the shipped font resources on globalThis.__benchSignResources, fetched from Node through issueCommand. */
async function loadResources(worker: XsnapWorker): Promise<string[]> {
	const resources = buildResources();
	const names = Object.keys(resources).filter((n) => n.endsWith(".csf"));
	if (!names.length) throw new Error("sign bench: no .csf font resources (resources/fonts/manifest.json)");
	const previous = worker.onQuery;
	worker.onQuery = (b) => {
		const name = b.toString("latin1");
		const bytes = resources[name];
		if (!bytes) throw new Error(`sign bench: no resource ${name}`);
		return Buffer.from(bytes);
	};
	try {
		await meter(
			worker,
			`{ const r = {}; for (const n of ${JSON.stringify(names)}) { const b = new Uint8Array(n.length); for (let i = 0; i < n.length; i++) b[i] = n.charCodeAt(i); r[n] = new Uint8Array(issueCommand(b.buffer)); } globalThis.__benchSignResources = r; }`,
		);
	} finally {
		worker.onQuery = previous;
	}
	return names.sort();
}

// ---------------------------------------------------------------- sign.render

interface RenderInfo {
	width: number;
	height: number;
	depth: 1 | 4;
	ops: number;
	bandBytes: number;
	bandRows: number;
	frameBytes: number;
	fullBytes: number;
	same: boolean;
	changedRow: number;
	damageRects: number;
	damage?: { x: number; y: number; w: number; h: number };
	update?: { bytes: number; bands: number; rect: { x: number; y: number; w: number; h: number } };
}

export interface SignLayoutFigures {
	size: string;
	depth: 1 | 4;
	ops: number;
	/** computrons per full render, the empty evaluation subtracted */
	fullRender: { bandComputrons: number; naiveComputrons: number; naiveOverBand: number; identicalPixels: boolean };
	/** the one band buffer versus a whole frame in RAM */
	memory: { bandBytes: number; bandRows: number; frameBufferBytes: number; frameOverBand: number };
	/** one row's minutes change: diff + render of the damage only, versus the full render */
	rowUpdate: {
		row: number;
		damage: { x: number; y: number; w: number; h: number };
		computrons: number;
		diffComputrons: number;
		fullRenderComputrons: number;
		fullOverRow: number;
		bytes: number;
		fullBytes: number;
		fullOverRowBytes: number;
	};
	/** composeScreen of the board (both paths need it once per screen) */
	composeComputrons: number;
}

export interface SignPanelFigures {
	how: string;
	/** first update after power-on: full refresh */
	full: { computrons: number; spiBytes: number; ramBytes: number };
	/** the one-row change: partial refresh of the damage */
	row: { computrons: number; spiBytes: number; ramBytes: number; area: string };
	fullOverRowSpi: number;
	refreshes: { full: number; partial: number; deepSleeps: number };
	violations: string[];
}

export interface SignRenderFigures {
	fonts: string[];
	screen: string;
	bandBytesOption: number;
	layouts: Record<LayoutName, SignLayoutFigures>;
	panel: SignPanelFigures;
}

const per = (total: number, empty: number, n: number) => Math.round((total - empty) / n);

export async function benchSignRender(): Promise<SignRenderFigures> {
	const script = await bundleFirmware({ entry: ROOT + "bench/xs-sign-render-entry.ts" });
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	try {
		const fonts = await loadResources(worker);
		await meter(worker, script);
		await meter(worker, `__benchSign.setup(${JSON.stringify(LAYOUTS)})`);
		const call = async (fn: string, name: string, n: number) => (await meter(worker, `__benchSign.${fn}(${JSON.stringify(name)}, ${n})`)).compute;
		const timed = async (fn: string, name: string, n: number) => per(await call(fn, name, n), await call(fn, name, 0), n);
		const layouts = {} as Record<LayoutName, SignLayoutFigures>;
		for (const name of LAYOUTS) {
			const info = await query<RenderInfo>(worker, `__benchSign.info(${JSON.stringify(name)})`);
			if (!info.damage || !info.update) throw new Error(`sign bench: ${name}: the one-row change made no damage`);
			const band = await timed("band", name, BAND_RENDERS);
			const naive = await timed("naive", name, NAIVE_RENDERS);
			const row = await timed("rowUpdate", name, ROW_UPDATES);
			const diff = await timed("diff", name, ROW_UPDATES);
			layouts[name] = {
				size: `${info.width}×${info.height}`,
				depth: info.depth,
				ops: info.ops,
				fullRender: { bandComputrons: band, naiveComputrons: naive, naiveOverBand: round(naive / band), identicalPixels: info.same },
				memory: { bandBytes: info.bandBytes, bandRows: info.bandRows, frameBufferBytes: info.frameBytes, frameOverBand: round(info.frameBytes / info.bandBytes) },
				rowUpdate: {
					row: info.changedRow,
					damage: info.damage,
					computrons: row,
					diffComputrons: diff,
					fullRenderComputrons: band,
					fullOverRow: round(band / row),
					bytes: info.update.bytes,
					fullBytes: info.fullBytes,
					fullOverRowBytes: round(info.fullBytes / info.update.bytes),
				},
				composeComputrons: await timed("compose", name, COMPOSES),
			};
			if (!info.same) throw new Error(`sign bench: ${name}: the band renderer and the naive renderer drew different pixels`);
		}

		type PanelStatus = { spiBytes: number; ramBytes: number; full: number; partial: number; errors: number; last: string; violations: string[]; fullRefreshes: number; partialRefreshes: number; deepSleeps: number };
		const status = () => query<PanelStatus>(worker, "__benchSign.panelStatus()");
		await meter(worker, `__benchSign.panelShow("none")`); // builds the rig
		const empty = (await meter(worker, `__benchSign.panelShow("none")`)).compute;
		const s0 = await status();
		const fullC = (await meter(worker, `__benchSign.panelShow("full")`)).compute - empty;
		const s1 = await status();
		const rowC = (await meter(worker, `__benchSign.panelShow("row")`)).compute - empty;
		const s2 = await status();
		if (s1.full !== 1 || s2.partial !== 1 || s2.errors) throw new Error(`sign bench: panel path did not do one full then one partial refresh: ${JSON.stringify(s2)}`);
		const fullSpi = s1.spiBytes - s0.spiBytes;
		const rowSpi = s2.spiBytes - s1.spiBytes;
		const epd = layouts.epd750.rowUpdate.damage;
		return {
			fonts,
			screen: "bench/xs-sign-fixtures.ts benchScreen(): 5 bilingual rows (2 with carriage icons), alert (en + zh), footer; normal layouts, zh-en",
			bandBytesOption: 4096,
			layouts,
			panel: {
				how: "PanelDisplay → UC8179 driver → SimBoard SPI → UC8179 model (800×480) inside XS on a VirtualClock; SPI bytes counted at the model; computrons include the driver and the JS model",
				full: { computrons: fullC, spiBytes: fullSpi, ramBytes: s1.ramBytes - s0.ramBytes },
				row: { computrons: rowC, spiBytes: rowSpi, ramBytes: s2.ramBytes - s1.ramBytes, area: `${epd.w}×${epd.h} at ${epd.x},${epd.y} (before the controller's alignment)` },
				fullOverRowSpi: round(fullSpi / rowSpi),
				refreshes: { full: s2.fullRefreshes, partial: s2.partialRefreshes, deepSleeps: s2.deepSleeps },
				violations: s2.violations,
			},
		};
	} finally {
		await worker.close();
	}
}

// ---------------------------------------------------------------- sign.heap

export interface SignHeapSide {
	stopId: string;
	/** live heap slots (gc() first) above the machine with the font resources loaded; afterBoot = 1 min after boot (first refresh done) */
	heapSlots: { afterBoot: number; after1h: number; after6h: number; growth1hTo6h: number; steady: boolean };
	/**
	 * One 5 s redraw tick in steady state (after 6 h), minus an evaluation that fires nothing: showDepartures, composeScreen,
	 * diffOps, and when a minute count changed the partial refresh through the UC8179 driver and its JS model (which decodes
	 * every SPI byte; silicon on a device), plus the bench cloud's board every 6th tick. An upper bound on the firmware's cost.
	 */
	tick: { computronsMean: number; computronsMin: number; computronsMax: number };
	status: {
		fed: { boards: number; boardBytes: number; timetableBytes: number };
		panel?: { full: number; partial: number; deepSleeps: number; violations: string[] };
		selfTest?: { state: string; detail: string };
		log: string[];
	};
}

async function xsSign(script: (config: Record<string, unknown>) => Promise<string>, stopId: string): Promise<SignHeapSide> {
	const config = simConfig("stop-sign", "generic-epd75", { deviceId: "bench-sign", stopId });
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	try {
		await loadResources(worker);
		const empty = await meter(worker, "gc(); 1");
		const heap = async () => (await meter(worker, "gc(); 1")).currentHeapCount - empty.currentHeapCount;
		await meter(worker, await script(config));
		let t = 0;
		const run = async (ms: number) => ((t += ms), meter(worker, `__benchSignApp.run(${ms})`));
		const runTo = async (tick: number) => {
			while (t < tick) await run(Math.min(CHUNK_MS, tick - t));
		};
		await run(POWER_ON_MS);
		await meter(worker, "__benchSignApp.boot()");
		await meter(worker, "__benchSignApp.feed()");
		await run(60_000);
		const afterBoot = await heap();
		await runTo(HOUR_MS);
		const after1h = await heap();
		await runTo(6 * HOUR_MS);
		const after6h = await heap();
		const overhead = (await meter(worker, "__benchSignApp.run(0)")).compute;
		const ticks: number[] = [];
		for (let i = 0; i < TICKS; i++) ticks.push((await run(TICK_MS)).compute - overhead);
		const status = await query<SignHeapSide["status"]>(worker, "__benchSignApp.status()");
		const growth = after6h - after1h;
		return {
			stopId,
			heapSlots: { afterBoot, after1h, after6h, growth1hTo6h: growth, steady: Math.abs(growth) <= HEAP_BOUND_SLOTS },
			tick: { computronsMean: Math.round(ticks.reduce((a, b) => a + b, 0) / TICKS), computronsMin: Math.min(...ticks), computronsMax: Math.max(...ticks) },
			status,
		};
	} finally {
		await worker.close();
	}
}

export interface SignHeapFigures {
	board: string;
	hours: number;
	heapBoundSlots: number;
	tickMs: number;
	sign: SignHeapSide;
	baseline: SignHeapSide;
	/** sign − baseline */
	added: { heapSlotsSteady: number; computronsPerTick: number };
}

export async function benchSignHeap(): Promise<SignHeapFigures> {
	const script = (config: Record<string, unknown>) => bundleFirmware({ entry: ROOT + "bench/xs-sign-app-entry.ts", define: { __CONFIG__: JSON.stringify(config) } });
	const sign = await xsSign(script, "HC_MARKET");
	const baseline = await xsSign(script, "");
	if (sign.status.selfTest?.state !== "pass") throw new Error(`sign bench: the sign's self-test is not passing after 6 h: ${JSON.stringify(sign.status.selfTest)}`);
	if (sign.status.panel?.violations.length) throw new Error(`sign bench: UC8179 model flagged: ${sign.status.panel.violations.join("; ")}`);
	return {
		board: "generic-epd75 (UC8179 800×480 model, SHT3x), offline; cloud messages through the session's onMessage",
		hours: 6,
		heapBoundSlots: HEAP_BOUND_SLOTS,
		tickMs: TICK_MS,
		sign,
		baseline,
		added: { heapSlotsSteady: sign.heapSlots.after6h - baseline.heapSlots.after6h, computronsPerTick: sign.tick.computronsMean - baseline.tick.computronsMean },
	};
}
