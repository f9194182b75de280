/*
 * `curbside fonts build`: packed bitmap fonts (CSF1) for the e-ink renderer.
 * Without --font it builds the recipe's set (resources/fonts/fonts.json) into
 * the recipe's folder and rewrites the Moddable manifest there that ships them
 * as data resources; with --font --size --name it builds one font. The glyph
 * subset is the UI strings plus every GTFS feed given (--gtfs, repeatable;
 * default: each folder under scenarios/gtfs/) and any --strings files.
 * One line per font; missing characters are warnings on stderr (exit 0);
 * an unreadable font, a GTFS folder without stops.txt or a bad recipe is one
 * line and exit 1 (FontBuildError, printed by the CLI).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "../../host-sim/manifest-config";
import { buildFont, missingWarning, type BuiltFont } from "../fonts/build";
import { FontBuildError } from "../fonts/errors";
import { checkSpec, loadRecipe, type FontSpec } from "../fonts/recipe";
import { collectSubset } from "../fonts/subset";

export interface FontsBuildOptions {
	recipe?: string;
	gtfs: string[];
	strings: string[];
	out?: string;
	font?: string;
	size?: string;
	name?: string;
	face?: string;
}

export const DEFAULT_RECIPE = join(PROJECT_ROOT, "resources/fonts/fonts.json");
const SCENARIO_FEEDS = join(PROJECT_ROOT, "scenarios/gtfs");

/** The folders under scenarios/gtfs/, sorted, when --gtfs is not given. */
function defaultFeeds(): string[] {
	if (!existsSync(SCENARIO_FEEDS)) return [];
	return readdirSync(SCENARIO_FEEDS)
		.filter((n) => !n.startsWith(".") && statSync(join(SCENARIO_FEEDS, n)).isDirectory())
		.sort()
		.map((n) => join(SCENARIO_FEEDS, n));
}

/** The Moddable manifest that ships the built fonts: `data` resources are copied untransformed (Moddable manifest.md, "data"). */
function resourceManifest(names: readonly string[]): string {
	// No comment key: mcconfig reads manifests as plain JSON. Each "./<name>" matches <name>.csf in this folder.
	const manifest = { data: { "*": names.map((n) => `./${n}`) } };
	return `${JSON.stringify(manifest, null, "\t")}\n`;
}

function singleSpec(options: FontsBuildOptions): FontSpec {
	if (options.recipe) throw new FontBuildError("--font builds one font: leave out --recipe");
	if (options.size === undefined || options.name === undefined) throw new FontBuildError("--font needs --size PX and --name NAME");
	if (!/^\d+$/.test(options.size)) throw new FontBuildError(`--size "${options.size}" is not a whole number of pixels`);
	return checkSpec({ name: options.name, source: options.font, size: Number(options.size), ...(options.face ? { face: options.face } : {}) }, "--font");
}

export function runFontsBuild(options: FontsBuildOptions): void {
	const single = options.font !== undefined;
	if (!single && (options.size !== undefined || options.name !== undefined || options.face !== undefined)) {
		throw new FontBuildError("--size, --name and --face go with --font");
	}
	const recipePath = options.recipe ? resolve(options.recipe) : DEFAULT_RECIPE;
	const specs = single ? [singleSpec(options)] : loadRecipe(recipePath);
	const outDir = options.out ? resolve(options.out) : single ? process.cwd() : dirname(recipePath);
	const feeds = options.gtfs.length > 0 ? options.gtfs.map((d) => resolve(d)) : defaultFeeds();
	const codePoints = collectSubset({ gtfsDirs: feeds, stringFiles: options.strings });
	const feedNames = feeds.map((f) => relative(process.cwd(), f) || ".").join(", ") || "none";
	console.log(`subset: ${codePoints.length} characters (UI strings, printable ASCII, GTFS feeds: ${feedNames}${options.strings.length ? `, ${options.strings.length} strings file(s)` : ""})`);

	const built: BuiltFont[] = specs.map((spec) => buildFont(spec, codePoints));
	mkdirSync(outDir, { recursive: true });
	let total = 0;
	for (const font of built) {
		const file = join(outDir, `${font.name}.csf`);
		writeFileSync(file, font.bytes);
		total += font.bytes.length;
		console.log(`${font.name}: ${font.glyphCount} glyphs, ${font.bytes.length} bytes, ${font.missing.length} missing -> ${relative(process.cwd(), file)}`);
		const warning = missingWarning(font);
		if (warning) process.stderr.write(`${warning}\n`);
	}
	if (!single) {
		const manifest = join(outDir, "manifest.json");
		writeFileSync(manifest, resourceManifest(built.map((f) => f.name)));
		console.log(`total: ${built.length} fonts, ${total} bytes; resources listed in ${relative(process.cwd(), manifest)}`);
	}
}
