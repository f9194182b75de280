// Golden images of the stop sign on both engines (issue #4: "Golden PNGs for each layout, Latin and CJK,
// identical on Node and on real XS"). Every case of fixtures/sign-models.ts is composed and rendered with the
// shipped fonts, and the SHA-256 of its packed frame must equal the digest of the golden PNG's pixels
// (fixtures/golden-digests.ts, generated from tests/goldens/*.png by tools/goldens.ts). Portable: runs under
// vitest and, through tools/xs/run-tests.ts, on xsnap; the fonts come in as bytes (a ".csf" import), not from fs.
import { describe, it, expect } from "vitest";
import { Digest } from "crypt";
import { PackedFont } from "../../firmware/gfx/packed-font";
import type { Font } from "../../firmware/gfx/types";
import r12 from "../../resources/fonts/r12.csf";
import r16 from "../../resources/fonts/r16.csf";
import r24 from "../../resources/fonts/r24.csf";
import r32 from "../../resources/fonts/r32.csf";
import r48 from "../../resources/fonts/r48.csf";
import b24 from "../../resources/fonts/b24.csf";
import b40 from "../../resources/fonts/b40.csf";
import { GOLDEN_DIGESTS } from "./fixtures/golden-digests";
import { GOLDEN_CASES, MISSING_GLYPH, MISSING_GLYPH_MODEL, renderCase, renderSign } from "./fixtures/sign-models";

const FONT_BYTES: Record<string, Uint8Array> = { r12, r16, r24, r32, r48, b24, b40 };
const opened = new Map<string, Font>();

/** The shipped font `name`, opened the way the sign opens its resource. */
function fonts(name: string): Font {
	let f = opened.get(name);
	if (!f) {
		const bytes = FONT_BYTES[name];
		if (!bytes) throw new Error(`no font "${name}"`);
		f = new PackedFont(bytes);
		opened.set(name, f);
	}
	return f;
}

/** SHA-256 of a whole frame (its own buffer), lowercase hex: the encoding tools/goldens.ts writes. */
function sha256(frame: Uint8Array): string {
	const d = new Digest("SHA256");
	d.write(frame.buffer.byteLength === frame.byteLength ? (frame.buffer as ArrayBuffer) : (frame.slice().buffer as ArrayBuffer));
	const out = new Uint8Array(d.close());
	let hex = "";
	for (let i = 0; i < out.length; i++) hex += (out[i] < 16 ? "0" : "") + out[i].toString(16);
	return hex;
}

describe("sign golden images", () => {
	it("the digest fixture has exactly one digest per golden case", () => {
		const names = GOLDEN_CASES.map((c) => c.name).sort();
		expect(Object.keys(GOLDEN_DIGESTS).sort()).toEqual(names);
		// 4 layouts × normal/large × Latin/CJK, plus the stale and missing-glyph screens
		expect(names).toHaveLength(18);
	});

	for (const c of GOLDEN_CASES)
		it(`${c.name} renders the golden pixels`, () => {
			const { layout, frame } = renderCase(c, fonts);
			expect(frame.length).toBe(layout.height * (layout.depth === 1 ? (layout.width + 7) >> 3 : (layout.width + 1) >> 1));
			expect(sha256(frame)).toBe(GOLDEN_DIGESTS[c.name]);
		});

	it("a frame one pixel off has a different digest (the comparison can fail)", () => {
		const c = GOLDEN_CASES[0];
		const { frame } = renderCase(c, fonts);
		frame[frame.length >> 1] ^= 0x10;
		expect(sha256(frame)).not.toBe(GOLDEN_DIGESTS[c.name]);
	});

	it("a character missing from the font draws a box, never nothing", () => {
		const strip = (s: string | undefined) => (s === undefined ? s : s.split(MISSING_GLYPH).join(""));
		const without = {
			...MISSING_GLYPH_MODEL,
			stopNameZh: strip(MISSING_GLYPH_MODEL.stopNameZh),
			alertZh: strip(MISSING_GLYPH_MODEL.alertZh),
			rows: MISSING_GLYPH_MODEL.rows.map((r) => ({ ...r, dest: strip(r.dest)!, destZh: strip(r.destZh) })),
		};
		expect(fonts("r24").has(MISSING_GLYPH.codePointAt(0)!)).toBe(false);
		const withBox = renderSign(MISSING_GLYPH_MODEL, "epd750", false, true, fonts).frame;
		const plain = renderSign(without, "epd750", false, true, fonts).frame;
		let differing = 0;
		for (let i = 0; i < withBox.length; i++) if (withBox[i] !== plain[i]) differing++;
		expect(differing).toBeGreaterThan(0);
	});

	it("a layout whose font is not shipped fails with the font's name", () => {
		const c = GOLDEN_CASES[0];
		const withoutR16 = (name: string): Font => {
			if (name === "r16") throw new Error(`font resource "${name}.csf" is not in this build`);
			return fonts(name);
		};
		expect(() => renderCase(c, withoutR16)).toThrow('font resource "r16.csf"');
	});
});
