/*
 * The rollout engine (tools/ops/campaign.ts) on its own: eligibility, waves,
 * gates, the abort threshold, timeouts, pause/resume, the route cap, retry;
 * fast-check properties for the route rule and monotonicity; and its
 * persistence (tools/ops/campaign-store.ts): round trip, a restart that
 * resumes exactly, the lock and the control channel, the operator's files.
 */
import fc from "fast-check";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OtaState } from "../../firmware/contract/ota-payloads";
import { Campaign, DEFAULT_POLICY, routeCap, type CampaignAction, type CampaignDevice, type CampaignPolicy } from "../../tools/ops/campaign";
import { controlPath, loadCampaign, lockCampaign, lockHolder, lockPath, parseInventory, parsePolicy, requestControl, saveCampaign, takeControl, type CampaignFile } from "../../tools/ops/campaign-store";

const TARGET = { offerId: "stop-sign-1.2.0-abcd", role: "stop-sign", board: "generic", version: "1.2.0" };

function sign(id: string, routes: string[] = [], tags: string[] = [], fw = "1.1.0"): CampaignDevice {
	return { id, role: "stop-sign", board: "generic", fw, tags, routes };
}

function fleet(n: number, routesOf: (i: number) => string[] = () => []): CampaignDevice[] {
	return Array.from({ length: n }, (_, i) => sign(`s${String(i).padStart(4, "0")}`, routesOf(i)));
}

function policy(p: Partial<CampaignPolicy> = {}): CampaignPolicy {
	return { ...DEFAULT_POLICY, waves: [100], bakeMs: 0, maxRouteShare: 1, ...p };
}

const offers = (actions: CampaignAction[]) => actions.filter((a) => a.kind === "offer").map((a) => a.device);
const withdraws = (actions: CampaignAction[]) => actions.filter((a) => a.kind === "withdraw").map((a) => a.device);

/** Confirms (or fails) every device in flight at `now`. */
function settle(c: Campaign, now: number, outcome: (id: string) => OtaState = () => "confirmed"): CampaignAction[] {
	return c.inFlight().flatMap((id) => c.report(id, outcome(id), now, { fw: "1.1.0" }));
}

interface Outcome {
	state: OtaState | "silent";
	delayMs: number;
}

/**
 * Drives a campaign in virtual time: each offer gets its outcome after its
 * delay; the clock jumps to the next result, wave opening or deadline.
 * `check` runs after every step. A held gate is released with resume.
 */
function simulate(c: Campaign, outcome: (id: string, attempt: number) => Outcome, check: (c: Campaign, actions: CampaignAction[], now: number) => void = () => {}, maxSteps = 20_000): CampaignAction[] {
	const log: CampaignAction[] = [];
	const due: { at: number; id: string; state: OtaState }[] = [];
	let now = c.state.createdAt;
	const take = (actions: CampaignAction[]) => {
		check(c, actions, now);
		for (const a of actions) {
			log.push(a);
			if (a.kind !== "offer") continue;
			const o = outcome(a.device, c.state.devices[a.device].offers);
			if (o.state !== "silent") due.push({ at: now + o.delayMs, id: a.device, state: o.state });
		}
	};
	take(c.tick(now));
	for (let step = 0; step < maxSteps && (c.state.phase === "running" || c.state.phase === "paused"); step++) {
		if (c.state.held) {
			take(c.command({ kind: "resume" }, now));
			continue;
		}
		const deadlines = Object.values(c.state.devices).flatMap((d) => (d.phase === "offered" && d.deadline !== undefined ? [d.deadline] : []));
		const next = Math.min(...due.map((d) => d.at), c.state.nextWaveAt ?? Infinity, ...deadlines);
		if (!Number.isFinite(next)) break;
		now = Math.max(now, next);
		for (const d of due.filter((x) => x.at <= now)) {
			due.splice(due.indexOf(d), 1);
			take(c.report(d.id, d.state, now, { fw: "1.1.0" }));
		}
		take(c.tick(now));
	}
	return log;
}

describe("campaign engine", () => {
	it("eligibility: role and board must match; the current version is done, newer and unknown versions are skipped", () => {
		const c = Campaign.create({
			id: "c",
			target: TARGET,
			policy: policy(),
			now: 0,
			inventory: [sign("a"), { ...sign("pole"), role: "light-pole" }, { ...sign("b2"), board: "m5paper" }, sign("cur", [], [], "1.2.0"), sign("new", [], [], "2.0.0"), sign("dev", [], [], "dev-build"), { ...sign("x"), skip: "no status" }],
		});
		const s = c.status();
		expect([s.candidates, s.current, s.skipped]).toEqual([1, 1, 5]);
		expect(c.state.devices.new.reason).toContain("newer than 1.2.0");
		expect(c.state.devices.dev.reason).toContain('"dev-build" unknown');
		expect(c.state.devices.x.reason).toBe("no status");
		expect(offers(c.tick(0))).toEqual(["a"]);
	});

	it("a listed-twice device is refused", () => {
		expect(() => Campaign.create({ id: "c", target: TARGET, policy: policy(), now: 0, inventory: [sign("a"), sign("a")] })).toThrow("listed twice");
	});

	it("cohorts order the rollout; devices in no cohort are skipped", () => {
		const inv = [sign("z1", [], ["beta"]), sign("a1", [], ["canary"]), sign("m1"), sign("b1", [], ["beta"]), sign("c2", [], ["canary", "north"])];
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ cohorts: [["canary", "north"], "canary", "beta"], waves: [20, 40, 100], minSuccess: 0.5 }), now: 0, inventory: inv });
		expect(c.state.devices.m1.phase).toBe("skipped");
		expect(offers(c.tick(0))).toEqual(["c2"]);
		expect(offers(settle(c, 1))).toEqual(["a1"]);
		expect(offers(settle(c, 2)).sort()).toEqual(["b1", "z1"]);
		expect(c.status().groups.map((g) => g.name)).toEqual(["canary+north", "canary", "beta"]);
	});

	it("waves are cumulative percentages of the devices that need the update", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ waves: [1, 10, 50, 100] }), now: 0, inventory: fleet(200) });
		const sizes: number[] = [];
		let next = c.tick(0);
		for (let t = 1; offers(next).length; t++) {
			sizes.push(offers(next).length);
			next = settle(c, t);
		}
		expect(sizes).toEqual([2, 18, 80, 100]);
		expect(c.status().phase).toBe("done");
		expect(c.status().confirmed).toBe(200);
	});

	it("a terminal result withdraws the device's retained offer", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ abortFailure: 0.9 }), now: 0, inventory: fleet(2) });
		c.tick(0);
		expect(withdraws(c.report("s0000", "rolled-back", 5, { reason: "health check" }))).toEqual(["s0000"]);
		expect(c.state.devices.s0000.reason).toBe("health check");
		expect(withdraws(c.report("s0001", "confirmed", 6))).toEqual(["s0001"]);
		expect(c.report("s0001", "confirmed", 7)).toEqual([]);
	});

	it("progress that is not terminal updates the step without actions", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy(), now: 0, inventory: fleet(3) });
		c.tick(0);
		expect(c.report("s0000", "downloading", 1, { got: 10, of: 384 })).toEqual([]);
		c.report("s0001", "trial", 1);
		expect(c.status().steps).toEqual({ downloading: 1, trial: 1, offered: 1 });
		expect(c.report("nobody", "confirmed", 1)).toEqual([]);
	});

	it("a refusal from a device that already runs the target counts as current, not failed", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy(), now: 0, inventory: fleet(1) });
		c.tick(0);
		c.report("s0000", "refused", 1, { fw: "1.2.0", reason: "not newer" });
		expect(c.state.devices.s0000.phase).toBe("current");
		expect(c.status().phase).toBe("done");
	});

	it("the gate holds a wave below minSuccess until an operator resumes", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ waves: [10, 100], minSuccess: 0.95, abortFailure: 0.5 }), now: 0, inventory: fleet(100) });
		const first = offers(c.tick(0));
		expect(first).toHaveLength(10);
		settle(c, 100, (id) => (id === first[0] ? "failed" : "confirmed"));
		expect(c.state.held).toContain("9 of 10 confirmed, gate needs 10");
		expect(c.tick(1_000_000)).toEqual([]);
		expect(c.status().phase).toBe("running");
		const next = c.command({ kind: "resume" }, 1_000_001);
		expect(offers(next)).toHaveLength(90);
		expect(c.state.waves[0].gate).toBe("released");
	});

	it("a wave that meets its gate waits bakeMs before the next opens", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ waves: [50, 100], bakeMs: 60_000 }), now: 0, inventory: fleet(4) });
		c.tick(0);
		expect(settle(c, 1_000).filter((a) => a.kind === "offer")).toEqual([]);
		expect(c.tick(60_999)).toEqual([]);
		expect(offers(c.tick(61_000))).toHaveLength(2);
	});

	it("more than abortFailure of attempted devices failing aborts: every open offer is withdrawn, nothing is offered again", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ waves: [10, 100], abortFailure: 0.1 }), now: 0, inventory: fleet(100) });
		const first = offers(c.tick(0));
		expect(c.report(first[0], "failed", 1)).toEqual([{ kind: "withdraw", device: first[0] }]);
		expect(c.status().phase).toBe("running");
		const abort = c.report(first[1], "safe-mode", 2);
		expect(c.status().phase).toBe("aborted");
		expect(c.state.abortReason).toContain("2 of 10 attempted devices failed");
		expect(withdraws(abort).sort()).toEqual(first.slice(1).sort());
		expect(offers(abort)).toEqual([]);
		for (const cmd of [{ kind: "resume" }, { kind: "retry" }, { kind: "pause" }] as const) expect(c.command(cmd, 3)).toEqual([]);
		expect(c.tick(10_000_000)).toEqual([]);
		expect(c.state.devices[first[2]].phase).toBe("withdrawn");
		c.report(first[2], "confirmed", 4);
		expect(c.state.devices[first[2]].phase).toBe("confirmed");
		expect(c.status().phase).toBe("aborted");
	});

	it("an operator abort withdraws open offers", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy(), now: 0, inventory: fleet(3) });
		c.tick(0);
		expect(withdraws(c.command({ kind: "abort" }, 1))).toHaveLength(3);
		expect(c.state.abortReason).toBe("aborted by operator");
	});

	it("no terminal result within deviceTimeoutMs is a failure, withdrawn", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ deviceTimeoutMs: 1_000, abortFailure: 0.9 }), now: 0, inventory: fleet(2) });
		c.tick(0);
		c.report("s0001", "confirmed", 10);
		expect(c.tick(999)).toEqual([]);
		expect(c.tick(1_000)).toEqual([{ kind: "withdraw", device: "s0000" }]);
		expect(c.state.devices.s0000.reason).toContain("no result within 1000 ms");
		expect(c.status().phase).toBe("done");
		// Its confirmation arrives late (an outbox record after a long outage): counted, nothing offered or withdrawn.
		expect(c.report("s0000", "confirmed", 5_000)).toEqual([]);
		expect(c.status()).toMatchObject({ confirmed: 2, failed: 0 });
		expect(c.report("s0000", "rolled-back", 6_000)).toEqual([]);
		expect(c.state.devices.s0000.phase).toBe("confirmed");
	});

	it("pause stops new waves and the deadline clock; resume shifts deadlines by the pause", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ waves: [50, 100], deviceTimeoutMs: 1_000, abortFailure: 0.9 }), now: 0, inventory: fleet(2) });
		const [first] = offers(c.tick(0));
		c.command({ kind: "pause" }, 500);
		expect(c.status().phase).toBe("paused");
		expect(c.tick(5_000)).toEqual([]);
		expect(c.report(first, "confirmed", 5_000)).toEqual([{ kind: "withdraw", device: first }]);
		expect(c.tick(6_000)).toEqual([]);
		const next = c.command({ kind: "resume" }, 10_000);
		expect(offers(next)).toHaveLength(1);
		const [second] = offers(next);
		expect(c.state.devices[second].deadline).toBe(11_000);
		c.command({ kind: "pause" }, 10_500);
		c.command({ kind: "resume" }, 20_500);
		expect(c.state.devices[second].deadline).toBe(21_000);
		expect(c.tick(20_999)).toEqual([]);
		expect(withdraws(c.tick(21_000))).toEqual([second]);
	});

	it("failures while paused still trip the abort threshold", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ abortFailure: 0.3 }), now: 0, inventory: fleet(3) });
		c.tick(0);
		c.command({ kind: "pause" }, 1);
		c.report("s0000", "failed", 2);
		c.report("s0001", "failed", 3);
		expect(c.status().phase).toBe("aborted");
	});

	it("retry offers a failed device once more; nothing else is ever offered twice", () => {
		const c = Campaign.create({ id: "c", target: TARGET, policy: policy({ abortFailure: 0.9 }), now: 0, inventory: fleet(3) });
		c.tick(0);
		settle(c, 1, (id) => (id === "s0001" ? "failed" : "confirmed"));
		expect(c.status().phase).toBe("done");
		expect(c.command({ kind: "retry", devices: ["s0000", "nobody"] }, 2)).toEqual([]);
		const again = c.command({ kind: "retry" }, 3);
		expect(offers(again)).toEqual(["s0001"]);
		expect(c.state.devices.s0001).toMatchObject({ offers: 2, retries: 1, wave: 1 });
		c.report("s0001", "confirmed", 4);
		expect(c.status()).toMatchObject({ phase: "done", confirmed: 3, failed: 0 });
	});

	it("route cap: routes of 1, 2, 7 and 40 signs never have more than max(1, ⌊0.25 n⌋) in flight, and all signs are updated", () => {
		const inv: CampaignDevice[] = [];
		let n = 0;
		for (const [route, size] of [["r1", 1], ["r2", 2], ["r7", 7], ["r40", 40]] as const) for (let i = 0; i < size; i++) inv.push(sign(`d${n++}`, [route]));
		inv.push(sign("both", ["r7", "r40"]));
		const size: Record<string, number> = { r1: 1, r2: 2, r7: 8, r40: 41 };
		expect([routeCap(1, 0.25), routeCap(2, 0.25), routeCap(8, 0.25), routeCap(41, 0.25)]).toEqual([1, 1, 2, 10]);
		const c = Campaign.create({ id: "routes", target: TARGET, policy: policy({ waves: [1, 5, 25, 100], maxRouteShare: 0.25, minSuccess: 0.5 }), now: 0, inventory: inv });
		expect(c.state.routeSize).toEqual(size);
		let maxShare = 0;
		simulate(
			c,
			() => ({ state: "confirmed", delayMs: 60_000 }),
			(camp) => {
				const inFlight: Record<string, number> = {};
				for (const id of camp.inFlight()) for (const r of camp.state.devices[id].routes) inFlight[r] = (inFlight[r] ?? 0) + 1;
				for (const [r, k] of Object.entries(inFlight)) {
					expect(k).toBeLessThanOrEqual(routeCap(size[r], 0.25));
					if (size[r] >= 4) maxShare = Math.max(maxShare, k / size[r]);
				}
			},
		);
		expect(c.status()).toMatchObject({ phase: "done", confirmed: 51, notOffered: 0 });
		expect(maxShare).toBeLessThanOrEqual(0.25);
		// r40 alone needs at least 41 / 10 waves, r2 needs 2: the percentages were not enough, so extra waves opened.
		expect(c.state.waves.length).toBeGreaterThanOrEqual(5);
		expect(c.state.waves.slice(4).every((w) => w.percent === 100)).toBe(true);
	});

	it("is deterministic: the same inputs give the same actions", () => {
		const run = () => {
			const c = Campaign.create({ id: "det", target: TARGET, policy: policy({ waves: [5, 30, 100], maxRouteShare: 0.3, minSuccess: 0.5, abortFailure: 0.5 }), now: 7, inventory: fleet(80, (i) => [`r${i % 6}`, `r${(i * 7) % 11}`]) });
			return simulate(c, (id) => ({ state: id.endsWith("3") ? "failed" : "confirmed", delayMs: (id.charCodeAt(4) % 5) * 1_000 + 100 }));
		};
		expect(run()).toEqual(run());
	});
});

describe("campaign engine properties", () => {
	const arbFleet = fc
		.record({
			n: fc.integer({ min: 1, max: 60 }),
			routes: fc.integer({ min: 0, max: 8 }),
			seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
		})
		.map(({ n, routes, seed }) => {
			let x = seed;
			const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 0x1_0000_0000);
			return fleet(n, () => (routes ? [...new Set(Array.from({ length: Math.floor(rnd() * 3) }, () => `r${Math.floor(rnd() * routes)}`))] : []));
		});
	const arbPolicy = fc.record({
		waves: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 }).map((w) => [...w.sort((a, b) => a - b), 100]),
		minSuccess: fc.double({ min: 0.1, max: 1, noNaN: true }),
		abortFailure: fc.double({ min: 0.05, max: 0.99, noNaN: true }),
		bakeMs: fc.integer({ min: 0, max: 100_000 }),
		deviceTimeoutMs: fc.integer({ min: 1, max: 200_000 }),
		maxRouteShare: fc.double({ min: 0.01, max: 1, noNaN: true }),
	});
	const arbOutcomes = fc.array(fc.record({ state: fc.constantFrom<OtaState | "silent">("confirmed", "confirmed", "confirmed", "failed", "rolled-back", "refused", "silent"), delayMs: fc.integer({ min: 0, max: 150_000 }) }), { minLength: 1, maxLength: 30 });

	it("the route rule holds at every step, for every route and wave", () => {
		fc.assert(
			fc.property(arbFleet, arbPolicy, arbOutcomes, (inv, pol, outs) => {
				const c = Campaign.create({ id: "prop", target: TARGET, policy: pol, now: 0, inventory: inv });
				simulate(
					c,
					(id, attempt) => outs[(Number(id.slice(1)) + attempt) % outs.length],
					(camp) => {
						const inFlight: Record<string, number> = {};
						for (const id of camp.inFlight()) for (const r of camp.state.devices[id].routes) inFlight[r] = (inFlight[r] ?? 0) + 1;
						for (const [r, k] of Object.entries(inFlight)) expect(k).toBeLessThanOrEqual(routeCap(camp.state.routeSize[r], pol.maxRouteShare));
					},
				);
			}),
			{ numRuns: 150 },
		);
	});

	it("monotonic: offered at most once (per retry), never after an abort, and every run ends done or aborted", () => {
		fc.assert(
			fc.property(arbFleet, arbPolicy, arbOutcomes, fc.integer({ min: 0, max: 400_000 }), (inv, pol, outs, abortAt) => {
				const c = Campaign.create({ id: "mono", target: TARGET, policy: pol, now: 0, inventory: inv });
				const offered = new Map<string, number>();
				let aborted = false;
				let opened = 0;
				simulate(
					c,
					(id, attempt) => outs[(Number(id.slice(1)) * 7 + attempt) % outs.length],
					(camp, actions, now) => {
						for (const id of offers(actions)) offered.set(id, (offered.get(id) ?? 0) + 1);
						if (aborted) expect(offers(actions)).toEqual([]);
						if (camp.state.phase === "aborted") aborted = true;
						expect(camp.state.waves.length).toBeGreaterThanOrEqual(opened);
						opened = camp.state.waves.length;
						for (const [id, k] of offered) expect(k).toBeLessThanOrEqual(1 + camp.state.devices[id].retries);
						if (!aborted && now >= abortAt) {
							expect(offers(camp.command({ kind: "abort" }, now))).toEqual([]);
							aborted = true;
						}
					},
				);
				expect(["done", "aborted"]).toContain(c.state.phase);
				if (c.state.phase === "done") {
					expect(c.status().notOffered).toBe(0);
					expect(c.inFlight()).toEqual([]);
				}
				if (aborted) expect(c.inFlight()).toEqual([]);
			}),
			{ numRuns: 150 },
		);
	});
});

describe("campaign store", () => {
	const dir = () => mkdtempSync(join(tmpdir(), "curbside-campaign-"));
	const fileOf = (c: Campaign): CampaignFile => ({ format: 1, package: { path: "p.cspkg", offerId: c.state.id, version: "1.2.0", sha256: "00" }, savedAt: 0, campaign: c.state, controls: [] });

	it("round trip: what is saved loads equal, and the write leaves no temporary file", () => {
		const path = join(dir(), "c.json");
		const c = Campaign.create({ id: "rt", target: TARGET, policy: policy({ waves: [10, 100] }), now: 0, inventory: fleet(30, (i) => [`r${i % 3}`]) });
		c.tick(0);
		c.report(c.inFlight()[0], "downloading", 5, { got: 3, of: 10 });
		saveCampaign(path, fileOf(c));
		expect(loadCampaign(path)!.campaign).toEqual(JSON.parse(JSON.stringify(c.state)));
		expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
		expect(loadCampaign(join(dir(), "none.json"))).toBe(undefined);
	});

	it("a restarted engine resumes exactly: same actions and end state as one that never stopped", () => {
		const path = join(dir(), "c.json");
		const mk = () => Campaign.create({ id: "restart", target: TARGET, policy: policy({ waves: [5, 20, 100], maxRouteShare: 0.25, minSuccess: 0.8, abortFailure: 0.5, bakeMs: 1_000 }), now: 0, inventory: fleet(60, (i) => [`r${i % 5}`]) });
		const outcome = (id: string): OtaState => (id.endsWith("7") ? "failed" : "confirmed");
		const drive = (c: Campaign, from: number, to: number, log: CampaignAction[]) => {
			for (let t = from; t < to; t += 500) {
				log.push(...c.tick(t));
				if (t % 1_500 === 0) for (const id of c.inFlight()) log.push(...c.report(id, outcome(id), t, { fw: "1.1.0" }));
				if (t === 4_000) log.push(...c.command({ kind: "pause" }, t));
				if (t === 6_000) log.push(...c.command({ kind: "resume" }, t));
				if (c.state.held) log.push(...c.command({ kind: "resume" }, t));
			}
		};
		const straight = mk();
		const a: CampaignAction[] = [];
		drive(straight, 0, 40_000, a);
		const first = mk();
		const b: CampaignAction[] = [];
		drive(first, 0, 5_000, b);
		expect(first.state.phase).toBe("paused");
		saveCampaign(path, fileOf(first));
		const resumed = new Campaign(loadCampaign(path)!.campaign);
		drive(resumed, 5_000, 40_000, b);
		expect(b).toEqual(a);
		expect(resumed.state).toEqual(straight.state);
		expect(resumed.state.phase).toBe("done");
		expect(resumed.state.waves.length).toBeGreaterThanOrEqual(3);
		expect(resumed.status().failed).toBeGreaterThan(0);
	});

	it("a damaged state file is one clear error", () => {
		const d = dir();
		writeFileSync(join(d, "bad.json"), "{ not json");
		expect(() => loadCampaign(join(d, "bad.json"))).toThrow(/campaign state .*bad\.json is not JSON/);
		writeFileSync(join(d, "other.json"), JSON.stringify({ format: 1, hello: 1 }));
		expect(() => loadCampaign(join(d, "other.json"))).toThrow("is not a campaign state file (format 1)");
	});

	it("the lock refuses a second holder, is released, and a stale lock is taken over", () => {
		const path = join(dir(), "c.json");
		const lock = lockCampaign(path);
		expect(lockHolder(path)).toBe(process.pid);
		expect(() => lockCampaign(path)).toThrow(`is in use by process ${process.pid}`);
		lock.release();
		lock.release();
		expect(lockHolder(path)).toBe(undefined);
		const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
		writeFileSync(lockPath(path), `${dead}\n`);
		expect(lockHolder(path)).toBe(undefined);
		lockCampaign(path).release();
	});

	it("control requests queue in FILE.control and are taken once, in order", () => {
		const path = join(dir(), "c.json");
		expect(takeControl(path)).toEqual([]);
		const a = requestControl(path, "pause");
		const b = requestControl(path, "abort");
		writeFileSync(controlPath(path), "garbage\n", { flag: "a" });
		expect(takeControl(path).map((r) => [r.id, r.action])).toEqual([
			[a.id, "pause"],
			[b.id, "abort"],
		]);
		expect(takeControl(path)).toEqual([]);
		expect(existsSync(controlPath(path))).toBe(false);
	});

	it("policy files: defaults fill the gaps, durations are accepted, mistakes name the field", () => {
		expect(parsePolicy({})).toEqual({ ...DEFAULT_POLICY });
		expect(parsePolicy({ cohorts: ["canary", ["north", "e-ink"]], waves: [1, 5, 25, 100], bakeMs: "30m", deviceTimeoutMs: 7_200_000, maxRouteShare: 0.25 })).toMatchObject({
			cohorts: ["canary", ["north", "e-ink"]],
			waves: [1, 5, 25, 100],
			bakeMs: 1_800_000,
			deviceTimeoutMs: 7_200_000,
		});
		expect(() => parsePolicy([])).toThrow("expected a JSON object");
		expect(() => parsePolicy({ wave: [100] })).toThrow('unknown key "wave"');
		expect(() => parsePolicy({ waves: [10, 5, 100] })).toThrow("waves: expected increasing percentages");
		expect(() => parsePolicy({ waves: [10, 50] })).toThrow("ending at 100");
		expect(() => parsePolicy({ minSuccess: 1.5 })).toThrow("minSuccess: expected a number in [0, 1]");
		expect(() => parsePolicy({ maxRouteShare: 0 })).toThrow("maxRouteShare: expected a number in (0, 1]");
		expect(() => parsePolicy({ bakeMs: "soon" })).toThrow('bakeMs: expected ms or a duration like "30m"');
		expect(() => parsePolicy({ deviceTimeoutMs: 0 })).toThrow("deviceTimeoutMs: must be positive");
		expect(() => parsePolicy({ cohorts: [] })).toThrow("cohorts: expected a non-empty array");
	});

	it("inventory files: ids must be topic-safe and unique, tags and routes arrays of strings", () => {
		expect(parseInventory([{ id: "s1", tags: ["canary"], routes: ["12"] }, { id: "s2" }])).toEqual([
			{ id: "s1", tags: ["canary"], routes: ["12"] },
			{ id: "s2", tags: [], routes: [] },
		]);
		expect(() => parseInventory({})).toThrow("expected a JSON array");
		expect(() => parseInventory([{ id: "a/b" }])).toThrow("[0].id: topic device id");
		expect(() => parseInventory([{ id: "a" }, { id: "a" }])).toThrow("[1].id: device a is listed twice");
		expect(() => parseInventory([{ id: "a", routes: "12" }])).toThrow("[0].routes: expected an array of non-empty strings");
		expect(() => parseInventory([{ id: "a", role: "x" }])).toThrow('[0]: unknown key "role"');
	});
});
