/*
 * Host-sim `instrumentation`: Moddable's Instrumentation.get/map/name with the
 * counter names of modules/base/instrumentation. On XS the "XS" counters are
 * the engine's own; on Node they are approximations from the bridge, so heap
 * figures for budgets come from the real-XS benchmarks, not from the sim.
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

/** Simulated ESP32 internal RAM available to the app (bytes), minus what the heap uses. */
const SYSTEM_MEMORY_BYTES = 320 * 1024;

function value(name: string): number | undefined {
	const b = bridge();
	switch (name) {
		case "Network Bytes Read":
			return b.instrumentation.networkBytesRead;
		case "Network Bytes Written":
			return b.instrumentation.networkBytesWritten;
		case "XS Chunk Heap Used":
			return b.instrumentation.heapUsed();
		case "XS Slot Heap Used":
			// XS slots are 16 bytes on 32-bit targets; report the heap in slot units.
			return Math.round(b.instrumentation.heapUsed() / 16);
		case "System Free Memory":
			return Math.max(0, SYSTEM_MEMORY_BYTES - b.instrumentation.heapUsed());
		default:
			return 0;
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
