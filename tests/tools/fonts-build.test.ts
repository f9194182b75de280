/*
 * `curbside fonts build` (tools/fonts): real fonts in, CSF1 out, read back
 * with the firmware's own reader (firmware/gfx/packed-font.ts) so the writer
 * and the device agree on the format. Covers a TTF (DejaVu Sans), the CJK
 * collection (Noto Sans CJK SC, face chosen out of a .ttc), BDF, the glyph
 * subset from GTFS and the UI strings, the missing-character warning, the CLI's
 * one-line errors, determinism, and that the committed font set is current.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { UI_EXTRA_CHARS, UI_STRINGS } from "../../firmware/apps/stop-sign/ui-strings";
import { PackedFont } from "../../firmware/gfx/packed-font";
import { parseBdf } from "../../tools/fonts/bdf";
import { buildFont, missingWarning } from "../../tools/fonts/build";
import { writeCsf } from "../../tools/fonts/csf-writer";
import { FontBuildError } from "../../tools/fonts/errors";
import { openOutlineFace, rasterizeGlyphs } from "../../tools/fonts/rasterize";
import { loadRecipe } from "../../tools/fonts/recipe";
import { codePointsOf, collectSubset, gtfsStrings, uiStrings } from "../../tools/fonts/subset";
import { parseCsv } from "../../tools/gtfs/csv";
import { sharedData } from "../support/shared-data";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/curbside.js");
const DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const NOTO_REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const CJK_DEMO = join(ROOT, "scenarios/gtfs/cjk-demo");
const SAMPLE_FEED = sharedData("data/gtfs/sample-feed-1");
const BDF_FIXTURE = join(ROOT, "tests/tools/fixtures/fonts/tiny-8.bdf");

const cp = (ch: string) => ch.codePointAt(0)!;
const tmp = () => mkdtempSync(join(tmpdir(), "curbside-fonts-"));

function curbside(...args: string[]) {
	const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, cwd: ROOT });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

function inkPixels(font: PackedFont, codePoint: number): number {
	const g = font.glyph(codePoint)!;
	let n = 0;
	for (let i = 0; i < g.height * ((g.width + 7) >> 3); i++) for (let b = font.bitmap[g.offset + i]!; b; b &= b - 1) n++;
	return n;
}

/** Characters of the cjk-demo stop names (stops.txt, read with the project's CSV parser). */
function cjkDemoStopNames(): string[] {
	return parseCsv(readFileSync(join(CJK_DEMO, "stops.txt"), "utf8")).map((r) => r.stop_name!);
}

describe("TTF build (DejaVu Sans)", () => {
	const built = buildFont({ name: "t16", source: DEJAVU, size: 16 }, codePointsOf(["A g", "站"]));
	const font = new PackedFont(built.bytes);

	it("writes a CSF1 header the firmware reader accepts", () => {
		expect([...built.bytes.subarray(0, 4)]).toEqual([0x43, 0x53, 0x46, 0x31]);
		const view = new DataView(built.bytes.buffer, built.bytes.byteOffset);
		expect(view.getUint16(4, true)).toBe(1);
		expect(view.getUint32(20, true) % 4).toBe(0); // bitmap area 4-byte aligned
		expect(font.size).toBe(16);
		// DejaVu hhea: ascent 1901, descent 483 of 2048 units per em.
		expect(font.ascent).toBe(Math.round((1901 * 16) / 2048));
		expect(font.descent).toBe(Math.round((483 * 16) / 2048));
		expect(font.lineHeight).toBe(font.ascent + font.descent);
		expect(font.glyphCount).toBe(3);
		expect(font.family).toBe("DejaVu Sans");
		expect(font.source).toMatch(/^DejaVuSans\.ttf#DejaVuSans Version \d/);
	});

	it('"A" has ink, sits on the baseline and advances like the font says', () => {
		const a = font.glyph(cp("A"))!;
		expect(inkPixels(font, cp("A"))).toBeGreaterThan(20);
		expect(a.top).toBe(a.height); // capital A ends on the baseline
		expect(a.height).toBeGreaterThanOrEqual(11);
		expect(a.height).toBeLessThanOrEqual(13);
		expect(font.advance(cp("A"))).toBe(Math.round((1401 * 16) / 2048)); // DejaVu "A" advance 1401 units
		const g = font.glyph(cp("g"))!;
		expect(g.height).toBeGreaterThan(g.top); // the descender goes below the baseline
	});

	it("the space has an advance and no bitmap", () => {
		const space = font.glyph(0x20)!;
		expect(space.width * space.height).toBe(0);
		expect(font.advance(0x20)).toBe(Math.round((651 * 16) / 2048));
	});

	it("a character the font lacks is reported, warned about and left out", () => {
		expect(built.missing).toEqual([cp("站")]);
		expect(font.has(cp("站"))).toBe(false);
		expect(font.advance(cp("站"))).toBe(font.missingAdvance);
		expect(font.missingAdvance).toBe(Math.round((1229 * 16) / 2048)); // DejaVu .notdef
		expect(missingWarning(built)).toBe("warning: t16: 1 character missing from DejaVuSans.ttf: 站 (U+7AD9)");
	});

	it("the warning lists astral characters with their code points and caps a long list", () => {
		const b = buildFont({ name: "t12", source: DEJAVU, size: 12 }, codePointsOf(["A㐀𠀀"]));
		expect(missingWarning(b)).toBe("warning: t12: 2 characters missing from DejaVuSans.ttf: 㐀 (U+3400), 𠀀 (U+20000)");
		const many = buildFont({ name: "t12", source: DEJAVU, size: 12 }, codePointsOf(["一丁七万丈三上下不与丐丑专且丕世"]));
		expect(missingWarning(many, 3)).toMatch(/: 16 characters missing .*一 \(U\+4E00\), 丁 \(U\+4E01\), 七 \(U\+4E03\), … and 13 more$/);
	});

	it("building twice gives identical bytes", () => {
		const again = buildFont({ name: "t16", source: DEJAVU, size: 16 }, codePointsOf(["A g", "站"]));
		expect(Buffer.compare(Buffer.from(again.bytes), Buffer.from(built.bytes))).toBe(0);
	});
});

describe("CJK build (Noto Sans CJK SC from the .ttc)", () => {
	const subset = collectSubset({ gtfsDirs: [CJK_DEMO] });
	const built = buildFont({ name: "r16", source: NOTO_REGULAR, face: "NotoSansCJKsc-Regular", size: 16 }, subset);
	const font = new PackedFont(built.bytes);

	it("covers every character of the cjk-demo stop names and of UI_STRINGS zh, with ink", () => {
		expect(built.missing).toEqual([]);
		const needed = [...cjkDemoStopNames(), ...Object.values(UI_STRINGS).map((s) => s.zh), UI_EXTRA_CHARS].join("");
		expect(needed).toContain("渡轮码头");
		for (const ch of needed) {
			expect(font.has(cp(ch)), ch).toBe(true);
			if (ch !== " ") expect(inkPixels(font, cp(ch)), ch).toBeGreaterThan(0);
		}
		expect(font.advance(cp("站"))).toBe(16); // CJK ideographs are one em wide
		expect(font.license).toBe("OFL-1.1");
		expect(font.family).toBe("Noto Sans CJK SC");
	});

	it("draws the SC face, not the collection's first (JP) face", () => {
		// 骨 U+9AA8 differs between the Simplified Chinese and Japanese forms.
		const sc = rasterizeGlyphs(openOutlineFace(NOTO_REGULAR, "NotoSansCJKsc-Regular"), [0x9aa8], 24).glyphs[0]!;
		const jp = rasterizeGlyphs(openOutlineFace(NOTO_REGULAR, "NotoSansCJKjp-Regular"), [0x9aa8], 24).glyphs[0]!;
		expect(Buffer.compare(Buffer.from(sc.bits), Buffer.from(jp.bits))).not.toBe(0);
	});

	it("a code point outside the face is missing, never filled from another font", () => {
		const b = buildFont({ name: "r16", source: NOTO_REGULAR, face: "NotoSansCJKsc-Regular", size: 16 }, [cp("A"), 0x20000, 0x1f68c]);
		expect(b.missing).toEqual([0x20000, 0x1f68c]); // CJK Ext. B and an emoji: not in Noto Sans CJK
		expect(new PackedFont(b.bytes).glyphCount).toBe(1);
	});

	it("a collection needs a face, and an unknown face is one line naming the faces", () => {
		expect(() => openOutlineFace(NOTO_REGULAR)).toThrow(/NotoSansCJK-Regular\.ttc is a font collection: choose a face \(one of .*NotoSansCJKsc-Regular/);
		expect(() => openOutlineFace(NOTO_REGULAR, "NotoSansCJKxx-Regular")).toThrow(/has no face "NotoSansCJKxx-Regular"/);
	});
});

describe("BDF", () => {
	const text = readFileSync(BDF_FIXTURE, "utf8");

	it("parses the hand-written fixture: metrics, glyph placement and bits", () => {
		const bdf = parseBdf(text, "tiny-8.bdf");
		expect(bdf).toMatchObject({ family: "Curbside Tiny", copyright: "Public domain test fixture.", pixelSize: 8, ascent: 7, descent: 1 });
		expect(bdf.glyphs.map((g) => g.codePoint)).toEqual([0x20, 0x41, 0x7ad9]);
		const [space, a, zhan] = bdf.glyphs;
		expect(space).toMatchObject({ width: 0, height: 0, advance: 4 });
		expect(a).toMatchObject({ width: 5, height: 7, left: 0, top: 7, advance: 6 });
		expect([...a!.bits]).toEqual([0x20, 0x50, 0x88, 0x88, 0xf8, 0x88, 0x88]);
		// BBX 8 8 0 -1: bottom row one below the baseline, so 7 rows above it; 16-bit padded rows cut to one byte.
		expect(zhan).toMatchObject({ width: 8, height: 8, left: 0, top: 7, advance: 8 });
		expect([...zhan!.bits]).toEqual([0x24, 0xff, 0x24, 0xa5, 0x66, 0x24, 0x24, 0xff]);
	});

	it("builds to CSF1 at its own size and refuses another size", () => {
		const built = buildFont({ name: "tiny", source: BDF_FIXTURE, size: 8 }, codePointsOf(["A 站B"]));
		expect(built.missing).toEqual([cp("B")]);
		const font = new PackedFont(built.bytes);
		expect(font.glyph(cp("站"))).toMatchObject({ width: 8, height: 8, top: 7 });
		expect(font.lineHeight).toBe(8);
		expect(() => buildFont({ name: "tiny", source: BDF_FIXTURE, size: 16 }, [0x41])).toThrow("tiny: tiny-8.bdf is a 8 px bitmap font; it cannot be built at 16 px");
	});

	it("a missing ENDCHAR fails with the line of the STARTCHAR and where it was noticed", () => {
		const broken = text.replace("88\nENDCHAR\nSTARTCHAR uni7AD9", "88\nSTARTCHAR uni7AD9");
		expect(() => parseBdf(broken, "broken.bdf")).toThrow('broken.bdf:28: STARTCHAR at line 15 has no ENDCHAR (found "STARTCHAR uni7AD9")');
	});

	it("bad hex in a bitmap row fails with its line number", () => {
		const lines = text.split("\n");
		const row = lines.indexOf("F8");
		lines[row] = "FG";
		expect(() => parseBdf(lines.join("\n"), "bad.bdf")).toThrow(`bad.bdf:${row + 1}: bad hex row "FG"`);
	});

	it("too few bitmap rows, a non-Unicode charset and a missing ENDFONT are errors", () => {
		expect(() => parseBdf(text.replace("F8\n88\n88\nENDCHAR", "F8\nENDCHAR"), "short.bdf")).toThrow(/BITMAP has 5 rows, BBX says 7/);
		expect(() => parseBdf(text.replace('"ISO10646"', '"JISX0208.1983"'), "jis.bdf")).toThrow(/charset JISX0208.1983-\? is not Unicode/);
		expect(() => parseBdf(text.replace("ENDFONT", ""), "cut.bdf")).toThrow(/no ENDFONT/);
		expect(() => parseBdf("hello", "x.bdf")).toThrow("x.bdf:1: not a BDF file (expected STARTFONT)");
	});
});

describe("glyph subset", () => {
	it("takes names from both feeds, their translations and the UI strings, without duplicates", () => {
		const subset = collectSubset({ gtfsDirs: [CJK_DEMO, SAMPLE_FEED] });
		const has = (s: string) => [...s].every((ch) => subset.includes(cp(ch)));
		expect(has("渡轮码头人民医院海港线车站快线")).toBe(true); // cjk-demo stops and routes
		expect(has("Furnace Creek Resort (Demo)")).toBe(true); // sample-feed-1
		expect(has(UI_STRINGS.stale.zh + UI_STRINGS.due.zh + UI_EXTRA_CHARS)).toBe(true);
		expect(subset).toEqual([...new Set(subset)].sort((a, b) => a - b));
		expect(subset).not.toContain(0x0d);
		expect(subset).not.toContain(0xfeff);
		expect(gtfsStrings(CJK_DEMO)).toEqual(expect.arrayContaining(["渡轮码头", "Ferry Pier", "People's Hospital", "Harbour Line", "X2", "火车站"]));
		// The same feed given twice adds nothing.
		expect(collectSubset({ gtfsDirs: [CJK_DEMO, CJK_DEMO] })).toEqual(collectSubset({ gtfsDirs: [CJK_DEMO] }));
	});

	it("reads a BOM and quoted fields with commas and quotes", () => {
		const dir = tmp();
		writeFileSync(join(dir, "stops.txt"), '\uFEFFstop_name,stop_id\r\n"Quay 4, ""East"" 东",S1\r\n');
		expect(gtfsStrings(dir)).toEqual(['Quay 4, "East" 东']);
		expect(collectSubset({ gtfsDirs: [dir], ui: false })).toEqual(codePointsOf(['Quay 4, "East" 东']));
	});

	it("adds --strings files and the printable ASCII range", () => {
		const dir = tmp();
		writeFileSync(join(dir, "extra.txt"), "龍\n");
		const subset = collectSubset({ stringFiles: [join(dir, "extra.txt")] });
		expect(subset).toContain(cp("龍"));
		for (let c = 0x20; c <= 0x7e; c++) expect(subset).toContain(c);
		expect(uiStrings()).toContain(UI_STRINGS.noBoard.zh);
		expect(() => collectSubset({ stringFiles: [join(dir, "nope.txt")] })).toThrow(/cannot read strings file .*nope\.txt: ENOENT/);
	});

	it("a GTFS folder without stops.txt is an error; a malformed file names its line", () => {
		const dir = tmp();
		expect(() => gtfsStrings(dir)).toThrow(FontBuildError);
		expect(() => gtfsStrings(dir)).toThrow(`GTFS feed ${dir} has no stops.txt`);
		writeFileSync(join(dir, "stops.txt"), 'stop_id,stop_name\nS1,"open\n');
		expect(() => gtfsStrings(dir)).toThrow(/stops\.txt: line 2: quoted field never closed/);
	});
});

describe("CSF1 writer", () => {
	const glyph = { codePoint: 0x41, width: 1, height: 1, left: 0, top: 1, advance: 2, bits: new Uint8Array([0x80]) };
	const base = { size: 8, ascent: 7, descent: 1, lineHeight: 8, missingAdvance: 4 };

	it("refuses repeated code points, out-of-range fields and a wrong bitmap length", () => {
		expect(() => writeCsf({ ...base, glyphs: [glyph, glyph] })).toThrow("CSF1: glyph U+41 appears twice");
		expect(() => writeCsf({ ...base, glyphs: [{ ...glyph, left: -129 }] })).toThrow("CSF1: glyph U+41 left -129 is outside -128..127");
		expect(() => writeCsf({ ...base, glyphs: [{ ...glyph, bits: new Uint8Array(2) }] })).toThrow("CSF1: glyph U+41 has 2 bitmap bytes, expected 1");
	});

	it("sorts records and omits metadata when there is none", () => {
		const bytes = writeCsf({ ...base, glyphs: [{ ...glyph, codePoint: 0x7ad9 }, glyph] });
		const font = new PackedFont(bytes);
		expect(new DataView(bytes.buffer).getUint32(24, true)).toBe(0);
		expect(font.has(0x41) && font.has(0x7ad9)).toBe(true);
		expect(font.family).toBe("");
	});
});

describe("recipe and committed fonts", () => {
	it("the committed set is what the recipe builds from the two feeds", () => {
		const subset = collectSubset({ gtfsDirs: [CJK_DEMO, SAMPLE_FEED] });
		const specs = loadRecipe(join(ROOT, "resources/fonts/fonts.json"));
		expect(specs.map((s) => `${s.name}@${s.size}`)).toEqual(["r12@12", "r16@16", "r24@24", "r32@32", "r48@48", "b24@24", "b40@40"]);
		const manifest = JSON.parse(readFileSync(join(ROOT, "resources/fonts/manifest.json"), "utf8"));
		expect(manifest.data["*"]).toEqual(specs.map((s) => `./${s.name}`));
		for (const spec of specs.filter((s) => s.name === "r16" || s.name === "b24")) {
			const committed = readFileSync(join(ROOT, `resources/fonts/${spec.name}.csf`));
			expect(Buffer.compare(committed, Buffer.from(buildFont(spec, subset).bytes)), `${spec.name}.csf is stale: run curbside fonts build`).toBe(0);
		}
	});

	it("a bad recipe names the field", () => {
		const dir = tmp();
		const file = join(dir, "fonts.json");
		writeFileSync(file, JSON.stringify({ fonts: [{ name: "r16", source: DEJAVU, size: 200 }] }));
		expect(() => loadRecipe(file)).toThrow(`font recipe ${file}: fonts[0].size: expected whole pixels 6..96, got 200`);
		writeFileSync(file, JSON.stringify({ fonts: [{ name: "r16", source: DEJAVU, size: 16, sise: 1 }] }));
		expect(() => loadRecipe(file)).toThrow(/fonts\[0\]: unknown field "sise"/);
		writeFileSync(file, "{");
		expect(() => loadRecipe(file)).toThrow(/^font recipe .*fonts\.json: /);
	});
});

describe("curbside fonts build (CLI)", () => {
	it("builds one font with --font, warns about missing characters on stderr and exits 0", () => {
		const dir = tmp();
		writeFileSync(join(dir, "extra.txt"), "Ω");
		const r = curbside("fonts", "build", "--font", DEJAVU, "--size", "12", "--name", "dv12", "--strings", join(dir, "extra.txt"), "--gtfs", SAMPLE_FEED, "--out", dir);
		expect(r.code).toBe(0);
		// DejaVu has no CJK: the UI's Chinese strings are missing, the build still succeeds.
		const line = /^dv12: (\d+) glyphs, \d+ bytes, (\d+) missing -> /m.exec(r.out)!;
		expect(line).not.toBe(null);
		const warning = /^warning: dv12: (\d+) characters missing from DejaVuSans\.ttf: .*站 \(U\+7AD9\)/.exec(r.err)!;
		expect(warning).not.toBe(null);
		expect(warning[1]).toBe(line[2]);
		expect(r.err.trim().split("\n")).toHaveLength(1);
		const font = new PackedFont(readFileSync(join(dir, "dv12.csf")));
		expect(font.glyphCount).toBe(Number(line[1]));
		expect(font.has(cp("Ω")) && font.has(cp("F"))).toBe(true); // from --strings and from the sample feed's stop names
		expect(font.has(cp("站"))).toBe(false);
	});

	it("builds a recipe into --out and lists the fonts in a Moddable manifest there", () => {
		const dir = tmp();
		writeFileSync(join(dir, "fonts.json"), JSON.stringify({ fonts: [{ name: "tiny", source: BDF_FIXTURE, size: 8 }, { name: "dv10", source: DEJAVU, size: 10 }] }));
		mkdirSync(join(dir, "out"));
		const r = curbside("fonts", "build", "--recipe", join(dir, "fonts.json"), "--gtfs", CJK_DEMO, "--out", join(dir, "out"));
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/^tiny: 3 glyphs, \d+ bytes, \d+ missing/m);
		expect(r.out).toMatch(/^total: 2 fonts, \d+ bytes/m);
		expect(r.err).toMatch(/^warning: dv10: \d+ characters missing from DejaVuSans\.ttf: 不 \(U\+4E0D\), /m);
		expect(JSON.parse(readFileSync(join(dir, "out/manifest.json"), "utf8"))).toEqual({ data: { "*": ["./tiny", "./dv10"] } });
		expect(existsSync(join(dir, "out/dv10.csf"))).toBe(true);
	});

	it("a font that cannot be read is one line, exit 1", () => {
		const r = curbside("fonts", "build", "--font", "/nonexistent/font.ttf", "--size", "16", "--name", "x", "--out", tmp());
		expect(r.code).toBe(1);
		expect(r.err).toBe("curbside: x: cannot read font /nonexistent/font.ttf: not found\n");
	});

	it("a file that is not a font is one line, exit 1", () => {
		const dir = tmp();
		writeFileSync(join(dir, "junk.ttf"), "not a font at all");
		const r = curbside("fonts", "build", "--font", join(dir, "junk.ttf"), "--size", "16", "--name", "x", "--out", dir);
		expect(r.code).toBe(1);
		expect(r.err).toMatch(/^curbside: cannot parse font .*junk\.ttf: .+\n$/);
	});

	it("a GTFS folder without stops.txt is one line, exit 1", () => {
		const dir = tmp();
		const r = curbside("fonts", "build", "--font", DEJAVU, "--size", "12", "--name", "x", "--gtfs", dir, "--out", dir);
		expect(r.code).toBe(1);
		expect(r.err).toBe(`curbside: GTFS feed ${dir} has no stops.txt\n`);
	});

	it("a bad recipe is one line, exit 1, and --font needs --size and --name", () => {
		const dir = tmp();
		writeFileSync(join(dir, "fonts.json"), JSON.stringify({ fonts: [] }));
		const r = curbside("fonts", "build", "--recipe", join(dir, "fonts.json"));
		expect(r.code).toBe(1);
		expect(r.err).toMatch(/^curbside: font recipe .*: expected \{"fonts": \[ … \]\} with at least one font\n$/);
		expect(curbside("fonts", "build", "--font", DEJAVU).err).toBe("curbside: --font needs --size PX and --name NAME\n");
	});
});
