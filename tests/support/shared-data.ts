/*
 * The workplace's shared data (Google's GTFS example feed, the GTFS-RT text
 * example): `../shared/` beside the project root on every machine. A clone
 * elsewhere (a scratch CI checkout) falls back to /work/shared; a machine with
 * neither fails the test with a message saying where it looked.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CANDIDATES = [join(ROOT, "../shared"), "/work/shared"];

/** Absolute path of `relative` inside the shared folder. @throws Error naming the folders tried */
export function sharedData(relative: string): string {
	for (const dir of CANDIDATES) if (existsSync(join(dir, relative))) return join(dir, relative);
	throw new Error(`shared data ${relative} not found in ${CANDIDATES.join(" or ")}`);
}
