// CSF1 font parsing (firmware/gfx/packed-font.ts) and text fitting (firmware/gfx/text.ts).
// Portable: runs under vitest on Node and under the XS harness (no Node APIs, harness matchers only).
import { describe, it, expect } from "vitest";
import { FontError, PackedFont, glyphSource } from "../../firmware/gfx/packed-font";
import { ellipsisFor, fitText, textWidth } from "../../firmware/gfx/text";
import { corrupt, tinyFontBytes, tinyFontBytesWithoutEllipsis } from "./fixtures/tiny-font";

function fontError(f: () => unknown): FontError {
	try {
		f();
	} catch (e) {
		if (e instanceof FontError) return e;
		throw e;
	}
	throw new Error("expected a FontError");
}

describe("PackedFont parse", () => {
	it("reads the header metrics and metadata", () => {
		const font = new PackedFont(tinyFontBytes());
		expect(font.size).toBe(10);
		expect(font.ascent).toBe(8);
		expect(font.descent).toBe(2);
		expect(font.lineHeight).toBe(10);
		expect(font.missingAdvance).toBe(6);
		expect(font.glyphCount).toBe(29);
		expect(font.family).toBe("Curbside Tiny");
		expect(font.license).toBe("CC0-1.0");
		expect(font.source).toBe("tests/firmware/fixtures/tiny-font.ts");
	});

	it("accepts an ArrayBuffer and a Uint8Array view at an offset", () => {
		const bytes = tinyFontBytes();
		const a = new PackedFont(bytes.slice().buffer);
		const padded = new Uint8Array(bytes.length + 5);
		padded.set(bytes, 5);
		const b = new PackedFont(padded.subarray(5));
		expect(a.measure("1234")).toBe(24);
		expect(b.measure("1234")).toBe(24);
		expect(b.has(0x7ad9)).toBe(true);
	});

	it("finds every glyph by binary search and misses others", () => {
		const font = new PackedFont(tinyFontBytes());
		for (const ch of "0123456789ABCDEMNOSTUWXj:.\u2026 \u7AD9") expect(font.has(ch.codePointAt(0)!)).toBe(true);
		for (const cp of [0, 0x21, 0x5a, 0x7ad8, 0x7ada, 0x10ffff]) expect(font.has(cp)).toBe(false);
	});

	it("describes a glyph with signed bearings", () => {
		const font = new PackedFont(tinyFontBytes());
		const j = font.glyph(0x6a)!;
		expect(j.width).toBe(3);
		expect(j.height).toBe(9);
		expect(j.left).toBe(-1);
		expect(j.top).toBe(7);
		expect(j.advance).toBe(3);
		const w = font.glyph(0x57)!;
		expect(w.width).toBe(9);
		// two bytes per row: first row "#...#...#"
		expect(font.bitmap[w.offset]).toBe(0b10001000);
		expect(font.bitmap[w.offset + 1]).toBe(0b10000000);
		expect(font.glyph(0x5a)).toBeUndefined();
	});

	it("reuses the object passed in", () => {
		const font = new PackedFont(tinyFontBytes());
		const g = { width: 0, height: 0, left: 0, top: 0, advance: 0, offset: 0 };
		expect(font.glyph(0x31, g)).toBe(g);
		expect(g.width).toBe(5);
	});

	it("measures by code point, a missing glyph by the missing advance", () => {
		const font = new PackedFont(tinyFontBytes());
		expect(font.measure("")).toBe(0);
		expect(font.measure("12 3")).toBe(6 + 6 + 4 + 6);
		expect(font.measure("\u7AD9\u7AD9")).toBe(18);
		expect(font.advance(0x5a)).toBe(6);
		// an astral code point is one glyph (one missing box), not two UTF-16 halves
		expect(font.measure("\u{20BB7}")).toBe(6);
		expect(textWidth(font, "W.")).toBe(12);
	});

	it("is a glyph source for the renderer", () => {
		expect(glyphSource(new PackedFont(tinyFontBytes()))).toBeDefined();
		const metricsOnly = { size: 10, ascent: 8, descent: 2, lineHeight: 10, has: () => false, advance: () => 6, measure: (s: string) => 6 * [...s].length };
		expect(glyphSource(metricsOnly)).toBeUndefined();
	});
});

describe("PackedFont rejects malformed files", () => {
	it("bad magic", () => {
		expect(fontError(() => new PackedFont(corrupt.magic())).message).toMatch(/magic/);
	});
	it("unsupported version", () => {
		expect(fontError(() => new PackedFont(corrupt.version())).message).toMatch(/version 2/);
	});
	it("shorter than the header", () => {
		expect(fontError(() => new PackedFont(new Uint8Array(10))).message).toMatch(/header/);
		expect(fontError(() => new PackedFont(new Uint8Array(0))).message).toMatch(/header/);
	});
	it("truncated glyph table", () => {
		expect(fontError(() => new PackedFont(corrupt.truncatedTable())).message).toMatch(/glyph table/);
	});
	it("a glyph count far beyond the file", () => {
		expect(fontError(() => new PackedFont(corrupt.hugeCount())).message).toMatch(/1000000 glyphs/);
	});
	it("unsorted code points", () => {
		expect(fontError(() => new PackedFont(corrupt.unsorted())).message).toMatch(/sorted/);
	});
	it("a bitmap past the bitmap area", () => {
		expect(fontError(() => new PackedFont(corrupt.bitmapOutOfRange())).message).toMatch(/U\+38 bitmap/);
	});
	it("metadata without a terminator", () => {
		expect(fontError(() => new PackedFont(corrupt.metaUnterminated())).message).toMatch(/NUL/);
	});
	it("any truncation of a good font fails cleanly, never with a wrong read", () => {
		const bytes = tinyFontBytes();
		let failures = 0;
		for (let n = 0; n < bytes.length; n += 7) {
			try {
				new PackedFont(bytes.slice(0, n));
			} catch (e) {
				expect(e instanceof FontError).toBe(true);
				failures++;
			}
		}
		expect(failures).toBe(Math.ceil(bytes.length / 7));
	});
	it("is a FontError with its own name", () => {
		expect(fontError(() => new PackedFont(corrupt.magic())).name).toBe("FontError");
	});
});

describe("fitText", () => {
	const font = new PackedFont(tinyFontBytes());
	it("returns text that fits unchanged", () => {
		expect(fitText(font, "1234", 24)).toBe("1234");
		expect(fitText(font, "", 0)).toBe("");
	});
	it("cuts at a glyph boundary and adds U+2026", () => {
		// "…" is 6 px: 25 px leaves 19 for the prefix = three 6-px digits
		expect(fitText(font, "123456", 25)).toBe("123\u2026");
		expect(font.measure(fitText(font, "123456", 25))).toBeLessThanOrEqual(25);
	});
	it("keeps CJK code points whole", () => {
		expect(fitText(font, "\u7AD9\u7AD9\u7AD9", 20)).toBe("\u7AD9\u2026");
	});
	it("falls back to three dots when the font lacks U+2026", () => {
		const plain = new PackedFont(tinyFontBytesWithoutEllipsis());
		expect(ellipsisFor(plain)).toBe("...");
		expect(fitText(plain, "123456", 20)).toBe("12...");
	});
	it("returns an empty string when not even the ellipsis fits", () => {
		expect(fitText(font, "123456", 5)).toBe("");
		expect(fitText(font, "123456", -3)).toBe("");
	});
	it("returns just the ellipsis when no glyph fits before it", () => {
		expect(fitText(font, "123456", 8)).toBe("\u2026");
	});
});
