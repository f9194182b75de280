/*
 * `otaBoot` on desktop Moddable hosts (mcconfig -m -p lin/mac/win): there are
 * no app partitions to switch, so the image is reported as running outside
 * OTA ("undefined", as ESP-IDF reports a factory image) and every switch is
 * refused with a clear error. The host simulator (host-sim/modules/ota-boot.ts)
 * models the real ESP32 behaviour; use it to exercise updates.
 */
import type { ImageState } from "otaBoot";

const NONE = "otaBoot: no OTA partitions on a desktop build (use the host simulator)";

const otaBoot = {
	running(): { label: string; state: ImageState } {
		return { label: "desktop", state: "undefined" };
	},
	next(): string {
		throw new Error(NONE);
	},
	setBoot(): void {
		throw new Error(NONE);
	},
	markValid(): void {},
	canRollback(): boolean {
		return false;
	},
	rollback(): void {
		throw new Error(NONE);
	},
};

export default otaBoot;
