/*
 * Bounded, deterministic fuzzing of what the cloud (or anyone on the broker)
 * can send the device: the CBOR decoder, the command path and the remote
 * config path. A seeded PRNG (mulberry32) makes every run repeatable; the
 * loops are a few thousand iterations so the XS run stays within seconds.
 * Violations are collected and asserted once per loop, so a failure lists
 * the offending inputs rather than stopping at the first. Portable: Node
 * (vitest) and XS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { createMemoryBridge, installBridge, type MemoryBridge } from "../../host-sim/bridge/memory";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { COMMAND_CODES, type CommandPayload, type CommandResult, type ReportedConfig } from "../../firmware/contract/control-payloads";
import { CborError, decode, encode, type CborMap, type CborValue } from "../../firmware/net/cbor/index";
import { Commands } from "../../firmware/runtime/commands";
import { Config } from "../../firmware/runtime/config";
import { CONFIG_SCHEMA, checkValue, type ConfigKey, type FieldSpec } from "../../firmware/runtime/config-schema";
import { Logger } from "../../firmware/runtime/logger";
import { RemoteConfig } from "../../firmware/runtime/remote-config";
import { ReplayGuard } from "../../firmware/runtime/replay-guard";
import { DEFAULTS } from "./fixtures";

const T0 = 1_767_225_600_000;

/** `npm run fuzz` scales the loops up and may pick another seed (env on Node; XS always runs the short default). */
const env = (globalThis as unknown as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
const SCALE = Math.max(1, Math.floor(Number(env.CURBSIDE_FUZZ_SCALE ?? 1)) || 1);
const SEED_OFFSET = Math.floor(Number(env.CURBSIDE_FUZZ_SEED ?? 0)) || 0;

/** console.log on Node; xsnap has only `print`. */
function report(line: string): void {
	const g = globalThis as unknown as { console?: { log?: (s: string) => void }; print?: (s: string) => void };
	if (typeof g.console?.log === "function") g.console.log(line);
	else if (typeof g.print === "function") g.print(line);
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

class Rng {
	next: () => number;
	constructor(seed: number) {
		this.next = mulberry32(seed);
	}
	/** integer in [0, n) */
	int(n: number): number {
		return Math.floor(this.next() * n);
	}
	chance(p: number): boolean {
		return this.next() < p;
	}
	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}
}

/** Bytes that sit on CBOR boundaries: head widths, indefinite/break, strings, floats, simple values, bad UTF-8. */
const EDGE_BYTES = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5f, 0x60, 0x61, 0x78, 0x7f, 0x80, 0x81, 0x98, 0x9f, 0xa0, 0xa1, 0xb8, 0xbf, 0xc0, 0xc2, 0xd8, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xff];

function randomByte(rng: Rng): number {
	return rng.chance(0.35) ? rng.pick(EDGE_BYTES) : rng.int(256);
}

function randomBytes(rng: Rng, maxLength: number): Uint8Array {
	const out = new Uint8Array(rng.int(maxLength + 1));
	for (let i = 0; i < out.length; i++) out[i] = randomByte(rng);
	return out;
}

/** One structural mutation of valid bytes: overwrite, bit flip, truncate, insert or delete a byte. */
function mutate(rng: Rng, bytes: Uint8Array): Uint8Array {
	if (bytes.length === 0) return randomBytes(rng, 4);
	const at = rng.int(bytes.length);
	switch (rng.int(5)) {
		case 0: {
			const out = bytes.slice();
			out[at] = randomByte(rng);
			return out;
		}
		case 1: {
			const out = bytes.slice();
			out[at] ^= 1 << rng.int(8);
			return out;
		}
		case 2:
			return bytes.slice(0, at);
		case 3: {
			const out = new Uint8Array(bytes.length + 1);
			out.set(bytes.subarray(0, at));
			out[at] = randomByte(rng);
			out.set(bytes.subarray(at), at + 1);
			return out;
		}
		default: {
			const out = new Uint8Array(bytes.length - 1);
			out.set(bytes.subarray(0, at));
			out.set(bytes.subarray(at + 1), at);
			return out;
		}
	}
}

const STRINGS = ["", "a", "ping", "v", "id", "exp", "name", "args", "__proto__", "toString", "ü", "北口", "🚌", "x".repeat(30)];

/** A random CBOR value of bounded size and depth. */
function randomValue(rng: Rng, depth = 0): CborValue {
	const kind = rng.int(depth >= 3 ? 7 : 9);
	switch (kind) {
		case 0:
			return rng.pick([0, 1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, -(2 ** 32)]);
		case 1:
			return rng.int(2_000_000) - 1_000_000;
		case 2:
			return rng.pick([0.5, -1.5, 3.14159, 1e300, -0, Infinity, -Infinity, NaN, 65_504, 5.960464477539063e-8]);
		case 3:
			return rng.pick(STRINGS);
		case 4:
			return rng.pick([true, false, null, undefined]);
		case 5:
			return new Uint8Array(rng.int(5)).fill(rng.int(256));
		case 6:
			return rng.pick(STRINGS) + rng.int(100);
		case 7: {
			const arr: CborValue[] = [];
			for (let i = rng.int(5); i > 0; i--) arr.push(randomValue(rng, depth + 1));
			return arr;
		}
		default: {
			const map: CborMap = {};
			for (let i = rng.int(5); i > 0; i--) {
				const key = rng.pick(STRINGS);
				Object.defineProperty(map, key, { value: randomValue(rng, depth + 1), enumerable: true, writable: true, configurable: true });
			}
			return map;
		}
	}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

function hex(bytes: Uint8Array): string {
	let s = "";
	for (let i = 0; i < bytes.length && i < 48; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
	return bytes.length > 48 ? s + "…" : s;
}

function errorName(e: unknown): string {
	return e && typeof e === "object" && "name" in e ? String((e as Error).name) : typeof e;
}

let bridge: MemoryBridge;
beforeEach(() => {
	bridge = installBridge(createMemoryBridge());
});

describe("fuzz: CBOR decoder", () => {
	/**
	 * Decodes `bytes`; a value must re-encode canonically (encode(decode(encode(v))) is stable),
	 * a failure must be a CborError. Anything else is recorded in `bad`.
	 */
	function check(bytes: Uint8Array, bad: string[], limits?: { maxDepth: number; maxItems: number }): boolean {
		let value: CborValue;
		try {
			value = decode(bytes, limits);
		} catch (e) {
			if (!(e instanceof CborError)) bad.push(`${hex(bytes)}: ${errorName(e)}: ${(e as Error)?.message}`);
			return false;
		}
		try {
			const once = encode(value);
			if (!sameBytes(encode(decode(once)), once)) bad.push(`${hex(bytes)}: not canonical after a round trip`);
		} catch (e) {
			bad.push(`${hex(bytes)}: decoded value does not re-encode: ${errorName(e)}: ${(e as Error)?.message}`);
		}
		return true;
	}

	it("random byte strings decode or throw CborError", () => {
		const rng = new Rng(0xc0ffee + SEED_OFFSET);
		const bad: string[] = [];
		let ok = 0;
		const n = 3_000 * SCALE;
		for (let i = 0; i < n; i++) {
			const bytes = randomBytes(rng, 40);
			if (check(bytes, bad, i % 4 === 0 ? { maxDepth: 3, maxItems: 12 } : undefined)) ok++;
		}
		report(`fuzz decode random: ${n} inputs, ${ok} decoded, ${n - ok} rejected (CborError)`);
		expect(bad).toEqual([]);
	});

	it("every proper prefix of a valid encoding is a CborError, and so is trailing data", () => {
		const rng = new Rng(0xbadcab + SEED_OFFSET);
		const bad: string[] = [];
		let prefixes = 0;
		let values = 0;
		while (prefixes < 3_000 * SCALE) {
			const bytes = encode(randomValue(rng));
			values++;
			for (let cut = 0; cut < bytes.length; cut++, prefixes++) {
				if (check(bytes.subarray(0, cut), bad)) bad.push(`prefix ${cut}/${bytes.length} of ${hex(bytes)} decoded`);
			}
			const longer = new Uint8Array(bytes.length + 1);
			longer.set(bytes);
			if (check(longer, bad)) bad.push(`${hex(bytes)} + 1 trailing byte decoded`);
			if (!check(bytes, bad)) bad.push(`valid encoding ${hex(bytes)} rejected`);
		}
		report(`fuzz decode truncation: ${prefixes} prefixes of ${values} valid encodings, all rejected`);
		expect(bad).toEqual([]);
	});

	it("single mutations of valid encodings decode or throw CborError", () => {
		const rng = new Rng(0x5eed + SEED_OFFSET);
		const bad: string[] = [];
		const corpus: Uint8Array[] = [];
		for (let i = 0; i < 40; i++) corpus.push(encode(randomValue(rng)));
		corpus.push(encodePayload("cmd", { v: 1, id: "c-1", exp: T0, name: "ping", args: { n: 1 } }));
		corpus.push(encodePayload("cfg/desired", { v: 1, rev: 3, values: { healthMs: 30_000, logLevel: "debug", stopId: "北口" } }));
		let ok = 0;
		const n = 3_000 * SCALE;
		for (let i = 0; i < n; i++) if (check(mutate(rng, rng.pick(corpus)), bad)) ok++;
		report(`fuzz decode mutation: ${n} mutants of ${corpus.length} encodings, ${ok} decoded, ${n - ok} rejected (CborError)`);
		expect(bad).toEqual([]);
	});
});

describe("fuzz: command path", () => {
	it("any input gets exactly one well-formed result; ping runs only when it should", () => {
		const rng = new Rng(0xc0de + SEED_OFFSET);
		const HORIZON = 3_600_000;
		const CAPACITY = 8;
		const logger = new Logger({ ticks: () => bridge.clock.ticks(), sink: () => {}, capacity: 8 });
		let synced = true;
		const now = () => T0 + bridge.clock.ticks();
		const replies: CommandResult[] = [];
		const bad: string[] = [];
		const commands = new Commands({
			guard: new ReplayGuard({ capacity: CAPACITY, horizonMs: HORIZON }),
			now: () => (synced ? now() : undefined),
			reply: (r) => {
				replies.push(r);
				// What the cloud link does with it: it must encode as a cmd/res.
				try {
					encodePayload("cmd/res", r);
				} catch (e) {
					bad.push(`result ${JSON.stringify(r)} does not encode: ${errorName(e)}: ${(e as Error).message}`);
				}
			},
			log: logger.tagged("cmd"),
		});
		let pinged: string | undefined;
		commands.register("ping", (_args, c) => {
			if (pinged !== undefined) bad.push("ping ran twice for one input");
			pinged = c.id;
			return { pong: 1 };
		});
		commands.register("fail", () => {
			throw new Error("nope");
		});
		commands.register("bad", () => {
			throw new RangeError("bad n");
		});

		// The test's own model of the replay guard: id → expiry of every admitted command.
		const seen = new Map<string, number>();
		const ids = ["a", "b", "c", "c-1", "x.y:z", "0"];
		const names = ["ping", "ping", "ping", "fail", "bad", "pong", "Ping"];
		const counts: Record<string, number> = {};
		let pings = 0;
		const n = 3_000 * SCALE;
		for (let i = 0; i < n; i++) {
			// Mostly small steps, so ids stay remembered and replays and a full guard happen.
			bridge.clock.advance(rng.chance(0.3) ? rng.int(90_000) : rng.int(100));
			synced = !rng.chance(0.05);
			const t = now();
			let bytes: Uint8Array;
			const mode = rng.int(10);
			if (mode === 0) bytes = randomBytes(rng, 48);
			else if (mode === 1) bytes = encode(randomValue(rng));
			else {
				const fields: Record<string, CborValue> = {
					v: rng.chance(0.95) ? 1 : rng.pick([0, 2, "1"]),
					id: rng.chance(0.5) ? rng.pick(ids) : `id-${i}`,
					exp: t + rng.pick([-1_000, 0, 1, 60_000, HORIZON, HORIZON + 1, 7_200_000]) + rng.int(3),
					name: rng.pick(names),
				};
				if (rng.chance(0.3)) fields.args = rng.chance(0.8) ? { n: randomValue(rng) } : randomValue(rng);
				// An unknown field; the long ones put an emoji where the refusal reason gets cut.
				if (rng.chance(0.04)) fields[rng.chance(0.5) ? "extra" : "k".repeat(200 + rng.int(4)) + "🚌".repeat(30)] = 1;
				bytes = encode(fields);
				if (mode >= 8) bytes = mutate(rng, bytes);
			}

			// Oracle: what should happen to this input.
			let cmd: CommandPayload | undefined;
			try {
				cmd = decodePayload("cmd", bytes);
			} catch {
				cmd = undefined;
			}
			let expected: string;
			if (!cmd) expected = "malformed";
			else if (!synced) expected = "unsynced";
			else if (!["ping", "fail", "bad"].includes(cmd.name)) expected = "unknown-command";
			else {
				for (const [id, exp] of seen) if (exp <= t) seen.delete(id);
				if (cmd.exp <= t) expected = "expired";
				else if (cmd.exp > t + HORIZON) expected = "too-far";
				else if (seen.has(cmd.id)) expected = "replay";
				else if (seen.size >= CAPACITY) expected = "replay-full";
				else {
					seen.set(cmd.id, cmd.exp);
					expected = cmd.name === "ping" ? "ok" : cmd.name === "fail" ? "failed" : "bad-args";
				}
			}

			pinged = undefined;
			const before = replies.length;
			let result: CommandResult;
			try {
				result = commands.handle(bytes);
			} catch (e) {
				bad.push(`handle threw for ${hex(bytes)}: ${errorName(e)}: ${(e as Error)?.message}`);
				continue;
			}
			counts[result.code] = (counts[result.code] ?? 0) + 1;
			if (typeof result.ok !== "boolean" || !(COMMAND_CODES as readonly string[]).includes(result.code)) bad.push(`bad result ${JSON.stringify(result)}`);
			if (result.ok !== (result.code === "ok")) bad.push(`ok/code disagree: ${JSON.stringify(result)}`);
			if (replies.length !== before + 1 || replies[replies.length - 1] !== result) bad.push(`reply not sent once for ${hex(bytes)}`);
			if (result.code !== expected) bad.push(`${hex(bytes)}: expected ${expected}, got ${result.code} (${result.msg ?? ""})`);
			const shouldPing = expected === "ok";
			if ((pinged !== undefined) !== shouldPing) bad.push(`${hex(bytes)}: ping ${pinged !== undefined ? "ran" : "did not run"} (expected ${expected})`);
			if (pinged !== undefined) {
				pings++;
				if (pinged !== cmd?.id || result.id !== cmd?.id) bad.push(`ping ran for id ${pinged}, result id ${result.id}`);
			}
			if (cmd && result.id !== cmd.id) bad.push(`result id ${result.id} for command ${cmd.id}`);
			// What was logged about it must still upload as a remote log.
			for (const e of logger.entries(true)) {
				try {
					encode([e.tag, e.msg]);
				} catch (err) {
					bad.push(`log line for ${hex(bytes)} does not encode: ${(err as Error).message}`);
				}
			}
		}
		const refused = n - (counts.ok ?? 0);
		report(`fuzz commands: ${n} inputs, ${counts.ok ?? 0} accepted (${pings} pings ran), ${refused} refused: ${JSON.stringify(counts)}`);
		expect(bad.slice(0, 10)).toEqual([]);
		expect(commands.stats.handled + commands.stats.refused).toBe(n);
		expect(pings).toBeGreaterThan(100);
	});
});

describe("fuzz: remote config path", () => {
	const KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];
	const ODD_KEYS = ["colour", "constructor", "__proto__", "mqttport", "", "k".repeat(218) + "🚌".repeat(20), "k".repeat(219) + "🚌".repeat(20)];
	const IDENTITY_KEYS: ConfigKey[] = ["deviceId", "role", "board"];
	const REMOTE_KEYS = KEYS.filter((k) => !IDENTITY_KEYS.includes(k));

	function validValue(rng: Rng, key: ConfigKey): string | number | boolean {
		const spec = CONFIG_SCHEMA[key] as FieldSpec;
		switch (spec.type) {
			case "int":
				return rng.chance(0.3) ? rng.pick([spec.min, spec.max]) : spec.min + rng.int(Math.min(spec.max - spec.min + 1, 1_000_000));
			case "bool":
				return rng.chance(0.5);
			case "enum":
				return rng.pick(spec.values);
			case "string": {
				const alphabet = key === "board" ? "abc019_-/" : key === "mqttHost" ? "abcXYZ019.-" : key === "stopId" ? "AZaz09_.:-" : "abcXYZ019_-";
				let s = "";
				for (let i = rng.int(Math.min(spec.maxLength, 24) + 1); i > 0; i--) s += alphabet[rng.int(alphabet.length)];
				return s === "" && (key === "board" || key === "mqttHost") ? "a" : s;
			}
		}
	}

	function invalidValue(rng: Rng, key: ConfigKey): CborValue {
		const spec = CONFIG_SCHEMA[key] as FieldSpec;
		const generic: CborValue[] = [null, [1], { a: 1 }, 1.5, -1, "", "💥", true, "x".repeat(300), "h".repeat(39) + "🚌🚌"];
		if (spec.type === "int") return rng.pick([spec.min - 1, spec.max + 1, "10", ...generic]);
		if (spec.type === "enum") return rng.pick(["", "verbose", "STOP-SIGN", 1]);
		if (spec.type === "string") return rng.pick(["bad host!", "é", "x".repeat(spec.maxLength + 1), 7, false]);
		return rng.pick(generic);
	}

	function sameSnapshot(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
		for (const key of KEYS) if (a[key] !== b[key]) return false;
		return true;
	}

	it("never throws; a rejected revision changes nothing; what is applied always validates", () => {
		const rng = new Rng(0xcf6 + SEED_OFFSET);
		const logger = new Logger({ ticks: () => bridge.clock.ticks(), sink: () => {}, capacity: 8 });
		const bad: string[] = [];
		let config = new Config(DEFAULTS);
		let lastReport: ReportedConfig | undefined;
		const makeRemote = () =>
			new RemoteConfig({
				config,
				report: (r) => {
					lastReport = r;
					try {
						encodePayload("cfg/reported", r);
					} catch (e) {
						bad.push(`report ${JSON.stringify(r)} does not encode: ${errorName(e)}: ${(e as Error).message}`);
					}
				},
				log: logger.tagged("config"),
			});
		let remote = makeRemote();
		const states: Record<string, number> = {};
		let reboots = 0;
		const n = 2_000 * SCALE;
		for (let i = 0; i < n; i++) {
			const applied = remote.appliedRev;
			let bytes: Uint8Array;
			const mode = rng.int(20);
			if (mode === 0) bytes = randomBytes(rng, 40);
			else if (mode === 1) bytes = new Uint8Array(0);
			else if (mode === 2) bytes = encode(randomValue(rng));
			else {
				const values: Record<string, CborValue> = {};
				for (let k = rng.int(4) + (rng.chance(0.1) ? 0 : 1); k > 0; k--) {
					const key: string = rng.chance(0.03) ? rng.pick(ODD_KEYS) : rng.chance(0.03) ? rng.pick(IDENTITY_KEYS) : rng.pick(REMOTE_KEYS);
					const value = !KEYS.includes(key as ConfigKey) ? 1 : rng.chance(0.9) ? validValue(rng, key as ConfigKey) : invalidValue(rng, key as ConfigKey);
					Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true });
				}
				const rev = rng.chance(0.85) ? applied + 1 + rng.int(3) : rng.pick([applied, applied - 1, 0, -1, 1.5, 0x8000_0000]);
				const desired: Record<string, CborValue> = { v: rng.chance(0.97) ? 1 : 2, rev, values };
				if (rng.chance(0.02)) desired.extra = true;
				bytes = encode(desired);
				if (mode >= 17) bytes = mutate(rng, bytes);
			}

			let decodedRev: number | undefined;
			try {
				decodedRev = decodePayload("cfg/desired", bytes).rev;
			} catch {
				decodedRev = undefined;
			}
			const before = config.snapshot();
			let reported: ReportedConfig;
			try {
				reported = remote.handle(bytes);
			} catch (e) {
				bad.push(`handle threw for ${hex(bytes)}: ${errorName(e)}: ${(e as Error)?.message}`);
				continue;
			}
			const after = config.snapshot();
			states[reported.state] = (states[reported.state] ?? 0) + 1;
			if (lastReport !== reported) bad.push(`${hex(bytes)}: report not sent`);
			if (reported.state === "rejected") {
				if (!sameSnapshot(before, after)) bad.push(`${hex(bytes)}: rejected but config changed`);
				if (remote.appliedRev !== applied) bad.push(`${hex(bytes)}: rejected but appliedRev moved`);
				if (!reported.error) bad.push(`${hex(bytes)}: rejected without a reason`);
			} else {
				if (decodedRev !== undefined && decodedRev > applied && remote.appliedRev !== decodedRev) bad.push(`${hex(bytes)}: rev ${decodedRev} applied but appliedRev is ${remote.appliedRev}`);
				if ((decodedRev === undefined || decodedRev <= applied) && !sameSnapshot(before, after)) bad.push(`${hex(bytes)}: ignored revision changed config`);
				if ((reported.state === "pending-reboot") !== (reported.pending !== undefined && reported.pending.length > 0)) bad.push(`state ${reported.state} with pending ${JSON.stringify(reported.pending)}`);
			}
			if (remote.appliedRev < applied) bad.push(`appliedRev went back from ${applied} to ${remote.appliedRev}`);
			for (const key of KEYS) {
				const reason = checkValue(key, (after as Record<string, unknown>)[key]);
				if (reason) bad.push(`${hex(bytes)}: applied config has invalid ${key}: ${reason}`);
			}
			if (after.deviceId !== DEFAULTS.deviceId || after.role !== DEFAULTS.role || after.board !== DEFAULTS.board) bad.push(`${hex(bytes)}: identity changed remotely`);
			if (after.mqttPass !== "" && reported.values.mqttPass !== "(set)") bad.push("mqttPass not redacted");
			for (const e of logger.entries(true)) {
				try {
					encode([e.tag, e.msg]);
				} catch (err) {
					bad.push(`log line for ${hex(bytes)} does not encode: ${(err as Error).message}`);
				}
			}
			// Now and then, reboot: what NVS holds must be exactly what was in effect.
			if (i % 50 === 49) {
				config = new Config(DEFAULTS);
				if (config.issues.length) bad.push(`stored config has issues after reboot: ${JSON.stringify(config.issues)}`);
				if (!sameSnapshot(config.snapshot(), after)) bad.push("stored config differs from the config in effect");
				remote = makeRemote();
				if (remote.appliedRev !== (lastReport?.appliedRev ?? 0)) bad.push("appliedRev lost across reboot");
				reboots++;
			}
		}
		const rejected = states.rejected ?? 0;
		report(`fuzz config: ${n} inputs, ${n - rejected} accepted (${JSON.stringify(states)}), ${rejected} rejected, ${reboots} reboots, final rev ${remote.appliedRev}`);
		expect(bad.slice(0, 10)).toEqual([]);
		expect(n - rejected).toBeGreaterThan(500);
		expect(states.applied ?? 0).toBeGreaterThan(20);
		expect(rejected).toBeGreaterThan(100);
	});
});
