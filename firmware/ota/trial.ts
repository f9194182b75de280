/*
 * Stage 6 (ARCHITECTURE §5): the first boot of a new image is a trial. The
 * image is confirmed (esp_ota_mark_app_valid_cancel_rollback) only when,
 * before the deadline, all of these hold at once:
 *   - the app's self-test passes (stop sign: the board is on the panel;
 *     light pole: every fitted part gave a sane reading);
 *   - an MQTT round trip succeeded end to end: a record this image wrote to
 *     the outbox was acked by the cloud (firmware/net/uplink.ts), which
 *     proves connect, publish, subscribe and the ack path together.
 * Otherwise the trial fails and the caller rolls back. A reset or crash
 * before the verdict never reaches this code again: the bootloader sees the
 * image still pending-verify and boots the previous one (ESP-IDF app
 * rollback), so a boot loop in a trial always rolls back.
 */
import type { SelfTest } from "../apps/app";

export interface TrialOptions {
	deadlineMs: number;
	/** ms since boot */
	ticks: () => number;
	selfTest: () => SelfTest;
	/** the round-trip probe: true once the cloud has acked it */
	roundTrip: () => boolean;
}

export type TrialVerdict = { state: "pending" } | { state: "pass"; detail: string } | { state: "fail"; detail: string };

export class Trial {
	#o: TrialOptions;

	constructor(options: TrialOptions) {
		this.#o = options;
	}

	/** Called periodically; a verdict other than pending is final. */
	check(): TrialVerdict {
		const o = this.#o;
		let app: SelfTest;
		try {
			app = o.selfTest();
		} catch (e) {
			app = { state: "fail", detail: `self-test threw: ${String((e as Error)?.message ?? e)}` };
		}
		const rt = o.roundTrip();
		if (app.state === "pass" && rt) return { state: "pass", detail: `${app.detail}; MQTT round trip ok` };
		if (app.state === "fail") return { state: "fail", detail: `self-test failed: ${app.detail}` };
		if (o.ticks() >= o.deadlineMs) {
			const missing: string[] = [];
			if (app.state !== "pass") missing.push(`self-test still pending (${app.detail})`);
			if (!rt) missing.push("no MQTT round trip (the trial record was never acked)");
			return { state: "fail", detail: `health checks did not pass within ${Math.round(o.deadlineMs / 1000)} s: ${missing.join("; ")}` };
		}
		return { state: "pending" };
	}
}
