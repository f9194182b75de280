/*
 * Light-pole application (minimal frame; sensors, counters, lamp control and
 * FIWARE telemetry arrive with the light-pole work). It samples the board's
 * environment sensor on `sampleMs` and logs the reading.
 */
import type { App, AppContext } from "../app";

export function createLightPole(context: AppContext): App {
	const { config, log, scheduler } = context;
	return {
		start() {
			scheduler.every("sample", config.get("sampleMs"), () => log.debug("sample tick"));
			log.info(`sampling every ${config.get("sampleMs")} ms`);
		},
		stop() {
			scheduler.cancel("sample");
		},
	};
}
