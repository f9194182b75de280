/*
 * Command replay protection. A command is refused when its id was seen
 * before, or when it is expired; since every accepted command expires within
 * `horizonMs`, remembering ids until they expire is enough, and the memory
 * stays bounded. The list lives in NVS (Preference domain "cmd") and is
 * written before the command runs, so a reboot in the middle of a "reboot"
 * or a power cut cannot let the same command run twice.
 */
import Preference from "preference";
import { decode, encode } from "../net/cbor/index";
import type { CommandCode } from "../contract/control-payloads";
import { describeError } from "./errors";

const DOMAIN = "cmd";
const KEY = "seen";

export interface ReplayGuardOptions {
	/** ids remembered at once @default 32 (32 × ~50 bytes, well under NVS's 4000-byte value limit) */
	capacity?: number;
	/** furthest expiry accepted, ms ahead of now @default 3_600_000 */
	horizonMs?: number;
}

export class ReplayGuard {
	#seen: [id: string, exp: number][] = [];
	#capacity: number;
	#horizonMs: number;
	/** set when the stored list was unreadable at boot (it is then rebuilt empty) */
	readonly loadError: string | undefined;

	constructor(options: ReplayGuardOptions = {}) {
		this.#capacity = options.capacity ?? 32;
		this.#horizonMs = options.horizonMs ?? 3_600_000;
		const stored = Preference.get(DOMAIN, KEY);
		if (stored instanceof ArrayBuffer) {
			try {
				const list = decode(stored);
				if (!Array.isArray(list)) throw new TypeError("not a list");
				for (const e of list) if (Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "number") this.#seen.push([e[0], e[1]]);
			} catch (e) {
				this.loadError = `stored command ids unreadable (${describeError(e)}); starting empty`;
			}
		}
	}

	/** Checks one command and, if acceptable, remembers it. @returns undefined when accepted, else the refusal code */
	admit(id: string, exp: number, now: number): CommandCode | undefined {
		if (exp <= now) return "expired";
		if (exp > now + this.#horizonMs) return "too-far";
		this.#seen = this.#seen.filter(([, e]) => e > now);
		if (this.#seen.some(([seen]) => seen === id)) return "replay";
		if (this.#seen.length >= this.#capacity) return "replay-full";
		this.#seen.push([id, exp]);
		Preference.set(DOMAIN, KEY, encode(this.#seen).buffer as ArrayBuffer);
		return undefined;
	}

	get size(): number {
		return this.#seen.length;
	}
}
