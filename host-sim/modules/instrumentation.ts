/*
 * Host-sim `instrumentation`: Moddable's Instrumentation.get/map/name with the
 * counter names of modules/base/instrumentation. The sim answers only what it
 * really measures (network bytes on the device's socket); every other counter
 * is undefined, as in a release build on the device, rather than a made-up
 * number. Heap figures come from the real-XS benchmarks (npm run bench).
 */
import { bridge } from "../bridge/types";

const NAMES = [
	"Pixels Drawn",
	"Frames Drawn",
	"Network Bytes Read",
	"Network Bytes Written",
	"Network Sockets",
	"Timers",
	"Files",
	"Poco Display List Used",
	"Piu Command List Used",
	"Turns",
	"CPU 0",
	"CPU 1",
	"System Free Memory",
	"XS Slot Heap Used",
	"XS Chunk Heap Used",
	"XS Keys Used",
	"XS Garbage Collection Count",
	"XS Modules Loaded",
	"XS Stack Used",
	"XS Promises Settled",
] as const;

function value(name: string): number | undefined {
	const b = bridge();
	switch (name) {
		case "Network Bytes Read":
			return b.instrumentation.networkBytesRead;
		case "Network Bytes Written":
			return b.instrumentation.networkBytesWritten;
		default:
			return undefined;
	}
}

const Instrumentation = {
	/** Indices are 1-based, as on the device. */
	get(what: number | undefined): number | undefined {
		if (what === undefined || !Number.isInteger(what) || what < 1 || what > NAMES.length) return undefined;
		return value(NAMES[what - 1]);
	},
	map(name: string): number | undefined {
		const i = (NAMES as readonly string[]).indexOf(name);
		return i < 0 ? undefined : i + 1;
	},
	name(what: number | undefined): string | undefined {
		if (what === undefined) return undefined;
		return NAMES[what - 1];
	},
};

export default Instrumentation;
