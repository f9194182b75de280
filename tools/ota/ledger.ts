/*
 * The release ledger (Node only): a JSON file listing every image `curbside
 * ota sign` has signed, consulted before each signature. A device refuses an
 * image whose security version is below its own (anti-rollback); the ledger
 * stops the mistakes upstream, before a signature makes them installable.
 *
 * Rules (a release = board, role, version, sec, image SHA-256):
 *   1. A version is immutable: once `version` was released for a board and
 *      role, only the identical image (same SHA-256 and sec) may carry it
 *      again. Re-signing that identical image is idempotent (nothing new is
 *      recorded). Any other image needs a new version.
 *   2. Security versions never go back: a new release's sec is at least the
 *      highest sec in the ledger (over every board and role: there is one
 *      SECURITY_VERSION in firmware/version.ts for the whole firmware).
 *   3. Within one sec, versions never go back: a new release may not be
 *      older than a version already signed with the same sec (the same
 *      version for another board or role is fine). A HIGHER sec with an older
 *      version is allowed: that is a security backport to an older branch.
 * Rules 2 and 3 together: sec is monotonic in release order, and releases
 * sharing a sec are in version order.
 *
 * File: { "format": "curbside-ota-ledger", "v": 1, "releases": [ { board,
 * role, version, sec, size, sha256 (hex), signedAt (ISO 8601) }, ... ] },
 * in signing order. Default location: releases.json next to the private key,
 * so the ledger travels with the key that it guards. It is written
 * atomically (tmp + rename); two concurrent signers are not coordinated.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { compareVersions, parseVersion, type OtaManifest } from "../../firmware/contract/ota-payloads";
import { OtaToolError, writeFileAtomic } from "./package";

export interface Release {
	board: string;
	role: string;
	version: string;
	sec: number;
	size: number;
	/** image SHA-256, 64 lower-case hex digits */
	sha256: string;
	/** when it was first signed, ISO 8601 */
	signedAt: string;
}

export interface Ledger {
	path: string;
	releases: Release[];
	/** false until the file exists on disk */
	exists: boolean;
}

const FORMAT = "curbside-ota-ledger";

/** releases.json in the directory of the private key. */
export function defaultLedgerPath(privateKeyPath: string): string {
	return join(dirname(privateKeyPath), "releases.json");
}

function field<T>(ok: boolean, value: T, where: string, what: string): T {
	if (!ok) throw new OtaToolError(`${where}: expected ${what}`);
	return value;
}

function parseRelease(x: unknown, where: string): Release {
	if (!x || typeof x !== "object" || Array.isArray(x)) throw new OtaToolError(`${where}: expected an object`);
	const r = x as Record<string, unknown>;
	const str = (k: string) => field(typeof r[k] === "string", r[k] as string, `${where}.${k}`, "a string");
	const int = (k: string) => field(Number.isInteger(r[k]) && (r[k] as number) >= 0, r[k] as number, `${where}.${k}`, "a non-negative integer");
	const version = str("version");
	try {
		parseVersion(version);
	} catch {
		throw new OtaToolError(`${where}.version: "${version}" is not MAJOR.MINOR.PATCH`);
	}
	const sha256 = str("sha256");
	field(/^[0-9a-f]{64}$/.test(sha256), sha256, `${where}.sha256`, "64 lower-case hex digits");
	return { board: str("board"), role: str("role"), version, sec: int("sec"), size: int("size"), sha256, signedAt: str("signedAt") };
}

/** Loads a ledger; a missing file is an empty ledger. @throws OtaToolError for unreadable or malformed files */
export function loadLedger(path: string): Ledger {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (e) {
		if ((e as NodeJS.ErrnoException).code === "ENOENT") return { path, releases: [], exists: false };
		throw new OtaToolError(`cannot read ledger ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (e) {
		throw new OtaToolError(`ledger ${path} is not valid JSON: ${(e as Error).message}`);
	}
	const f = json as { format?: unknown; v?: unknown; releases?: unknown };
	if (!json || typeof json !== "object" || f.format !== FORMAT) throw new OtaToolError(`${path} is not a Curbside release ledger (no "format": "${FORMAT}")`);
	if (f.v !== 1) throw new OtaToolError(`ledger ${path} is version ${String(f.v)}; this curbside reads version 1`);
	if (!Array.isArray(f.releases)) throw new OtaToolError(`ledger ${path}: releases: expected an array`);
	return { path, releases: f.releases.map((r, i) => parseRelease(r, `ledger ${path}: releases[${i}]`)), exists: true };
}

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

/**
 * Applies the rules in the file header to a manifest about to be signed.
 * @returns the identical release already recorded (an idempotent re-sign), or undefined for a new release
 * @throws OtaToolError naming the rule and the release it collides with
 */
export function checkRelease(ledger: Ledger, manifest: OtaManifest): Release | undefined {
	const sha = hex(manifest.sha256);
	const target = `${manifest.role} on ${manifest.board}`;
	const same = ledger.releases.find((r) => r.board === manifest.board && r.role === manifest.role && r.version === manifest.version);
	if (same) {
		if (same.sha256 === sha && same.sec === manifest.sec) return same;
		const what = same.sha256 !== sha ? `a different image (sha256 ${same.sha256.slice(0, 12)}…)` : `security version ${same.sec}`;
		throw new OtaToolError(`${manifest.version} for ${target} was already released with ${what} on ${same.signedAt}; a released version never changes: pack this image as a new version`);
	}
	let top: Release | undefined;
	for (const r of ledger.releases) if (!top || r.sec > top.sec) top = r;
	if (top && manifest.sec < top.sec) throw new OtaToolError(`security version ${manifest.sec} is below ${top.sec}, released with ${top.version}; security versions never go back`);
	let newest: Release | undefined;
	for (const r of ledger.releases) if (r.sec === manifest.sec && (!newest || compareVersions(r.version, newest.version) > 0)) newest = r;
	if (newest && compareVersions(manifest.version, newest.version) < 0) {
		throw new OtaToolError(`${manifest.version} is older than ${newest.version}, already released with security version ${manifest.sec}; within one security version, versions never go back`);
	}
	return undefined;
}

/** Adds a new release (after checkRelease passed) and writes the ledger atomically. @throws OtaToolError */
export function recordRelease(ledger: Ledger, manifest: OtaManifest, signedAt = Date.now()): Release {
	const release: Release = {
		board: manifest.board,
		role: manifest.role,
		version: manifest.version,
		sec: manifest.sec,
		size: manifest.size,
		sha256: hex(manifest.sha256),
		signedAt: new Date(signedAt).toISOString(),
	};
	const releases = [...ledger.releases, release];
	writeFileAtomic(ledger.path, JSON.stringify({ format: FORMAT, v: 1, releases }, null, "\t") + "\n");
	ledger.releases = releases;
	ledger.exists = true;
	return release;
}
