/*
 * Fleet rollout benchmark: the real campaign engine (tools/ops/campaign.ts)
 * driven in virtual time over 1,000 MODELLED devices. The devices here are
 * a timing model, not firmware: the firmware's OTA client runs in the
 * simulator's e2e tests, not in this benchmark. What is measured is the
 * rollout policy: how long a staged, route-capped campaign takes versus
 * offering everything at once, and how much of any route is ever in flight.
 *
 * Model (one xorshift32 seed, so every run gives the same figures):
 *   - 1,000 stop signs on 40 routes, each sign on 1–3 distinct routes;
 *   - image 1.5 MiB (1,572,864 B) in 4 KiB chunks, requests of 8 chunks
 *     (OTA_MAX_BATCH): 384 chunks, 48 round trips;
 *   - link: LTE-M-class, 250 kbit/s ± 50 % per device (uniform), RTT 400 ms;
 *     bytes on the link are the real MQTT framing of the real CBOR chunk and
 *     request messages (encodePayload + publishWireBytes), not a guess;
 *   - flash: 55 ms per 4 KiB chunk (sector erase ~45 ms typ. plus 16 page
 *     programs, e.g. GD25Q32 datasheet §11 "AC characteristics"), not
 *     overlapped with the link;
 *   - 10 s to verify (SHA-256, ECDSA), write otadata and reboot; trial boot
 *     180 s, after which 1 % of devices (chosen by the seed) roll back;
 *   - the broker's egress is not a bottleneck (1,000 × 1.6 MB in the
 *     baseline is ~13 s at 1 Gbit/s, small beside each device's link).
 * Policy: waves [1, 5, 25, 100] %, route cap 0.25, minSuccess 0.9 (a first
 * wave of 10 devices passes with one roll-back; 0.95 would need all 10),
 * abortFailure 0.1, bake 30 min, device timeout 1 h. Baseline, same run and
 * same devices: one wave of 100 %, no route cap.
 */
import { encodePayload } from "../../firmware/contract/codec";
import { deviceTopic } from "../../firmware/contract/topics";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { Campaign, type CampaignAction, type CampaignDevice, type CampaignPolicy } from "../ops/campaign";
import { publishWireBytes } from "../ops/ota-service";

const DEVICES = 1_000;
const ROUTES = 40;
const IMAGE_BYTES = 1_572_864;
const CHUNK = 4_096;
const BATCH = 8;
const LINK_KBIT_S = 250;
const LINK_SPREAD = 0.5;
const RTT_MS = 400;
const FLASH_MS_PER_CHUNK = 55;
const APPLY_MS = 10_000;
const TRIAL_MS = 180_000;
const TRIAL_FAILURE = 0.01;
const SEED = 0x0ca5_cade;
const OFFER_ID = "stop-sign-1.2.0-5eedc0de";

const STAGED: CampaignPolicy = { waves: [1, 5, 25, 100], maxRouteShare: 0.25, minSuccess: 0.9, abortFailure: 0.1, bakeMs: 30 * 60_000, deviceTimeoutMs: 60 * 60_000 };
const BASELINE: CampaignPolicy = { ...STAGED, waves: [100], maxRouteShare: 1 };

interface ModelDevice {
	device: CampaignDevice;
	/** offer → last chunk written, ms */
	downloadMs: number;
	failsTrial: boolean;
}

function xorshift32(seed: number): () => number {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 0x1_0000_0000;
	};
}

/** MQTT bytes on a device's link for one whole image: every chunk message and every request, as encoded for real. */
export function imageWireBytes(deviceId: string): { chunkWire: number; requestWire: number; overheadPct: number } {
	const chunkTopic = deviceTopic(deviceId, "ota/chunk");
	const reqTopic = deviceTopic(deviceId, "ota/req");
	const data = new Uint8Array(CHUNK).fill(0xa5);
	const crc = crc32(data);
	const count = Math.ceil(IMAGE_BYTES / CHUNK);
	let chunkWire = 0;
	let requestWire = 0;
	for (let i = 0; i < count; i++) {
		const bytes = encodePayload("ota/chunk", { v: 1, id: OFFER_ID, i, data: data.subarray(0, Math.min(CHUNK, IMAGE_BYTES - i * CHUNK)), crc });
		chunkWire += publishWireBytes(chunkTopic, bytes.byteLength, 0);
		if (i % BATCH === 0) requestWire += publishWireBytes(reqTopic, encodePayload("ota/req", { v: 1, id: OFFER_ID, i, n: Math.min(BATCH, count - i) }).byteLength, 0);
	}
	return { chunkWire, requestWire, overheadPct: ((chunkWire + requestWire - IMAGE_BYTES) / IMAGE_BYTES) * 100 };
}

function buildFleet(): ModelDevice[] {
	const rnd = xorshift32(SEED);
	const wire = imageWireBytes("sign-0000");
	const roundTrips = Math.ceil(IMAGE_BYTES / CHUNK / BATCH);
	const out: ModelDevice[] = [];
	for (let n = 0; n < DEVICES; n++) {
		const routes = new Set<string>();
		const want = 1 + Math.floor(rnd() * 3);
		while (routes.size < want) routes.add(`route-${String(Math.floor(rnd() * ROUTES)).padStart(2, "0")}`);
		const kbit = LINK_KBIT_S * (1 - LINK_SPREAD + 2 * LINK_SPREAD * rnd());
		const downloadMs = roundTrips * RTT_MS + ((wire.chunkWire + wire.requestWire) * 8) / kbit + (IMAGE_BYTES / CHUNK) * FLASH_MS_PER_CHUNK;
		out.push({ device: { id: `sign-${String(n).padStart(4, "0")}`, role: "stop-sign", board: "generic", fw: "1.1.0", tags: [], routes: [...routes] }, downloadMs: Math.round(downloadMs), failsTrial: rnd() < TRIAL_FAILURE });
	}
	return out;
}

interface RunResult {
	hours: number;
	phase: string;
	waves: number;
	confirmed: number;
	failed: number;
	/** largest in-flight share of any route's signs, over routes where one sign is within the cap */
	maxRouteShare: number;
	maxInFlight: number;
}

/** One campaign in virtual time: each offer's progress and result arrive when the model says. */
function run(fleet: ModelDevice[], policy: CampaignPolicy): RunResult {
	const byId = new Map(fleet.map((m) => [m.device.id, m]));
	const campaign = Campaign.create({ id: OFFER_ID, target: { offerId: OFFER_ID, role: "stop-sign", board: "generic", version: "1.2.0" }, policy, inventory: fleet.map((m) => m.device), now: 0 });
	const size = campaign.state.routeSize;
	const queue: { at: number; id: string; state: "downloading" | "trial" | "confirmed" | "rolled-back" }[] = [];
	const schedule = (e: (typeof queue)[number]) => {
		let lo = 0;
		let hi = queue.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (queue[mid].at <= e.at) lo = mid + 1;
			else hi = mid;
		}
		queue.splice(lo, 0, e);
	};
	const inFlight: Record<string, number> = {};
	let flying = 0;
	let maxShare = 0;
	let maxInFlight = 0;
	let now = 0;
	const apply = (actions: CampaignAction[]) => {
		for (const a of actions) {
			const m = byId.get(a.device)!;
			const delta = a.kind === "offer" ? 1 : -1;
			flying += delta;
			for (const r of m.device.routes) {
				inFlight[r] = (inFlight[r] ?? 0) + delta;
				// A route so small that one sign exceeds the cap may still carry one (none here): only routes the cap binds enter the figure.
				if (policy.maxRouteShare * size[r] >= 1) maxShare = Math.max(maxShare, inFlight[r] / size[r]);
			}
			maxInFlight = Math.max(maxInFlight, flying);
			if (a.kind !== "offer") continue;
			const ready = now + RTT_MS + m.downloadMs + APPLY_MS;
			schedule({ at: now + RTT_MS, id: a.device, state: "downloading" });
			schedule({ at: ready, id: a.device, state: "trial" });
			schedule({ at: ready + TRIAL_MS, id: a.device, state: m.failsTrial ? "rolled-back" : "confirmed" });
		}
	};
	apply(campaign.tick(now));
	for (let guard = 0; guard < 1_000_000 && campaign.state.phase === "running"; guard++) {
		if (campaign.state.held) throw new Error(`gate held in the model: ${campaign.state.held}`);
		const deadlines = campaign.inFlight().map((id) => campaign.state.devices[id].deadline ?? Infinity);
		const next = Math.min(queue[0]?.at ?? Infinity, campaign.state.nextWaveAt ?? Infinity, ...deadlines);
		if (!Number.isFinite(next)) break;
		now = Math.max(now, next);
		while (queue.length && queue[0].at <= now) {
			const e = queue.shift()!;
			apply(campaign.report(e.id, e.state, now, { fw: e.state === "confirmed" ? "1.2.0" : "1.1.0", reason: e.state === "rolled-back" ? "trial health check failed" : undefined }));
		}
		apply(campaign.tick(now));
	}
	const s = campaign.status();
	return { hours: now / 3_600_000, phase: s.phase, waves: s.wave, confirmed: s.confirmed, failed: s.failed, maxRouteShare: maxShare, maxInFlight };
}

export async function benchOtaFleet(): Promise<Record<string, number | string>> {
	const fleet = buildFleet();
	const staged = run(fleet, STAGED);
	const baseline = run(fleet, BASELINE);
	if (staged.maxRouteShare > STAGED.maxRouteShare + 1e-9) throw new Error(`route cap broken: ${staged.maxRouteShare} of a route in flight, cap ${STAGED.maxRouteShare}`);
	const downloads = fleet.map((m) => m.downloadMs).sort((a, b) => a - b);
	const wire = imageWireBytes("sign-0000");
	const sizes = Object.values(Campaign.create({ id: "x", target: { offerId: "x", role: "stop-sign", board: "generic", version: "1.2.0" }, policy: STAGED, inventory: fleet.map((m) => m.device), now: 0 }).state.routeSize);
	const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
	return {
		model: "modelled devices (timing model, not firmware)",
		devices: DEVICES,
		routes: ROUTES,
		signsPerRouteMin: Math.min(...sizes),
		signsPerRouteMax: Math.max(...sizes),
		imageBytes: IMAGE_BYTES,
		chunkBytes: CHUNK,
		linkKbitPerS: `${LINK_KBIT_S} ± ${LINK_SPREAD * 100} %`,
		rttMs: RTT_MS,
		trialBootS: TRIAL_MS / 1000,
		trialFailureRate: TRIAL_FAILURE,
		devicesFailingTrial: fleet.filter((m) => m.failsTrial).length,
		downloadSecondsMedian: round(downloads[downloads.length >> 1] / 1000, 1),
		downloadSecondsMax: round(downloads[downloads.length - 1] / 1000, 1),
		mqttOverheadPct: round(wire.overheadPct),
		policy: `waves ${STAGED.waves.join("/")} %, route cap ${STAGED.maxRouteShare}, minSuccess ${STAGED.minSuccess}, abortFailure ${STAGED.abortFailure}, bake ${STAGED.bakeMs / 60_000} min`,
		stagedPhase: staged.phase,
		stagedHours: round(staged.hours),
		stagedWaves: staged.waves,
		stagedConfirmed: staged.confirmed,
		stagedFailed: staged.failed,
		stagedMaxRouteShareInFlight: round(staged.maxRouteShare, 3),
		stagedMaxDevicesInFlight: staged.maxInFlight,
		baselinePhase: baseline.phase,
		baselineHours: round(baseline.hours),
		baselineConfirmed: baseline.confirmed,
		baselineFailed: baseline.failed,
		baselineMaxRouteShareInFlight: round(baseline.maxRouteShare, 3),
		baselineMaxDevicesInFlight: baseline.maxInFlight,
	};
}
