/*
 * The light pole in safe mode (firmware/ota/boot-guard.ts): the confirmed
 * image keeps crashing, so nothing but the lamp runs, held at lampSafePct
 * (a street must stay lit; the lamp policy's "fail-safe:safe-mode"). No
 * sensors, counters or windows: the likeliest crash site is in them, and
 * the device's job now is to stay reachable for an update.
 */
import type { App, AppContext } from "../app";
import type { LampDimmer } from "../../../drivers/lamp-dimmer";
import { describeError } from "../../runtime/errors";
import { fittedParts, openLamp } from "./parts";

export function createPoleSafeMode(context: AppContext): App {
	const { config, log, record } = context;
	let lamp: LampDimmer | undefined;
	const percent = config.get("lampSafePct");
	return {
		start() {
			let fitted: Set<string>;
			try {
				fitted = fittedParts(config.get("parts"));
			} catch {
				fitted = new Set(["lamp"]);
			}
			if (!fitted.has("lamp")) {
				log.warn("safe mode: no lamp fitted; nothing runs but network, OTA and logs");
				return;
			}
			try {
				lamp = openLamp((e) => log.error(`safe mode lamp: ${describeError(e)}`), config.get("lampMinPct"));
				lamp.write(percent);
				record("Streetlight", { powerState: percent > 0 ? "on" : "off", illuminanceLevel: percent / 100, reason: "fail-safe:safe-mode" });
				log.warn(`safe mode: lamp held at ${percent} %`);
			} catch (e) {
				// The dimmer's own failure mode (inverted stage released) leaves the lamp on.
				log.error(`safe mode: lamp not driven (${describeError(e)}); the output stage fails safe to on`);
			}
		},
		stop() {
			lamp?.close();
			lamp = undefined;
		},
		selfTest() {
			return { state: "fail", detail: "safe mode" };
		},
	};
}
