/*
 * `curbside`: one CLI for the simulator, the demo, ops, OTA, fonts and
 * benchmarks. Command shapes are stable (docs and scripts depend on them).
 * Every failure ends with one line on stderr and a non-zero exit, never a
 * stack trace (set CURBSIDE_DEBUG=1 to see one).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { runDemo } from "./commands/demo";
import { runFontsBuild } from "./commands/fonts-build";
import { runOpsServe } from "./commands/ops-serve";
import { runOpsCommand, runOpsConfig, runOpsLogs } from "./commands/ops-control";
import { otaControlAction, runOtaKeygen, runOtaPack, runOtaPublishCommand, runOtaSign, runOtaVerify } from "./commands/ota-tools";
import { runSim } from "./commands/sim-run";
import { runBenchmarks } from "./bench/run";
import { parseDuration } from "./duration";
import { parseHostPort } from "./ops/http-api";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

function duration(value: string): number {
	try {
		return parseDuration(value);
	} catch (e) {
		throw new InvalidArgumentError((e as Error).message);
	}
}

function port(value: string): number {
	const n = Number(value);
	if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError(`"${value}" is not a port (0..65535; 0 = any free port)`);
	return n;
}

function hostPort(value: string): { host: string; port: number } {
	try {
		return parseHostPort(value);
	} catch (e) {
		throw new InvalidArgumentError((e as Error).message);
	}
}

function collect(value: string, previous: string[]): string[] {
	return [...previous, value];
}

const program = new Command("curbside")
	.description("Curbside firmware runtime: host simulator, demo, ops, OTA, fonts and benchmarks")
	.version(pkg.version)
	// Root options only before a subcommand, so `ota pack --version 0.2.0` reaches pack, not the root's -V/--version.
	.enablePositionalOptions()
	.showHelpAfterError("(run with --help for usage)");

const sim = program.command("sim").description("run firmware in the host simulator");
sim
	.command("run")
	.description("boot one simulated device from the real firmware sources")
	.argument("<role>", "device role: stop-sign | light-pole")
	.option("--id <id>", "device id (default: <role>-sim)")
	.option("--board <board>", "board manifest under manifests/boards/ (default: generic-epd75 for a stop sign, generic for a light pole)")
	.option("--broker <url>", "MQTT broker, mqtt://host:port (default: start an embedded aedes on 127.0.0.1)")
	.option("--duration <time>", "stop after this long, e.g. 30s, 10m, 2h (default: run until Ctrl-C)", duration)
	.option("--virtual-time", "run on a virtual clock, as fast as the host allows (needs --duration)")
	.option("--png <file>", "write what the e-ink panel shows to a PNG at exit (stop-sign)")
	.option("--gtfs <dir>", "GTFS feed the embedded cloud publishes the sign's board and timetable from (default: scenarios/gtfs/cjk-demo)")
	.option("--scenario <file>", "JSON scenario driving the peripheral models")
	.option("--state <dir>", "keep NVS and flash in this directory across runs (default: in memory)")
	.option("--set <name=value>", "override a config value, as on the mcconfig command line (repeatable)", collect, [])
	.action(runSim);

program
	.command("demo")
	.description("embedded broker + a simulated street (what `npm start` runs)")
	.option("--broker <url>", "use this MQTT broker instead of the embedded aedes")
	.option("--port <port>", "port for the embedded broker on 127.0.0.1 (busy: a free port)", port, 1883)
	.option("--http-port <port>", "port for the dashboard on 127.0.0.1 (busy: a free port)", port, 8080)
	.option("--schedule-only", "signs get the timetable alone, without the simulated GTFS-Realtime (delays, crowding, cancellations)")
	.option("--duration <time>", "stop after this long (default: until Ctrl-C)", duration)
	.action(runDemo);

const ops = program.command("ops").description("cloud-side services");
ops
	.command("serve")
	.description("fleet registry, outbox acker and time beacon; with --gtfs the arrivals bridge")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port or mqtts://host:port")
	.option("--share-group <name>", "MQTT shared-subscription group, to split the fleet across several ops processes (Mosquitto 2, EMQX, VerneMQ, HiveMQ; not the embedded aedes)")
	.option("--records <file>", "append every stored record to this JSON-lines file")
	.option("--db <file>", "SQLite file for the registry, records, acked seqs, config and commands (default with --http: in memory)")
	.option("--http <host:port>", "serve the JSON HTTP API here, e.g. 127.0.0.1:8080 (no auth: keep it on loopback or behind a proxy)", hostPort)
	.option("--gtfs <path>", "GTFS static feed (directory or .zip): run the arrivals bridge, publishing each stop's board and timetable")
	.option("--trip-updates <url|file>", "GTFS-Realtime TripUpdates, protobuf, as an http(s) URL or a file (re-read when it changes)")
	.option("--vehicle-positions <url|file>", "GTFS-Realtime VehiclePositions (occupancy, carriage details), URL or file")
	.option("--simulate-realtime", "simulate GTFS-Realtime for the feed (drifting delays, crowding, carriages, cancellations) instead of a source")
	.option("--poll <time>", "how often to poll the real-time feeds and publish changed boards", duration, 30_000)
	.option("--stops <ids>", "only these stops, comma-separated (default: every stop with departures)")
	.option("--username <name>", "MQTT user name")
	.option("--password <secret>", "MQTT password (or set CURBSIDE_MQTT_PASSWORD, which keeps it out of the process list)")
	.option("--ca <file>", "CA certificate(s), PEM, to trust for an mqtts:// broker")
	.option("--cert <file>", "client certificate, PEM, for brokers that require one")
	.option("--key <file>", "client private key, PEM, with --cert")
	.option("--insecure", "accept any broker certificate (testing only)")
	.option("--duration <time>", "stop after this long (default: until Ctrl-C)", duration)
	.action(runOpsServe);
ops
	.command("cmd")
	.description("send a command to a device and print its result")
	.argument("<device>", "device id")
	.argument("<name>", "command: ping | logs | outbox | reboot, or one the role app registers")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port")
	.option("--args <json>", "command arguments as a JSON object")
	.option("--ttl <time>", "how long the command stays valid", duration, 60_000)
	.option("--wait <time>", "how long to wait for the result", duration, 15_000)
	.action(runOpsCommand);
ops
	.command("config")
	.description("set desired config (retained) and print the device's report")
	.argument("<device>", "device id")
	.argument("<key=value...>", "config values, e.g. healthMs=30000 logLevel=debug")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port")
	.option("--wait <time>", "how long to wait for the report", duration, 15_000)
	.action(runOpsConfig);
ops
	.command("logs")
	.description("fetch a device's recent log lines")
	.argument("<device>", "device id")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port")
	.option("--wait <time>", "how long to wait for the upload", duration, 15_000)
	.action(runOpsLogs);

const ota = program.command("ota").description("signed over-the-air images: keys, packages, campaigns");
ota
	.command("keygen")
	.description("create an ECDSA P-256 signing key pair: <name>.pem (mode 0600) and <name>.pub.pem; never overwrites")
	.option("--out <dir>", "where to write the keys", ".")
	.option("--name <base>", "file name base", "curbside-ota")
	.action(runOtaKeygen);
ota
	.command("pack")
	.description("pack an app image with its manifest into an unsigned package (.cspkg)")
	.argument("<image>", "app image (.bin) built by mcconfig, or a simulator image")
	.requiredOption("--board <board>", "board the image was built for (manifests/boards/<board>.json)")
	.requiredOption("--role <role>", "device role: stop-sign | light-pole")
	.requiredOption("--version <x.y.z>", "firmware version; must equal the image's app descriptor when it has one")
	.requiredOption("--sec <n>", "security version (anti-rollback counter, 0..65535); must equal the image's secure_version")
	.option("--chunk <bytes>", "bytes per download chunk: 1024 | 2048 | 4096 | 8192 | 16384", "4096")
	.option("--note <text>", "release note shown to operators (≤ 200 characters)")
	.option("--out <file>", "package file (default: <image name>-<version>.cspkg)")
	.action(runOtaPack);
ota
	.command("sign")
	.description("check the release ledger and sign a package in place")
	.argument("<package>", "package from `ota pack`")
	.requiredOption("--key <private.pem>", "signing key from `ota keygen`")
	.option("--ledger <file>", "release ledger (default: releases.json next to the key)")
	.action(runOtaSign);
ota
	.command("verify")
	.description("check a package as a device will: signature, image SHA-256, target")
	.argument("<package>", "signed package")
	.requiredOption("--pub <public.pem|hex>", "public key file, or the otaPubKey hex")
	.option("--board <board>", "also require this board")
	.option("--role <role>", "also require this role")
	.action(runOtaVerify);
ota
	.command("publish")
	.description("offer a signed package to devices, a cohort or a staged campaign")
	.argument("<package>", "signed package")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port")
	.option("--device <id>", "offer to this device (repeatable)", collect, [])
	.option("--cohort <tag>", "offer to the devices of this cohort in the inventory")
	.option("--inventory <file>", "fleet inventory (JSON)")
	.option("--campaign <file>", "staged campaign: waves, gates, abort threshold (JSON)")
	.option("--state <file>", "where campaign state persists (default: <package>.campaign.json)")
	.option("--share-group <name>", "MQTT shared-subscription group, to split chunk serving across ops processes")
	.option("--wait <time>", "stop after this long, e.g. 10m, 2h; the same command resumes the campaign (default: until it ends)", duration)
	.action(runOtaPublishCommand);
for (const action of ["pause", "resume", "abort"] as const) {
	ota
		.command(action)
		.description(`${action} a running campaign`)
		.requiredOption("--state <file>", "the campaign's state file")
		.action(otaControlAction(action));
}

program
	.command("fonts")
	.description("bitmap fonts for the e-ink renderer (issue #4)")
	.command("build")
	.description("build packed bitmap fonts (CSF1) from TTF/OTF/TTC/BDF with the glyph subset a deployment needs")
	.option("--recipe <file>", "font set to build (default: resources/fonts/fonts.json; output next to it)")
	.option("--gtfs <dir>", "GTFS static feed whose stop, route and headsign names go in the subset (repeatable; default: each folder under scenarios/gtfs/)", collect, [])
	.option("--strings <file>", "UTF-8 text whose characters go in the subset (repeatable)", collect, [])
	.option("--out <dir>", "where the .csf files go (default: the recipe's folder; with --font, the current folder)")
	.option("--font <file>", "build one font from this TTF/OTF/TTC/BDF instead of the recipe")
	.option("--size <px>", "pixel size (em) for --font")
	.option("--name <name>", "output name for --font: <name>.csf")
	.option("--face <name>", "face of a .ttc for --font (PostScript or family name, e.g. NotoSansCJKsc-Regular)")
	.action(runFontsBuild);

program
	.command("bench")
	.description("run benchmarks on real XS; writes bench/results.json")
	.addOption(new Option("--out <file>", "results file").default("bench/results.json"))
	.option("--only <keys>", "result keys (or prefixes before a \".\") to run, comma-separated; the others keep their values")
	.action((options: { out: string; only?: string }) => runBenchmarks(options.out, options.only?.split(",")));

try {
	await program.parseAsync(process.argv);
} catch (e) {
	if (process.env.CURBSIDE_DEBUG) console.error(e);
	process.stderr.write(`curbside: ${(e as Error).message ?? String(e)}\n`);
	process.exit(1);
}
