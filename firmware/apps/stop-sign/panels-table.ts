/*
 * Which e-paper panel sits on which board (plain data: the firmware opens
 * drivers from it in panels.ts, the simulator reads its glass from it).
 *
 *   board            panel                               layout    rotation
 *   m5paper          IT8951 bridge, 960×540, 16 grays    m5paper   0
 *   generic-epd29    SSD1680 2.9" 128×296 (portrait)     epd290    90 (landscape)
 *   generic-epd42    UC8179 at 400×300 (TRES)            epd420    0
 *   generic-epd75    UC8179 7.5" 800×480                 epd750    0
 */
import type { LayoutName } from "./layouts";

export interface PanelSpec {
	controller: "ssd1680" | "uc8179" | "it8951";
	width: number;
	height: number;
	layout: LayoutName;
	/** clockwise turn from the layout to the panel */
	rotation: 0 | 90;
}

export const BOARD_PANELS: Readonly<Record<string, PanelSpec>> = Object.freeze({
	m5paper: { controller: "it8951", width: 960, height: 540, layout: "m5paper", rotation: 0 },
	"generic-epd29": { controller: "ssd1680", width: 128, height: 296, layout: "epd290", rotation: 90 },
	"generic-epd42": { controller: "uc8179", width: 400, height: 300, layout: "epd420", rotation: 0 },
	"generic-epd75": { controller: "uc8179", width: 800, height: 480, layout: "epd750", rotation: 0 },
});


/** The panel fitted to `board`, or undefined when the board has none (a bare DevKitC: the sign runs headless). */
export function panelFor(board: string): PanelSpec | undefined {
	return Object.prototype.hasOwnProperty.call(BOARD_PANELS, board) ? BOARD_PANELS[board] : undefined;
}
