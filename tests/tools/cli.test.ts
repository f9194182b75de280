/*
 * The `curbside` CLI against the real firmware in the simulator: the shapes
 * the README documents, and one-line errors for bad input.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startAedes } from "../support/brokers";

const BIN = fileURLToPath(new URL("../../bin/curbside.js", import.meta.url));

/** Runs the CLI without blocking this process's event loop (the broker lives here). */
function curbsideAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> & { stop(): void } {
	const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
	const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
		let out = "";
		let err = "";
		child.stdout.on("data", (d) => (out += d));
		child.stderr.on("data", (d) => (err += d));
		child.on("close", (code) => resolve({ code, out, err }));
	});
	// SIGINT is Ctrl-C: the CLI shuts its devices down in order and exits 0.
	return Object.assign(done, { stop: () => void child.kill("SIGINT") });
}

function curbside(...args: string[]) {
	const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("curbside CLI", () => {
	it("every subcommand has --help", () => {
		for (const cmd of [["sim", "run"], ["demo"], ["ops", "serve"], ["ops", "cmd"], ["ops", "config"], ["ops", "logs"], ["ota", "keygen"], ["ota", "pack"], ["ota", "sign"], ["ota", "verify"], ["ota", "publish"], ["fonts", "build"], ["bench"]]) {
			const r = curbside(...cmd, "--help");
			expect(r.code).toBe(0);
			expect(r.out).toContain("Usage: curbside " + cmd.join(" "));
		}
	});

	it("sim run boots a light pole on a virtual clock and summarises", () => {
		const r = curbside("sim", "run", "light-pole", "--virtual-time", "--duration", "2m", "--id", "pole-cli", "--set", "windowMs=60000");
		expect(r.code).toBe(0);
		expect(r.out).toContain("[pole-cli]");
		expect(r.out).toContain("connected to 127.0.0.1");
		expect(r.out).toMatch(/window: \d+\.\d °C, \d+ %RH/);
		expect(r.out).toMatch(/sent: \d+ AirQualityObserved, \d+ CrowdFlowObserved \(\d+ people\)/);
		expect(r.out).toMatch(/summary \(duration reached\): pole-cli ran 2m 00s virtual/);
	});

	it("sim run light-pole --scenario plays the scenario's street and summarises what the pole sent", () => {
		const r = curbside("sim", "run", "light-pole", "--scenario", "scenarios/light-pole-day.json", "--virtual-time", "--duration", "3h", "--id", "pole-scn");
		expect(r.code).toBe(0);
		const sent = /sent: .*?(\d+) CrowdFlowObserved \((\d+) people\).*?(\d+) TrafficFlowObserved \((\d+) vehicles\), (\d+) sensor\.fault \(pms5003 checksum\)/.exec(r.out);
		expect(sent).not.toBe(null);
		const street = /street \(what the pole's parts saw\): (\d+) people .* (\d+) vehicles/.exec(r.out)!;
		// The last partial window is still in the outbox when the run stops; everything before it was sent.
		expect(Number(street[1]) - Number(sent![2])).toBeGreaterThanOrEqual(0);
		expect(Number(street[1]) - Number(sent![2])).toBeLessThan(20);
		expect(Number(street[2]) - Number(sent![4])).toBeLessThan(40);
		expect(r.out).toContain("pms5003 failed (checksum)");
	});

	it("a bad scenario file is one line naming the field", () => {
		const dir = mkdtempSync(join(tmpdir(), "curbside-scn-"));
		const file = join(dir, "bad.json");
		writeFileSync(file, JSON.stringify({ pedestrians: { perHour: [1, 2, 3] } }));
		const r = curbside("sim", "run", "light-pole", "--scenario", file, "--virtual-time", "--duration", "1m");
		expect(r.code).toBe(1);
		expect(r.err.trim()).toBe(`curbside: scenario ${file}: scenario.pedestrians.perHour: expected one rate or 24 hourly rates`);
		writeFileSync(file, JSON.stringify({ faults: [{ at: "25:00", part: "sht3x", fault: "nack" }] }));
		expect(curbside("sim", "run", "light-pole", "--scenario", file, "--virtual-time", "--duration", "1m").err).toContain('scenario.faults[0].at: expected a time of day "HH:MM", got "25:00"');
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

	it("fonts build with an unreadable font is one line on stderr, exit 1 (tests/tools/fonts-build.test.ts covers the command)", () => {
		const r = curbside("fonts", "build", "--font", "/nonexistent/font.ttf", "--size", "16", "--name", "x", "--out", mkdtempSync(join(tmpdir(), "curbside-fonts-")));
		expect(r.code).toBe(1);
		expect(r.err).toBe("curbside: x: cannot read font /nonexistent/font.ttf: not found\n");
	});

	it("demo boots the street, the ops registry sees birth and health, prints the dashboard URL, and stops cleanly", () => {
		const r = curbside("demo", "--port", "0", "--http-port", "0", "--duration", "4s");
		expect(r.code).toBe(0);
		expect(r.out).toMatch(/\[ops\] sign-fish-market online: stop-sign fw [\d.]+ on m5paper/);
		expect(r.out).toMatch(/\[ops\] sign-station online: stop-sign fw [\d.]+ on generic-epd75/);
		expect(r.out).toMatch(/\[ops\] pole-main-st-01 online: light-pole/);
		expect(r.out).toMatch(/\[ops\] pole-main-st-02 online: light-pole/);
		expect(r.out).toMatch(/\[ops\] pole-main-st-01 health: /);
		expect(r.out).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
		expect(r.out).toContain("demo stopped cleanly");
	});

	it("demo refuses a bad port or broker URL in one line", () => {
		expect(curbside("demo", "--http-port", "http").err).toContain('"http" is not a port (0..65535; 0 = any free port)');
		const r = curbside("demo", "--broker", "http://127.0.0.1:1883", "--duration", "1s");
		expect(r.code).toBe(1);
		expect(r.err.trim()).toBe('curbside: broker URL "http://127.0.0.1:1883": only mqtt:// is supported by the simulated devices');
	});

	it("ops serve, cmd, config and logs against a simulated pole", async () => {
		const broker = await startAedes();
		try {
			const pole = curbsideAsync("sim", "run", "light-pole", "--id", "pole-ops", "--broker", broker.url, "--duration", "5m", "--set", "sampleMs=1000", "--set", "upDelayMs=1000", "--set", "windowMs=5000");
			const serve = curbsideAsync("ops", "serve", "--broker", broker.url, "--duration", "12s");
			// The device needs its clock from the acker before it accepts commands.
			let ping = await curbsideAsync("ops", "cmd", "pole-ops", "ping", "--broker", broker.url);
			for (let i = 0; i < 20 && ping.code !== 0; i++) {
				await new Promise((r) => setTimeout(r, 500));
				ping = await curbsideAsync("ops", "cmd", "pole-ops", "ping", "--broker", broker.url);
			}
			expect(ping.out).toMatch(/pole-ops: ping → ok \{"t":\d+,"uptimeS":\d+\}/);
			const unknown = await curbsideAsync("ops", "cmd", "pole-ops", "self-destruct", "--broker", broker.url);
			expect(unknown.code).toBe(1);
			expect(unknown.out).toContain("self-destruct → unknown-command");
			const cfg = await curbsideAsync("ops", "config", "pole-ops", "healthMs=20000", "--broker", broker.url);
			expect(cfg.out).toMatch(/pole-ops: config rev \d+ applied; applied rev \d+/);
			const bad = await curbsideAsync("ops", "config", "pole-ops", "healthMs=1", "--broker", broker.url);
			expect(bad.code).toBe(1);
			expect(bad.out).toContain("rejected: ConfigError: config: healthMs: 1 is outside 5000..86400000");
			const logs = await curbsideAsync("ops", "logs", "pole-ops", "--broker", broker.url);
			expect(logs.code).toBe(0);
			expect(logs.out).toMatch(/Z INFO  light-pole: window: [\d.]+ °C, \d+ %RH/);
			expect(logs.out).toMatch(/\(\d+ entries from boot #1/);
			const served = await serve;
			expect(served.code).toBe(0);
			expect(served.out).toMatch(/ops: pole-ops #\d+ CrowdFlowObserved \{.*"peopleCount":\d+/);
			expect(served.out).toMatch(/ops: stopped; 1 device\(s\) seen, [1-9]\d* record\(s\) stored/);
			const bogus = await curbsideAsync("ops", "cmd", "pole-ops", "ping", "--broker", broker.url, "--args", "[1]");
			expect(bogus.err.trim()).toBe("curbside: --args must be a JSON object");
			pole.stop();
			const ran = await pole;
			expect(ran.code).toBe(0);
			expect(ran.out).toContain("summary (interrupted)");
		} finally {
			await broker.close();
		}
	}, 120_000);
});
