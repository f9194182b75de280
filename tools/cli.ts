/*
 * `curbside`: one CLI for the simulator, the demo, ops, OTA, fonts and
 * benchmarks. Command shapes are stable (docs and scripts depend on them).
 * Every failure ends with one line on stderr and a non-zero exit, never a
 * stack trace (set CURBSIDE_DEBUG=1 to see one).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { runDemo } from "./commands/demo";
import { runOpsServe } from "./commands/ops-serve";
import { runOpsCommand, runOpsConfig, runOpsLogs } from "./commands/ops-control";
import { runSim } from "./commands/sim-run";
import { runBenchmarks } from "./bench/run";
import { parseDuration } from "./duration";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

function duration(value: string): number {
	try {
		return parseDuration(value);
	} catch (e) {
		throw new InvalidArgumentError((e as Error).message);
	}
}

function collect(value: string, previous: string[]): string[] {
	return [...previous, value];
}

/** Commands whose implementation lands with a later issue say so plainly and exit 2. */
function notYet(what: string, issue: number): () => never {
	return () => {
		process.stderr.write(`curbside: ${what} is not implemented in this build yet (tracked in issue #${issue})\n`);
		process.exit(2);
	};
}

const program = new Command("curbside")
	.description("Curbside firmware runtime: host simulator, demo, ops, OTA, fonts and benchmarks")
	.version(pkg.version)
	.showHelpAfterError("(run with --help for usage)");

const sim = program.command("sim").description("run firmware in the host simulator");
sim
	.command("run")
	.description("boot one simulated device from the real firmware sources")
	.argument("<role>", "device role: stop-sign | light-pole")
	.option("--id <id>", "device id (default: <role>-sim)")
	.option("--board <board>", "board manifest under manifests/boards/", "generic")
	.option("--broker <url>", "MQTT broker, mqtt://host:port (default: start an embedded aedes on 127.0.0.1)")
	.option("--duration <time>", "stop after this long, e.g. 30s, 10m, 2h (default: run until Ctrl-C)", duration)
	.option("--virtual-time", "run on a virtual clock, as fast as the host allows (needs --duration)")
	.option("--png <file>", "write what the e-ink panel shows to a PNG at exit (stop-sign)")
	.option("--scenario <file>", "JSON scenario driving the peripheral models")
	.option("--state <dir>", "keep NVS and flash in this directory across runs (default: in memory)")
	.option("--set <name=value>", "override a config value, as on the mcconfig command line (repeatable)", collect, [])
	.action(runSim);

program
	.command("demo")
	.description("embedded broker + a simulated street (what `npm start` runs)")
	.option("--broker <url>", "use this MQTT broker instead of the embedded aedes")
	.option("--port <port>", "port for the embedded broker on 127.0.0.1", (v) => Number(v), 1883)
	.option("--duration <time>", "stop after this long (default: until Ctrl-C)", duration)
	.action(runDemo);

const ops = program.command("ops").description("cloud-side services");
ops
	.command("serve")
	.description("fleet registry, outbox acker and time beacon")
	.requiredOption("--broker <url>", "MQTT broker, mqtt://host:port")
	.option("--share-group <name>", "MQTT shared-subscription group, to split the fleet across several ops processes (Mosquitto 2, EMQX, VerneMQ, HiveMQ; not the embedded aedes)")
	.option("--records <file>", "append every stored record to this JSON-lines file")
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

const ota = program.command("ota").description("signed over-the-air images (issue #6)");
ota.command("keygen").description("create an ECDSA P-256 signing key pair (PEM)").option("--out <dir>", "where to write the keys", ".").action(notYet("ota keygen", 6));
ota.command("pack").description("pack an image with its manifest").argument("<image>").action(notYet("ota pack", 6));
ota.command("sign").description("sign a packed image").argument("<package>").option("--key <pem>").action(notYet("ota sign", 6));
ota.command("verify").description("verify a signed image").argument("<package>").option("--pub <pem>").action(notYet("ota verify", 6));
ota.command("publish").description("offer an image to a device, cohort or campaign").argument("<package>").option("--broker <url>").action(notYet("ota publish", 6));

program
	.command("fonts")
	.description("bitmap fonts for the e-ink renderer (issue #4)")
	.command("build")
	.description("build packed bitmap fonts from TTF/OTF/BDF with a glyph subset")
	.action(notYet("fonts build", 4));

program
	.command("bench")
	.description("run benchmarks on real XS; writes bench/results.json")
	.addOption(new Option("--out <file>", "results file").default("bench/results.json"))
	.action((options: { out: string }) => runBenchmarks(options.out));

try {
	await program.parseAsync(process.argv);
} catch (e) {
	if (process.env.CURBSIDE_DEBUG) console.error(e);
	process.stderr.write(`curbside: ${(e as Error).message ?? String(e)}\n`);
	process.exit(1);
}
