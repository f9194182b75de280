/*
 * The OTA tools against the real firmware: `curbside ota keygen | pack | sign`
 * through the real binary, then `ota publish` (in-process, its campaign loop
 * and progress output) rolling the package out in route-aware waves to stop
 * signs running in the host simulator on a wall clock, over Mosquitto, with
 * the ops acker confirming their trial round trips.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { Fleet } from "../../host-sim/fleet";
import { buildSimImage } from "../../host-sim/ota/app-image";
import { OpsServer } from "../../tools/ops/server";
import { runOtaPublish } from "../../tools/commands/ota-publish";
import type { CampaignState } from "../../tools/ops/campaign";
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../../firmware/version";
import { startMosquitto, type TestBroker } from "../support/brokers";
import { OTA_CONFIG } from "../host-sim/support/ota-lab";
import { encodePayload } from "../../firmware/contract/codec";
import { boardTopic } from "../../firmware/contract/topics";

const BIN = new URL("../../bin/curbside.js", import.meta.url).pathname;

function curbside(...args: string[]): { code: number; out: string; err: string } {
	const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
	return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe("ota publish rolls a signed image out to simulated stop signs in route-aware waves", () => {
	let broker: TestBroker;
	let ops: OpsServer;
	let fleet: Fleet;
	let dir: string;
	const SIGNS = ["sign-a", "sign-b", "sign-c", "sign-d"];

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), "curbside-publish-"));
		broker = await startMosquitto();
		ops = new OpsServer({ broker: broker.url });
		await ops.start();
	});
	afterAll(async () => {
		fleet?.shutdown();
		await ops?.stop();
		await broker?.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it("keygen → pack → sign with the CLI, then publish: every sign confirms 0.2.0, never more than half a route at once", async () => {
		const kg = curbside("ota", "keygen", "--out", dir, "--name", "lab");
		expect(kg.code, kg.err).toBe(0);
		const pubHex = /04[0-9a-f]{128}/.exec(kg.out)![0];
		const imagePath = join(dir, "stop-sign.bin");
		writeFileSync(imagePath, buildSimImage({ version: "0.2.0", secureVersion: SECURITY_VERSION, role: "stop-sign", board: "generic", size: 48_000 }));
		const pkgPath = join(dir, "stop-sign-0.2.0.cspkg");
		const pack = curbside("ota", "pack", imagePath, "--board", "generic", "--role", "stop-sign", "--version", "0.2.0", "--sec", String(SECURITY_VERSION), "--note", "departures fix", "--out", pkgPath);
		expect(pack.code, pack.err).toBe(0);
		const sign = curbside("ota", "sign", pkgPath, "--key", join(dir, "lab.pem"));
		expect(sign.code, sign.err).toBe(0);
		expect(curbside("ota", "verify", pkgPath, "--pub", join(dir, "lab.pub.pem"), "--board", "generic").code).toBe(0);

		fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock: new RealClock() });
		await fleet.prepare({ fw: "0.2.0", sec: SECURITY_VERSION });
		for (const id of SIGNS) {
			const dev = await fleet.add({ id, role: "stop-sign", board: "generic", config: { ...OTA_CONFIG, otaTrialMs: 15_000, otaPubKey: pubHex, stopId: "S1" } });
			dev.boot();
		}
		// The signs need a departures board to pass their trial ("the sign shows something").
		const { default: mqtt } = await import("mqtt");
		const c = await mqtt.connectAsync(broker.url);
		const board = encodePayload("board", { v: 1, stop: "S1", name: "Stop 1", t: Math.floor(Date.now() / 1000), tz: 0, deps: [] });
		await c.publishAsync(boardTopic("S1"), Buffer.from(board), { retain: true });
		await c.endAsync();

		// Two routes of two signs each; maxRouteShare 0.5: no wave may take both signs of a route.
		writeFileSync(join(dir, "fleet.json"), JSON.stringify(SIGNS.map((id, i) => ({ id, tags: ["north"], routes: [i < 2 ? "r1" : "r2"] }))));
		writeFileSync(join(dir, "policy.json"), JSON.stringify({ waves: [50, 100], minSuccess: 1, abortFailure: 0.5, bakeMs: 0, deviceTimeoutMs: 120_000, maxRouteShare: 0.5 }));
		const lines: string[] = [];
		const code = await runOtaPublish(
			pkgPath,
			{ broker: broker.url, device: [], cohort: "north", inventory: join(dir, "fleet.json"), campaign: join(dir, "policy.json"), state: join(dir, "campaign.json"), wait: 150_000 },
			{ out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), tty: false, pollMs: 100, birthsMs: 1_500 },
		);
		expect(code, lines.join("\n")).toBe(0);
		for (const id of SIGNS) {
			const dev = fleet.get(id);
			expect(dev.bootedVersion, id).toBe("0.2.0");
			expect(dev.otaState(), id).toBe("valid");
		}
		expect(lines.some((l) => /wave 2/.test(l))).toBe(true);
		const file = JSON.parse(readFileSync(join(dir, "campaign.json"), "utf8")) as { campaign?: CampaignState } & CampaignState;
		const state = file.campaign ?? file;
		expect(state.phase).toBe("done");
		expect(state.waves.length).toBe(2);
		// The route cap: each wave took exactly one sign of each route.
		for (const wave of [0, 1]) {
			const routes = Object.values(state.devices).filter((d) => d.wave === wave).flatMap((d) => d.routes).sort();
			expect(routes, `wave ${wave}`).toEqual(["r1", "r2"]);
		}
		expect(FIRMWARE_VERSION).not.toBe("0.2.0");
	}, 180_000);
});
