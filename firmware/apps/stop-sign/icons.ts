/*
 * The stop sign's pictures, drawn as data: each is ASCII art ("#" = ink,
 * "." = paper) turned into a 1-bit Icon (firmware/gfx/types.ts: rows MSB-first,
 * stride ceil(w/8), bit 1 = ink) once, at module load, so a preloaded module
 * keeps them in flash and the screen reuses the same objects (the damage diff
 * compares icons by identity).
 *
 * Two sizes: "small" for the 2.9" and 4.2" panels (rows 30–73 px), "large"
 * for the 7.5" panel and M5Paper (rows 75–143 px). The large set is the small
 * art at twice the size: on a 1-bit panel a pixel-doubled pictogram stays
 * crisp, and one drawing per picture keeps the two sizes identical in meaning.
 *
 * Crowding follows the three levels of the screen model (screen-model.ts):
 * one, two or three person figures (a fixed 3-figure width, so the column does
 * not jump), a crossed figure for "not boardable". Per-carriage crowding is a
 * carriage box filled a third, two thirds or fully; a hollow box is a carriage
 * without data, a crossed box one that takes no passengers.
 */
import type { Icon } from "../../gfx/types";

/** ASCII art → Icon. @throws RangeError on ragged rows or a character other than "#" and "." */
export function iconFromArt(rows: readonly string[]): Icon {
	const h = rows.length;
	const w = h ? rows[0].length : 0;
	const stride = (w + 7) >> 3;
	const bits = new Uint8Array(stride * h);
	for (let y = 0; y < h; y++) {
		const row = rows[y];
		if (row.length !== w) throw new RangeError(`icon art: row ${y} is ${row.length} wide, expected ${w}`);
		for (let x = 0; x < w; x++) {
			const c = row.charCodeAt(x);
			if (c === 0x23) bits[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
			else if (c !== 0x2e) throw new RangeError(`icon art: row ${y} has "${row[x]}" at ${x}`);
		}
	}
	return Object.freeze({ w, h, bits });
}

/** `icon` with every pixel doubled in both directions. */
export function scaleIcon2(icon: Icon): Icon {
	const w = icon.w * 2;
	const h = icon.h * 2;
	const srcStride = (icon.w + 7) >> 3;
	const stride = (w + 7) >> 3;
	const bits = new Uint8Array(stride * h);
	for (let y = 0; y < icon.h; y++)
		for (let x = 0; x < icon.w; x++) {
			if (!(icon.bits[y * srcStride + (x >> 3)] & (0x80 >> (x & 7)))) continue;
			for (let dy = 0; dy < 2; dy++)
				for (let dx = 0; dx < 2; dx++) {
					const X = 2 * x + dx;
					bits[(2 * y + dy) * stride + (X >> 3)] |= 0x80 >> (X & 7);
				}
		}
	return Object.freeze({ w, h, bits });
}

// A standing person, 5 × 12: head, shoulders and body, two legs.
const PERSON = [
	".###.",
	".###.",
	".###.",
	".....",
	"#####",
	"#####",
	"#####",
	"#####",
	".#.#.",
	".#.#.",
	".#.#.",
	".#.#.",
];
const BLANK_PERSON = PERSON.map((r) => ".".repeat(r.length));

/** `n` figures of three, 1 px apart (17 × 12). */
function figures(n: number): string[] {
	return PERSON.map((_, y) => [0, 1, 2].map((i) => (i < n ? PERSON : BLANK_PERSON)[y]).join("."));
}

// "Not boardable": a figure next to a bold cross, the same 17 × 12 box as the levels
// (a cross drawn over the figure would vanish into its ink on a 1-bit panel).
const CROSS = [
	"##.......##",
	"##.......##",
	".##.....##.",
	"..##...##..",
	"...##.##...",
	"....###....",
	"....###....",
	"...##.##...",
	"..##...##..",
	".##.....##.",
	"##.......##",
	"##.......##",
];
const NO_BOARD = PERSON.map((row, y) => row + "." + CROSS[y]);

// Carriage boxes, 6 × 12 (1 px wall): the fill rises with crowding.
function carriage(filledRows: number): string[] {
	const rows: string[] = ["######"];
	for (let y = 0; y < 10; y++) rows.push(y >= 10 - filledRows ? "######" : "#....#");
	rows.push("######");
	return rows;
}
const CAR_NO_BOARD = ["######", "#....#", "##..##", "##..##", "#.##.#", "#.##.#", "#.##.#", "#.##.#", "##..##", "##..##", "#....#", "######"];

// A warning triangle with "!" for the notice on the alert line (offline, stale, clock not set), 12 × 12.
const WARNING = [
	".....##.....",
	".....##.....",
	"....#..#....",
	"....#..#....",
	"...#.##.#...",
	"...#.##.#...",
	"..#..##..#..",
	"..#..##..#..",
	".#........#.",
	".#...##...#.",
	"#....##....#",
	"############",
];

export type CrowdIcon = "low" | "mid" | "high" | "noboard";
export type CarIcon = CrowdIcon | "none";

export interface IconSet {
	/** vehicle crowding: 1, 2, 3 figures, or crossed */
	readonly crowd: Readonly<Record<CrowdIcon, Icon>>;
	/** one carriage; "none" = no data (hollow) */
	readonly car: Readonly<Record<CarIcon, Icon>>;
	/** horizontal distance from one carriage to the next, px */
	readonly carPitch: number;
	/** the notice mark on the alert line */
	readonly warning: Icon;
}

function smallSet(): IconSet {
	return Object.freeze({
		crowd: Object.freeze({ low: iconFromArt(figures(1)), mid: iconFromArt(figures(2)), high: iconFromArt(figures(3)), noboard: iconFromArt(NO_BOARD) }),
		car: Object.freeze({
			low: iconFromArt(carriage(3)),
			mid: iconFromArt(carriage(6)),
			high: iconFromArt(carriage(10)),
			noboard: iconFromArt(CAR_NO_BOARD),
			none: iconFromArt(carriage(0)),
		}),
		carPitch: 7,
		warning: iconFromArt(WARNING),
	});
}

function doubled(s: IconSet): IconSet {
	const crowd = s.crowd;
	const car = s.car;
	return Object.freeze({
		crowd: Object.freeze({ low: scaleIcon2(crowd.low), mid: scaleIcon2(crowd.mid), high: scaleIcon2(crowd.high), noboard: scaleIcon2(crowd.noboard) }),
		car: Object.freeze({ low: scaleIcon2(car.low), mid: scaleIcon2(car.mid), high: scaleIcon2(car.high), noboard: scaleIcon2(car.noboard), none: scaleIcon2(car.none) }),
		carPitch: s.carPitch * 2,
		warning: scaleIcon2(s.warning),
	});
}

const SMALL = smallSet();

export const ICONS: Readonly<{ small: IconSet; large: IconSet }> = Object.freeze({ small: SMALL, large: doubled(SMALL) });
