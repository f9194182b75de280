/*
 * Host-sim `time`: Moddable's Time (modules/base/time). `ticks` is ms since
 * boot from the bridge clock; `set(seconds)` steps the RTC that Date.now()
 * reads inside the device realm (the host patches Date.now to the bridge).
 */
import { bridge } from "../bridge/types";

const Time = {
	set(seconds: number): void {
		const clock = bridge().clock as { setWallClock?: (ms: number) => void };
		if (typeof seconds !== "number" || !Number.isFinite(seconds)) throw new RangeError("time: invalid seconds");
		clock.setWallClock?.(seconds * 1000);
	},
	timezone: 0,
	dst: 0,
	/** Whole ms, as on the device (modules/base/time: modTimeTicks is an integer); the board clock may sit between ms while a UART byte lands. */
	get ticks(): number {
		return Math.floor(bridge().clock.ticks());
	},
	delta(start: number, end?: number): number {
		return (end ?? bridge().clock.ticks()) - start;
	},
};

export default Time;
