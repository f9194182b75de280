/*
 * The Moddable module specifiers the firmware imports, mapped to their
 * host-sim implementations. One table, used by the esbuild bundler (sim and
 * XS runs), by vitest and by tsconfig path checks. A specifier missing here
 * fails the bundle with a clear error instead of resolving to Node.
 */
import { fileURLToPath } from "node:url";

const here = (file: string) => fileURLToPath(new URL(`./modules/${file}`, import.meta.url));

export const MODDABLE_SPECIFIERS: Record<string, string> = {
	timer: here("timer.ts"),
	time: here("time.ts"),
	preference: here("preference.ts"),
	flash: here("flash.ts"),
	instrumentation: here("instrumentation.ts"),
	Resource: here("resource.ts"),
	mqtt: here("mqtt.ts"),
	mac: here("mac.ts"),
	restart: here("restart.ts"),
	"mc/config": here("mc-config.ts"),
	resetReason: here("reset-reason.ts"),
	"embedded:provider/builtin": here("provider.ts"),
	// OTA (issue #6): the project's native boot-control module, and Moddable's crypt modules.
	otaBoot: here("ota-boot.ts"),
	crypt: here("crypt.ts"),
	ecdsa: here("ecdsa.ts"),
	curve: here("curve.ts"),
	ecp: here("ecp.ts"),
	// Stop sign (issue #4): Moddable's M5Paper display driver (IT8951), as a gray framebuffer model.
	it8951: here("it8951.ts"),
};
