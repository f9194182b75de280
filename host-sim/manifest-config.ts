/*
 * Builds a simulated device's `mc/config` the way mcconfig does for a board:
 * the "config" sections of manifest.json, then the role manifest, then the
 * board manifest, then command-line style overrides (name=value), last wins.
 * Reading the real manifests keeps the sim's defaults identical to a flashed
 * device's.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ROLES } from "../firmware/contract/payloads";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

function configOf(file: string): Record<string, unknown> {
	const path = PROJECT_ROOT + file;
	if (!existsSync(path)) throw new Error(`manifest ${file} not found`);
	let json: { config?: Record<string, unknown> };
	try {
		json = JSON.parse(readFileSync(path, "utf8"));
	} catch (e) {
		throw new Error(`manifest ${file} is not valid JSON: ${(e as Error).message}`);
	}
	return json.config ?? {};
}

/** Names of boards with a manifest in manifests/boards/. */
export function boardManifest(board: string): string {
	return `manifests/boards/${board}.json`;
}

/**
 * Merged config for a role and board.
 * @throws Error with a one-line reason for an unknown role or board
 */
export function simConfig(role: string, board: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	if (!(ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}" (expected ${ROLES.join(" or ")})`);
	if (!/^[a-z0-9-]+$/.test(board) || !existsSync(PROJECT_ROOT + boardManifest(board))) throw new Error(`unknown board "${board}" (no ${boardManifest(board)})`);
	return { ...configOf("manifest.json"), ...configOf(`manifests/roles/${role}.json`), ...configOf(boardManifest(board)), ...overrides };
}

/** Parses "key=value" pairs as mcconfig does for its command-line config: numbers and booleans typed. */
export function parseConfigPairs(pairs: string[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const pair of pairs) {
		const eq = pair.indexOf("=");
		if (eq <= 0) throw new Error(`config override "${pair}" is not name=value`);
		const raw = pair.slice(eq + 1);
		out[pair.slice(0, eq)] = raw === "true" ? true : raw === "false" ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
	}
	return out;
}
