/*
 * The rollout engine (ARCHITECTURE §5: "stages rollouts by cohort and
 * percentage, aborts automatically on a failure threshold, and never updates
 * every sign on one route at once"). Pure and deterministic: no I/O, no
 * clock, no randomness; time comes in as `now` (ms) and effects go out as
 * actions (offer / withdraw) that the caller carries out. Its whole state is
 * plain JSON (`state`), so a restarted process resumes exactly where it was.
 *
 * Rules:
 *   - Eligible: role and board match the package. Already on the target
 *     version: counted as current, never offered. Newer, or an unparseable
 *     version: skipped. With cohorts, devices in no cohort are skipped too.
 *   - Order: by cohort (the policy's filters, in order), then by a hash of
 *     (campaign id, device id), which spreads a wave across the city instead
 *     of walking the id list.
 *   - Waves are cumulative percentages of the devices that need the update:
 *     [1, 10, 50, 100] offers to 1 %, then up to 10 %, … A wave opens when
 *     the previous one is complete (every device has a terminal result or
 *     timed out), its gate passed (confirmed ≥ minSuccess of its devices)
 *     and bakeMs has passed. A gate that fails holds the campaign until an
 *     operator resumes it (or aborts).
 *   - Route cap: while a wave is composed, a device joins only if none of its
 *     routes would then have more than max(1, ⌊maxRouteShare × signs on the
 *     route⌋) devices in flight. Devices that don't fit wait for the next
 *     wave; past the last percentage, extra waves open until all are offered.
 *   - Abort: failed / attempted > abortFailure (attempted = ever offered),
 *     or an operator's abort. Every open offer is withdrawn; an aborted
 *     campaign never offers again.
 *   - A terminal result withdraws the device's retained offer (a device that
 *     rolled back must not see the offer again at its next boot).
 *   - Pause: no wave opens and in-flight deadlines and the bake stop; the
 *     chunk server answers "paused" meanwhile (tools/ops/ota-service.ts).
 *   - A device is offered once per campaign, again only after retry().
 */
import { compareVersions, type OtaState } from "../../firmware/contract/ota-payloads";

export interface CampaignDevice {
	id: string;
	role: string;
	board: string;
	/** running firmware version */
	fw: string;
	tags: string[];
	/** transit routes the sign serves (empty for a light pole) */
	routes: string[];
	/** why it takes no part, though it still counts among its routes' signs (e.g. outside the chosen cohort, never seen) */
	skip?: string;
}

export interface CampaignTarget {
	/** offer id on the wire */
	offerId: string;
	role: string;
	board: string;
	version: string;
}

/** A tag, "*" for every device, or a list of tags a device must all carry. */
export type CohortFilter = string | string[];

export interface CampaignPolicy {
	/** cohorts in rollout order; absent = one cohort of every eligible device */
	cohorts?: CohortFilter[];
	/** cumulative percentages, increasing, ending at 100 */
	waves: number[];
	/** share (0..1] of a wave's devices that must confirm before the next wave opens */
	minSuccess: number;
	/** share (0..1) of attempted devices that, once exceeded by failures, aborts the campaign */
	abortFailure: number;
	/** wait after a wave completes before the next opens, ms */
	bakeMs: number;
	/** no terminal result this long after the offer (paused time excluded) counts as failed, ms */
	deviceTimeoutMs: number;
	/** largest share (0..1] of one route's signs in flight at once; at least one sign per route */
	maxRouteShare: number;
}

export const DEFAULT_POLICY: Readonly<CampaignPolicy> = Object.freeze({
	waves: [1, 10, 50, 100],
	minSuccess: 0.95,
	abortFailure: 0.1,
	bakeMs: 15 * 60_000,
	deviceTimeoutMs: 60 * 60_000,
	maxRouteShare: 0.25,
});

export type DevicePhase = "pending" | "offered" | "confirmed" | "failed" | "current" | "skipped" | "withdrawn";

export interface DeviceState {
	phase: DevicePhase;
	cohort: number;
	routes: string[];
	/** wave index of the latest offer */
	wave?: number;
	/** times offered */
	offers: number;
	/** retries granted (offers ≤ 1 + retries) */
	retries: number;
	deadline?: number;
	/** last OTA state heard while in flight */
	step?: OtaState;
	got?: number;
	of?: number;
	reason?: string;
}

export interface WaveState {
	/** cumulative percentage this wave fills to (100 for the extra waves) */
	percent: number;
	openedAt: number;
	completedAt?: number;
	gate?: "passed" | "held" | "released";
}

export type CampaignPhase = "running" | "paused" | "aborted" | "done";

export interface CampaignState {
	format: 1;
	id: string;
	target: CampaignTarget;
	policy: CampaignPolicy;
	createdAt: number;
	phase: CampaignPhase;
	pausedAt?: number;
	/** why the gate holds (running, waiting for an operator) */
	held?: string;
	abortReason?: string;
	nextWaveAt?: number;
	/** devices that needed the update at creation */
	candidates: number;
	/** pending devices in offer order */
	order: string[];
	devices: Record<string, DeviceState>;
	/** signs per route over the whole inventory */
	routeSize: Record<string, number>;
	cohortNames: string[];
	waves: WaveState[];
}

export type CampaignAction = { kind: "offer"; device: string } | { kind: "withdraw"; device: string };
export type CampaignCommand = { kind: "pause" } | { kind: "resume" } | { kind: "abort"; reason?: string } | { kind: "retry"; devices?: string[] };

export interface StepCounts {
	confirmed: number;
	failed: number;
	inFlight: number;
	/** in-flight devices by their last OTA state ("offered" until one is heard) */
	steps: Partial<Record<OtaState, number>>;
}

export interface GroupSummary extends StepCounts {
	name: string;
	/** devices that need or needed the update, plus those already current */
	total: number;
	current: number;
	notOffered: number;
}

export interface WaveSummary {
	index: number;
	percent: number;
	offered: number;
	confirmed: number;
	failed: number;
	pending: number;
	gate?: WaveState["gate"];
}

export interface CampaignStatus extends StepCounts {
	id: string;
	phase: CampaignPhase;
	held?: string;
	abortReason?: string;
	/** 1-based number of the latest opened wave (0 before the first) */
	wave: number;
	/** waves planned, or opened if more (route cap overflow, retries) */
	waves: number;
	candidates: number;
	current: number;
	skipped: number;
	notOffered: number;
	perWave: WaveSummary[];
	groups: GroupSummary[];
}

const TERMINAL: Partial<Record<OtaState, "confirmed" | "failed">> = { confirmed: "confirmed", refused: "failed", failed: "failed", "rolled-back": "failed", "safe-mode": "failed" };

/** 32-bit FNV-1a: a stable, seedless spread of devices within a cohort. */
function fnv1a(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	return h;
}

function cohortName(f: CohortFilter): string {
	return Array.isArray(f) ? f.join("+") : f;
}

function matches(f: CohortFilter, tags: string[]): boolean {
	if (f === "*") return true;
	return (Array.isArray(f) ? f : [f]).every((t) => tags.includes(t));
}

/** Devices a route may have in flight at once. */
export function routeCap(signs: number, share: number): number {
	return Math.max(1, Math.floor(share * signs + 1e-9));
}

export class Campaign {
	readonly state: CampaignState;

	constructor(state: CampaignState) {
		this.state = state;
	}

	/** A new campaign; the first wave opens on the first tick. */
	static create(spec: { id: string; target: CampaignTarget; policy: CampaignPolicy; inventory: CampaignDevice[]; now: number }): Campaign {
		const { target, policy } = spec;
		const filters = policy.cohorts ?? ["*"];
		const routeSize: Record<string, number> = {};
		const devices: Record<string, DeviceState> = {};
		for (const d of spec.inventory) {
			if (Object.prototype.hasOwnProperty.call(devices, d.id)) throw new RangeError(`device ${d.id} is listed twice`);
			for (const r of new Set(d.routes)) routeSize[r] = (routeSize[r] ?? 0) + 1;
			const cohort = filters.findIndex((f) => matches(f, d.tags));
			const s: DeviceState = { phase: "pending", cohort, routes: [...new Set(d.routes)], offers: 0, retries: 0 };
			devices[d.id] = s;
			let cmp = 0;
			try {
				cmp = compareVersions(d.fw, target.version);
			} catch {
				cmp = NaN;
			}
			if (d.skip) Object.assign(s, { phase: "skipped", reason: d.skip });
			else if (d.role !== target.role || d.board !== target.board) Object.assign(s, { phase: "skipped", reason: `${d.role} on ${d.board}, image is for ${target.role} on ${target.board}` });
			else if (cohort < 0) Object.assign(s, { phase: "skipped", reason: "in no cohort" });
			else if (Number.isNaN(cmp)) Object.assign(s, { phase: "skipped", reason: `firmware version "${d.fw}" unknown` });
			else if (cmp === 0) s.phase = "current";
			else if (cmp > 0) Object.assign(s, { phase: "skipped", reason: `runs ${d.fw}, newer than ${target.version}` });
		}
		const key = (id: string) => fnv1a(`${spec.id}/${id}`);
		const order = Object.keys(devices)
			.filter((id) => devices[id].phase === "pending")
			.sort((a, b) => devices[a].cohort - devices[b].cohort || key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0));
		return new Campaign({
			format: 1,
			id: spec.id,
			target,
			policy: { ...policy, waves: [...policy.waves], cohorts: policy.cohorts?.map((c) => (Array.isArray(c) ? [...c] : c)) },
			createdAt: spec.now,
			phase: "running",
			nextWaveAt: spec.now,
			candidates: order.length,
			order,
			devices,
			routeSize,
			cohortNames: filters.map(cohortName),
			waves: [],
		});
	}

	/** Advances time: deadlines, the abort threshold, gates, bakes, new waves. */
	tick(now: number): CampaignAction[] {
		const out: CampaignAction[] = [];
		this.#advance(now, out);
		return out;
	}

	/**
	 * What a device said about this campaign's offer (ota/progress or an
	 * "ota" outbox record). Ignored for devices not in flight, except that a
	 * late result is still recorded for a withdrawn device, and a device that
	 * timed out but then confirms (its outbox record outlived a long outage)
	 * is counted as confirmed: the counts say what runs in the street.
	 */
	report(device: string, step: OtaState, now: number, info: { fw?: string; reason?: string; got?: number; of?: number } = {}): CampaignAction[] {
		const out: CampaignAction[] = [];
		const d = this.state.devices[device];
		if (d?.phase === "failed" && step === "confirmed" && d.deadline === undefined && d.reason?.startsWith("no result within")) {
			Object.assign(d, { phase: "confirmed", step, reason: undefined });
			this.#advance(now, out);
			return out;
		}
		if (!d || (d.phase !== "offered" && d.phase !== "withdrawn")) return out;
		const terminal = TERMINAL[step];
		if (!terminal) {
			if (d.phase === "offered") Object.assign(d, { step, got: info.got ?? d.got, of: info.of ?? d.of });
			return out;
		}
		const wasOffered = d.phase === "offered";
		d.step = step;
		d.deadline = undefined;
		d.reason = info.reason;
		// "refused" because it already runs the target (e.g. updated by hand): nothing to do there.
		d.phase = step === "refused" && info.fw === this.state.target.version ? "current" : terminal;
		if (wasOffered) out.push({ kind: "withdraw", device });
		this.#advance(now, out);
		return out;
	}

	command(cmd: CampaignCommand, now: number): CampaignAction[] {
		const s = this.state;
		const out: CampaignAction[] = [];
		if (s.phase === "aborted") return out;
		if (cmd.kind === "pause") {
			if (s.phase === "running") Object.assign(s, { phase: "paused", pausedAt: now });
		} else if (cmd.kind === "resume") {
			if (s.phase === "paused") {
				// The campaign clock stops while paused: deadlines and the bake move by the pause.
				const shift = Math.max(0, now - (s.pausedAt ?? now));
				for (const d of Object.values(s.devices)) if (d.deadline !== undefined) d.deadline += shift;
				if (s.nextWaveAt !== undefined) s.nextWaveAt += shift;
				Object.assign(s, { phase: "running", pausedAt: undefined });
			} else if (s.held) {
				s.waves[s.waves.length - 1].gate = "released";
				Object.assign(s, { held: undefined, nextWaveAt: now });
			}
		} else if (cmd.kind === "abort") {
			this.#abort(cmd.reason ?? "aborted by operator", out);
			return out;
		} else {
			const ids = cmd.devices ?? Object.keys(s.devices).filter((id) => s.devices[id].phase === "failed");
			const again = ids.filter((id) => s.devices[id]?.phase === "failed");
			for (const id of again) Object.assign(s.devices[id], { phase: "pending", retries: s.devices[id].retries + 1, step: undefined, reason: undefined });
			s.order = [...again, ...s.order];
			if (again.length && s.phase === "done") Object.assign(s, { phase: "running", nextWaveAt: now });
		}
		this.#advance(now, out);
		return out;
	}

	#abort(reason: string, out: CampaignAction[]): void {
		const s = this.state;
		for (const [id, d] of Object.entries(s.devices))
			if (d.phase === "offered") {
				Object.assign(d, { phase: "withdrawn", deadline: undefined });
				out.push({ kind: "withdraw", device: id });
			}
		Object.assign(s, { phase: "aborted", abortReason: reason, held: undefined, nextWaveAt: undefined, pausedAt: undefined });
	}

	#advance(now: number, out: CampaignAction[]): void {
		const s = this.state;
		if (s.phase !== "running" && s.phase !== "paused") return;
		// Results still arrive while paused, so the failure threshold holds then too; the clock does not.
		for (const [id, d] of Object.entries(s.devices))
			if (s.phase === "running" && d.phase === "offered" && d.deadline !== undefined && now >= d.deadline) {
				Object.assign(d, { phase: "failed", deadline: undefined, reason: `no result within ${s.policy.deviceTimeoutMs} ms` });
				out.push({ kind: "withdraw", device: id });
			}
		let attempted = 0;
		let failed = 0;
		for (const d of Object.values(s.devices)) {
			if (d.offers > 0) attempted++;
			if (d.phase === "failed") failed++;
		}
		if (attempted > 0 && failed / attempted > s.policy.abortFailure) {
			this.#abort(`${failed} of ${attempted} attempted devices failed (threshold ${s.policy.abortFailure})`, out);
			return;
		}
		if (s.phase === "paused") return;
		const k = s.waves.length - 1;
		const wave = s.waves[k];
		if (wave && wave.completedAt === undefined) {
			const mine = Object.values(s.devices).filter((d) => d.wave === k && d.offers > 0);
			if (mine.some((d) => d.phase === "offered")) return;
			wave.completedAt = now;
			const confirmed = mine.filter((d) => d.phase === "confirmed" || d.phase === "current").length;
			const need = Math.ceil(s.policy.minSuccess * mine.length - 1e-9);
			if (confirmed >= need || s.order.length === 0) {
				wave.gate = "passed";
				s.nextWaveAt = now + s.policy.bakeMs;
			} else {
				wave.gate = "held";
				s.held = `wave ${k + 1}: ${confirmed} of ${mine.length} confirmed, gate needs ${need}; resume to continue or abort`;
				s.nextWaveAt = undefined;
			}
		}
		if (s.held) return;
		if (s.order.length === 0) {
			if (!Object.values(s.devices).some((d) => d.phase === "offered")) Object.assign(s, { phase: "done", nextWaveAt: undefined });
			return;
		}
		if (s.nextWaveAt !== undefined && now >= s.nextWaveAt) this.#openWave(now, out);
	}

	#openWave(now: number, out: CampaignAction[]): void {
		const s = this.state;
		const k = s.waves.length;
		const percent = k < s.policy.waves.length ? s.policy.waves[k] : 100;
		const offeredSoFar = s.candidates - s.order.length;
		const want = k < s.policy.waves.length - 1 ? Math.max(1, Math.ceil((percent * s.candidates) / 100 - 1e-9) - offeredSoFar) : s.order.length;
		const inFlight: Record<string, number> = {};
		for (const d of Object.values(s.devices)) if (d.phase === "offered") for (const r of d.routes) inFlight[r] = (inFlight[r] ?? 0) + 1;
		const picked: string[] = [];
		const rest: string[] = [];
		for (const id of s.order) {
			const d = s.devices[id];
			const fits = picked.length < want && d.routes.every((r) => (inFlight[r] ?? 0) < routeCap(s.routeSize[r] ?? 1, s.policy.maxRouteShare));
			if (!fits) {
				rest.push(id);
				continue;
			}
			for (const r of d.routes) inFlight[r] = (inFlight[r] ?? 0) + 1;
			picked.push(id);
		}
		// Only a retry during a wave can leave routes full; wait for its devices rather than open an empty wave.
		if (picked.length === 0) return;
		s.order = rest;
		s.waves.push({ percent, openedAt: now });
		s.nextWaveAt = undefined;
		for (const id of picked) {
			Object.assign(s.devices[id], { phase: "offered", wave: k, deadline: now + s.policy.deviceTimeoutMs, step: undefined, got: undefined, of: undefined });
			s.devices[id].offers++;
			out.push({ kind: "offer", device: id });
		}
	}

	/** Devices with an open offer. */
	inFlight(): string[] {
		return Object.keys(this.state.devices).filter((id) => this.state.devices[id].phase === "offered");
	}

	status(): CampaignStatus {
		const s = this.state;
		const blank = (): StepCounts => ({ confirmed: 0, failed: 0, inFlight: 0, steps: {} });
		const all = blank();
		const groups: GroupSummary[] = s.cohortNames.map((name) => ({ name, total: 0, current: 0, notOffered: 0, ...blank() }));
		const perWave: WaveSummary[] = s.waves.map((w, index) => ({ index, percent: w.percent, offered: 0, confirmed: 0, failed: 0, pending: 0, gate: w.gate }));
		let current = 0;
		let skipped = 0;
		const count = (c: StepCounts, d: DeviceState) => {
			if (d.phase === "confirmed") c.confirmed++;
			else if (d.phase === "failed") c.failed++;
			else if (d.phase === "offered") {
				c.inFlight++;
				const step = d.step ?? "offered";
				c.steps[step] = (c.steps[step] ?? 0) + 1;
			}
		};
		for (const d of Object.values(s.devices)) {
			if (d.phase === "skipped") {
				skipped++;
				continue;
			}
			const g = groups[d.cohort];
			g.total++;
			if (d.phase === "current") {
				current++;
				g.current++;
			}
			if (d.phase === "pending") g.notOffered++;
			count(all, d);
			count(g, d);
			if (d.wave !== undefined && d.offers > 0) {
				const w = perWave[d.wave];
				w.offered++;
				if (d.phase === "confirmed" || d.phase === "current") w.confirmed++;
				else if (d.phase === "failed") w.failed++;
				else if (d.phase === "offered") w.pending++;
			}
		}
		return {
			id: s.id,
			phase: s.phase,
			held: s.held,
			abortReason: s.abortReason,
			wave: s.waves.length,
			waves: Math.max(s.policy.waves.length, s.waves.length),
			candidates: s.candidates,
			current,
			skipped,
			notOffered: s.order.length,
			perWave,
			groups: groups.filter((g) => g.total > 0),
			...all,
		};
	}
}
