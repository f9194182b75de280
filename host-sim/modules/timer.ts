/*
 * Host-sim `timer`: Moddable's Timer API (modules/base/timer) on the bridge clock.
 * Contract kept from the device: callbacks receive the timer; `set(cb, ms, repeat)`
 * fires once after `ms` then every `repeat` ms; `schedule(t)` with no interval
 * unschedules; `clear` of an unknown, cleared or already-fired timer is a no-op;
 * a non-function callback throws like the native module does.
 */
import { bridge } from "../bridge/types";

type Callback = (timer: SimTimer) => void;

class SimTimer {
	callback: Callback;
	handle = 0;
	repeat = 0;
	constructor(callback: Callback) {
		this.callback = callback;
	}
}

function arm(timer: SimTimer, interval: number): void {
	const clock = bridge().clock;
	timer.handle = clock.schedule(interval, () => {
		timer.handle = 0;
		if (timer.repeat > 0) arm(timer, timer.repeat);
		timer.callback(timer);
	});
}

function checkCallback(callback: unknown): asserts callback is Callback {
	if (typeof callback !== "function") throw new TypeError("timer: callback is not a function");
}

function checkInterval(ms: unknown, what: string): number {
	if (ms === undefined) return 0;
	if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw new RangeError(`timer: invalid ${what} ${String(ms)}`);
	return ms;
}

const Timer = {
	set(callback: Callback, interval?: number, repeat?: number): SimTimer {
		checkCallback(callback);
		const timer = new SimTimer(callback);
		timer.repeat = checkInterval(repeat, "repeat");
		arm(timer, checkInterval(interval, "interval"));
		return timer;
	},
	repeat(callback: Callback, interval: number): SimTimer {
		checkCallback(callback);
		const ms = checkInterval(interval, "interval");
		const timer = new SimTimer(callback);
		timer.repeat = ms;
		arm(timer, ms);
		return timer;
	},
	schedule(timer: SimTimer, interval?: number, repeat?: number): void {
		if (!(timer instanceof SimTimer)) throw new TypeError("timer: not a timer");
		if (timer.handle) bridge().clock.cancel(timer.handle);
		timer.handle = 0;
		if (interval === undefined) return;
		timer.repeat = checkInterval(repeat, "repeat");
		arm(timer, checkInterval(interval, "interval"));
	},
	clear(timer: SimTimer | undefined | null): void {
		if (!timer) return;
		if (timer.handle) bridge().clock.cancel(timer.handle);
		timer.handle = 0;
		timer.repeat = 0;
	},
	delay(ms: number): void {
		bridge().clock.delay(checkInterval(ms, "delay"));
	},
};

export default Timer;
