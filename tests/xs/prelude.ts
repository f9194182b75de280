/*
 * xsnap has no host timers. Test libraries (fast-check) capture setTimeout at
 * load time; define ones that fail loudly if a suite actually calls them.
 * Firmware never sees these: it uses Moddable's `timer` on the bridge clock.
 */
const g = globalThis as Record<string, unknown>;
for (const name of ["setTimeout", "clearTimeout", "setInterval", "clearInterval"]) {
	if (typeof g[name] !== "function")
		g[name] = () => {
			throw new Error(`${name} is not available on XS (use the virtual clock)`);
		};
}
export {};
