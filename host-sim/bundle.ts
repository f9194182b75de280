/*
 * Bundles firmware for a simulated device with esbuild: every Moddable
 * specifier resolves through MODDABLE_SPECIFIERS, Node built-ins are refused
 * (firmware must run on XS), and the output is one IIFE script that exposes
 * the entry's exports on `globalThis.__curbsideEntry`. The same bundle runs
 * in a Node vm context (host-sim) and in xsnap (real XS). A bundle can stand
 * for another firmware version (`version`): the same source with
 * firmware/version.ts's constants replaced, as a build of that version would
 * carry them (the simulator's OTA images name the version they run).
 */
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { build, type Plugin } from "esbuild";
import { MODDABLE_SPECIFIERS } from "./specifiers";

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Resolves Moddable specifiers to host modules; refuses Node built-ins. */
export function moddableResolver(extra: Record<string, string> = {}): Plugin {
	const map = { ...MODDABLE_SPECIFIERS, ...extra };
	return {
		name: "moddable-specifiers",
		setup(b) {
			b.onResolve({ filter: /.*/ }, (args) => {
				if (args.kind === "entry-point") return undefined;
				if (Object.prototype.hasOwnProperty.call(map, args.path)) return { path: map[args.path] };
				if (NODE_BUILTINS.has(args.path))
					return { errors: [{ text: `"${args.path}" is a Node built-in; firmware and device-side code must not import it (imported by ${args.importer})` }] };
				return undefined;
			});
		},
	};
}

/** A firmware version a bundle stands for: FIRMWARE_VERSION and SECURITY_VERSION. */
export interface BuildVersion {
	fw: string;
	sec: number;
}

/**
 * Replaces the two constants of firmware/version.ts on load.
 * @throws (at build time) when the file no longer declares them as `export const NAME = literal;`
 */
export function versionPlugin(version: BuildVersion): Plugin {
	return {
		name: "firmware-version",
		setup(b) {
			b.onLoad({ filter: /[\\/]firmware[\\/]version\.ts$/ }, async (args) => {
				let source = await readFile(args.path, "utf8");
				const fw = /export const FIRMWARE_VERSION = "[^"\n]*";/;
				const sec = /export const SECURITY_VERSION = \d+;/;
				if (!fw.test(source) || !sec.test(source))
					return { errors: [{ text: `${args.path}: expected export const FIRMWARE_VERSION = "…"; and SECURITY_VERSION = <integer>;` }] };
				source = source
					.replace(fw, `export const FIRMWARE_VERSION = ${JSON.stringify(version.fw)};`)
					.replace(sec, `export const SECURITY_VERSION = ${Math.trunc(version.sec)};`);
				return { contents: source, loader: "ts" };
			});
		},
	};
}

export interface BundleOptions {
	/** entry file (absolute), or `contents` of a generated entry resolved from `resolveDir` */
	entry?: string;
	contents?: { source: string; resolveDir: string };
	/** compile-time constants (esbuild `define`) */
	define?: Record<string, string>;
	/** extra specifier → file mappings (tests) */
	extra?: Record<string, string>;
	/** build as this firmware version instead of firmware/version.ts's @default the file's own */
	version?: BuildVersion;
	/** the global that receives the entry's exports @default "__curbsideEntry" */
	globalName?: string;
	minify?: boolean;
}

/** Builds one IIFE script; throws with esbuild's messages on failure. */
export async function bundleFirmware(options: BundleOptions): Promise<string> {
	const result = await build({
		...(options.contents
			? { stdin: { contents: options.contents.source, resolveDir: options.contents.resolveDir, sourcefile: "generated-entry.ts", loader: "ts" as const } }
			: { entryPoints: [options.entry!] }),
		define: options.define,
		bundle: true,
		write: false,
		format: "iife",
		globalName: options.contents ? undefined : (options.globalName ?? "__curbsideEntry"),
		platform: "neutral",
		target: "es2022",
		mainFields: ["module", "main"],
		conditions: ["import", "default"],
		minify: options.minify ?? false,
		legalComments: "none",
		logLevel: "silent",
		// Packed fonts (CSF1, resources/fonts) imported by the golden-image suites become a Uint8Array:
		// esbuild inlines them as base64 decoded by a plain-JS helper (platform "neutral": no Buffer), so it runs on XS.
		loader: { ".csf": "binary" },
		plugins: options.version ? [moddableResolver(options.extra), versionPlugin(options.version)] : [moddableResolver(options.extra)],
	});
	return result.outputFiles[0].text;
}
