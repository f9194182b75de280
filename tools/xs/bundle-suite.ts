/*
 * Bundles one firmware test file for the real XS engine: "vitest" becomes the
 * XS harness, Moddable specifiers become the host-sim modules on an in-memory
 * bridge, and the script reports its results through issueCommand.
 */
import { fileURLToPath } from "node:url";
import { bundleFirmware } from "../../host-sim/bundle";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HARNESS = ROOT + "tests/xs/harness.ts";

/** Returns a script that runs `testFile` and calls issueCommand(JSON results, ASCII-escaped). */
export function bundleSuite(testFile: string): Promise<string> {
	const source = `
		import ${JSON.stringify(ROOT + "tests/xs/prelude.ts")};
		import ${JSON.stringify(ROOT + "tests/support/default-bridge.ts")};
		import ${JSON.stringify(testFile)};
		import { runAll } from ${JSON.stringify(HARNESS)};
		runAll().then((results) => {
			const json = JSON.stringify(results).replace(/[\\u0080-\\uffff]/g, (c) => "\\\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
			const bytes = new Uint8Array(json.length);
			for (let i = 0; i < json.length; i++) bytes[i] = json.charCodeAt(i);
			issueCommand(bytes.buffer);
		});
	`;
	return bundleFirmware({ contents: { source, resolveDir: ROOT }, extra: { vitest: HARNESS } });
}
