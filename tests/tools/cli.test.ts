/*
 * The `curbside` CLI against the real firmware in the simulator: the shapes
 * the README documents, and one-line errors for bad input.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/curbside.js", import.meta.url));

function curbside(...args: string[]) {
	const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("curbside CLI", () => {
	it("every subcommand has --help", () => {
		for (const cmd of [["sim", "run"], ["demo"], ["ops", "serve"], ["ota", "keygen"], ["ota", "pack"], ["ota", "sign"], ["ota", "verify"], ["ota", "publish"], ["fonts", "build"], ["bench"]]) {
			const r = curbside(...cmd, "--help");
			expect(r.code).toBe(0);
			expect(r.out).toContain("Usage: curbside " + cmd.join(" "));
		}
	});

	it("sim run boots a light pole on a virtual clock and summarises", () => {
		const r = curbside("sim", "run", "light-pole", "--virtual-time", "--duration", "2m", "--id", "pole-cli");
		expect(r.code).toBe(0);
		expect(r.out).toContain("[pole-cli]");
		expect(r.out).toContain("connected to 127.0.0.1");
		expect(r.out).toMatch(/temperature \d+\.\d\d °C/);
		expect(r.out).toMatch(/summary \(duration reached\): pole-cli ran 2m 00s virtual/);
	});

	it("an unknown role is one line on stderr, exit 1, no stack", () => {
		const r = curbside("sim", "run", "kiosk");
		expect(r.code).toBe(1);
		expect(r.err.trim()).toBe('curbside: unknown role "kiosk" (expected stop-sign or light-pole)');
	});

	it("bad durations, boards and overrides are one-line errors", () => {
		expect(curbside("sim", "run", "light-pole", "--duration", "soon").err).toContain('invalid duration "soon"');
		expect(curbside("sim", "run", "light-pole", "--virtual-time").err.trim()).toBe("curbside: --virtual-time needs --duration (a virtual clock runs as fast as it can)");
		expect(curbside("sim", "run", "light-pole", "--board", "esp8266").err.trim()).toBe('curbside: unknown board "esp8266" (no manifests/boards/esp8266.json)');
		expect(curbside("sim", "run", "light-pole", "--set", "nonsense").err.trim()).toBe('curbside: config override "nonsense" is not name=value');
		expect(curbside("sim", "run", "light-pole", "--scenario", "/nonexistent.json").err.trim()).toBe("curbside: cannot read scenario /nonexistent.json: ENOENT");
	});

	it("an invalid config value halts the device with a clear line", () => {
		const r = curbside("sim", "run", "light-pole", "--set", "mqttPort=70000", "--virtual-time", "--duration", "5s");
		expect(r.code).toBe(1);
		expect(r.out).toContain('halted: ConfigError: config: default for "mqttPort" is invalid: 70000 is outside 1..65535');
		expect(r.err.trim()).toBe("curbside: light-pole-sim halted at boot (see the log above)");
	});

	it("a broker that is down at start is retried with backoff, not a crash", () => {
		const r = curbside("sim", "run", "light-pole", "--broker", "mqtt://127.0.0.1:1", "--virtual-time", "--duration", "30s");
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/retry in \d+\.\d s/);
		expect(r.out).toMatch(/0 connect\(s\), [1-9]\d* failed attempt\(s\)/);
	});

	it("commands of later issues say so and exit 2", () => {
		const r = curbside("ota", "keygen");
		expect(r.code).toBe(2);
		expect(r.err).toContain("not implemented in this build yet (tracked in issue #6)");
	});

	it("demo boots the street, the ops registry sees birth and health, and stops cleanly", () => {
		const r = curbside("demo", "--port", "0", "--duration", "4s");
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/\[ops\] sign-furnace-creek online: stop-sign fw [\d.]+ on m5paper/);
		expect(r.out).toMatch(/\[ops\] pole-main-st-01 online: light-pole/);
		expect(r.out).toMatch(/\[ops\] pole-main-st-01 health: /);
		expect(r.out).toContain("demo stopped cleanly");
	});
});
