/*
 * The arrivals bridge end to end (issue #7: "feed change, then a sign's
 * controller-model image changes"): the real stop-sign firmware in the host
 * simulator (SignLab: generic-epd75, UC8179 model, virtual clock) on an
 * embedded aedes, and the ArrivalsBridge on the same broker reading a
 * GTFS-RT TripUpdates file of the bundled cjk-demo feed, polled by hand on the
 * lab's virtual clock. What is compared is the glass of the controller model.
 *   1. a first feed → the board reaches the sign and is drawn;
 *   2. the file changes (the next bus is cancelled, the one after runs 9 min
 *      late) → the bridge publishes, the sign takes the new board, the glass
 *      changes;
 *   3. the file turns to garbage → the bridge reports it and publishes no
 *      board; the sign keeps the last good one.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import GtfsRealtimeBindings from "gtfs-realtime-bindings";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadGtfsDir } from "../../tools/gtfs/static-feed";
import { ArrivalsBridge, type ArrivalsEvent } from "../../tools/ops/arrivals-bridge";
import { startAedes, type TestBroker } from "../support/brokers";
import { SignLab, differingPixels } from "./support/sign-lab";

const rt = GtfsRealtimeBindings.transit_realtime;
const CJK = loadGtfsDir(join(__dirname, "../../scenarios/gtfs/cjk-demo"));
const tmp = mkdtempSync(join(tmpdir(), "arrivals-e2e-"));
const FEED = join(tmp, "trip-updates.pb");
let stamp = 1_700_000_000;

/** Writes a TripUpdates file at header time `ts` (and a new mtime, so the bridge sees the change). */
function writeFeed(ts: number, entity: GtfsRealtimeBindings.transit_realtime.IFeedEntity[] | "garbage"): void {
	writeFileSync(FEED, entity === "garbage" ? Buffer.from([0xff, 0x00, 0xff]) : rt.FeedMessage.encode({ header: { gtfsRealtimeVersion: "2.0", timestamp: ts }, entity }).finish());
	stamp += 10;
	utimesSync(FEED, stamp, stamp);
}
const delayed = (tripId: string, delayS: number) => ({ id: `d-${tripId}`, tripUpdate: { trip: { tripId }, stopTimeUpdate: [{ stopSequence: 1, departure: { delay: delayS } }] } });
const canceled = (tripId: string) => ({ id: `c-${tripId}`, tripUpdate: { trip: { tripId, scheduleRelationship: rt.TripDescriptor.ScheduleRelationship.CANCELED } } });

describe("arrivals bridge → sign glass", () => {
	let broker: TestBroker;
	let lab: SignLab;
	let bridge: ArrivalsBridge;
	const events: ArrivalsEvent[] = [];

	beforeAll(async () => {
		broker = await startAedes();
		// The lab's clock starts 2026-01-01 08:00 in Shanghai: X2-OUT-2 leaves Fish Market at 08:07, H1-IN-2 at 08:13.
		lab = new SignLab({ broker, board: "generic-epd75", stopId: "HC_MARKET", id: "sign-arrivals-e2e" });
		await lab.start();
		bridge = new ArrivalsBridge({ feed: CJK, tripUpdates: FEED, stops: ["HC_MARKET"], now: () => lab.clock.now(), manual: true, onEvent: (e) => events.push(e) });
	}, 240_000);
	afterAll(async () => {
		await bridge?.stop();
		await lab?.close();
		await broker?.close();
		rmSync(tmp, { recursive: true, force: true });
	});

	/** One bridge poll at the lab's now, then virtual time until the sign took in (or refused) a board, or `quietMs` passed. */
	async function pollAndSettle(expectBoard: boolean): Promise<void> {
		const before = lab.boardsHeard();
		await bridge.poll();
		if (expectBoard) await lab.until(() => lab.boardsHeard() > before, "the bridge's board on the sign", 30_000);
		await lab.settle();
	}

	it("a feed change changes what the panel shows; a broken feed leaves the last good screen", async () => {
		writeFeed(lab.nowS() - 5, [delayed("X2-OUT-2", 0), delayed("H1-IN-2", 60)]);
		await bridge.start(lab.client);
		await lab.until(() => lab.boardsHeard() > 0, "the first board", 30_000);
		await lab.settle();
		expect(lab.has("board refused")).toBe(false);
		const first = lab.image();

		// The next bus is cancelled and the one after runs 9 minutes late.
		writeFeed(lab.nowS() - 5, [canceled("X2-OUT-2"), delayed("H1-IN-2", 9 * 60)]);
		const published = bridge.stats.publishes;
		await pollAndSettle(true);
		expect(bridge.stats.publishes).toBe(published + 1);
		const second = lab.image();
		expect(differingPixels(first, second)).toBeGreaterThan(500);
		expect(lab.controller().violations).toEqual([]);

		// Garbage: an error event, no board published, the sign keeps drawing the last good one.
		writeFeed(lab.nowS(), "garbage");
		const mark = lab.mark();
		const heard = lab.boardsHeard();
		await pollAndSettle(false);
		expect(events.some((e) => e.type === "error" && /not a GTFS-RT FeedMessage/.test(e.message))).toBe(true);
		expect(bridge.stats.publishes).toBe(published + 1);
		expect(lab.boardsHeard()).toBe(heard);
		expect(lab.since(mark).some((l) => l.includes("board refused"))).toBe(false);
		expect(lab.errors).toEqual([]);
	}, 240_000);
});
