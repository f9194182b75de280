/*
 * Stop-sign application (minimal frame; the departures board, renderer and
 * refresh policy arrive with the stop-sign work). It follows its stop's
 * retained board topic and reports what it received.
 */
import { boardTopic } from "../../contract/topics";
import type { App, AppContext } from "../app";

export function createStopSign(context: AppContext): App {
	const { config, log, session } = context;
	const stopId = config.get("stopId");
	let boards = 0;
	let topic: string | undefined;
	return {
		start() {
			if (!stopId) {
				log.warn("no stopId configured: the sign has nothing to show");
				return;
			}
			topic = boardTopic(stopId);
			session.subscribe(topic);
			log.info(`showing departures for stop ${stopId}`);
		},
		stop() {
			if (topic) session.unsubscribe(topic);
			topic = undefined;
		},
		selfTest() {
			// Until the renderer lands (issue #4) "shown" means the board arrived and was taken in; then it becomes "the panel refresh completed".
			if (!stopId) return { state: "fail", detail: "no stopId configured: the sign has nothing to show" };
			if (boards === 0) return { state: "pending", detail: `no departures board for stop ${stopId} yet` };
			return { state: "pass", detail: `board #${boards} for stop ${stopId} shown` };
		},
		onMessage(t, payload) {
			if (t !== topic) return;
			boards++;
			log.info(`board #${boards} for stop ${stopId}: ${payload.byteLength} bytes`);
		},
	};
}
