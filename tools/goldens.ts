/*
 * Golden images of the stop sign (issue #4, "Tests"): renders every case of
 * tests/firmware/fixtures/sign-models.ts with the shipped fonts and compares
 * it with tests/goldens/sign-<case>.png, pixel for pixel.
 *
 *   npx tsx tools/goldens.ts            check; exit 1 listing each file that
 *                                       differs (and how many pixels), is
 *                                       missing or is not a case any more
 *   npx tsx tools/goldens.ts --update   rewrite the PNGs, then the digest
 *                                       fixture from them
 *
 * The XS suite (tests/firmware/sign-golden.test.ts) cannot read PNGs, so it
 * compares a SHA-256 of each packed frame with
 * tests/firmware/fixtures/golden-digests.ts. That fixture is derived from the
 * PNG files themselves (decoded and packed back to the renderer's bit
 * layout), never from a render, so "XS digest = fixture" together with
 * "fixture = PNG" (checked here and in tests/host-sim/sign-golden.test.ts)
 * proves that XS draws the PNG's pixels. Node-only.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { PackedFont } from "../firmware/gfx/packed-font";
import { strideOf } from "../firmware/gfx/band-renderer";
import type { Depth, Font } from "../firmware/gfx/types";
import { Digest } from "../host-sim/modules/crypt";
import { decodePng, encodePng, frameToGray8 } from "../host-sim/png";
import { GOLDEN_CASES, goldenFile, renderCase, type GoldenCase } from "../tests/firmware/fixtures/sign-models";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const GOLDEN_DIR = join(ROOT, "tests/goldens");
export const DIGESTS_FILE = join(ROOT, "tests/firmware/fixtures/golden-digests.ts");
const FONT_DIR = join(ROOT, "resources/fonts");

const fontCache = new Map<string, Font>();

/** The shipped font `name` (resources/fonts/<name>.csf), as the sign opens it. @throws Error when the file is missing, FontError when damaged */
export function diskFont(name: string): Font {
	let f = fontCache.get(name);
	if (!f) {
		f = new PackedFont(new Uint8Array(readFileSync(join(FONT_DIR, `${name}.csf`))));
		fontCache.set(name, f);
	}
	return f;
}

/** SHA-256 of bytes, lowercase hex (the same Digest the XS suite runs). */
export function frameDigest(bytes: Uint8Array): string {
	const d = new Digest("SHA256");
	d.write(bytes);
	return Array.from(new Uint8Array(d.close()), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Packs one-byte-per-pixel gray (PNG pixels) back into the renderer's layout: 1 bpp MSB-first with bit 1 = white, or 4 bpp high nibble first.
 * The inverse of host-sim/png.ts frameToGray8. @throws RangeError on a value that layout cannot hold (a gray pixel in a 1 bpp golden, or not a multiple of 17 at 4 bpp)
 */
export function packGray8(width: number, height: number, depth: Depth, gray: Uint8Array): Uint8Array {
	if (gray.length !== width * height) throw new RangeError(`packGray8: ${gray.length} pixels for ${width}×${height}`);
	const stride = strideOf(width, depth);
	const out = new Uint8Array(stride * height);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width; x++) {
			const v = gray[y * width + x];
			if (depth === 1) {
				if (v !== 0 && v !== 255) throw new RangeError(`packGray8: pixel (${x},${y}) is ${v}; a 1 bpp image holds only 0 and 255`);
				if (v) out[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
			} else {
				if (v % 17 !== 0) throw new RangeError(`packGray8: pixel (${x},${y}) is ${v}; a 4 bpp image holds only multiples of 17`);
				out[y * stride + (x >> 1)] |= x & 1 ? v / 17 : (v / 17) << 4;
			}
		}
	return out;
}

/** Pixels that differ between two gray images of the same size. */
export function diffPixels(a: Uint8Array, b: Uint8Array): number {
	if (a.length !== b.length) throw new RangeError(`diffPixels: ${a.length} vs ${b.length} pixels`);
	let n = 0;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
	return n;
}

export interface RenderedGolden {
	case: GoldenCase;
	file: string;
	width: number;
	height: number;
	depth: Depth;
	/** packed, the renderer's layout */
	frame: Uint8Array;
	/** one byte per pixel, as the PNG stores it */
	gray: Uint8Array;
}

/** Renders one case with the shipped fonts. */
export function renderGolden(c: GoldenCase): RenderedGolden {
	const { layout, frame } = renderCase(c, diskFont);
	return { case: c, file: goldenFile(c.name), width: layout.width, height: layout.height, depth: layout.depth, frame, gray: frameToGray8(layout.width, layout.height, layout.depth, frame) };
}

/** What a golden PNG holds, packed the way the renderer packs it, and its digest. @throws Error when the file is unreadable, not a PNG of the expected size or not representable at `depth` */
export function readGolden(file: string, width: number, height: number, depth: Depth): { gray: Uint8Array; digest: string } {
	const png = decodePng(new Uint8Array(readFileSync(file)));
	if (png.width !== width || png.height !== height) throw new Error(`${file} is ${png.width}×${png.height}, expected ${width}×${height}`);
	return { gray: png.gray, digest: frameDigest(packGray8(width, height, depth, png.gray)) };
}

/** The TypeScript source of the digest fixture. */
export function digestsSource(digests: Record<string, string>): string {
	const lines = Object.keys(digests).map((k) => `\t${JSON.stringify(k)}: ${JSON.stringify(digests[k])},`);
	return [
		"/*",
		" * GENERATED by `npx tsx tools/goldens.ts --update` from tests/goldens/*.png: do not edit.",
		" * SHA-256 (hex) of each golden PNG's pixels packed the way the band renderer packs a frame",
		" * (1 bpp MSB-first, bit 1 = white; 4 bpp high nibble first), keyed by case name",
		" * (tests/firmware/fixtures/sign-models.ts GOLDEN_CASES). The XS suite compares its renders with these.",
		" */",
		"export const GOLDEN_DIGESTS: Readonly<Record<string, string>> = Object.freeze({",
		...lines,
		"});",
		"",
	].join("\n");
}

export interface GoldenProblem {
	file: string;
	problem: string;
	/** differing pixels, when both images exist and have the same size */
	pixels?: number;
}

/** Compares every case with its PNG in `dir`, and the digest fixture with the PNGs. Empty = all good. */
export function checkGoldens(dir = GOLDEN_DIR, digestsFile = DIGESTS_FILE): GoldenProblem[] {
	const problems: GoldenProblem[] = [];
	const digests: Record<string, string> = {};
	for (const c of GOLDEN_CASES) {
		const r = renderGolden(c);
		let golden: { gray: Uint8Array; digest: string };
		try {
			golden = readGolden(join(dir, r.file), r.width, r.height, r.depth);
		} catch (e) {
			problems.push({ file: r.file, problem: (e as Error).message });
			continue;
		}
		digests[c.name] = golden.digest;
		const pixels = diffPixels(r.gray, golden.gray);
		if (pixels) problems.push({ file: r.file, problem: `${pixels} of ${r.width * r.height} pixels differ`, pixels });
	}
	const known = new Set(GOLDEN_CASES.map((c) => goldenFile(c.name)));
	for (const f of listPngs(dir)) if (!known.has(f)) problems.push({ file: f, problem: "no golden case renders this file (stale golden?)" });
	let source: string | undefined;
	try {
		source = readFileSync(digestsFile, "utf8");
	} catch {
		problems.push({ file: digestsFile, problem: "missing" });
	}
	// Only meaningful when every PNG was readable; a missing PNG is already reported above.
	if (source !== undefined && Object.keys(digests).length === GOLDEN_CASES.length && source !== digestsSource(digests))
		problems.push({ file: digestsFile, problem: "out of date with the PNGs (run with --update)" });
	return problems;
}

function listPngs(dir: string): string[] {
	try {
		return readdirSync(dir).filter((f) => f.startsWith("sign-") && f.endsWith(".png"));
	} catch {
		return [];
	}
}

/** Writes every case's PNG into `dir`, then the digest fixture from the written files. Returns the files written. */
export function updateGoldens(dir = GOLDEN_DIR, digestsFile = DIGESTS_FILE): string[] {
	mkdirSync(dir, { recursive: true });
	const written: string[] = [];
	const digests: Record<string, string> = {};
	for (const c of GOLDEN_CASES) {
		const r = renderGolden(c);
		const file = join(dir, r.file);
		writeFileSync(file, encodePng(r.width, r.height, r.depth, r.frame));
		// Digest from the file as written, not from the render: the fixture then vouches for the PNG.
		digests[c.name] = readGolden(file, r.width, r.height, r.depth).digest;
		written.push(r.file);
	}
	writeFileSync(digestsFile, digestsSource(digests));
	return written;
}

function main(): void {
	const args = process.argv.slice(2);
	const unknown = args.filter((a) => a !== "--update");
	if (unknown.length) {
		console.error(`usage: tsx tools/goldens.ts [--update]  (unknown: ${unknown.join(" ")})`);
		process.exit(2);
	}
	if (args.includes("--update")) {
		const files = updateGoldens();
		console.log(`wrote ${files.length} golden PNGs in tests/goldens and tests/firmware/fixtures/golden-digests.ts`);
		return;
	}
	const problems = checkGoldens();
	for (const p of problems) console.log(`✗ ${isAbsolute(p.file) ? relative(ROOT, p.file) : p.file}: ${p.problem}`);
	if (problems.length) {
		console.log(`\n${problems.length} golden problem(s); if the change is intended: npx tsx tools/goldens.ts --update`);
		process.exit(1);
	}
	console.log(`✓ ${GOLDEN_CASES.length} golden images match`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
