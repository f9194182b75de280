/*
 * `curbside ota publish <package>`: rolls a signed package out and serves it
 * until the campaign ends; `curbside ota pause|resume|abort --state FILE`
 * steers a running one.
 *
 *   --device ID…               one wave to these devices
 *   --inventory FILE [--cohort TAG] [--campaign POLICY]
 *                              a staged campaign over the inventory (or the
 *                              devices tagged TAG); role, board and firmware
 *                              come from the devices' retained status births
 *   --campaign POLICY          waves, gates, thresholds, route cap
 *                              (tools/ops/campaign-store.ts has the format)
 *
 * The campaign persists in --state (default <package>.campaign.json) after
 * every change, so running the same command again resumes it: offers still
 * open are re-published (retained, idempotent), closed ones withdrawn, and
 * the time no publisher ran counts as a pause (nobody served chunks then).
 * Exit: 0 done with every device updated or already current; 1 aborted,
 * done with failures, or stopped (--wait, Ctrl-C) before the end; 2 bad input.
 */
import { parseVersion } from "../../firmware/contract/ota-payloads";
import { checkTopicId } from "../../firmware/contract/topics";
import { OtaToolError, readPackage, type OtaPackage } from "../ota/package";
import { formatDuration } from "../duration";
import { Campaign, DEFAULT_POLICY, type CampaignAction, type CampaignDevice, type CampaignPolicy, type CampaignStatus, type GroupSummary } from "../ops/campaign";
import { readFileSync } from "node:fs";
import {
	CampaignStoreError,
	loadCampaign,
	lockCampaign,
	lockHolder,
	parseInventory,
	parsePolicy,
	requestControl,
	saveCampaign,
	takeControl,
	toCommand,
	type CampaignFile,
	type ControlAction,
	type InventoryEntry,
} from "../ops/campaign-store";
import { OtaService, overheadPercent } from "../ops/ota-service";
import { Registry } from "../ops/registry";

export interface OtaPublishOptions {
	broker: string;
	device: string[];
	cohort?: string;
	inventory?: string;
	campaign?: string;
	state?: string;
	shareGroup?: string;
	/** stop after this long, ms (the campaign resumes on the next run) */
	wait?: number;
}

/** Output and timing hooks (tests); by default stdout/stderr, process.exitCode and SIGINT. */
export interface PublishIo {
	out?: (line: string) => void;
	err?: (line: string) => void;
	/** redraw progress in place @default stdout is a TTY */
	tty?: boolean;
	/** campaign loop period, ms @default 250 */
	pollMs?: number;
	/** how long to collect retained status births, ms @default 5_000 */
	birthsMs?: number;
	/** resolves to stop early (like Ctrl-C) */
	stop?: Promise<void>;
}

/** Bad input: one line, exit 2. */
class InputError extends Error {}

const STEP_ORDER = ["offered", "downloading", "verifying", "applying", "trial", "safe-mode"] as const;

/** Offer id of a package: role, version and the start of the image hash, so a rebuilt image never reuses an id (≤ 37 characters). */
export function offerIdFor(pkg: OtaPackage): string {
	return `${pkg.manifest.role}-${pkg.manifest.version}-${Buffer.from(pkg.manifest.sha256.subarray(0, 4)).toString("hex")}`;
}

function defaultState(pkgPath: string): string {
	return `${pkgPath.replace(/\.cspkg$/, "")}.campaign.json`;
}

function readJson(path: string, what: string): unknown {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (e) {
		throw new InputError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	try {
		return JSON.parse(text);
	} catch (e) {
		throw new InputError(`${what} ${path} is not JSON: ${(e as Error).message}`);
	}
}

function parsed<T>(what: string, path: string, parse: (v: unknown) => T): T {
	const value = readJson(path, what);
	try {
		return parse(value);
	} catch (e) {
		throw new InputError(`${what} ${path}: ${(e as Error).message}`);
	}
}

/** One progress line per device group: `[#######.....] 58% wave 2/4 · 37 confirmed · 1 failed · 2 downloading`. */
export function progressLine(s: CampaignStatus, g: GroupSummary, named: boolean): string {
	const done = g.confirmed + g.current;
	const pct = g.total ? Math.floor((done * 100) / g.total) : 100;
	const fill = Math.round((pct / 100) * 12);
	const parts = [`${named ? `${g.name} ` : ""}[${"#".repeat(fill)}${".".repeat(12 - fill)}] ${pct}% wave ${s.wave}/${s.waves}`, `${g.confirmed} confirmed`, `${g.failed} failed`];
	for (const step of STEP_ORDER) if (g.steps[step]) parts.push(`${g.steps[step]} ${step}`);
	if (g.current) parts.push(`${g.current} already current`);
	if (s.phase === "paused") parts.push("PAUSED");
	if (s.held) parts.push(`HELD (${s.held})`);
	if (s.phase === "aborted") parts.push("ABORTED");
	return parts.join(" · ");
}

function summaryLine(s: CampaignStatus, version: string, elapsedMs: number): string {
	const counts = `${s.confirmed} confirmed, ${s.failed} failed, ${s.current} already on ${version}, ${s.skipped} skipped`;
	if (s.phase === "aborted") return `campaign ${s.id} ABORTED (${s.abortReason}): ${counts}, ${s.notOffered} never offered`;
	if (s.phase === "done") return `campaign ${s.id} done in ${formatDuration(elapsedMs)}: ${counts}`;
	return `campaign ${s.id} not finished (wave ${s.wave}/${s.waves}, ${s.phase}): ${counts}, ${s.inFlight} in flight, ${s.notOffered} not offered yet`;
}

/** Collects retained status births until every wanted device has one, or the fleet goes quiet. */
async function births(registry: Registry, broker: string, wanted: string[], maxMs: number): Promise<void> {
	let last = Date.now();
	registry.onEvent = () => void (last = Date.now());
	await registry.connect(broker);
	const start = Date.now();
	while (Date.now() - start < maxMs) {
		if (wanted.every((id) => registry.devices.get(id)?.status)) return;
		if (Date.now() - start > 1_000 && Date.now() - last > 500) return;
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Builds a new campaign from the command line, or explains in one line why not. */
async function newCampaign(pkg: OtaPackage, offerId: string, options: OtaPublishOptions, io: Required<Pick<PublishIo, "out" | "birthsMs">>): Promise<Campaign> {
	const m = pkg.manifest;
	const policy: CampaignPolicy = options.campaign ? parsed("campaign", options.campaign, parsePolicy) : { ...DEFAULT_POLICY, waves: options.inventory ? [...DEFAULT_POLICY.waves] : [100] };
	let entries: InventoryEntry[];
	if (options.inventory) {
		entries = parsed("inventory", options.inventory, parseInventory);
		for (const id of options.device) if (!entries.some((e) => e.id === id)) entries.push({ id, tags: [], routes: [] });
	} else if (options.device.length) {
		if (options.cohort) throw new InputError("--cohort needs --inventory (the file that tags devices)");
		entries = options.device.map((id) => {
			try {
				checkTopicId(id, "device id");
			} catch (e) {
				throw new InputError((e as Error).message);
			}
			return { id, tags: [], routes: [] };
		});
	} else throw new InputError(options.cohort ? "--cohort needs --inventory (the file that tags devices)" : "nothing to offer to: give --device <id>, or --inventory <file> (with --cohort or --campaign)");
	const inCohort = (e: InventoryEntry) => (!options.cohort || e.tags.includes(options.cohort)) && (!options.inventory || !options.device.length || options.device.includes(e.id));
	if (!entries.some(inCohort)) throw new InputError(`no device in ${options.inventory} has tag "${options.cohort}"`);
	const registry = new Registry();
	try {
		await births(registry, options.broker, entries.filter(inCohort).map((e) => e.id), io.birthsMs);
	} finally {
		await registry.close();
	}
	const inventory: CampaignDevice[] = [];
	for (const e of entries) {
		const st = registry.devices.get(e.id)?.status;
		const chosen = inCohort(e);
		if (!st && options.device.includes(e.id)) throw new InputError(`unknown device ${e.id}: no status on ${options.broker} (has it ever connected?)`);
		if (st && chosen && options.device.includes(e.id) && (st.role !== m.role || st.board !== m.board))
			throw new InputError(`device ${e.id} is a ${st.role} on board ${st.board}; the package is for ${m.role} on ${m.board}`);
		inventory.push({
			id: e.id,
			role: st?.role ?? "",
			board: st?.board ?? "",
			fw: st?.fw ?? "",
			tags: e.tags,
			routes: e.routes,
			skip: !chosen ? `not in cohort ${options.cohort}` : !st ? "no status on the broker" : undefined,
		});
	}
	const campaign = Campaign.create({ id: offerId, target: { offerId, role: m.role, board: m.board, version: m.version }, policy, inventory, now: Date.now() });
	const s = campaign.status();
	io.out(`campaign ${offerId}: ${s.candidates} device(s) to update to ${m.version}, ${s.current} already current, ${s.skipped} skipped; waves ${policy.waves.join(", ")} %, route cap ${policy.maxRouteShare}`);
	for (const [reason, n] of skipReasons(campaign)) io.out(`  skipped ${n}: ${reason}`);
	return campaign;
}

function skipReasons(c: Campaign): [string, number][] {
	const out = new Map<string, number>();
	for (const d of Object.values(c.state.devices)) if (d.phase === "skipped") out.set(d.reason ?? "?", (out.get(d.reason ?? "?") ?? 0) + 1);
	return [...out].slice(0, 8);
}

/** `ota publish`. Resolves with the exit code (also set on process.exitCode unless `io` is given). */
export async function runOtaPublish(pkgPath: string, options: OtaPublishOptions, io: PublishIo = {}): Promise<number> {
	const out = io.out ?? ((l: string) => console.log(l));
	const err = io.err ?? ((l: string) => process.stderr.write(`curbside: ${l}\n`));
	let code: number;
	try {
		code = await publish(pkgPath, options, { ...io, out });
	} catch (e) {
		if (!(e instanceof InputError || e instanceof OtaToolError || e instanceof CampaignStoreError)) throw e;
		err(e.message);
		code = 2;
	}
	if (!io.out) process.exitCode = code;
	return code;
}

async function publish(pkgPath: string, options: OtaPublishOptions, io: PublishIo & { out: (l: string) => void }): Promise<number> {
	const pkg = readPackage(pkgPath);
	if (!pkg.sig) throw new InputError(`package ${pkgPath} is not signed (curbside ota sign ${pkgPath} --key <private.pem>)`);
	const m = pkg.manifest;
	parseVersion(m.version);
	const offerId = offerIdFor(pkg);
	const sha256 = Buffer.from(m.sha256).toString("hex");
	const statePath = options.state ?? defaultState(pkgPath);
	const stored = loadCampaign(statePath);
	if (stored && (stored.package.sha256 !== sha256 || stored.package.offerId !== offerId))
		throw new InputError(`campaign state ${statePath} belongs to offer ${stored.package.offerId} (${stored.package.version}), not this package; pass another --state`);
	const lock = lockCampaign(statePath);
	const service = new OtaService({ shareGroup: options.shareGroup });
	try {
		let file: CampaignFile;
		let campaign: Campaign;
		if (stored) {
			file = stored;
			campaign = new Campaign(stored.campaign);
			io.out(`campaign ${offerId}: resuming from ${statePath}${options.device.length || options.inventory || options.campaign ? " (the stored campaign wins over --device/--inventory/--campaign)" : ""}`);
			// Nothing served chunks while no publisher ran: that time is a pause, not the devices' fault.
			const downMs = Date.now() - stored.savedAt;
			if (campaign.state.phase === "running" && downMs >= 1_000) {
				campaign.command({ kind: "pause" }, stored.savedAt);
				campaign.command({ kind: "resume" }, Date.now());
				io.out(`  no publisher for ${formatDuration(downMs)}: device deadlines and the bake move by that`);
			}
		} else {
			campaign = await newCampaign(pkg, offerId, options, { out: io.out, birthsMs: io.birthsMs ?? 5_000 });
			file = { format: 1, package: { path: pkgPath, offerId, version: m.version, sha256 }, savedAt: 0, campaign: campaign.state, controls: [] };
			saveCampaign(statePath, file);
		}
		await service.connect(options.broker);
		service.addPackage(offerId, pkg);
		return await drive(campaign, file, statePath, service, options, io);
	} finally {
		await service.close();
		lock.release();
	}
}

async function drive(campaign: Campaign, file: CampaignFile, statePath: string, service: OtaService, options: OtaPublishOptions, io: PublishIo & { out: (l: string) => void }): Promise<number> {
	const { offerId, version } = file.package;
	const tty = io.tty ?? process.stdout.isTTY === true;
	let shown: string[] = [];
	// Any other line ends the redrawn block: the next redraw starts below it.
	const say = (line: string) => {
		io.out(line);
		shown = [];
	};
	const pending = new Set<Promise<void>>();
	const track = (p: Promise<void>) => {
		const q = p.catch((e) => say(`publish failed: ${(e as Error).message}`)).finally(() => pending.delete(q));
		pending.add(q);
	};
	const apply = (actions: CampaignAction[]) => {
		for (const a of actions) track(a.kind === "offer" ? service.offer(a.device, offerId) : service.withdraw(a.device));
	};
	// Reconcile the broker with the stored campaign: open offers retained, closed ones cleared.
	for (const [id, d] of Object.entries(campaign.state.devices)) {
		if (d.phase === "offered") track(service.offer(id, offerId));
		else if (d.offers > 0) track(service.withdraw(id));
	}
	service.onEvent = (e) => {
		if (e.kind === "progress" && e.progress.id === offerId) {
			const p = e.progress;
			apply(campaign.report(e.device, p.state, Date.now(), { fw: p.fw, reason: p.reason, got: p.got, of: p.of }));
		} else if (e.kind === "record" && e.event.id === offerId) apply(campaign.report(e.device, e.event.state, Date.now(), { fw: e.event.fw, reason: e.event.reason }));
	};
	const started = campaign.state.createdAt;
	const deadline = options.wait !== undefined ? Date.now() + options.wait : Infinity;
	let stopped = false;
	const stop = () => void (stopped = true);
	void io.stop?.then(stop);
	if (!io.stop) process.once("SIGINT", stop);
	let lastSaved = JSON.stringify(campaign.state);
	try {
		while (true) {
			const now = Date.now();
			for (const req of takeControl(statePath)) {
				apply(campaign.command(toCommand(req.action), now));
				file.controls = [...file.controls, { ...req, appliedAt: now }].slice(-50);
				lastSaved = "";
				say(`operator: ${req.action} → ${campaign.state.phase}${campaign.state.held ? " (held)" : ""}`);
			}
			apply(campaign.tick(now));
			service.setPaused(offerId, campaign.state.phase === "paused");
			const text = JSON.stringify(campaign.state);
			if (text !== lastSaved) {
				file.campaign = campaign.state;
				saveCampaign(statePath, file);
				lastSaved = text;
			}
			const s = campaign.status();
			const lines = s.groups.map((g) => progressLine(s, g, s.groups.length > 1));
			if (tty) {
				if (lines.join("\n") !== shown.join("\n")) {
					process.stdout.write((shown.length ? `\x1b[${shown.length}A` : "") + lines.map((l) => `\x1b[2K${l}\n`).join(""));
				}
			} else for (let i = 0; i < lines.length; i++) if (lines[i] !== shown[i]) io.out(lines[i]);
			shown = lines;
			const finished = s.phase === "done" || s.phase === "aborted";
			if (finished || stopped || now >= deadline) {
				await Promise.all(pending);
				// Saved on the way out too: savedAt is when serving stopped (a resume counts the gap as a pause).
				file.campaign = campaign.state;
				saveCampaign(statePath, file);
				const t = service.traffic(offerId);
				if (t && t.dataBytes) io.out(`served ${t.dataBytes} image bytes in ${t.chunks} chunks to ${t.requests} requests; MQTT overhead ${overheadPercent(t).toFixed(1)} %${t.throttled ? `; ${t.throttled} request(s) throttled` : ""}`);
				io.out(summaryLine(s, version, now - started));
				if (!finished) io.out(`state saved in ${statePath}; run the same command to resume`);
				return s.phase === "done" && s.failed === 0 ? 0 : 1;
			}
			await new Promise((r) => setTimeout(r, io.pollMs ?? 250));
		}
	} finally {
		process.off("SIGINT", stop);
	}
}

/** `ota pause|resume|abort --state FILE`: hands the request to the running publisher, or applies it to the file when none runs. */
export async function runOtaControl(action: ControlAction, options: { state: string }): Promise<number> {
	try {
		const code = await control(action, options.state);
		process.exitCode = code;
		return code;
	} catch (e) {
		if (!(e instanceof CampaignStoreError || e instanceof InputError)) throw e;
		process.stderr.write(`curbside: ${e.message}\n`);
		process.exitCode = 2;
		return 2;
	}
}

async function control(action: ControlAction, statePath: string): Promise<number> {
	const before = loadCampaign(statePath);
	if (!before) throw new InputError(`no campaign state at ${statePath}`);
	const phase = before.campaign.phase;
	if (phase === "aborted" || phase === "done") {
		console.log(`campaign ${before.campaign.id} is already ${phase}; nothing to ${action}`);
		return phase === "done" ? 0 : 1;
	}
	const holder = lockHolder(statePath);
	if (holder !== undefined) {
		const req = requestControl(statePath, action);
		const end = Date.now() + 5_000;
		while (Date.now() < end) {
			await new Promise((r) => setTimeout(r, 100));
			const now = loadCampaign(statePath);
			if (now?.controls.some((c) => c.id === req.id)) {
				console.log(`campaign ${now.campaign.id}: ${action} applied by publisher ${holder}; now ${now.campaign.phase}${now.campaign.held ? ` (held: ${now.campaign.held})` : ""}`);
				return 0;
			}
		}
		console.log(`campaign ${before.campaign.id}: ${action} requested; publisher ${holder} has not applied it within 5 s (it stays queued in ${statePath}.control)`);
		return 1;
	}
	// No publisher: apply to the file; the broker catches up (offers re-published or withdrawn) when `ota publish` runs again.
	const lock = lockCampaign(statePath);
	try {
		const file = loadCampaign(statePath)!;
		const campaign = new Campaign(file.campaign);
		const now = Date.now();
		campaign.command(toCommand(action), now);
		file.campaign = campaign.state;
		file.controls = [...file.controls, { id: "offline", action, at: now, pid: process.pid, appliedAt: now }].slice(-50);
		saveCampaign(statePath, file);
		console.log(`campaign ${file.campaign.id}: ${action} recorded in ${statePath} (no publisher running; the broker's offers follow when \`ota publish\` resumes it); now ${file.campaign.phase}`);
		return 0;
	} finally {
		lock.release();
	}
}
