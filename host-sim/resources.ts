/*
 * The data resources a build carries (Node-only): what mcconfig copies into
 * the image from the manifests' "data" sections, here read from the same
 * manifest (resources/fonts/manifest.json) so the simulator's devices get
 * exactly the fonts a flashed sign gets. Keyed as `new Resource(name)` asks
 * for them ("r16.csf").
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MANIFESTS = ["resources/fonts/manifest.json"];

let cached: Record<string, Uint8Array> | undefined;

/** Every data resource of the build, by resource name. @throws Error when a listed resource file is missing */
export function buildResources(): Record<string, Uint8Array> {
	if (cached) return cached;
	const out: Record<string, Uint8Array> = {};
	for (const manifest of MANIFESTS) {
		const file = join(ROOT, manifest);
		const dir = dirname(file);
		const data = (JSON.parse(readFileSync(file, "utf8")) as { data?: Record<string, string[]> }).data ?? {};
		for (const entries of Object.values(data))
			for (const entry of entries) {
				// mcconfig's data entries name a file without its extension; find it next to the manifest.
				const stem = basename(entry);
				const sub = dirname(join(dir, entry));
				const match = readdirSync(sub).find((f) => f.startsWith(stem + ".") && !f.endsWith(".json"));
				if (!match) throw new Error(`resource ${entry} listed in ${manifest} has no file`);
				out[match] = new Uint8Array(readFileSync(join(sub, match)));
			}
	}
	return (cached = out);
}
