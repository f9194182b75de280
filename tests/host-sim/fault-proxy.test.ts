/*
 * The TCP fault-injection proxy (tests/host-sim/support/fault-proxy.ts)
 * against a plain echo server on loopback, and one MQTT client through it to
 * aedes. Timing assertions are lower bounds only; "nothing happened" checks
 * wait a fixed quiet period.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, connect, type Server, type Socket } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { FaultProxy } from "./support/fault-proxy";
import { freePort, startAedes, waitFor, type TestBroker } from "../support/brokers";

const QUIET_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An echo server that also keeps its accepted sockets, so a test can push unsolicited bytes down. */
interface Echo {
	server: Server;
	port: number;
	sockets: Socket[];
	accepted: number;
	received: string;
}

async function startEcho(): Promise<Echo> {
	const echo: Echo = { server: createServer(), port: 0, sockets: [], accepted: 0, received: "" };
	echo.server.on("connection", (s) => {
		s.on("error", () => {});
		echo.accepted++;
		echo.sockets.push(s);
		s.on("data", (d: Buffer) => {
			echo.received += d.toString();
			s.write(d);
		});
	});
	await new Promise<void>((r) => echo.server.listen(0, "127.0.0.1", r));
	echo.port = (echo.server.address() as { port: number }).port;
	return echo;
}

/** A client socket recording what it hears and whether it closed. */
interface Client {
	socket: Socket;
	data: string;
	closed: boolean;
	connected: boolean;
}

function client(port: number): Client {
	const c: Client = { socket: connect(port, "127.0.0.1"), data: "", closed: false, connected: false };
	c.socket.on("error", () => {});
	c.socket.on("connect", () => (c.connected = true));
	c.socket.on("data", (d: Buffer) => (c.data += d.toString()));
	c.socket.on("close", () => (c.closed = true));
	return c;
}

async function connected(port: number): Promise<Client> {
	const c = client(port);
	await waitFor(() => c.connected || c.closed, "client connect", 5_000);
	return c;
}

describe("FaultProxy on an echo server", () => {
	let echo: Echo;
	let proxy: FaultProxy;
	const clients: Client[] = [];
	const open = async (): Promise<Client> => {
		const c = await connected(proxy.port);
		clients.push(c);
		return c;
	};

	beforeAll(async () => {
		echo = await startEcho();
	});
	afterAll(async () => {
		for (const s of echo.sockets) s.destroy();
		await new Promise((r) => echo.server.close(r));
	});
	afterEach(async () => {
		for (const c of clients.splice(0)) c.socket.destroy();
		await proxy?.close();
	});

	it("pass forwards bytes both ways and counts them", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		expect(proxy.mode).toBe("pass");
		const c = await open();
		c.socket.write("hello");
		await waitFor(() => c.data === "hello", "echo through the proxy");
		expect(proxy.stats).toMatchObject({ connections: 1, open: 1, bytesUp: 5, bytesDown: 5, droppedBytes: 0, cuts: 0 });
		c.socket.end();
		await waitFor(() => proxy.stats.open === 0, "connection closed through the proxy");
		expect(c.closed).toBe(true);
	});

	it("drop discards bytes both ways silently and keeps sockets open; pass resumes for new bytes", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		const c = await open();
		c.socket.write("a");
		await waitFor(() => c.data === "a", "echo before drop");
		const upstream = echo.sockets.at(-1)!;
		let upstreamClosed = false;
		upstream.on("close", () => (upstreamClosed = true));
		const receivedBefore = echo.received;

		proxy.setMode("drop");
		c.socket.write("lost-up");
		upstream.write("lost-down");
		await sleep(QUIET_MS);
		expect(c.data).toBe("a");
		expect(echo.received).toBe(receivedBefore);
		expect(c.closed).toBe(false);
		expect(upstreamClosed).toBe(false);
		expect(proxy.stats.droppedBytes).toBe("lost-up".length + "lost-down".length);

		// A new connection during drop is accepted but hears nothing, and the target never sees it.
		const acceptedBefore = echo.accepted;
		const late = await open();
		expect(late.connected).toBe(true);
		late.socket.write("void");
		await sleep(QUIET_MS);
		expect(late.data).toBe("");
		expect(late.closed).toBe(false);
		expect(echo.accepted).toBe(acceptedBefore);

		proxy.setMode("pass");
		c.socket.write("b");
		await waitFor(() => c.data === "ab", "echo after drop");
		await waitFor(() => echo.accepted === acceptedBefore + 1, "late connection reaches the target");
		late.socket.write("late");
		await waitFor(() => late.data === "late", "late connection echoes after drop");
		expect(proxy.stats.droppedBytes).toBe("lost-up".length + "lost-down".length + "void".length);
		expect(c.closed).toBe(false);
	});

	it("a close during drop is not propagated until pass", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		const c = await open();
		c.socket.write("x");
		await waitFor(() => c.data === "x", "echo");
		const upstream = echo.sockets.at(-1)!;
		let upstreamClosed = false;
		upstream.on("close", () => (upstreamClosed = true));
		proxy.setMode("drop");
		c.socket.destroy();
		await sleep(QUIET_MS);
		expect(upstreamClosed).toBe(false);
		proxy.setMode("pass");
		await waitFor(() => upstreamClosed, "target side closed after pass");
		await waitFor(() => proxy.stats.open === 0, "connection released");
	});

	it("cut closes existing connections and refuses new ones until pass", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		const a = await open();
		const b = await open();
		a.socket.write("1");
		b.socket.write("2");
		await waitFor(() => a.data === "1" && b.data === "2", "echo on both");

		proxy.setMode("cut");
		await waitFor(() => a.closed && b.closed, "existing connections closed by cut");
		expect(proxy.stats.cuts).toBe(2);
		await waitFor(() => proxy.stats.open === 0, "no open connections");

		const refused = client(proxy.port);
		clients.push(refused);
		await waitFor(() => refused.closed, "new connection refused under cut");
		expect(refused.data).toBe("");
		expect(proxy.stats.cuts).toBe(3);

		proxy.setMode("pass");
		const again = await open();
		again.socket.write("3");
		await waitFor(() => again.data === "3", "echo after cut");
		expect(again.closed).toBe(false);
	});

	it("cutAll closes open connections once without changing mode", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		const a = await open();
		proxy.cutAll();
		await waitFor(() => a.closed, "connection closed by cutAll");
		expect(proxy.mode).toBe("pass");
		expect(proxy.stats.cuts).toBe(1);
		const b = await open();
		b.socket.write("ok");
		await waitFor(() => b.data === "ok", "echo after cutAll");
	});

	it("closes the client side when the target refuses the connection", async () => {
		const nothing = await freePort();
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: nothing } });
		const c = client(proxy.port);
		clients.push(c);
		await waitFor(() => c.closed, "client closed after target refused");
		await waitFor(() => proxy.stats.open === 0, "connection released");
	});

	it("setDelay adds latency in both directions and keeps byte order", async () => {
		const DELAY = 100;
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port } });
		const c = await open();
		const expected = Array.from({ length: 100 }, (_, i) => `${i}\n`).join("");

		proxy.setDelay(DELAY);
		const t0 = performance.now();
		for (let i = 0; i < 100; i++) c.socket.write(`${i}\n`);
		await waitFor(() => c.data.length >= expected.length, "100 delayed chunks echoed");
		expect(c.data).toBe(expected);
		// Every byte crossed the proxy twice, each time with the delay (a lower bound only).
		expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * DELAY);

		// Lowering the delay while chunks are queued must not let later chunks overtake them.
		c.data = "";
		proxy.setDelay(2 * DELAY);
		for (let i = 0; i < 50; i++) c.socket.write(`${i}\n`);
		await sleep(DELAY / 2);
		proxy.setDelay(0);
		for (let i = 50; i < 100; i++) c.socket.write(`${i}\n`);
		await waitFor(() => c.data.length >= expected.length, "100 chunks echoed across a delay change");
		expect(c.data).toBe(expected);
		expect(proxy.stats.bytesUp).toBe(2 * expected.length);
		expect(proxy.stats.bytesDown).toBe(2 * expected.length);
	});

	it("close() is idempotent, closes connections and releases the port", async () => {
		const port = await freePort();
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: echo.port }, port });
		expect(proxy.port).toBe(port);
		const c = await open();
		proxy.setDelay(50);
		c.socket.write("pending");
		await Promise.all([proxy.close(), proxy.close()]);
		await proxy.close();
		await waitFor(() => c.closed, "client closed by close()");
		const again = createServer();
		await new Promise<void>((resolve, reject) => {
			again.once("error", reject);
			again.listen(port, "127.0.0.1", () => resolve());
		});
		await new Promise((r) => again.close(r));
	});
});

describe("FaultProxy with MQTT (aedes)", () => {
	let broker: TestBroker;
	let proxy: FaultProxy;
	let mq: MqttClient | undefined;

	beforeAll(async () => {
		broker = await startAedes();
	});
	afterAll(async () => {
		await broker.close();
	});
	afterEach(async () => {
		await mq?.endAsync(true).catch(() => {});
		mq = undefined;
		await proxy?.close();
	});

	function track(client: MqttClient) {
		const seen = { connects: 0, closes: 0, messages: [] as string[] };
		client.on("connect", () => seen.connects++);
		client.on("close", () => seen.closes++);
		client.on("error", () => {});
		client.on("message", (_t, payload) => seen.messages.push(payload.toString()));
		return seen;
	}

	it("an MQTT client sees close on cut and reconnects after pass", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: broker.port } });
		mq = mqtt.connect(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 100, connectTimeout: 2_000, keepalive: 30 });
		const seen = track(mq);
		await waitFor(() => seen.connects === 1, "MQTT connect through the proxy");
		await mq.subscribeAsync("fp/test");
		await mq.publishAsync("fp/test", "one");
		await waitFor(() => seen.messages.includes("one"), "round trip through the proxy");

		proxy.setMode("cut");
		await waitFor(() => seen.closes >= 1, "MQTT client sees close on cut");
		// Reconnect attempts are refused while cut.
		await sleep(QUIET_MS);
		expect(seen.connects).toBe(1);
		expect(mq.connected).toBe(false);

		proxy.setMode("pass");
		await waitFor(() => seen.connects === 2, "MQTT client reconnects after pass");
		await mq.subscribeAsync("fp/test");
		await mq.publishAsync("fp/test", "two");
		await waitFor(() => seen.messages.includes("two"), "round trip after reconnect");
	});

	it("an MQTT client detects a blackhole by keepalive and reconnects after pass", async () => {
		proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: broker.port } });
		mq = mqtt.connect(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 100, connectTimeout: 1_000, keepalive: 1 });
		const seen = track(mq);
		await waitFor(() => seen.connects === 1, "MQTT connect through the proxy");

		proxy.setMode("drop");
		await waitFor(() => seen.closes >= 1, "keepalive timeout during drop");
		expect(proxy.stats.droppedBytes).toBeGreaterThan(0);
		expect(seen.connects).toBe(1);

		proxy.setMode("pass");
		await waitFor(() => seen.connects >= 2, "MQTT client reconnects after drop");
	});
});
