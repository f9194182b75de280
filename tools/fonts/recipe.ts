/*
 * The font recipe (resources/fonts/fonts.json): which fonts the firmware ships,
 * each {name, source, face?, size, package?, license?}. `source` is a path
 * (absolute, or relative to the recipe file), normally where a Debian package
 * installs the font; `package` names that package so a missing file can say
 * what to install. Validation is strict: a typo must not silently drop a font.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { FontBuildError } from "./errors";

export interface FontSpec {
	/** output name: <name>.csf, and the Moddable resource name */
	name: string;
	/** font file path (TTF, OTF, TTC or BDF) */
	source: string;
	/** face of a collection (.ttc): PostScript, full or family name */
	face?: string;
	/** pixel size (em) */
	size: number;
	/** Debian package that installs `source` */
	package?: string;
	/** SPDX license id recorded in the font's metadata (default: from the font's name table) */
	license?: string;
}

const KEYS = new Set(["name", "source", "face", "size", "package", "license"]);
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,30}$/;
/** Pixel sizes the CSF1 glyph fields (i8 left/top, u8 width/advance) hold with room to spare. */
export const MIN_SIZE_PX = 6;
export const MAX_SIZE_PX = 96;

/** Checks one font spec; `where` names it in errors. Throws FontBuildError. */
export function checkSpec(raw: unknown, where: string): FontSpec {
	if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new FontBuildError(`${where}: expected an object`);
	const o = raw as Record<string, unknown>;
	for (const k of Object.keys(o)) if (!KEYS.has(k)) throw new FontBuildError(`${where}: unknown field "${k}" (fields: ${[...KEYS].join(", ")})`);
	if (typeof o.name !== "string" || !NAME_PATTERN.test(o.name)) throw new FontBuildError(`${where}.name: expected a short lower-case name like "r16", got ${JSON.stringify(o.name)}`);
	if (typeof o.source !== "string" || o.source === "") throw new FontBuildError(`${where}.source: expected a font file path`);
	if (!Number.isInteger(o.size) || (o.size as number) < MIN_SIZE_PX || (o.size as number) > MAX_SIZE_PX) {
		throw new FontBuildError(`${where}.size: expected whole pixels ${MIN_SIZE_PX}..${MAX_SIZE_PX}, got ${JSON.stringify(o.size)}`);
	}
	for (const k of ["face", "package", "license"] as const) {
		if (o[k] !== undefined && (typeof o[k] !== "string" || o[k] === "")) throw new FontBuildError(`${where}.${k}: expected a non-empty string`);
	}
	return { name: o.name, source: o.source, size: o.size as number, face: o.face as string | undefined, package: o.package as string | undefined, license: o.license as string | undefined };
}

/** Reads and checks a recipe file; relative sources resolve against its folder. Throws FontBuildError naming the field. */
export function loadRecipe(path: string): FontSpec[] {
	let json: unknown;
	try {
		json = JSON.parse(readFileSync(path, "utf8"));
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		throw new FontBuildError(`font recipe ${path}: ${code ?? (e as Error).message}`);
	}
	const fonts = (json as { fonts?: unknown } | null)?.fonts;
	if (!Array.isArray(fonts) || fonts.length === 0) throw new FontBuildError(`font recipe ${path}: expected {"fonts": [ … ]} with at least one font`);
	const names = new Set<string>();
	return fonts.map((raw, i) => {
		const spec = checkSpec(raw, `font recipe ${path}: fonts[${i}]`);
		if (names.has(spec.name)) throw new FontBuildError(`font recipe ${path}: fonts[${i}].name "${spec.name}" appears twice`);
		names.add(spec.name);
		return { ...spec, source: isAbsolute(spec.source) ? spec.source : resolve(dirname(path), spec.source) };
	});
}
