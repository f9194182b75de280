/*
 * Pulls one face out of an OpenType font collection (.ttc) into a standalone
 * sfnt, so the rasterizer can be handed exactly that face and nothing else.
 * Why: Skia's registerFromPath on a .ttc takes face 0 (for NotoSansCJK-Regular.ttc
 * that is the Japanese face, whose glyphs for shared code points follow JP
 * forms), with no way to choose another; registering the extracted SC face
 * leaves no room for a wrong pick.
 * Layout (OpenType spec, "Font Collections", https://learn.microsoft.com/typography/opentype/spec/otff#collections):
 *   TTC header: "ttcf", u16 major, u16 minor, u32 numFonts, u32 offsets[numFonts] (big-endian);
 *   each offset points to a table directory: u32 sfntVersion, u16 numTables, u16 searchRange,
 *   u16 entrySelector, u16 rangeShift, then numTables × {tag, checksum, offset, length}
 *   whose offsets are from the start of the collection file (tables may be shared between faces).
 * The standalone copy keeps each table's bytes and checksum and rewrites only the
 * offsets (tables 4-byte aligned, as the spec requires). head.checkSumAdjustment is
 * left as it was: rasterizers do not verify it.
 */
import { FontBuildError } from "./errors";

/** Whether `bytes` start with the collection tag "ttcf". */
export function isCollection(bytes: Uint8Array): boolean {
	return bytes.length >= 4 && bytes[0] === 0x74 && bytes[1] === 0x74 && bytes[2] === 0x63 && bytes[3] === 0x66;
}

/** Returns face `index` of a .ttc as a standalone sfnt. Throws FontBuildError for a truncated or malformed collection. */
export function extractFace(bytes: Uint8Array, index: number, source: string): Uint8Array {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const need = (end: number) => {
		if (end > bytes.length) throw new FontBuildError(`${source}: truncated font collection`);
	};
	need(12);
	const count = view.getUint32(8);
	if (index < 0 || index >= count) throw new FontBuildError(`${source}: face ${index} of ${count} does not exist`);
	need(12 + 4 * count);
	const dir = view.getUint32(12 + 4 * index);
	need(dir + 12);
	const numTables = view.getUint16(dir + 4);
	need(dir + 12 + 16 * numTables);
	const tables: { record: number; offset: number; length: number }[] = [];
	let size = 12 + 16 * numTables;
	for (let t = 0; t < numTables; t++) {
		const record = dir + 12 + 16 * t;
		const offset = view.getUint32(record + 8);
		const length = view.getUint32(record + 12);
		need(offset + length);
		tables.push({ record, offset, length });
		size += (length + 3) & ~3;
	}
	const out = new Uint8Array(size);
	const outView = new DataView(out.buffer);
	out.set(bytes.subarray(dir, dir + 12), 0);
	let at = 12 + 16 * numTables;
	tables.forEach((t, k) => {
		const rec = 12 + 16 * k;
		out.set(bytes.subarray(t.record, t.record + 8), rec);
		outView.setUint32(rec + 8, at);
		outView.setUint32(rec + 12, t.length);
		out.set(bytes.subarray(t.offset, t.offset + t.length), at);
		at += (t.length + 3) & ~3;
	});
	return out;
}
