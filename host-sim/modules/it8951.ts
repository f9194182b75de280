/*
 * Host-sim `it8951`: Moddable's M5Paper display module (modules/drivers/
 * it8951/it8951.js, SDK 8.2.3) with the same class shape and misuse errors
 * (see types/it8951.d.ts), over a model of the IT8951's image buffer and the
 * glass: 960×540, 16 grays (0 black .. 15 white).
 *
 * It talks to no SPI: the IT8951 host protocol (preamble words, LD_IMG,
 * DPY_BUF_AREA, LUTAFSR polling) lives inside Moddable's own JS driver,
 * which the firmware never sees and the sim does not re-model. What it
 * keeps from the device is the contract at the Display API:
 *   - begin(x, y, w, h) throws Error when x or w is not a multiple of 4
 *     (rotation 0 only here: the firmware rotates in software);
 *   - send(pixels, offset, byteLength) writes 4 bpp pixels, high nibble
 *     first, row by row into the image buffer at the begun area;
 *   - end() starts an update of the area with the configured mode, unless
 *     it is "NONE"; continue() loads without an update and merges areas;
 *   - an update started while the previous one still runs would block the
 *     device in checkAFSR (busy-wait up to 3 s): recorded as a violation.
 * Recorded as `violations` (never thrown, the device does not check them):
 * send outside begin/end, a load that ends with a byte count that neither
 * fills the area nor is zero (zero = an update-only transaction), an area
 * outside the panel, an overlapping update.
 * `shownGray()` is the glass, one byte a pixel; counters count updates per
 * mode, `fullUpdates` (INIT, GC16 — the flashing waveforms that clear
 * ghosting) and `partialUpdates` (every other mode).
 * Plain TypeScript: runs inside XS too.
 */
import { bridge } from "../bridge/types";

const WIDTH = 960;
const HEIGHT = 540;
/** commodetto Bitmap.Gray16 */
const GRAY16 = 4;

export type IT8951UpdateMode = "INIT" | "DU" | "GC16" | "GL16" | "GLR16" | "GLD16" | "DU4" | "A2" | "NONE";

/** Nominal update times, ms (the driver's UpdateMode table comment, from M5EPD). */
export const IT8951_UPDATE_MS: Readonly<Record<Exclude<IT8951UpdateMode, "NONE">, number>> = Object.freeze({
	INIT: 2000,
	DU: 260,
	GC16: 450,
	GL16: 450,
	GLR16: 450,
	GLD16: 450,
	DU4: 120,
	A2: 290,
});

const FULL_MODES: readonly string[] = ["INIT", "GC16"];

interface Area {
	x: number;
	y: number;
	w: number;
	h: number;
}

let current: Display | undefined;

/** The Display the firmware constructed last (the host reads its glass for PNGs). */
export function currentIT8951(): Display | undefined {
	return current;
}

export default class Display {
	/** the IT8951 image buffer and the glass, one gray byte a pixel */
	readonly image = new Uint8Array(WIDTH * HEIGHT).fill(15);
	readonly glass = new Uint8Array(WIDTH * HEIGHT).fill(15);
	readonly updates: Record<string, number> = {};
	fullUpdates = 0;
	partialUpdates = 0;
	readonly violations: string[] = [];
	#ticks: () => number;
	#mode: IT8951UpdateMode = "GLD16";
	#load: (Area & { written: number }) | undefined;
	#area: Area | undefined;
	#continue = false;
	#busyUntil = 0;
	#closed = false;

	/** `options.ticks` replaces the bridge clock (tests on their own virtual clock). */
	constructor(options: { ticks?: () => number } = {}) {
		this.#ticks = options.ticks ?? (() => bridge().clock.ticks());
		current = this;
		// In a device realm, leave the glass where the host looks for a board's parts (PNG output, dashboard).
		if (!options.ticks) {
			const board = bridge().board as { parts?: Record<string, unknown> } | undefined;
			if (board?.parts) board.parts.it8951 = this;
		}
	}

	get width(): number {
		return WIDTH;
	}
	get height(): number {
		return HEIGHT;
	}
	get pixelFormat(): number {
		return GRAY16;
	}
	get rotation(): number {
		return 0;
	}
	set rotation(value: number) {
		if (value !== 0) throw new Error("it8951 sim: only rotation 0");
	}
	pixelsToBytes(pixels: number): number {
		return (pixels + 1) >> 1;
	}
	/** The mode end() will use. */
	get updateMode(): IT8951UpdateMode {
		return this.#mode;
	}
	/** An update is still running on the glass. */
	get updating(): boolean {
		return this.#ticks() < this.#busyUntil;
	}

	configure(options: { updateMode?: string; filter?: unknown }): void {
		this.#open();
		// Same fallback as the device: an unknown name becomes GLD16.
		if (options.updateMode) this.#mode = options.updateMode in IT8951_UPDATE_MS || options.updateMode === "NONE" ? (options.updateMode as IT8951UpdateMode) : "GLD16";
		if (options.filter !== undefined) this.violations.push("filter not modelled");
	}

	begin(x: number, y: number, width: number, height: number): void {
		this.#open();
		if ((x | width) & 3) throw new Error();
		if (this.#load) this.violations.push("begin while a load is open");
		if (x < 0 || y < 0 || width <= 0 || height <= 0 || x + width > WIDTH || y + height > HEIGHT) this.violations.push(`area ${x},${y} ${width}×${height} outside the ${WIDTH}×${HEIGHT} panel`);
		const a = { x, y, w: width, h: height };
		if (this.#continue && this.#area) {
			const x0 = Math.min(this.#area.x, x);
			const y0 = Math.min(this.#area.y, y);
			const x1 = Math.max(this.#area.x + this.#area.w, x + width);
			const y1 = Math.max(this.#area.y + this.#area.h, y + height);
			this.#area = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
		} else this.#area = { ...a };
		this.#load = { ...a, written: 0 };
	}

	send(pixels: ArrayBuffer | ArrayBufferView, offset = 0, byteLength?: number): void {
		this.#open();
		const load = this.#load;
		if (!load) {
			this.violations.push("send outside begin/end");
			return;
		}
		const src = ArrayBuffer.isView(pixels) ? new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) : new Uint8Array(pixels);
		const n = byteLength ?? src.length - offset;
		const rowBytes = load.w >> 1;
		const total = rowBytes * load.h;
		for (let i = 0; i < n; i++) {
			const k = load.written++;
			if (k >= total) {
				if (k === total) this.violations.push(`send beyond the ${load.w}×${load.h} area`);
				continue;
			}
			const b = src[offset + i];
			const y = load.y + Math.floor(k / rowBytes);
			const x = load.x + (k % rowBytes) * 2;
			if (y < HEIGHT && x + 1 < WIDTH) {
				this.image[y * WIDTH + x] = b >> 4;
				this.image[y * WIDTH + x + 1] = b & 15;
			}
		}
	}

	end(): void {
		this.#open();
		this.#closeLoad();
		this.#continue = false;
		const area = this.#area;
		if (!area || this.#mode === "NONE") return;
		this.#update(area, this.#mode);
	}

	continue(): void {
		this.#open();
		this.#closeLoad();
		this.#continue = true;
	}

	adaptInvalid(area: { x: number; y: number; w: number; h: number }): void {
		if (area.x & 3) {
			area.w += area.x & 3;
			area.x &= ~3;
		}
		area.w = (area.w + 3) & ~3;
	}

	/** Full-panel INIT update. */
	refresh(): void {
		this.#open();
		this.#update({ x: 0, y: 0, w: WIDTH, h: HEIGHT }, "INIT");
	}

	close(): void {
		this.#closed = true;
		if (current === this) current = undefined;
	}

	/** the glass as gray levels 0 ..= 15, row-major */
	shownGray(): Uint8Array {
		return this.glass.slice();
	}

	#closeLoad(): void {
		const load = this.#load;
		if (!load) return;
		this.#load = undefined;
		const need = (load.w >> 1) * load.h;
		if (load.written !== 0 && load.written < need) this.violations.push(`load of ${load.w}×${load.h} ended after ${load.written} of ${need} bytes`);
	}

	#update(area: Area, mode: Exclude<IT8951UpdateMode, "NONE">): void {
		const now = this.#ticks();
		if (now < this.#busyUntil) this.violations.push(`${mode} update while the previous one runs (the device blocks in checkAFSR)`);
		this.#busyUntil = Math.max(now, this.#busyUntil) + IT8951_UPDATE_MS[mode];
		for (let y = area.y; y < Math.min(HEIGHT, area.y + area.h); y++) {
			const at = y * WIDTH + area.x;
			this.glass.set(this.image.subarray(at, at + Math.min(area.w, WIDTH - area.x)), at);
		}
		this.updates[mode] = (this.updates[mode] ?? 0) + 1;
		if (FULL_MODES.includes(mode)) this.fullUpdates++;
		else this.partialUpdates++;
	}

	#open(): void {
		// The device's methods fail on the deleted SPI object after close.
		if (this.#closed) throw new Error("closed");
	}
}
