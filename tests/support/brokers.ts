/*
 * Real brokers for integration tests, on 127.0.0.1 only:
 *   - Mosquitto (Debian package; .ci/run installs it), started per test file
 *     from a generated config with no persistence;
 *   - aedes, embedded (host-sim/broker.ts).
 * Both expose the same small interface so a suite runs against each.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker } from "../../host-sim/broker";

export interface TestBroker {
	readonly name: string;
	readonly port: number;
	readonly url: string;
	stop(): Promise<void>;
	start(): Promise<void>;
	restart(): Promise<void>;
	close(): Promise<void>;
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once("error", reject);
		s.listen(0, "127.0.0.1", () => {
			const port = (s.address() as { port: number }).port;
			s.close(() => resolve(port));
		});
	});
}

async function waitForPort(port: number, up: boolean, deadlineMs = 10_000): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (Date.now() < end) {
		const open = await new Promise<boolean>((resolve) => {
			const s = connect(port, "127.0.0.1");
			s.once("connect", () => (s.destroy(), resolve(true)));
			s.once("error", () => resolve(false));
		});
		if (open === up) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`port ${port} did not become ${up ? "open" : "closed"} within ${deadlineMs} ms`);
}

export async function startMosquitto(port?: number): Promise<TestBroker> {
	const p = port ?? (await freePort());
	const dir = mkdtempSync(join(tmpdir(), "curbside-mosq-"));
	const conf = join(dir, "mosquitto.conf");
	writeFileSync(conf, [`listener ${p} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_type error", "max_keepalive 600", ""].join("\n"));
	let child: ChildProcess | undefined;
	const broker: TestBroker = {
		name: "mosquitto",
		port: p,
		url: `mqtt://127.0.0.1:${p}`,
		async start() {
			child = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "inherit"] });
			child.once("error", (e) => {
				throw new Error(`cannot start mosquitto (apt-get install mosquitto): ${e.message}`);
			});
			await waitForPort(p, true);
		},
		async stop() {
			if (!child) return;
			const c = child;
			child = undefined;
			const exited = new Promise((r) => c.once("exit", r));
			c.kill("SIGKILL");
			await exited;
			await waitForPort(p, false);
		},
		restart: () => restart(broker),
		close: () => broker.stop(),
	};
	await broker.start();
	return broker;
}

export async function startAedes(port?: number): Promise<TestBroker> {
	const p = port ?? (await freePort());
	let inner: Awaited<ReturnType<typeof startBroker>> | undefined;
	const broker: TestBroker = {
		name: "aedes",
		port: p,
		url: `mqtt://127.0.0.1:${p}`,
		async start() {
			inner = await startBroker(p);
		},
		async stop() {
			await inner?.close();
			inner = undefined;
		},
		restart: () => restart(broker),
		close: () => broker.stop(),
	};
	await broker.start();
	return broker;
}

async function restart(broker: TestBroker): Promise<void> {
	await broker.stop();
	await broker.start();
}

/** Polls `condition` every 20 ms until true; throws with `what` after the deadline (a failure bound, not a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}
