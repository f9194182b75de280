/*
 * Gets a screen (a DrawOp list in layout coordinates) onto the e-paper:
 * the managed-refresh pipeline of issue #4.
 *
 *   1. compare the new list with what the panel shows (gfx/damage.ts);
 *   2. ask the refresh policy: none, skip (too cold: the last image stays),
 *      partial, or full (every N partials, at least daily, panel unknown);
 *   3. wake the controller, render ONLY the changed region (the whole screen
 *      for a full refresh) band by band into one buffer of a few KB, rotate
 *      each band when the layout is landscape on a portrait panel, and write
 *      it into the controller's RAM window;
 *   4. refresh, wait for BUSY from a timer (the event loop keeps running),
 *      write the window again into the "previous" RAM where the controller
 *      needs it (SSD1680), and put the controller into deep sleep.
 * One update runs at a time; a screen that arrives meanwhile waits, and only
 * the newest waiting one is drawn. An error (BUSY timeout, bus fault) leaves
 * the panel state unknown, so the next update is full.
 */
import type { EPaperPanel, RamTarget, RefreshMode } from "../../../drivers/epaper";
import { BandRenderer } from "../../gfx/band-renderer";
import { alignRect, diffOps, intersectRect, unionRect } from "../../gfx/damage";
import { rotateBand, rotateRect, type Rotation } from "../../gfx/rotate";
import type { DrawOp, Rect } from "../../gfx/types";
import type { RefreshAction, RefreshPolicy } from "./refresh-policy";

export interface PanelDisplayOptions {
	panel: EPaperPanel;
	/** layout size (the screen's own coordinates) */
	width: number;
	height: number;
	/** clockwise turn from layout to panel: 90 for a landscape layout on a portrait panel */
	rotation?: 0 | Rotation;
	policy: RefreshPolicy;
	/** band buffer size, bytes @default 4096 */
	bandBytes?: number;
	/** the panel's temperature now, °C (undefined = unknown) */
	celsius(): number | undefined;
	/** seconds on the clock the policy's counters use (epoch when synced) */
	nowS(): number;
	/** called after every attempt: what was done and why, or the error */
	onUpdate?(result: UpdateResult): void;
}

export interface UpdateResult {
	action: RefreshAction;
	reason: string;
	/** layout region written (partial) or the whole screen (full) */
	area?: Rect;
	bytes?: number;
	error?: Error;
}

export interface DisplayStats {
	full: number;
	partial: number;
	skipped: number;
	errors: number;
	/** bytes written into controller RAM since boot */
	bytes: number;
	/** the last update's reason */
	last: string;
}

export class PanelDisplay {
	readonly renderer: BandRenderer;
	readonly stats: DisplayStats = { full: 0, partial: 0, skipped: 0, errors: 0, bytes: 0, last: "" };
	#o: PanelDisplayOptions;
	#rotation: 0 | Rotation;
	/** what the panel shows; undefined = unknown */
	#shown: readonly DrawOp[] | undefined;
	#pending: readonly DrawOp[] | undefined;
	#running = false;
	#strip: Uint8Array;
	#turned: Uint8Array;

	/** @throws RangeError when the layout does not fit the panel at the rotation */
	constructor(options: PanelDisplayOptions) {
		this.#o = options;
		this.#rotation = options.rotation ?? 0;
		const { panel, width, height } = options;
		const turned = this.#rotation === 90 || this.#rotation === 270;
		const pw = turned ? height : width;
		const ph = turned ? width : height;
		if (pw !== panel.width || ph !== panel.height) throw new RangeError(`panel display: a ${width}×${height} layout at ${this.#rotation}° is ${pw}×${ph}, the panel is ${panel.width}×${panel.height}`);
		this.renderer = new BandRenderer({ width, height, depth: panel.depth, bandBytes: options.bandBytes });
		this.#strip = new Uint8Array(this.renderer.bandBytes);
		this.#turned = new Uint8Array(this.renderer.bandBytes + 64);
	}

	/** An update is in flight. */
	get busy(): boolean {
		return this.#running;
	}

	/** Completed refreshes since boot (the OTA self-test: the screen rendered). */
	get refreshes(): number {
		return this.stats.full + this.stats.partial;
	}

	/** Shows `ops`: now, or after the update in flight. */
	show(ops: readonly DrawOp[]): void {
		this.#pending = ops;
		if (!this.#running) this.#next();
	}

	#next(): void {
		const ops = this.#pending;
		if (!ops) return;
		this.#pending = undefined;
		const { policy } = this.#o;
		const damage = this.#shown ? diffOps(this.#shown, ops) : [{ x: 0, y: 0, w: this.#o.width, h: this.#o.height }];
		const nowS = this.#o.nowS();
		const decision = policy.decide(nowS, this.#o.celsius(), damage.length > 0);
		if (decision.action === "none") return;
		if (decision.action === "skip") {
			// Too cold to drive the waveform: the last image stays, and the change is retried with the next screen.
			policy.done("skip", nowS);
			this.stats.skipped++;
			this.#report({ action: "skip", reason: decision.reason });
			return;
		}
		const full = decision.action === "full";
		const area = full ? { x: 0, y: 0, w: this.#o.width, h: this.#o.height } : damage.reduce(unionRect);
		this.#running = true;
		const fail = (error: Error) => {
			this.#running = false;
			this.#shown = undefined;
			policy.coldBoot();
			this.stats.errors++;
			this.#report({ action: decision.action, reason: decision.reason, error });
			try {
				this.#o.panel.sleep();
			} catch {
				// Already failing; the next update starts from a reset anyway.
			}
			this.#next();
		};
		const { panel } = this.#o;
		panel.wake((error) => {
			if (error) return fail(error);
			let bytes: number;
			let window: Rect;
			try {
				const target: RamTarget = full && panel.rewritePrevious ? "both" : "new";
				({ bytes, window } = this.#write(ops, area, target));
			} catch (e) {
				return fail(e as Error);
			}
			const mode: RefreshMode = full ? "full" : "partial";
			panel.refresh(mode, full ? undefined : window, (error) => {
				if (error) return fail(error);
				try {
					// SSD1680: the differential waveform compares new RAM with previous RAM, and nothing copies one into the other.
					if (!full && panel.rewritePrevious) bytes += this.#write(ops, area, "previous").bytes;
					panel.sleep();
				} catch (e) {
					return fail(e as Error);
				}
				policy.done(decision.action, nowS);
				this.#shown = ops;
				if (full) this.stats.full++;
				else this.stats.partial++;
				this.stats.bytes += bytes;
				this.#running = false;
				this.#report({ action: decision.action, reason: decision.reason, area, bytes });
				this.#next();
			});
		});
	}

	/** Renders layout `area` and writes it to the panel window it maps to. @returns bytes written and the panel window */
	#write(ops: readonly DrawOp[], area: Rect, target: RamTarget): { bytes: number; window: Rect } {
		const { panel, width, height } = this.#o;
		const rotation = this.#rotation;
		// The window in panel coordinates, widened to the controller's column alignment, then mapped back to the layout.
		const raw = rotation === 0 ? area : rotateRect(area, width, height, rotation);
		const window = alignRect(raw, panel.xAlign, panel.width, panel.height);
		if (rotation !== 0) {
			// Panel rows become layout columns: start them on a byte so each strip renders without the renderer widening it.
			const y0 = window.y & ~7;
			window.h = Math.min(panel.height, (window.y + window.h + 7) & ~7) - y0;
			window.y = y0;
		}
		const layoutArea = rotation === 0 ? window : rotateRect(window, panel.width, panel.height, (360 - rotation) as Rotation);
		let bytes = 0;
		if (rotation === 0) {
			this.renderer.render(ops, layoutArea, (band, data) => {
				panel.writeWindow(band, data, target);
				bytes += data.byteLength;
			});
			return { bytes, window };
		}
		// Rotated: walk the panel window in row chunks; each chunk is a strip of the layout, rendered, turned, written.
		const depth = panel.depth;
		const chunk = this.#chunkRows(window, depth);
		for (let py = window.y; py < window.y + window.h; py += chunk) {
			const rows = Math.min(chunk, window.y + window.h - py);
			const panelRect = { x: window.x, y: py, w: window.w, h: rows };
			const strip = intersectRect(rotateRect(panelRect, panel.width, panel.height, (360 - rotation) as Rotation), { x: 0, y: 0, w: width, h: height });
			const stripStride = depth === 1 ? (strip.w + 7) >> 3 : (strip.w + 1) >> 1;
			this.#strip.fill(0xff, 0, stripStride * strip.h);
			this.renderer.render(ops, strip, (band, data) => {
				// A band of the strip: copy its rows in place (the renderer widened x to a byte only when strip.x is unaligned, which chunking avoids).
				const bandStride = depth === 1 ? (band.w + 7) >> 3 : (band.w + 1) >> 1;
				for (let r = 0; r < band.h; r++) this.#strip.set(data.subarray(r * bandStride, r * bandStride + stripStride), (band.y - strip.y + r) * stripStride);
			});
			const turned = rotateBand(this.#strip, strip.w, strip.h, depth, rotation, this.#turned);
			const outStride = depth === 1 ? (panelRect.w + 7) >> 3 : (panelRect.w + 1) >> 1;
			const data = turned.subarray(0, outStride * rows);
			panel.writeWindow(panelRect, data, target);
			bytes += data.byteLength;
		}
		return { bytes, window };
	}

	/** Panel rows per chunk: the layout strip (rows become columns) must fit the strip buffer, a multiple of 8 rows so strips stay byte-aligned. */
	#chunkRows(window: Rect, depth: 1 | 4): number {
		const budget = this.#strip.byteLength;
		// A chunk of k panel rows is a layout strip k wide and window.w tall.
		let k = 8;
		for (;;) {
			const next = k + 8;
			const stride = depth === 1 ? (next + 7) >> 3 : (next + 1) >> 1;
			if (stride * window.w > budget || next > window.h) break;
			k = next;
		}
		return k;
	}

	#report(result: UpdateResult): void {
		this.stats.last = result.error ? `${result.action} failed: ${result.error.message}` : `${result.action}: ${result.reason}`;
		this.#o.onUpdate?.(result);
	}
}
