/*
 * The arrivals bridge's failure and publish rules (issue #7):
 *   - RealtimeSource: HTTP 500 and a timeout from a local server on 127.0.0.1,
 *     bad protobuf, a stale header, a missing file, a file that changed, ETag
 *     304 — each reported (never thrown) with the last good message kept;
 *   - ArrivalsBridge on an embedded aedes (127.0.0.1, free port) with a
 *     subscriber: boards retained in CBOR that pass the contract's validator,
 *     published only on change, re-sent for a newer `t` after TTL/3 but never
 *     re-stamped when the feed is dead, the last good board kept retained after
 *     a feed error, timetable slices on start and hourly, no boards before the
 *     first real-time message, no crash with the broker gone.
 * Times are a virtual `now` (the bridge runs with manual polls); waits are
 * bounded by generous deadlines, never asserted.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateStopBoard, validateStopTimetable, type StopBoard } from "../../firmware/contract/board-payloads";
import { decodePayload } from "../../firmware/contract/codec";
import { boardTopic, parseTopic } from "../../firmware/contract/topics";
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import { RealtimeSource } from "../../tools/gtfs/realtime-source";
import { loadGtfsDir } from "../../tools/gtfs/static-feed";
import { ArrivalsBridge, departureStops, type ArrivalsEvent } from "../../tools/ops/arrivals-bridge";
import { waitFor } from "../support/brokers";
import { crc32 } from "../../firmware/net/outbox/crc32";

const rt = GtfsRealtimeBindings.transit_realtime;
const CJK = loadGtfsDir(join(__dirname, "../../scenarios/gtfs/cjk-demo"));
const START = CJK.dayStart("20260115");
const NOW = START + 10 * 3600;
const TRIP = "H1-OUT-3"; // MARKET 10:07 departure
const tmp = mkdtempSync(join(tmpdir(), "arrivals-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A TripUpdates FeedMessage: TRIP `delayS` late, header at `ts`. */
function tripUpdates(delayS: number, ts: number): Uint8Array {
	return rt.FeedMessage.encode({
		header: { gtfsRealtimeVersion: "2.0", timestamp: ts },
		entity: [{ id: "1", tripUpdate: { trip: { tripId: TRIP }, stopTimeUpdate: [{ stopSequence: 1, departure: { delay: delayS } }] } }],
	}).finish();
}

let fileN = 0;
/** Writes `bytes` to a file with a distinct mtime (so a change is seen even within one ms). */
function feedFile(bytes: Uint8Array, path = join(tmp, `tu-${fileN++}.pb`)): string {
	writeFileSync(path, bytes);
	const t = 1_700_000_000 + fileN++;
	utimesSync(path, t, t);
	return path;
}

describe("RealtimeSource", () => {
	let server: Server;
	let base = "";
	let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
	beforeAll(async () => {
		server = createServer((req, res) => handler(req, res));
		await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
		base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
	});
	afterAll(async () => {
		server.closeAllConnections();
		await new Promise((r) => server.close(r));
	});
	const nowMs = () => NOW * 1000;

	it("HTTP 500 is an error naming the status; the last good message stays", async () => {
		let status = 200;
		handler = (_req, res) => {
			res.writeHead(status, { "content-type": "application/x-protobuf" });
			res.end(status === 200 ? tripUpdates(60, NOW - 10) : "oops");
		};
		const src = new RealtimeSource({ location: `${base}/tu`, label: "trip updates", now: nowMs });
		expect((await src.poll()).status).toBe("updated");
		const good = src.feed;
		status = 500;
		const r = await src.poll();
		expect(r).toEqual({ status: "error", error: expect.stringMatching(/trip updates http:\/\/127\.0\.0\.1:\d+\/tu: HTTP 500/) });
		expect(src.feed).toBe(good);
		expect(src.lastError).toMatch(/HTTP 500/);
		expect(src.stats).toMatchObject({ polls: 2, updates: 1, errors: 1 });
	});
	it("a server that never answers times out", async () => {
		handler = () => {}; // never responds
		const src = new RealtimeSource({ location: `${base}/slow`, timeoutMs: 150, now: nowMs });
		const r = await src.poll();
		expect(r.status === "error" && r.error).toMatch(/timed out after 150 ms/);
	});
	it("a refused connection is an error, not a throw", async () => {
		const src = new RealtimeSource({ location: "http://127.0.0.1:1/feed", now: nowMs });
		expect((await src.poll()).status).toBe("error");
		expect(src.lastError).toMatch(/fetch failed/);
	});
	it("ETag: a 304 keeps the message without decoding it again", async () => {
		let hits = 0;
		handler = (req, res) => {
			hits++;
			if (req.headers["if-none-match"] === '"v1"') {
				res.writeHead(304);
				res.end();
				return;
			}
			res.writeHead(200, { etag: '"v1"' });
			res.end(tripUpdates(0, NOW - 5));
		};
		const src = new RealtimeSource({ location: `${base}/etag`, now: nowMs });
		expect((await src.poll()).status).toBe("updated");
		expect((await src.poll()).status).toBe("unchanged");
		expect(hits).toBe(2);
		expect(src.stats).toMatchObject({ updates: 1, unchanged: 1, errors: 0 });
	});
	it("bad protobuf is refused with its reason; the last good message stays", async () => {
		const path = feedFile(tripUpdates(30, NOW - 10));
		const src = new RealtimeSource({ location: path, now: nowMs });
		await src.poll();
		const good = src.feed;
		feedFile(new Uint8Array([0x0a, 0x05, 0x01]), path);
		const r = await src.poll();
		expect(r.status === "error" && r.error).toMatch(/not a GTFS-RT FeedMessage/);
		expect(src.feed).toBe(good);
	});
	it("a header older than staleS is a stale feed (on arrival, and when an unchanged file ages)", async () => {
		let now = NOW;
		const stale = new RealtimeSource({ location: feedFile(tripUpdates(0, NOW - 121)), now: () => now * 1000 });
		const r = await stale.poll();
		expect(r.status === "error" && r.error).toMatch(/stale feed: header timestamp .* is 121 s old \(limit 120 s\)/);
		expect(stale.feed).toBeUndefined();
		const aging = new RealtimeSource({ location: feedFile(tripUpdates(0, NOW - 10)), now: () => now * 1000, staleS: 60 });
		expect((await aging.poll()).status).toBe("updated");
		now += 30;
		expect((await aging.poll()).status).toBe("unchanged");
		now += 60;
		expect((await aging.poll()).status).toBe("error");
		expect(aging.lastError).toMatch(/stale feed/);
		expect(aging.feed).toBeDefined(); // still the last good one
	});
	it("a file is re-read when it changes, not otherwise; a missing file is an error", async () => {
		const path = feedFile(tripUpdates(10, NOW - 10));
		const src = new RealtimeSource({ location: path, now: nowMs });
		expect((await src.poll()).status).toBe("updated");
		expect((await src.poll()).status).toBe("unchanged");
		feedFile(tripUpdates(20, NOW - 5), path);
		const r = await src.poll();
		expect(r.status).toBe("updated");
		expect(src.feed!.entity[0]!.tripUpdate!.stopTimeUpdate![0]!.departure!.delay).toBe(20);
		const gone = new RealtimeSource({ location: join(tmp, "nope.pb"), now: nowMs });
		expect((await gone.poll()).status).toBe("error");
		expect(gone.lastError).toMatch(/cannot read \(ENOENT\)/);
	});
	it("a header without a timestamp is refused (its age cannot be judged)", async () => {
		const bytes = rt.FeedMessage.encode({ header: { gtfsRealtimeVersion: "2.0" }, entity: [] }).finish();
		const src = new RealtimeSource({ location: feedFile(bytes), now: nowMs });
		expect((await src.poll()).status).toBe("error");
		expect(src.lastError).toMatch(/no timestamp/);
	});
});

describe("ArrivalsBridge on an embedded broker", () => {
	let broker: EmbeddedBroker;
	let sub: MqttClient;
	/** every board/timetable message seen, in order */
	const seen: { stop: string; kind: "board" | "timetable" | "fresh"; bytes: Buffer; retain: boolean }[] = [];
	const bridges: ArrivalsBridge[] = [];
	beforeAll(async () => {
		broker = await startBroker(0);
		sub = await mqtt.connectAsync(broker.url, { clientId: "arrivals-test-sub", protocolVersion: 4 });
		sub.on("message", (topic, payload, packet) => {
			const p = parseTopic(topic);
			if (p?.kind === "board" || p?.kind === "timetable" || p?.kind === "fresh") seen.push({ stop: p.stopId, kind: p.kind, bytes: payload, retain: packet.retain });
		});
		await sub.subscribeAsync(["cs/v1/stop/+/board", "cs/v1/stop/+/timetable", "cs/v1/stop/+/fresh"], { qos: 1 });
	});
	afterEach(async () => {
		for (const b of bridges.splice(0)) await b.stop();
	});
	afterAll(async () => {
		await sub?.endAsync(true);
		await broker?.close();
	});

	const boards = (stop?: string) => seen.filter((m) => m.kind === "board" && (!stop || m.stop === stop)).map((m) => decodePayload("board", m.bytes));
	/** The time a sign holding the last board of `stop` now has for it: the board's own `t`, moved on by ticks that name it (same CRC). */
	const heldT = (stop: string): number => {
		const last = seen.filter((m) => m.kind === "board" && m.stop === stop).at(-1)!;
		const crc = crc32(new Uint8Array(last.bytes));
		let t = decodePayload("board", last.bytes).t;
		for (const m of seen.slice(seen.indexOf(last)))
			if (m.kind === "fresh" && m.stop === stop) {
				const f = decodePayload("fresh", m.bytes);
				if (f.crc === crc && f.t > t) t = f.t;
			}
		return t;
	};

	/** A bridge on `tripsFile`, manual polls at a virtual now. */
	async function bridge(tripsFile: string | undefined, clock: { s: number }, events: ArrivalsEvent[] = [], stops?: string[]) {
		const b = new ArrivalsBridge({ feed: CJK, tripUpdates: tripsFile, stops, now: () => clock.s * 1000, manual: true, onEvent: (e) => events.push(e) });
		bridges.push(b);
		await b.start(broker.url);
		return b;
	}
	/** Waits until the subscriber has seen `n` more messages than `from` (delivery takes real ms). */
	const heard = (from: number, n: number) => waitFor(() => seen.length >= from + n, `${n} message(s)`, 10_000);
	/** Gives in-flight deliveries a chance to land, so "nothing arrived" is meaningful. */
	const quiet = async () => {
		const probe = `cs/v1/stop/PROBE${seen.length}/board`;
		let got = false;
		const h = (t: string) => (got ||= t === probe);
		sub.on("message", h);
		await sub.subscribeAsync(probe);
		await sub.publishAsync(probe, Buffer.from([0]), { qos: 1 });
		await waitFor(() => got, "probe", 10_000);
		sub.off("message", h);
		seen.splice(seen.findIndex((m) => m.stop.startsWith("PROBE")), 1);
	};

	it("on start: every departure stop's board and 24 h timetable, retained, valid CBOR; a late subscriber gets them", async () => {
		const from = seen.length;
		const clock = { s: NOW };
		const stops = departureStops(CJK);
		expect(stops).toEqual(["HC_FERRY", "HC_HOSPITAL", "HC_LIGHTHOUSE", "HC_MARKET", "HC_OLDTOWN", "HC_STATION"]);
		const b = await bridge(feedFile(tripUpdates(180, NOW - 15)), clock);
		await heard(from, stops.length * 2);
		const got = seen.slice(from);
		expect(new Set(got.filter((m) => m.kind === "board").map((m) => m.stop))).toEqual(new Set(stops));
		for (const m of got) {
			if (m.kind === "board") expect(validateStopBoard(decodePayload("board", m.bytes))).toBeTruthy();
			else {
				const tt = validateStopTimetable(decodePayload("timetable", m.bytes));
				expect(tt.until - tt.from).toBe(24 * 3600);
			}
		}
		const market = boards("HC_MARKET").at(-1)!;
		expect(market.t).toBe(NOW - 15); // the feed's header time, not now
		expect(market.deps.find((d) => d.trip === TRIP)).toMatchObject({ st: "live", pred: START + 10 * 3600 + 7 * 60 + 180 });
		expect(b.stats).toMatchObject({ polls: 1, publishes: 6, timetables: 6, errors: 0 });
		// retained: a new subscriber gets the board at once
		const late = await mqtt.connectAsync(broker.url, { clientId: "arrivals-late", protocolVersion: 4 });
		try {
			const first = new Promise<{ retain: boolean; board: StopBoard }>((r) => late.once("message", (_t, p, packet) => r({ retain: packet.retain, board: decodePayload("board", p) })));
			await late.subscribeAsync(boardTopic("HC_MARKET"));
			expect(await first).toEqual({ retain: true, board: market });
		} finally {
			await late.endAsync(true);
		}
	});

	it("only on change: an unchanged poll publishes nothing; a changed delay publishes that stop's board", async () => {
		const clock = { s: NOW };
		const path = feedFile(tripUpdates(60, NOW - 10));
		const b = await bridge(path, clock, [], ["HC_MARKET", "HC_OLDTOWN"]);
		await quiet();
		const from = seen.length;
		clock.s += 10;
		await b.poll();
		await quiet();
		expect(seen.length).toBe(from);
		expect(b.stats).toMatchObject({ polls: 2, publishes: 2, unchanged: 2 });
		// The delay changes: both stops' boards change (the trip calls at both).
		feedFile(tripUpdates(240, NOW + 5), path);
		clock.s += 10;
		await b.poll();
		await heard(from, 2);
		expect(boards("HC_MARKET").at(-1)!.deps.find((d) => d.trip === TRIP)!.pred).toBe(START + 10 * 3600 + 7 * 60 + 240);
		expect(b.stats.publishes).toBe(4);
	});

	it("TTL/3 rule: same departures with a newer t are re-sent after 30 s; a dead feed (same t) is never re-stamped or re-sent", async () => {
		const clock = { s: NOW };
		const path = feedFile(tripUpdates(60, NOW - 5));
		const b = await bridge(path, clock, [], ["HC_MARKET"]);
		await quiet();
		const from = seen.length;
		// fresher header, same content, 20 s later: not yet (< 30 s since the last send)
		feedFile(tripUpdates(60, NOW + 15), path);
		clock.s = NOW + 20;
		await b.poll();
		await quiet();
		expect(seen.length).toBe(from);
		// 30 s after the send: not the board again but a freshness tick with the newer t, naming the board the signs hold (its CRC)
		clock.s = NOW + 30;
		await b.poll();
		await heard(from, 1);
		expect(seen.slice(from).map((m) => m.kind)).toEqual(["fresh"]);
		const tick = decodePayload("fresh", seen.at(-1)!.bytes);
		expect(tick).toEqual({ v: 1, stop: "HC_MARKET", t: NOW + 15, crc: crc32(new Uint8Array(seen.filter((m) => m.kind === "board" && m.stop === "HC_MARKET").at(-1)!.bytes)) });
		expect(heldT("HC_MARKET")).toBe(NOW + 15);
		expect(b.stats.refreshes).toBe(1);
		// the producer stops: the file never changes; minutes pass; no re-stamp, no re-send (until the content changes)
		const mark = seen.length;
		for (let i = 1; i <= 3; i++) {
			clock.s = NOW + 30 + i * 30;
			await b.poll();
		}
		await quiet();
		expect(seen.length).toBe(mark);
		// a fresh bridge on a file already past staleS has no good message: no board at all (only the timetable), and says why
		const events: ArrivalsEvent[] = [];
		const mark2 = seen.length;
		const b2 = await bridge(path, { s: NOW + 15 + 200 }, events, ["HC_MARKET"]);
		await quiet();
		expect(seen.slice(mark2).map((m) => m.kind)).toEqual(["timetable"]);
		expect(events.some((e) => e.type === "error" && /stale feed/.test(e.message))).toBe(true);
		expect(b2.stats.lastError).toMatch(/stale feed/);
	});

	it("last good board stays after a feed error: error event and stats, the retained board unchanged, the bridge keeps polling", async () => {
		const clock = { s: NOW };
		const events: ArrivalsEvent[] = [];
		const path = feedFile(tripUpdates(120, NOW - 10));
		const b = await bridge(path, clock, events, ["HC_OLDTOWN"]);
		await quiet();
		const good = boards("HC_OLDTOWN").at(-1)!;
		feedFile(new Uint8Array([0xff, 0xff, 0xff]), path); // garbage
		clock.s += 30;
		await b.poll();
		clock.s += 30;
		await b.poll();
		expect(events.filter((e) => e.type === "error")).toHaveLength(2);
		expect(b.stats.errors).toBe(2);
		expect(b.stats.lastError).toMatch(/not a GTFS-RT FeedMessage/);
		await quiet();
		// whatever went out still carries the last good feed's t
		expect(boards("HC_OLDTOWN").at(-1)!.t).toBe(good.t);
		const late = await mqtt.connectAsync(broker.url, { clientId: "arrivals-late-2", protocolVersion: 4 });
		try {
			const first = new Promise<StopBoard>((r) => late.once("message", (_t, p) => r(decodePayload("board", p))));
			await late.subscribeAsync(boardTopic("HC_OLDTOWN"));
			expect((await first).t).toBe(good.t);
		} finally {
			await late.endAsync(true);
		}
		// the feed comes back: a recovered event, fresh boards
		feedFile(tripUpdates(120, clock.s - 5), path);
		clock.s += 30;
		const from = seen.length;
		await b.poll();
		await heard(from, 1);
		expect(events.some((e) => e.type === "recovered")).toBe(true);
		// the signs hear the new time: a new board, or a freshness tick for the unchanged one
		expect(heldT("HC_OLDTOWN")).toBe(clock.s - 35);
	});

	it("timetable slices: on start and again an hour later", async () => {
		const clock = { s: NOW };
		const b = await bridge(undefined, clock, [], ["HC_STATION"]);
		expect(b.hasRealtime).toBe(false);
		await quiet();
		const count = () => seen.filter((m) => m.kind === "timetable" && m.stop === "HC_STATION").length;
		const first = count();
		clock.s += 1800;
		await b.poll();
		await quiet();
		expect(count()).toBe(first);
		clock.s += 1800;
		await b.poll();
		await quiet();
		expect(count()).toBe(first + 1);
		const tt = decodePayload("timetable", seen.filter((m) => m.kind === "timetable" && m.stop === "HC_STATION").at(-1)!.bytes);
		expect(tt.from).toBe(Math.floor(clock.s / 60) * 60);
		// schedule only: the board's t is now
		expect(boards("HC_STATION").at(-1)!.t).toBe(clock.s);
	});

	it("simulated real-time: boards from the RealtimeSimulator, each valid", async () => {
		const clock = { s: NOW };
		const b = new ArrivalsBridge({ feed: CJK, simulate: { seed: 4 }, now: () => clock.s * 1000, manual: true });
		bridges.push(b);
		const from = seen.length;
		await b.start(broker.url);
		await heard(from, 12);
		for (let i = 0; i < 10; i++) {
			clock.s += 30;
			await b.poll();
		}
		await quiet();
		const out = seen.slice(from).filter((m) => m.kind === "board");
		for (const m of out) validateStopBoard(decodePayload("board", m.bytes));
		expect(out.some((m) => decodePayload("board", m.bytes).deps.some((d) => d.st === "live"))).toBe(true);
		expect(b.stats.errors).toBe(0);
	});

	it("refuses sources together with simulate, and an unknown stop", () => {
		expect(() => new ArrivalsBridge({ feed: CJK, simulate: true, tripUpdates: "x.pb" })).toThrow(/not both/);
		expect(() => new ArrivalsBridge({ feed: CJK, stops: ["NOWHERE"] })).toThrow(/NOWHERE/);
	});

	it("the broker goes away: an error event per poll, no crash; after it returns every board is re-sent", async () => {
		let own = await startBroker(0);
		const port = own.port;
		const events: ArrivalsEvent[] = [];
		const clock = { s: NOW };
		const b = new ArrivalsBridge({ feed: CJK, stops: ["HC_MARKET"], now: () => clock.s * 1000, manual: true, onEvent: (e) => events.push(e) });
		let watcher: MqttClient | undefined;
		try {
			await b.start(own.url);
			await own.close();
			const down = () => events.some((e) => e.type === "error" && /broker not connected/.test(e.message));
			const end = Date.now() + 10_000;
			while (!down() && Date.now() < end) {
				clock.s += 1;
				await b.poll();
				await new Promise((r) => setTimeout(r, 20));
			}
			expect(down()).toBe(true);
			// back, with no retained state (no persistence): the bridge reconnects and sends the board again
			own = await startBroker(port);
			watcher = await mqtt.connectAsync(own.url, { clientId: "arrivals-watch", protocolVersion: 4 });
			let got: StopBoard | undefined;
			watcher.on("message", (_t, p) => (got = decodePayload("board", p)));
			await watcher.subscribeAsync(boardTopic("HC_MARKET"), { qos: 1 });
			const end2 = Date.now() + 15_000;
			while (!got && Date.now() < end2) {
				await b.poll();
				await new Promise((r) => setTimeout(r, 100));
			}
			expect(got?.stop).toBe("HC_MARKET");
			expect(events.some((e) => e.type === "recovered")).toBe(true);
		} finally {
			await watcher?.endAsync(true);
			await b.stop();
			await own.close();
		}
	});
});
