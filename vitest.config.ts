import { defineConfig } from "vitest/config";
import { MODDABLE_SPECIFIERS } from "./host-sim/specifiers";

// Firmware imported by tests resolves Moddable specifiers to the host-sim
// modules, as in the simulator; tests install an in-memory bridge first.
export default defineConfig({
	resolve: {
		alias: Object.entries(MODDABLE_SPECIFIERS).map(([find, replacement]) => ({ find: new RegExp(`^${find.replace(/[/:]/g, "\\$&")}$`), replacement })),
	},
	test: {
		include: ["tests/**/*.test.ts"],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: "forks",
	},
});
