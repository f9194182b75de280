/*
 * TTF / OTF / TTC glyphs to 1-bit bitmaps.
 *   - Coverage (which code points the face really has) comes from fontkit's
 *     cmap lookup, never from the rasterizer: Skia would silently draw a code
 *     point the face lacks with some other system font.
 *   - Pixels come from Skia (@napi-rs/canvas): each glyph drawn white on black at
 *     the pixel size with the pen on a whole pixel, thresholded at 50 % coverage
 *     (e-paper is 1 bpp; no antialias, no dithering) and cropped to its ink.
 *   - Skia is handed exactly the chosen face: a .ttc face is extracted to a
 *     standalone sfnt first (see sfnt.ts), and every glyph's Skia advance is
 *     checked against fontkit's advance for that face, so a substituted font is
 *     an error, not a quietly wrong bitmap.
 * Line metrics follow the face's hhea table (OpenType "hhea", and OS/2 typo metrics
 * when fsSelection bit 7 USE_TYPO_METRICS is set), scaled to the pixel size and rounded.
 */
import { GlobalFonts, createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import * as fontkit from "fontkit";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { FontBuildError } from "./errors";
import { rowBytes, type GlyphBitmap } from "./glyph";
import { extractFace, isCollection } from "./sfnt";

export interface OutlineFace {
	/** file name without directory (what warnings and metadata name) */
	fileName: string;
	postscriptName: string;
	family: string;
	/** name table "version" string, e.g. "Version 2.004;hotconv …" */
	version: string;
	/** name table license description ("" if none) */
	license: string;
	copyright: string;
	has(codePoint: number): boolean;
	/** internal: fontkit face and Skia family alias */
	readonly font: fontkit.Font;
	readonly alias: string;
}

export interface RasterizedFont {
	ascent: number;
	descent: number;
	lineHeight: number;
	missingAdvance: number;
	glyphs: GlyphBitmap[];
}

const registered = new Map<string, string>();

/**
 * Opens an outline font; `face` picks a face of a collection by PostScript name,
 * full name or family name (required for .ttc). Throws FontBuildError when the file
 * cannot be read or parsed, or the face is not in it.
 */
export function openOutlineFace(path: string, face?: string): OutlineFace {
	const fileName = basename(path);
	let bytes: Uint8Array;
	try {
		bytes = readFileSync(path);
	} catch (e) {
		throw new FontBuildError(`cannot read font ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	let opened: fontkit.Font | fontkit.FontCollection;
	try {
		opened = fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
	} catch (e) {
		throw new FontBuildError(`cannot parse font ${path}: ${(e as Error).message}`);
	}
	let font: fontkit.Font;
	let faceBytes = bytes;
	if ("fonts" in opened) {
		const faces = opened.fonts;
		const names = faces.map((f) => f.postscriptName).join(", ");
		if (!face) throw new FontBuildError(`${fileName} is a font collection: choose a face (one of ${names})`);
		const index = faces.findIndex((f) => f.postscriptName === face || f.fullName === face || f.familyName === face);
		if (index < 0) throw new FontBuildError(`${fileName} has no face "${face}" (faces: ${names})`);
		if (!isCollection(bytes)) throw new FontBuildError(`${fileName}: only OpenType collections (.ttc) are supported, not ${opened.type}`);
		font = faces[index]!;
		faceBytes = extractFace(bytes, index, fileName);
	} else {
		font = opened;
		if (face && face !== font.postscriptName && face !== font.fullName && face !== font.familyName) {
			throw new FontBuildError(`${fileName} is the face "${font.postscriptName}", not "${face}"`);
		}
	}
	if (!font.unitsPerEm || !font.postscriptName) throw new FontBuildError(`cannot parse font ${path}: no head or name table`);
	const key = `${path}\0${font.postscriptName}`;
	let alias = registered.get(key);
	if (!alias) {
		// A private family name per face: CSS-style lookup by a system family name could pick an installed font instead.
		alias = `curbside-font-${registered.size + 1}-${font.postscriptName}`;
		if (!GlobalFonts.register(Buffer.from(faceBytes.buffer, faceBytes.byteOffset, faceBytes.byteLength), alias)) {
			throw new FontBuildError(`the rasterizer (Skia) cannot load ${fileName} face ${font.postscriptName}`);
		}
		registered.set(key, alias);
	}
	return {
		fileName,
		postscriptName: font.postscriptName,
		family: font.familyName,
		version: font.getName("version", "en") ?? "",
		license: font.getName("license", "en") ?? "",
		copyright: font.copyright ?? "",
		has: (cp) => font.hasGlyphForCodePoint(cp),
		font,
		alias,
	};
}

interface Metrics {
	ascent: number;
	descent: number;
	lineGap: number;
}

function lineMetrics(font: fontkit.Font): Metrics {
	const os2 = (font as unknown as { "OS/2"?: { fsSelection?: { useTypoMetrics?: boolean }; typoAscender: number; typoDescender: number; typoLineGap: number } })["OS/2"];
	if (os2?.fsSelection?.useTypoMetrics) return { ascent: os2.typoAscender, descent: -os2.typoDescender, lineGap: os2.typoLineGap };
	return { ascent: font.ascent, descent: -font.descent, lineGap: font.lineGap };
}

/** Draws one code point and returns its thresholded, cropped bitmap. */
function renderGlyph(ctx: SKRSContext2D, canvasPx: number, penX: number, baseY: number, cp: number): Omit<GlyphBitmap, "advance"> {
	ctx.fillStyle = "#000";
	ctx.fillRect(0, 0, canvasPx, canvasPx);
	ctx.fillStyle = "#fff";
	ctx.fillText(String.fromCodePoint(cp), penX, baseY);
	const data = ctx.getImageData(0, 0, canvasPx, canvasPx).data;
	let x0 = canvasPx;
	let y0 = canvasPx;
	let x1 = -1;
	let y1 = -1;
	// 50 % coverage: a pixel is ink when its red channel (white text on black) is at least 128.
	const ink = (x: number, y: number) => data[(y * canvasPx + x) * 4]! >= 128;
	for (let y = 0; y < canvasPx; y++) {
		for (let x = 0; x < canvasPx; x++) {
			if (!ink(x, y)) continue;
			if (x < x0) x0 = x;
			if (x > x1) x1 = x;
			if (y < y0) y0 = y;
			if (y > y1) y1 = y;
		}
	}
	if (x1 < 0) return { codePoint: cp, width: 0, height: 0, left: 0, top: 0, bits: new Uint8Array(0) };
	if (x0 === 0 || y0 === 0 || x1 === canvasPx - 1 || y1 === canvasPx - 1) {
		throw new FontBuildError(`glyph U+${cp.toString(16).toUpperCase()} reaches the edge of the ${canvasPx} px drawing area (clipped)`);
	}
	const width = x1 - x0 + 1;
	const height = y1 - y0 + 1;
	const stride = rowBytes(width);
	const bits = new Uint8Array(stride * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			if (ink(x0 + x, y0 + y)) bits[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
		}
	}
	return { codePoint: cp, width, height, left: x0 - penX, top: baseY - y0, bits };
}

/**
 * Rasterizes the code points the face has (callers filter with `face.has`) at `px` pixels per em.
 * Throws FontBuildError when Skia's advance disagrees with the face's (another font was substituted).
 */
export function rasterizeGlyphs(face: OutlineFace, codePoints: readonly number[], px: number): RasterizedFont {
	const upem = face.font.unitsPerEm;
	const scale = px / upem;
	// Room for any glyph: pen one em in from the left, baseline two em down, four em square.
	const canvasPx = Math.ceil(px * 4);
	const penX = Math.ceil(px);
	const baseY = Math.ceil(px * 2);
	const canvas = createCanvas(canvasPx, canvasPx);
	const ctx = canvas.getContext("2d");
	ctx.font = `${px}px "${face.alias}"`;
	ctx.textBaseline = "alphabetic";
	ctx.textAlign = "left";
	const glyphs: GlyphBitmap[] = [];
	for (const cp of codePoints) {
		const ch = String.fromCodePoint(cp);
		const skiaAdvance = ctx.measureText(ch).width;
		const faceAdvance = face.font.glyphForCodePoint(cp).advanceWidth * scale;
		if (Math.abs(skiaAdvance - faceAdvance) > 0.5) {
			throw new FontBuildError(
				`${face.fileName}: the rasterizer drew U+${cp.toString(16).toUpperCase()} ${skiaAdvance.toFixed(2)} px wide but ${face.postscriptName} says ${faceAdvance.toFixed(2)} px: another font was substituted`,
			);
		}
		glyphs.push({ ...renderGlyph(ctx, canvasPx, penX, baseY, cp), advance: Math.round(skiaAdvance) });
	}
	const m = lineMetrics(face.font);
	const ascent = Math.round(m.ascent * scale);
	const descent = Math.round(m.descent * scale);
	return {
		ascent,
		descent,
		lineHeight: ascent + descent + Math.round(m.lineGap * scale),
		missingAdvance: Math.round(face.font.getGlyph(0).advanceWidth * scale),
		glyphs,
	};
}
