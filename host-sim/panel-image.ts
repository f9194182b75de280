/*
 * What a simulated sign's panel shows, as the rider sees it (Node side):
 * the controller model's glass (SSD1680, UC8179 or the M5Paper's IT8951),
 * turned back from panel-native to the layout's orientation, as gray levels
 * 0..15, and as a PNG for `curbside sim run --png` and the golden tests.
 */
import { panelFor } from "../firmware/apps/stop-sign/panels-table";
import { encodePng } from "./png";

export interface PanelImage {
	width: number;
	height: number;
	/** one gray level 0 (ink) ..= 15 (paper) per pixel, row-major */
	gray: Uint8Array;
	controller: string;
	/** refresh counters of the model */
	full: number;
	partial: number;
	violations: readonly string[];
}

interface GlassModel {
	width?: number;
	height?: number;
	shownGray(): Uint8Array;
	fullRefreshes?: number;
	partialRefreshes?: number;
	fullUpdates?: number;
	partialUpdates?: number;
	violations: string[];
}

/** The panel of a board's parts (`bridge.board.parts`), or undefined when it has none. */
export function panelImage(board: string, parts: Record<string, unknown> | undefined): PanelImage | undefined {
	const spec = panelFor(board);
	if (!spec || !parts) return undefined;
	const model = parts[spec.controller] as GlassModel | undefined;
	if (!model) return undefined;
	const native = model.shownGray();
	const pw = spec.width;
	const ph = spec.height;
	let width = pw;
	let height = ph;
	let gray = native;
	if (spec.rotation === 90) {
		// The layout was turned clockwise onto the panel: turn the glass back (layout x = panel y, layout y = pw − 1 − panel x).
		width = ph;
		height = pw;
		gray = new Uint8Array(width * height);
		for (let py = 0; py < ph; py++) for (let px = 0; px < pw; px++) gray[(pw - 1 - px) * width + py] = native[py * pw + px];
	}
	return {
		width,
		height,
		gray,
		controller: spec.controller,
		full: model.fullRefreshes ?? model.fullUpdates ?? 0,
		partial: model.partialRefreshes ?? model.partialUpdates ?? 0,
		violations: model.violations,
	};
}

/** A PNG (8-bit gray) of the image. */
export function panelPng(image: PanelImage): Uint8Array {
	const stride = (image.width + 1) >> 1;
	const packed = new Uint8Array(stride * image.height);
	for (let y = 0; y < image.height; y++)
		for (let x = 0; x < image.width; x++) {
			const v = image.gray[y * image.width + x] & 15;
			packed[y * stride + (x >> 1)] |= x & 1 ? v : v << 4;
		}
	return encodePng(image.width, image.height, 4, packed);
}
