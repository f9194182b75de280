import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";
import { MODDABLE_SPECIFIERS } from "./host-sim/specifiers.ts";

const ROOT = fileURLToPath(new URL(".", import.meta.url));
// Code that runs inside a device realm. Only its imports of Moddable
// specifiers map to host-sim modules: the Node side's "mqtt" stays mqtt.js.
const DEVICE_SIDE = ["firmware/", "drivers/", "host-sim/modules/", "host-sim/io/", "host-sim/models/", "tests/firmware/"].map((d) => ROOT + d);

function moddableSpecifiers(): Plugin {
	return {
		name: "moddable-specifiers",
		enforce: "pre",
		resolveId(source, importer) {
			if (!importer || !Object.prototype.hasOwnProperty.call(MODDABLE_SPECIFIERS, source)) return null;
			return DEVICE_SIDE.some((d) => importer.startsWith(d)) ? MODDABLE_SPECIFIERS[source] : null;
		},
	};
}

/**
 * `import bytes from "…/r16.csf"` gives the font file as a Uint8Array, as esbuild's "binary" loader does for the
 * XS bundle (host-sim/bundle.ts), so the golden-image suite opens the shipped fonts the same way on both engines.
 */
function binaryFonts(): Plugin {
	return {
		name: "csf-binary",
		enforce: "pre",
		load(id) {
			if (!id.endsWith(".csf")) return null;
			const base64 = readFileSync(id).toString("base64");
			return `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));`;
		},
	};
}

export default defineConfig({
	plugins: [moddableSpecifiers(), binaryFonts()],
	test: {
		include: ["tests/**/*.test.ts"],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: "forks",
		setupFiles: ["tests/support/default-bridge.ts"],
	},
});
