/*
 * Where a campaign lives between runs, how an operator steers a running one,
 * and the operator's input files (Node only).
 *
 *   FILE          the campaign (tools/ops/campaign.ts state) plus what it
 *                 rolls out, JSON, replaced atomically: write FILE.<pid>.tmp,
 *                 fsync it, rename over FILE, fsync the directory (POSIX
 *                 rename(2) is atomic; the fsyncs make it durable across a
 *                 power cut, not just a crash). A restarted publisher resumes
 *                 exactly: waves, results, deadlines, the paused flag.
 *   FILE.lock     pid of the publisher that owns FILE; a lock whose process
 *                 is gone is stale and taken over.
 *   FILE.control  operator requests (`ota pause|resume|abort`), one JSON line
 *                 each, appended (O_APPEND: concurrent writers don't tear
 *                 lines). The publisher takes the file by renaming it, applies
 *                 the requests and notes each id in FILE's `controls`, which
 *                 is how the requester learns it was applied.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { checkTopicId } from "../../firmware/contract/topics";
import { parseDuration } from "../duration";
import { DEFAULT_POLICY, type CampaignCommand, type CampaignPolicy, type CampaignState } from "./campaign";

/** A store failure whose message is the one line the CLI prints. */
export class CampaignStoreError extends Error {
	override get name(): string {
		return "CampaignStoreError";
	}
}

export type ControlAction = "pause" | "resume" | "abort";

export interface ControlRequest {
	id: string;
	action: ControlAction;
	/** epoch ms when requested */
	at: number;
	pid: number;
}

export interface CampaignFile {
	format: 1;
	/** the package rolled out, to refuse resuming with a different one */
	package: { path: string; offerId: string; version: string; sha256: string };
	/** epoch ms of the last save */
	savedAt: number;
	campaign: CampaignState;
	/** operator requests applied, newest last (the last 50) */
	controls: (ControlRequest & { appliedAt: number })[];
}

export function controlPath(file: string): string {
	return `${file}.control`;
}

export function lockPath(file: string): string {
	return `${file}.lock`;
}

/** Writes `text` to `path` atomically and durably. @throws CampaignStoreError */
export function writeDurable(path: string, text: string): void {
	const tmp = `${path}.${process.pid}.tmp`;
	try {
		const fd = openSync(tmp, "w", 0o644);
		try {
			writeSync(fd, text);
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(tmp, path);
		// The rename itself lives in the directory: sync it too (Linux; a no-op elsewhere).
		try {
			const dir = openSync(dirname(path), "r");
			try {
				fsyncSync(dir);
			} finally {
				closeSync(dir);
			}
		} catch {}
	} catch (e) {
		rmSync(tmp, { force: true });
		throw new CampaignStoreError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
}

export function saveCampaign(path: string, file: CampaignFile): void {
	writeDurable(path, JSON.stringify({ ...file, savedAt: Date.now() }, null, "\t") + "\n");
}

/** The campaign in `path`, or undefined when there is none. @throws CampaignStoreError when the file is not a campaign state */
export function loadCampaign(path: string): CampaignFile | undefined {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw new CampaignStoreError(`cannot read campaign state ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	let value: CampaignFile;
	try {
		value = JSON.parse(text);
	} catch (e) {
		throw new CampaignStoreError(`campaign state ${path} is not JSON: ${(e as Error).message}`);
	}
	const c = value?.campaign as Partial<CampaignState> | undefined;
	if (value?.format !== 1 || !value.package || !c || c.format !== 1 || typeof c.devices !== "object" || !Array.isArray(c.waves) || !Array.isArray(c.order))
		throw new CampaignStoreError(`${path} is not a campaign state file (format 1)`);
	value.controls ??= [];
	return value;
}

/** Appends an operator request for the publisher of `file`. Returns its id. */
export function requestControl(file: string, action: ControlAction): ControlRequest {
	const req: ControlRequest = { id: randomUUID(), action, at: Date.now(), pid: process.pid };
	try {
		appendFileSync(controlPath(file), JSON.stringify(req) + "\n");
	} catch (e) {
		throw new CampaignStoreError(`cannot write ${controlPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	return req;
}

/** Takes every pending request (oldest first); malformed lines are dropped. */
export function takeControl(file: string): ControlRequest[] {
	const taking = `${controlPath(file)}.${process.pid}.taking`;
	try {
		renameSync(controlPath(file), taking);
	} catch {
		return [];
	}
	const out: ControlRequest[] = [];
	try {
		for (const line of readFileSync(taking, "utf8").split("\n")) {
			if (!line.trim()) continue;
			try {
				const r = JSON.parse(line) as ControlRequest;
				if (typeof r.id === "string" && (r.action === "pause" || r.action === "resume" || r.action === "abort")) out.push(r);
			} catch {}
		}
	} finally {
		rmSync(taking, { force: true });
	}
	return out;
}

export function toCommand(action: ControlAction): CampaignCommand {
	return action === "abort" ? { kind: "abort", reason: "aborted by operator" } : { kind: action };
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === "EPERM";
	}
}

/** Pid of the live process holding `file`'s lock, if any. */
export function lockHolder(file: string): number | undefined {
	try {
		const pid = Number(readFileSync(lockPath(file), "utf8").trim());
		return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Takes `file`'s lock for this process; a stale lock (its process is gone)
 * is taken over. @returns release() @throws CampaignStoreError when a live process holds it
 */
export function lockCampaign(file: string): { release(): void } {
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			const fd = openSync(lockPath(file), "wx");
			writeSync(fd, `${process.pid}\n`);
			closeSync(fd);
			let released = false;
			return {
				release() {
					if (released) return;
					released = true;
					rmSync(lockPath(file), { force: true });
				},
			};
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new CampaignStoreError(`cannot lock ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
			const holder = lockHolder(file);
			if (holder !== undefined) throw new CampaignStoreError(`campaign state ${file} is in use by process ${holder}`);
			rmSync(lockPath(file), { force: true });
		}
	}
	throw new CampaignStoreError(`cannot lock ${file}`);
}

/*
 * Operator inputs. The policy file: every key optional (DEFAULT_POLICY
 * fills the rest); bakeMs and deviceTimeoutMs take ms or a duration ("30m"):
 *   { "cohorts": ["canary", ["depot-north", "e-ink"], "*"], "waves": [1, 10, 50, 100],
 *     "minSuccess": 0.95, "abortFailure": 0.1, "bakeMs": "30m", "deviceTimeoutMs": "2h", "maxRouteShare": 0.25 }
 * The inventory: [{ "id": "sign-0001", "tags": ["canary"], "routes": ["12", "40"] }, …]
 * (role, board and firmware come from the devices' retained status births).
 */

const POLICY_KEYS = ["cohorts", "waves", "minSuccess", "abortFailure", "bakeMs", "deviceTimeoutMs", "maxRouteShare"];

function share(value: unknown, path: string, min: number, max: number, open: boolean): number {
	if (typeof value !== "number" || !Number.isFinite(value) || value > max || (open ? value <= min : value < min)) throw new RangeError(`${path}: expected a number in ${open ? "(" : "["}${min}, ${max}]`);
	return value;
}

function ms(value: unknown, path: string): number {
	if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
	if (typeof value === "string") {
		try {
			return parseDuration(value);
		} catch {}
	}
	throw new RangeError(`${path}: expected ms or a duration like "30m"`);
}

function tags(value: unknown, path: string): string[] {
	if (!Array.isArray(value) || value.some((t) => typeof t !== "string" || !t)) throw new RangeError(`${path}: expected an array of non-empty strings`);
	return value as string[];
}

/** A campaign policy from parsed JSON, over the defaults. @throws RangeError naming the field */
export function parsePolicy(value: unknown): CampaignPolicy {
	if (!value || typeof value !== "object" || Array.isArray(value)) throw new RangeError("expected a JSON object");
	const f = value as Record<string, unknown>;
	for (const k of Object.keys(f)) if (!POLICY_KEYS.includes(k)) throw new RangeError(`unknown key "${k}" (expected ${POLICY_KEYS.join(", ")})`);
	const p: CampaignPolicy = { ...DEFAULT_POLICY, waves: [...DEFAULT_POLICY.waves] };
	if (f.cohorts !== undefined) {
		if (!Array.isArray(f.cohorts) || f.cohorts.length === 0) throw new RangeError("cohorts: expected a non-empty array of tags or tag lists");
		p.cohorts = f.cohorts.map((c, i) => (typeof c === "string" && c ? c : tags(c, `cohorts[${i}]`)));
	}
	if (f.waves !== undefined) {
		const w = f.waves;
		if (!Array.isArray(w) || w.length === 0 || w.some((x, i) => typeof x !== "number" || !(x > 0) || x > 100 || (i > 0 && x <= w[i - 1])) || w[w.length - 1] !== 100)
			throw new RangeError("waves: expected increasing percentages in (0, 100], ending at 100");
		p.waves = [...w];
	}
	if (f.minSuccess !== undefined) p.minSuccess = share(f.minSuccess, "minSuccess", 0, 1, false);
	if (f.abortFailure !== undefined) p.abortFailure = share(f.abortFailure, "abortFailure", 0, 1, false);
	if (f.maxRouteShare !== undefined) p.maxRouteShare = share(f.maxRouteShare, "maxRouteShare", 0, 1, true);
	if (f.bakeMs !== undefined) p.bakeMs = ms(f.bakeMs, "bakeMs");
	if (f.deviceTimeoutMs !== undefined) p.deviceTimeoutMs = ms(f.deviceTimeoutMs, "deviceTimeoutMs");
	if (!(p.deviceTimeoutMs > 0)) throw new RangeError("deviceTimeoutMs: must be positive");
	return p;
}

export interface InventoryEntry {
	id: string;
	tags: string[];
	routes: string[];
}

/** Inventory entries from parsed JSON. @throws RangeError naming the entry */
export function parseInventory(value: unknown): InventoryEntry[] {
	if (!Array.isArray(value)) throw new RangeError('expected a JSON array of {"id", "tags", "routes"}');
	const seen = new Set<string>();
	return value.map((e, i) => {
		if (!e || typeof e !== "object" || Array.isArray(e)) throw new RangeError(`[${i}]: expected an object`);
		const f = e as Record<string, unknown>;
		for (const k of Object.keys(f)) if (!["id", "tags", "routes"].includes(k)) throw new RangeError(`[${i}]: unknown key "${k}"`);
		if (typeof f.id !== "string") throw new RangeError(`[${i}].id: expected a device id`);
		try {
			checkTopicId(f.id, "device id");
		} catch (err) {
			throw new RangeError(`[${i}].id: ${(err as Error).message}`);
		}
		if (seen.has(f.id)) throw new RangeError(`[${i}].id: device ${f.id} is listed twice`);
		seen.add(f.id);
		return { id: f.id, tags: f.tags === undefined ? [] : tags(f.tags, `[${i}].tags`), routes: f.routes === undefined ? [] : tags(f.routes, `[${i}].routes`) };
	});
}
