/*
 * `curbside fonts build` orchestration: one font spec plus a code-point subset
 * in, CSF1 bytes and the list of missing characters out. Outline fonts go
 * through rasterize.ts, BDF through bdf.ts; both end in csf-writer.ts.
 * A character the font lacks is not an error: it is reported (the caller
 * prints the warning) and left out, and the firmware draws a box for it.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseBdf } from "./bdf";
import { writeCsf, type CsfMeta } from "./csf-writer";
import { FontBuildError } from "./errors";
import { describeCodePoint, type GlyphBitmap } from "./glyph";
import { openOutlineFace, rasterizeGlyphs } from "./rasterize";
import type { FontSpec } from "./recipe";

export interface BuiltFont {
	name: string;
	/** the font file's name, as warnings name it */
	fileName: string;
	bytes: Uint8Array;
	glyphCount: number;
	/** requested code points the font does not have, ascending */
	missing: number[];
}

/** "OFL-1.1" for the SIL Open Font License 1.1 (name ID 13 text), else the text's first sentence. */
export function licenseLabel(text: string): string {
	if (/Open Font License,?\s*Version 1\.1/i.test(text)) return "OFL-1.1";
	const dot = text.search(/\.\s/);
	const first = dot >= 0 ? text.slice(0, dot + 1) : text;
	return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

function isBdf(path: string): boolean {
	return extname(path).toLowerCase() === ".bdf";
}

/**
 * Builds one font at `spec.size` for `codePoints`.
 * Throws FontBuildError when the font cannot be read or parsed (the message names the file).
 */
export function buildFont(spec: FontSpec, codePoints: readonly number[]): BuiltFont {
	const fileName = basename(spec.source);
	if (!existsSync(spec.source)) {
		throw new FontBuildError(`${spec.name}: cannot read font ${spec.source}: not found${spec.package ? ` (install the Debian package ${spec.package})` : ""}`);
	}
	let meta: CsfMeta;
	let metrics: { ascent: number; descent: number; lineHeight: number; missingAdvance: number };
	let glyphs: GlyphBitmap[];
	const missing: number[] = [];
	if (isBdf(spec.source)) {
		let text: string;
		try {
			text = readFileSync(spec.source, "utf8");
		} catch (e) {
			throw new FontBuildError(`${spec.name}: cannot read font ${spec.source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
		const bdf = parseBdf(text, fileName);
		if (bdf.pixelSize !== spec.size) {
			throw new FontBuildError(`${spec.name}: ${fileName} is a ${bdf.pixelSize} px bitmap font; it cannot be built at ${spec.size} px`);
		}
		const byCp = new Map(bdf.glyphs.map((g) => [g.codePoint, g]));
		glyphs = [];
		for (const cp of codePoints) {
			const g = byCp.get(cp);
			if (g) glyphs.push(g);
			else missing.push(cp);
		}
		// A BDF has no .notdef glyph: the missing box advances 0.6 of the line, like a typical outline .notdef.
		const lineHeight = bdf.ascent + bdf.descent;
		metrics = { ascent: bdf.ascent, descent: bdf.descent, lineHeight, missingAdvance: Math.max(1, Math.round(lineHeight * 0.6)) };
		meta = { family: bdf.family, license: spec.license ?? licenseLabel(bdf.copyright), source: fileName };
	} else {
		const face = openOutlineFace(spec.source, spec.face);
		const present: number[] = [];
		for (const cp of codePoints) (face.has(cp) ? present : missing).push(cp);
		const r = rasterizeGlyphs(face, present, spec.size);
		glyphs = r.glyphs;
		metrics = r;
		const version = face.version.split(";")[0]!.trim();
		meta = { family: face.font.fullName || face.family, license: spec.license ?? licenseLabel(face.license || face.copyright), source: `${fileName}#${face.postscriptName} ${version}`.trim() };
	}
	const bytes = writeCsf({ size: spec.size, ...metrics, glyphs, meta });
	return { name: spec.name, fileName, bytes, glyphCount: glyphs.length, missing };
}

/** The build-time warning for missing characters, or undefined when none are missing. At most `limit` characters are listed. */
export function missingWarning(font: BuiltFont, limit = 40): string | undefined {
	if (font.missing.length === 0) return undefined;
	const listed = font.missing.slice(0, limit).map(describeCodePoint).join(", ");
	const more = font.missing.length > limit ? `, … and ${font.missing.length - limit} more` : "";
	const noun = font.missing.length === 1 ? "character" : "characters";
	return `warning: ${font.name}: ${font.missing.length} ${noun} missing from ${font.fileName}: ${listed}${more}`;
}
