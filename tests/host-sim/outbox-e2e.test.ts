/*
 * End-to-end outbox: real firmware in the host simulator, a real broker
 * (Mosquitto, then aedes) on loopback, the ops acker storing records, and
 * faults in between:
 *   - the broker restarted mid-stream;
 *   - a partition of several device-minutes through a TCP fault proxy that
 *     drops (blackhole), cuts and delays, then resets every connection a few
 *     times while the backlog drains;
 *   - power cuts injected during outbox appends in the simulated flash.
 * Each run asserts 0 records lost and 0 duplicates stored, for thousands of
 * records, and prints its figures. Device time runs SPEED× real time so a
 * four-minute partition takes seconds; sockets and brokers stay real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RealClock } from "../../host-sim/bridge/real-clock";
import type { MemoryFlash, MemoryPartition } from "../../host-sim/bridge/memory";
import { Fleet } from "../../host-sim/fleet";
import type { SimDevice } from "../../host-sim/device";
import { Acker, missingSeqs } from "../../tools/ops/acker";
import { burstFor } from "../../firmware/net/token-bucket";
import { startAedes, startMosquitto, waitFor, type TestBroker } from "../support/brokers";
import { FaultProxy } from "./support/fault-proxy";

const SPEED = 50;
/** records per device per run; three devices per run. `npm run soak` raises it. */
const RECORDS = Math.max(100, Number(process.env.CURBSIDE_E2E_RECORDS ?? 1_000) || 1_000);
const DEVICES = ["pole-1", "pole-2", "pole-3"];
const CONFIG = {
	sampleMs: 1_000,
	// One-second windows of one part: the pole records one aggregate a second, a stream to stress the outbox with.
	windowMs: 1_000,
	parts: "sht3x",
	upDelayMs: 2_000,
	upMaxRecords: 50,
	ackTimeoutMs: 10_000,
	keepaliveMs: 20_000,
	backoffMinMs: 500,
	backoffMaxMs: 20_000,
	healthMs: 60_000,
	// The schema's minimum: well below how fast a partition's backlog would drain unpaced (≈2 KB/s here).
	txBytesPerS: 256,
};

/** Device-ms to wait in real ms. */
const deviceMs = (ms: number) => new Promise((r) => setTimeout(r, ms / SPEED));

function appended(dev: SimDevice): number {
	return (dev.runtime?.cloud?.ring?.stats.nextSeq ?? 1) - 1;
}

for (const start of [startMosquitto, startAedes]) {
	describe(`outbox end to end on ${start === startMosquitto ? "mosquitto" : "aedes"}`, () => {
		let broker: TestBroker;
		let proxy: FaultProxy;
		let acker: Acker;
		let clock: RealClock;
		let fleet: Fleet;

		beforeAll(async () => {
			broker = await start();
		});
		afterAll(async () => {
			await broker.close();
		});
		afterEach(async () => {
			fleet?.shutdown();
			clock?.cancelAll();
			await acker?.close();
			await proxy?.close();
		});

		async function street(): Promise<void> {
			proxy = await FaultProxy.start({ target: { host: "127.0.0.1", port: broker.port } });
			acker = new Acker({ clientId: `acker-${Math.random().toString(16).slice(2)}` });
			await acker.connect(broker.url);
			clock = new RealClock({ speed: SPEED });
			fleet = new Fleet({ broker: { host: "127.0.0.1", port: proxy.port }, clock });
			for (const id of DEVICES) await fleet.add({ id, role: "light-pole", board: "generic", config: CONFIG });
			fleet.bootAll();
		}

		/** Stops sampling once every device has `RECORDS` records, waits for the backlog to drain, then checks the ledger. */
		async function finish(label: string, extra: Record<string, number> = {}): Promise<void> {
			for (const id of DEVICES) {
				const dev = fleet.get(id);
				await waitFor(() => appended(dev) >= RECORDS, `${id}: ${RECORDS} records`, RECORDS * 120);
				dev.runtime!.app!.stop();
			}
			for (const id of DEVICES) {
				const dev = fleet.get(id);
				await waitFor(() => dev.runtime?.cloud?.ring?.stats.pending === 0, `${id}: outbox drained`, 120_000);
			}
			let total = 0;
			let resent = 0;
			let batches = 0;
			for (const id of DEVICES) {
				const dev = fleet.get(id);
				const last = appended(dev);
				const ledger = acker.ledger(id);
				expect(missingSeqs(ledger, 1, last), `${id}: lost records`).toEqual([]);
				expect(ledger.seqs.size).toBe(last);
				expect(ledger.reportedLost).toBe(0);
				expect(dev.runtime!.cloud!.uplink!.stats.lost).toBe(0);
				total += last;
				resent += ledger.duplicates;
				batches += ledger.batches;
			}
			// 0 duplicates after dedupe: every (device, seq) is stored exactly once.
			const keys = new Set(acker.records.map((r) => `${r.device}/${r.seq}`));
			expect(keys.size).toBe(acker.records.length);
			expect(acker.records.length).toBe(total);
			const synced = acker.records.filter((r) => r.t !== undefined).length;
			console.log(
				`[outbox e2e] ${broker.name} ${label}: ${total} records from ${DEVICES.length} devices, 0 lost, 0 duplicates stored; ` +
					`${batches} batches, ${resent} resent records deduped, ${acker.records.length - synced} without real time` +
					Object.entries(extra)
						.map(([k, v]) => `, ${k} ${v}`)
						.join(""),
			);
		}

		it("a broker restart mid-stream loses nothing", async () => {
			await street();
			await waitFor(() => DEVICES.every((id) => appended(fleet.get(id)) >= RECORDS / 3), "a third of the stream");
			await broker.restart();
			await waitFor(() => DEVICES.every((id) => (fleet.get(id).runtime?.session?.stats.connects ?? 0) >= 2), "reconnect after restart", 60_000);
			await finish("broker restart");
		}, 60_000 + RECORDS * 180);

		it("a partition of four device-minutes (drop, cut, delay, modem resets) loses nothing", async () => {
			await street();
			await waitFor(() => DEVICES.every((id) => appended(fleet.get(id)) >= 200), "200 records each");
			// Blackhole: neither end sees a close; keepalive must find out.
			proxy.setMode("drop");
			await deviceMs(180_000);
			// Then a hard cut with refused connections, then a slow, lossy-feeling link.
			proxy.setMode("cut");
			await deviceMs(60_000);
			const pendingAtHeal = Math.min(...DEVICES.map((id) => fleet.get(id).runtime!.cloud!.ring!.stats.pending));
			expect(pendingAtHeal).toBeGreaterThan(100); // the partition really held records back
			proxy.setDelay(40);
			proxy.setMode("pass");
			// The backlog drains no faster than the rate limit. From any moment t1 on, the
			// bytes sent are at most one burst (what the bucket can hold at t1) plus rate × device time.
			const uplinkBytes = (id: string) => fleet.get(id).runtime!.cloud!.uplink!.stats.bytesSent;
			const connects = (id: string) => fleet.get(id).runtime!.session!.stats.connects;
			const atHeal = DEVICES.map(uplinkBytes);
			const connectsAtHeal = DEVICES.map(connects);
			await waitFor(() => DEVICES.every((id, i) => connects(id) > connectsAtHeal[i]), "reconnect after heal", 60_000);
			const t1 = clock.ticks();
			const atT1 = DEVICES.map(uplinkBytes);
			await waitFor(() => DEVICES.every((id) => fleet.get(id).runtime!.cloud!.ring!.stats.pending < 20), "backlog drained", 60_000);
			const drainS = (clock.ticks() - t1) / 1000;
			const burst = burstFor(CONFIG.txBytesPerS);
			const drained = DEVICES.map((id, i) => uplinkBytes(id) - atHeal[i]);
			for (let i = 0; i < DEVICES.length; i++) {
				expect(drained[i]).toBeGreaterThan(2 * burst); // the backlog was bigger than a burst: the limit had to pace it
				expect(uplinkBytes(DEVICES[i]) - atT1[i]).toBeLessThanOrEqual(burst + CONFIG.txBytesPerS * drainS);
			}
			// A flaky cellular link while the backlog drains: the modem drops every connection now and then.
			for (let i = 0; i < 3; i++) {
				await deviceMs(10_000);
				proxy.cutAll();
			}
			proxy.setDelay(0);
			await finish("partition", {
				"pending at heal (min)": pendingAtHeal,
				"dropped bytes": proxy.stats.droppedBytes,
				"bytes sent since heal (max)": Math.max(...drained),
				"device-s from reconnect to drained": Math.round(drainS),
				"rate-limit allowance in that time B": Math.round(burst + CONFIG.txBytesPerS * drainS),
			});
		}, 60_000 + RECORDS * 180);

		it("power cuts during outbox appends lose nothing", async () => {
			await street();
			let cuts = 0;
			let torn = 0;
			const armed = new Set<string>();
			const arm = (dev: SimDevice, afterBytes: number) => {
				const part = (dev.flash as MemoryFlash).partitions.get("outbox") as MemoryPartition;
				armed.add(dev.id);
				part.cutAfterBytes = afterBytes;
				part.onPowerCut = () => {
					part.onPowerCut = undefined;
					cuts++;
					// Power is gone for the rest of this turn; the board comes back a moment later.
					setImmediate(() => {
						dev.powerOff();
						part.cutAfterBytes = undefined;
						dev.boot("poweron");
						torn += dev.runtime?.cloud?.ring?.stats.torn ?? 0;
						armed.delete(dev.id);
					});
				};
			};
			const target = 5;
			let i = 0;
			while (cuts < target * DEVICES.length) {
				for (const id of DEVICES) {
					const dev = fleet.get(id);
					if (armed.has(id) || !dev.runtime) continue;
					// Cut somewhere inside the next record or two (header, body, ack byte or a sector erase).
					arm(dev, 1 + ((i++ * 37) % 90));
				}
				await deviceMs(5_000);
			}
			await waitFor(() => armed.size === 0, "every armed cut fired");
			await finish("power cuts", { "power cuts": cuts, "torn writes recovered": torn });
			expect(torn).toBeGreaterThan(0);
		}, 60_000 + RECORDS * 180);
	});
}
