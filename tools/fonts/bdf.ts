/*
 * Adobe Glyph Bitmap Distribution Format (BDF) 2.1 reader
 * (https://adobe-type-tools.github.io/font-tech-notes/pdfs/5005.BDF_Spec.pdf).
 * A BDF font is already a bitmap at one pixel size, so no rasterizer is needed.
 * What it reads (spec section in brackets):
 *   STARTFONT, FONTBOUNDINGBOX w h xoff yoff [3.1], SIZE, the properties
 *   FONT_ASCENT / FONT_DESCENT / PIXEL_SIZE / FAMILY_NAME / COPYRIGHT /
 *   CHARSET_REGISTRY [3.2, 3.1 "STARTPROPERTIES"], a font-wide DWIDTH for METRICSSET 0 [3.1],
 *   and per character ENCODING, DWIDTH, BBX, BITMAP hex rows, ENDCHAR [3.2].
 * BBX's yoff is the bitmap's bottom row relative to the baseline (up is
 * positive), so the CSF "top" (rows from the top row up to the baseline) is
 * yoff + h. Rows wider than ceil(w/8) bytes (some tools pad to 16 or 32 bits) are
 * accepted and cut; bits past `w` are cleared. Characters with ENCODING -1
 * (no standard code) are skipped. Only Unicode fonts are accepted
 * (CHARSET_REGISTRY ISO10646 or ISO8859-1, whose codes are Unicode's; absent = assumed Unicode).
 * Errors name the file and line: "fixture.bdf:14: bad hex row "0G"".
 */
import { FontBuildError } from "./errors";
import { rowBytes, type GlyphBitmap } from "./glyph";

export interface BdfFont {
	/** FAMILY_NAME, else the FONT name */
	family: string;
	/** COPYRIGHT property, "" if none */
	copyright: string;
	/** PIXEL_SIZE, else the SIZE point size at its y resolution, else the bounding box height */
	pixelSize: number;
	ascent: number;
	descent: number;
	glyphs: GlyphBitmap[];
}

/** Parses BDF 2.1 text; `source` names the file in errors. Throws FontBuildError with the line number on malformed input. */
export function parseBdf(text: string, source = "font.bdf"): BdfFont {
	const lines = text.split(/\r\n|\n|\r/);
	const fail = (line: number, msg: string): never => {
		throw new FontBuildError(`${source}:${line}: ${msg}`);
	};
	const ints = (line: number, keyword: string, args: string[], count: number): number[] => {
		if (args.length < count) fail(line, `${keyword} needs ${count} numbers, got ${args.length}`);
		return args.slice(0, count).map((a) => {
			if (!/^[+-]?\d+$/.test(a)) fail(line, `${keyword}: "${a}" is not an integer`);
			return Number(a);
		});
	};

	let i = 0;
	const next = (): { no: number; keyword: string; args: string[]; raw: string } | undefined => {
		while (i < lines.length) {
			const raw = lines[i]!.trim();
			const no = ++i;
			if (raw === "" || raw.startsWith("COMMENT")) continue;
			const parts = raw.split(/\s+/);
			return { no, keyword: parts[0]!, args: parts.slice(1), raw };
		}
		return undefined;
	};

	const first = next();
	if (!first || first.keyword !== "STARTFONT") fail(first?.no ?? 1, "not a BDF file (expected STARTFONT)");
	let fontName = "";
	let bbox: number[] | undefined;
	let sizeFromSize: number | undefined;
	let fontDwidth: number | undefined;
	const props = new Map<string, string>();
	const glyphs: GlyphBitmap[] = [];
	let ended = false;

	for (let l = next(); l; l = next()) {
		switch (l.keyword) {
			case "FONT":
				fontName = l.raw.slice(4).trim();
				break;
			case "SIZE": {
				const [pt, , yres] = ints(l.no, "SIZE", l.args, 3);
				sizeFromSize = Math.round((pt! * yres!) / 72);
				break;
			}
			case "FONTBOUNDINGBOX":
				bbox = ints(l.no, "FONTBOUNDINGBOX", l.args, 4);
				break;
			case "DWIDTH":
				fontDwidth = ints(l.no, "DWIDTH", l.args, 2)[0];
				break;
			case "STARTPROPERTIES":
				for (let p = next(); ; p = next()) {
					if (!p) fail(lines.length, `STARTPROPERTIES at line ${l.no} has no ENDPROPERTIES`);
					if (p!.keyword === "ENDPROPERTIES") break;
					const value = p!.raw.slice(p!.keyword.length).trim();
					props.set(p!.keyword, value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/""/g, '"') : value);
				}
				break;
			case "CHARS":
				break;
			case "STARTCHAR": {
				const glyph = parseChar(l.no);
				if (glyph) glyphs.push(glyph);
				break;
			}
			case "ENDFONT":
				ended = true;
				break;
			default:
				// Other font-wide keywords (SWIDTH, METRICSSET, CONTENTVERSION, …) do not affect a 1-bit rendering.
				break;
		}
		if (ended) break;
	}
	if (!ended) fail(lines.length, "no ENDFONT");
	if (!bbox) fail(1, "no FONTBOUNDINGBOX");

	function parseChar(startLine: number): GlyphBitmap | undefined {
		let encoding: number | undefined;
		let dwidth = fontDwidth;
		let bbx: number[] | undefined = bbox;
		for (let l = next(); ; l = next()) {
			if (!l) return fail(lines.length, `STARTCHAR at line ${startLine} has no ENDCHAR`);
			switch (l.keyword) {
				case "ENCODING":
					encoding = ints(l.no, "ENCODING", l.args, 1)[0];
					break;
				case "DWIDTH":
					dwidth = ints(l.no, "DWIDTH", l.args, 2)[0];
					break;
				case "BBX":
					bbx = ints(l.no, "BBX", l.args, 4);
					break;
				case "BITMAP": {
					if (encoding === undefined) fail(l.no, `STARTCHAR at line ${startLine}: BITMAP before ENCODING`);
					if (dwidth === undefined) fail(l.no, `STARTCHAR at line ${startLine}: no DWIDTH`);
					const [w, h, xoff, yoff] = bbx!;
					if (w! < 0 || h! < 0) fail(l.no, `STARTCHAR at line ${startLine}: negative BBX size`);
					const stride = rowBytes(w!);
					const bits = new Uint8Array(w === 0 || h === 0 ? 0 : stride * h!);
					for (let row = 0; row < h!; row++) {
						const r = next();
						if (!r || r.keyword === "ENDCHAR" || r.keyword === "STARTCHAR" || r.keyword === "ENDFONT") {
							fail(r?.no ?? lines.length, `STARTCHAR at line ${startLine}: BITMAP has ${row} rows, BBX says ${h}`);
						}
						const hex = r!.raw;
						if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0) fail(r!.no, `bad hex row "${hex}"`);
						if (hex.length < stride * 2) fail(r!.no, `hex row "${hex}" is shorter than the ${w} pixel width`);
						if (w === 0) continue;
						for (let b = 0; b < stride; b++) bits[row * stride + b] = parseInt(hex.slice(b * 2, b * 2 + 2), 16);
						// Clear padding bits past the width so equal glyphs give equal bytes.
						if (w! % 8 !== 0) bits[row * stride + stride - 1]! &= (0xff << (8 - (w! % 8))) & 0xff;
					}
					const end = next();
					if (!end || end.keyword !== "ENDCHAR") {
						fail(end?.no ?? lines.length, `STARTCHAR at line ${startLine} has no ENDCHAR (found ${end ? `"${end.raw}"` : "end of file"})`);
					}
					if (encoding! < 0) return undefined;
					if (encoding! > 0x10ffff) fail(startLine, `ENCODING ${encoding} is beyond Unicode`);
					const blank = bits.every((b) => b === 0);
					return blank
						? { codePoint: encoding!, width: 0, height: 0, left: 0, top: 0, advance: dwidth!, bits: new Uint8Array(0) }
						: { codePoint: encoding!, width: w!, height: h!, left: xoff!, top: yoff! + h!, advance: dwidth!, bits };
				}
				case "ENDCHAR":
					return fail(l.no, `STARTCHAR at line ${startLine} has no BITMAP`);
				case "STARTCHAR":
				case "ENDFONT":
					return fail(l.no, `STARTCHAR at line ${startLine} has no ENDCHAR`);
				default:
					break;
			}
		}
	}

	const registry = (props.get("CHARSET_REGISTRY") ?? "").toUpperCase();
	if (registry !== "" && registry !== "ISO10646" && registry !== "ISO8859") {
		fail(1, `charset ${registry}-${props.get("CHARSET_ENCODING") ?? "?"} is not Unicode (expected ISO10646-1)`);
	}
	if (registry === "ISO8859" && props.get("CHARSET_ENCODING") !== "1") {
		fail(1, `charset ISO8859-${props.get("CHARSET_ENCODING")} is not Unicode (only ISO8859-1 maps 1:1)`);
	}
	const seen = new Set<number>();
	for (const g of glyphs) {
		if (seen.has(g.codePoint)) fail(1, `ENCODING ${g.codePoint} appears twice`);
		seen.add(g.codePoint);
	}
	const propInt = (name: string): number | undefined => {
		const v = props.get(name);
		if (v === undefined) return undefined;
		if (!/^[+-]?\d+$/.test(v)) fail(1, `property ${name} "${v}" is not an integer`);
		return Number(v);
	};
	const [, bh, , byoff] = bbox!;
	const ascent = propInt("FONT_ASCENT") ?? bh! + byoff!;
	const descent = propInt("FONT_DESCENT") ?? -byoff!;
	return {
		family: props.get("FAMILY_NAME") ?? fontName,
		copyright: props.get("COPYRIGHT") ?? "",
		pixelSize: propInt("PIXEL_SIZE") ?? sizeFromSize ?? bh!,
		ascent,
		descent,
		glyphs: glyphs.sort((a, b) => a.codePoint - b.codePoint),
	};
}
