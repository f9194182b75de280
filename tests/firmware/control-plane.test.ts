/*
 * The device's control plane: replay guard, command dispatch, remote config,
 * remote logs, clock sync from acks and the uplink's token bucket. Each test
 * runs on a fresh in-memory device (virtual clock, empty NVS). Portable:
 * Node (vitest) and XS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import Preference from "preference";
import { createMemoryBridge, installBridge, type MemoryBridge } from "../../host-sim/bridge/memory";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import type { CommandPayload, CommandResult, ConfigScalar, ReportedConfig } from "../../firmware/contract/control-payloads";
import { encode } from "../../firmware/net/cbor/index";
import { ClockSync } from "../../firmware/net/clock-sync";
import { TokenBucket } from "../../firmware/net/token-bucket";
import { Commands } from "../../firmware/runtime/commands";
import { Config } from "../../firmware/runtime/config";
import type { ConfigKey } from "../../firmware/runtime/config-schema";
import { ProtocolError } from "../../firmware/runtime/errors";
import { Logger } from "../../firmware/runtime/logger";
import { RemoteConfig } from "../../firmware/runtime/remote-config";
import { RemoteLog } from "../../firmware/runtime/remote-log";
import { ReplayGuard } from "../../firmware/runtime/replay-guard";
import { DEFAULTS } from "./fixtures";

/** Epoch ms the tests' cloud clock reads at tick 0. */
const T0 = 1_767_225_600_000;

let bridge: MemoryBridge;
let lines: string[];
let logger: Logger;

beforeEach(() => {
	bridge = installBridge(createMemoryBridge());
	lines = [];
	logger = new Logger({ ticks: () => bridge.clock.ticks(), sink: (l) => lines.push(l), capacity: 64 });
});

describe("replay guard", () => {
	const now = T0;

	it("accepts a command once and refuses its replay", () => {
		const g = new ReplayGuard();
		expect(g.admit("a", now + 1_000, now)).toBeUndefined();
		expect(g.admit("a", now + 1_000, now + 10)).toBe("replay");
		expect(g.admit("b", now + 1_000, now + 10)).toBeUndefined();
		expect(g.size).toBe(2);
	});

	it("refuses an expired command (expiry is exclusive)", () => {
		const g = new ReplayGuard();
		expect(g.admit("a", now - 1, now)).toBe("expired");
		expect(g.admit("a", now, now)).toBe("expired");
		expect(g.size).toBe(0);
	});

	it("refuses an expiry beyond the horizon", () => {
		const g = new ReplayGuard({ horizonMs: 60_000 });
		expect(g.admit("a", now + 60_001, now)).toBe("too-far");
		expect(g.admit("a", now + 60_000, now)).toBeUndefined();
	});

	it("refuses with replay-full at capacity, then frees expired slots", () => {
		const g = new ReplayGuard({ capacity: 3 });
		for (const id of ["a", "b", "c"]) expect(g.admit(id, now + 1_000, now)).toBeUndefined();
		expect(g.admit("d", now + 1_000, now)).toBe("replay-full");
		expect(g.size).toBe(3);
		expect(g.admit("d", now + 5_000, now + 1_000)).toBeUndefined();
		expect(g.size).toBe(1);
	});

	it("forgets an id once it expired (a late copy is refused as expired anyway)", () => {
		const g = new ReplayGuard();
		expect(g.admit("a", now + 1_000, now)).toBeUndefined();
		expect(g.admit("a", now + 1_000, now + 1_000)).toBe("expired");
		expect(g.admit("a", now + 9_000, now + 2_000)).toBeUndefined();
		expect(g.size).toBe(1);
	});

	it("survives a reboot: the ids live in NVS", () => {
		expect(new ReplayGuard().admit("reboot-1", now + 60_000, now)).toBeUndefined();
		const after = new ReplayGuard();
		expect(after.loadError).toBeUndefined();
		expect(after.size).toBe(1);
		expect(after.admit("reboot-1", now + 60_000, now + 5_000)).toBe("replay");
	});

	it("a corrupt stored list is reported and rebuilt empty", () => {
		Preference.set("cmd", "seen", new Uint8Array([0x82, 0x61]).buffer);
		const g = new ReplayGuard();
		expect(g.loadError).toMatch(/unreadable/);
		expect(g.size).toBe(0);
		expect(g.admit("a", now + 1_000, now)).toBeUndefined();
		expect(new ReplayGuard().loadError).toBeUndefined();
	});

	it("a stored value that is not a list is reported too", () => {
		Preference.set("cmd", "seen", encode({ a: 1 }).buffer as ArrayBuffer);
		const g = new ReplayGuard();
		expect(g.loadError).toMatch(/not a list/);
		expect(g.size).toBe(0);
	});
});

describe("commands", () => {
	let now: number | undefined;
	let replies: CommandResult[];
	let commands: Commands;
	let pings: CommandPayload[];

	function cmd(fields: Partial<CommandPayload> & Record<string, unknown> = {}): Uint8Array {
		return encode({ v: 1, id: "c1", exp: T0 + 60_000, name: "ping", ...fields } as never);
	}

	beforeEach(() => {
		now = T0;
		replies = [];
		pings = [];
		commands = new Commands({
			guard: new ReplayGuard(),
			now: () => now,
			// As the cloud link does: the result must encode to a valid cmd/res.
			reply: (r) => {
				replies.push(decodePayload("cmd/res", encodePayload("cmd/res", r)));
			},
			log: logger.tagged("cmd"),
		});
		commands.register("ping", (_args, c) => {
			pings.push(c);
			return { pong: 1 };
		});
		commands.register("quiet", () => {});
		commands.register("echo", (args) => ({ got: args.n as number }));
		commands.register("range", () => {
			throw new RangeError("n must be 1..9");
		});
		commands.register("type", () => {
			throw new TypeError("n is not a number");
		});
		commands.register("proto", () => {
			throw new ProtocolError("bad args shape");
		});
		commands.register("boom", () => {
			throw new Error("flash busy");
		});
	});

	it("malformed CBOR", () => {
		const r = commands.handle(new Uint8Array([0xa1]));
		expect(r).toEqual({ v: 1, ok: false, code: "malformed", msg: r.msg });
		expect(r.id).toBeUndefined();
		expect(r.msg).toMatch(/malformed CBOR/);
	});

	it("malformed shape names the field", () => {
		expect(commands.handle(cmd({ extra: 1 })).msg).toMatch(/unknown field "extra"/);
		expect(commands.handle(cmd({ id: "has space" })).code).toBe("malformed");
		expect(commands.handle(encode([1, 2])).code).toBe("malformed");
		expect(pings).toHaveLength(0);
	});

	it("unsynced: expiry cannot be judged", () => {
		now = undefined;
		const r = commands.handle(cmd());
		expect(r.code).toBe("unsynced");
		expect(r.id).toBe("c1");
		expect(pings).toHaveLength(0);
		// Refused before the guard saw it: the same id runs once synced.
		now = T0;
		expect(commands.handle(cmd()).ok).toBe(true);
	});

	it("unknown command lists the known ones", () => {
		const r = commands.handle(cmd({ name: "dance" }));
		expect(r.code).toBe("unknown-command");
		expect(r.msg).toContain("echo, ping, proto");
	});

	it("expired", () => {
		const r = commands.handle(cmd({ exp: T0 - 5 }));
		expect(r.code).toBe("expired");
		expect(r.msg).toBe("expired 5 ms ago");
	});

	it("too far ahead", () => {
		expect(commands.handle(cmd({ exp: T0 + 3_600_001 })).code).toBe("too-far");
	});

	it("replay runs the handler once", () => {
		expect(commands.handle(cmd()).code).toBe("ok");
		now = T0 + 1_000;
		const r = commands.handle(cmd());
		expect(r.code).toBe("replay");
		expect(r.ok).toBe(false);
		expect(pings).toHaveLength(1);
	});

	it("a handler's RangeError, TypeError or ProtocolError is bad-args", () => {
		expect(commands.handle(cmd({ id: "r", name: "range" }))).toEqual({ v: 1, id: "r", ok: false, code: "bad-args", msg: "RangeError: n must be 1..9" });
		expect(commands.handle(cmd({ id: "t", name: "type" })).code).toBe("bad-args");
		expect(commands.handle(cmd({ id: "p", name: "proto" })).code).toBe("bad-args");
	});

	it("any other throw is failed", () => {
		expect(commands.handle(cmd({ name: "boom" }))).toEqual({ v: 1, id: "c1", ok: false, code: "failed", msg: "Error: flash busy" });
	});

	it("ok with data, args passed through", () => {
		const r = commands.handle(cmd({ name: "echo", args: { n: 7 } }));
		expect(r).toEqual({ v: 1, id: "c1", ok: true, code: "ok", data: { got: 7 } });
		const p = commands.handle(cmd({ id: "c2" }));
		expect(p.data).toEqual({ pong: 1 });
		expect(pings[0].id).toBe("c2");
		expect(pings[0].exp).toBe(T0 + 60_000);
	});

	it("ok without data has no data field", () => {
		const r = commands.handle(cmd({ name: "quiet" }));
		expect(r).toEqual({ v: 1, id: "c1", ok: true, code: "ok" });
		expect("data" in r).toBe(false);
	});

	it("the reply callback receives every result", () => {
		const a = commands.handle(cmd());
		const b = commands.handle(new Uint8Array([0xff]));
		expect(replies).toEqual([a, b]);
		expect(commands.stats).toEqual({ handled: 1, refused: 1 });
	});

	it("a throwing reply callback does not escape", () => {
		const c = new Commands({
			guard: new ReplayGuard(),
			now: () => T0,
			reply: () => {
				throw new Error("offline");
			},
			log: logger.tagged("cmd"),
		});
		let ran = 0;
		c.register("ping", () => void ran++);
		expect(c.handle(cmd({ id: "x1" })).ok).toBe(true);
		expect(ran).toBe(1);
		expect(lines.some((l) => l.includes("command result not sent: Error: offline"))).toBe(true);
	});

	it("a long refusal reason is cut without splitting a surrogate pair, so the result still encodes", () => {
		// The reason quotes the unknown field; cut at 256 it would end in half of "🚌".
		for (const pad of [218, 219, 220]) {
			const r = commands.handle(cmd({ ["k".repeat(pad) + "🚌".repeat(20)]: 1 }));
			expect(r.code).toBe("malformed");
			expect(r.msg!.length).toBeLessThanOrEqual(256);
			expect(r.msg!.endsWith("…")).toBe(true);
		}
		expect(replies).toHaveLength(3);
		expect(lines.some((l) => l.includes("not sent"))).toBe(false);
	});

	it("a name registered twice is a programming error", () => {
		expect(() => commands.register("ping", () => {})).toThrow(/registered twice/);
	});
});

describe("remote config", () => {
	let config: Config;
	let reports: ReportedConfig[];
	let remote: RemoteConfig;
	let changes: ConfigKey[][];

	function desired(rev: number, values: Record<string, ConfigScalar>): Uint8Array {
		return encodePayload("cfg/desired", { v: 1, rev, values });
	}
	function boot(): RemoteConfig {
		config = new Config(DEFAULTS);
		changes = [];
		config.onChange((k) => changes.push(k));
		// As the cloud link does: the report must encode to a valid cfg/reported.
		return new RemoteConfig({ config, report: (r) => reports.push(decodePayload("cfg/reported", encodePayload("cfg/reported", r))), log: logger.tagged("config") });
	}

	beforeEach(() => {
		reports = [];
		remote = boot();
	});

	it("applies a live key at once", () => {
		const r = remote.handle(desired(1, { healthMs: 30_000, logLevel: "debug" }));
		expect(r.state).toBe("applied");
		expect(r.rev).toBe(1);
		expect(r.appliedRev).toBe(1);
		expect(r.pending).toBeUndefined();
		expect(r.values.healthMs).toBe(30_000);
		expect(config.get("logLevel")).toBe("debug");
		expect(changes).toEqual([["healthMs", "logLevel"]]);
		expect(reports).toEqual([r]);
	});

	it("stores a non-live key as pending until reboot", () => {
		const r = remote.handle(desired(1, { mqttHost: "broker.example.net", healthMs: 20_000 }));
		expect(r.state).toBe("pending-reboot");
		expect(r.pending).toEqual(["mqttHost"]);
		expect(r.values.mqttHost).toBe("broker.example.net");
		expect(new Config(DEFAULTS).get("mqttHost")).toBe("broker.example.net");
		// After a reboot the key is in effect and nothing is pending.
		reports = [];
		const after = boot().current();
		expect(after.state).toBe("applied");
		expect(after.appliedRev).toBe(1);
		expect(after.values.mqttHost).toBe("broker.example.net");
	});

	it("rejects a bad value and keeps the old config, all or nothing", () => {
		remote.handle(desired(1, { healthMs: 30_000 }));
		const before = config.snapshot();
		const r = remote.handle(desired(2, { sampleMs: 5_000, healthMs: 10 }));
		expect(r.state).toBe("rejected");
		expect(r.rev).toBe(2);
		expect(r.appliedRev).toBe(1);
		expect(r.error).toMatch(/healthMs: 10 is outside/);
		expect(config.snapshot()).toEqual(before);
		expect(new Config(DEFAULTS).snapshot()).toEqual(before);
		expect(remote.appliedRev).toBe(1);
	});

	it("rejects an unknown key", () => {
		const r = remote.handle(desired(1, { colour: "red", healthMs: 30_000 }));
		expect(r.state).toBe("rejected");
		expect(r.error).toMatch(/unknown key "colour"/);
		expect(config.get("healthMs")).toBe(DEFAULTS.healthMs);
		expect(remote.appliedRev).toBe(0);
	});

	it("rejects keys that name the device (deviceId, role, board)", () => {
		const before = config.snapshot();
		const values: Record<string, ConfigScalar>[] = [{ deviceId: "evil-twin" }, { role: "light-pole" }, { board: "m5paper" }, { healthMs: 30_000, role: "stop-sign" }];
		let rev = 1;
		for (const v of values) {
			const r = remote.handle(desired(rev++, v));
			expect(r.state).toBe("rejected");
			expect(r.error).toMatch(/cannot be set remotely/);
		}
		expect(config.snapshot()).toEqual(before);
		expect(changes).toHaveLength(0);
	});

	it("ignores a revision not newer than the applied one", () => {
		remote.handle(desired(5, { healthMs: 30_000 }));
		const same = remote.handle(desired(5, { healthMs: 40_000 }));
		const older = remote.handle(desired(3, { healthMs: 50_000 }));
		expect(same.state).toBe("applied");
		expect(same.rev).toBe(5);
		expect(older.rev).toBe(3);
		expect(older.appliedRev).toBe(5);
		expect(config.get("healthMs")).toBe(30_000);
		expect(changes).toHaveLength(1);
	});

	it("keeps appliedRev across a reboot, so the retained desired is not re-applied", () => {
		remote.handle(desired(7, { sampleMs: 2_000 }));
		const rebooted = boot();
		expect(rebooted.appliedRev).toBe(7);
		const r = rebooted.handle(desired(7, { sampleMs: 9_000 }));
		expect(r.state).toBe("applied");
		expect(config.get("sampleMs")).toBe(2_000);
		expect(changes).toHaveLength(0);
	});

	it("redacts mqttPass once it is set", () => {
		expect(remote.current().values.mqttPass).toBe("");
		const r = remote.handle(desired(1, { mqttPass: "s3cret!" }));
		expect(r.values.mqttPass).toBe("(set)");
		expect(r.pending).toEqual(["mqttPass"]);
		expect(config.get("mqttPass")).toBe("s3cret!");
		for (const rep of reports) expect(JSON.stringify(rep)).not.toContain("s3cret");
	});

	it("an empty payload (retained desired cleared) changes nothing", () => {
		remote.handle(desired(2, { healthMs: 30_000 }));
		const r = remote.handle(new Uint8Array(0));
		expect(r.state).toBe("applied");
		expect(r.rev).toBe(2);
		expect(config.get("healthMs")).toBe(30_000);
		expect(reports).toHaveLength(2);
	});

	it("malformed CBOR is rejected with rev 0", () => {
		const r = remote.handle(new Uint8Array([0xa3, 0x61, 0x76]));
		expect(r.state).toBe("rejected");
		expect(r.rev).toBe(0);
		expect(r.error).toMatch(/malformed CBOR/);
		expect(remote.handle(encode({ v: 1, rev: 1, values: { healthMs: 3.5 } })).error).toMatch(/cfg\/desired.values.healthMs/);
	});

	it("a key named like an Object.prototype member is an unknown key, not dropped", () => {
		const values = JSON.parse('{"__proto__": 5, "toString": 1}') as Record<string, ConfigScalar>;
		for (const key of Object.keys(values)) {
			const r = remote.handle(encode({ v: 1, rev: 1, values: { [key]: values[key] } } as never));
			expect(r.state).toBe("rejected");
			expect(r.error).toContain(`unknown key "${key}"`);
		}
		expect(remote.appliedRev).toBe(0);
	});

	it("a long rejection reason is cut without splitting a surrogate pair, so the report still encodes", () => {
		for (const pad of [38, 39, 40]) {
			const r = remote.handle(desired(1, { ["k".repeat(200 + pad) + "🚌".repeat(20)]: 1 }));
			expect(r.state).toBe("rejected");
		}
		// The schema's own quote of a bad value is cut at 40 characters, also without splitting a pair.
		for (const pad of [38, 39]) expect(remote.handle(desired(1, { healthMs: "h".repeat(pad) + "🚌".repeat(4) })).error).toContain("expected an integer");
		expect(reports).toHaveLength(5);
		for (const r of reports) expect(r.state).toBe("rejected");
		expect(lines.some((l) => l.includes("not sent"))).toBe(false);
	});

	it("a throwing report callback does not escape", () => {
		const rc = new RemoteConfig({
			config,
			report: () => {
				throw new Error("offline");
			},
			log: logger.tagged("config"),
		});
		expect(rc.handle(desired(1, { healthMs: 30_000 })).state).toBe("applied");
		expect(lines.some((l) => l.includes("reported config not sent"))).toBe(true);
	});
});

describe("remote log", () => {
	let published: Uint8Array[];
	let online: boolean;

	function remoteLog(options: { maxBytes?: number; settleMs?: number; t0?: number } = {}): RemoteLog {
		return new RemoteLog({
			logger,
			bootCount: 3,
			epochAtTick0: () => options.t0,
			publish: (p) => {
				if (!online) return false;
				published.push(p);
				return true;
			},
			minIntervalMs: () => 60_000,
			maxBytes: options.maxBytes,
			settleMs: options.settleMs,
		});
	}

	beforeEach(() => {
		published = [];
		online = true;
	});

	it("a requested push publishes a decodable log and drains the ring", () => {
		const rl = remoteLog({ t0: T0 });
		bridge.clock.advance(1_500);
		logger.tagged("net").warn("link flapped");
		logger.tagged("app").info("rendered");
		const r = rl.push("request");
		expect(r).toEqual({ sent: true, entries: 2 });
		expect(published).toHaveLength(1);
		const log = decodePayload("log", published[0]);
		expect(log).toEqual({
			v: 1,
			boot: 3,
			t0: T0,
			reason: "request",
			dropped: 0,
			e: [
				[1_500, "warn", "net", "link flapped"],
				[1_500, "info", "app", "rendered"],
			],
		});
		expect(logger.entries()).toHaveLength(0);
		expect(rl.stats.uploads).toBe(1);
	});

	it("a second push within minIntervalMs is refused with retryInMs", () => {
		const rl = remoteLog();
		logger.tagged("a").info("one");
		expect(rl.push("request").sent).toBe(true);
		bridge.clock.advance(10_000);
		logger.tagged("a").info("two");
		expect(rl.push("request")).toEqual({ sent: false, entries: 0, retryInMs: 50_000 });
		expect(rl.stats.suppressed).toBe(1);
		expect(logger.entries()).toHaveLength(1);
		bridge.clock.advance(50_000);
		expect(rl.push("request")).toEqual({ sent: true, entries: 1 });
	});

	it("errors trigger one upload after settleMs, rate-limited", () => {
		const rl = remoteLog({ settleMs: 2_000 });
		const log = logger.tagged("drv");
		log.error("sensor gone");
		bridge.clock.advance(500);
		log.info("retrying");
		log.error("sensor gone again");
		bridge.clock.advance(1_499);
		expect(published).toHaveLength(0);
		bridge.clock.advance(1);
		expect(published).toHaveLength(1);
		const first = decodePayload("log", published[0]);
		expect(first.reason).toBe("error");
		expect(first.e.map((e) => e[3])).toEqual(["sensor gone", "retrying", "sensor gone again"]);
		// An error loop: one more upload per minIntervalMs, not one per error.
		for (let i = 0; i < 30; i++) {
			log.error(`loop ${i}`);
			bridge.clock.advance(1_000);
		}
		expect(published).toHaveLength(1);
		bridge.clock.advance(30_000);
		expect(published).toHaveLength(2);
		expect(decodePayload("log", published[1]).e).toHaveLength(30);
		bridge.clock.advance(600_000);
		expect(published).toHaveLength(2);
		rl.stop();
	});

	it("an oversized ring is trimmed to maxBytes, oldest first, and the cut is counted", () => {
		logger = new Logger({ ticks: () => bridge.clock.ticks(), sink: () => {}, capacity: 32 });
		const rl = remoteLog({ maxBytes: 512 });
		for (let i = 0; i < 40; i++) logger.tagged("t").warn(`message number ${i} with some padding`);
		expect(logger.dropped).toBe(8);
		const r = rl.push("request");
		expect(r.sent).toBe(true);
		expect(published[0].byteLength).toBeLessThanOrEqual(512);
		const log = decodePayload("log", published[0]);
		expect(log.e.length).toBe(r.entries);
		expect(log.e.length).toBeLessThan(32);
		expect(log.e.length).toBeGreaterThan(0);
		expect(log.dropped).toBe(8 + (32 - log.e.length));
		expect(log.e[log.e.length - 1][3]).toBe("message number 39 with some padding");
		expect(logger.entries()).toHaveLength(0);
	});

	it("a log line cut inside an emoji still uploads", () => {
		logger = new Logger({ ticks: () => 0, sink: () => {}, maxMessage: 10 });
		const rl = remoteLog();
		logger.tagged("t").warn("12345678🚌🚌");
		logger.tagged("t").warn("1234567🚌🚌");
		expect(rl.push("request")).toEqual({ sent: true, entries: 2 });
		expect(decodePayload("log", published[0]).e.map((e) => e[3])).toEqual(["12345678…", "1234567🚌…"]);
	});

	it("a refused publish keeps the ring and the rate limit open", () => {
		const rl = remoteLog();
		logger.tagged("a").warn("kept");
		online = false;
		expect(rl.push("request")).toEqual({ sent: false, entries: 0, retryInMs: 1_000 });
		expect(logger.entries()).toHaveLength(1);
		expect(rl.stats.uploads).toBe(0);
		online = true;
		expect(rl.push("request")).toEqual({ sent: true, entries: 1 });
	});

	it("an error upload that finds the link down retries once later", () => {
		const rl = remoteLog({ settleMs: 2_000 });
		online = false;
		logger.tagged("a").error("bad");
		bridge.clock.advance(2_000);
		expect(published).toHaveLength(0);
		online = true;
		bridge.clock.advance(5_000);
		expect(published).toHaveLength(1);
		bridge.clock.advance(120_000);
		expect(published).toHaveLength(1);
		rl.stop();
	});
});

describe("clock sync", () => {
	let steps: number[];
	let syncs: [number, number][];

	function clock(options: { maxAgeMs?: number; maxRttMs?: number } = {}): ClockSync {
		return new ClockSync({ ...options, setClock: (ms) => steps.push(ms), onSync: (t0, rtt) => syncs.push([t0, rtt]) });
	}

	beforeEach(() => {
		steps = [];
		syncs = [];
	});

	it("a sample sets epochAtTick0 = serverNow - (tx + rtt/2) and steps the clock", () => {
		const c = clock();
		expect(c.synced).toBe(false);
		expect(c.now()).toBeUndefined();
		bridge.clock.advance(10_000);
		const serverNow = T0 + 10_000;
		expect(c.sample(9_800, serverNow)).toBe(true);
		expect(c.rttMs).toBe(200);
		expect(c.epochAtTick0).toBe(serverNow - (9_800 + 100));
		expect(steps).toEqual([serverNow - 9_900 + 10_000]);
		expect(syncs).toEqual([[serverNow - 9_900, 200]]);
		bridge.clock.advance(1_000);
		expect(c.now()).toBe(serverNow - 9_900 + 11_000);
	});

	it("an odd round trip rounds to whole ms", () => {
		const c = clock();
		bridge.clock.advance(1_001);
		expect(c.sample(0, T0)).toBe(true);
		expect(c.epochAtTick0).toBe(Math.round(T0 - 500.5));
	});

	it("a worse round trip is ignored unless the estimate is stale", () => {
		const c = clock({ maxAgeMs: 60_000 });
		bridge.clock.advance(10_000);
		expect(c.sample(9_900, T0)).toBe(true);
		bridge.clock.advance(10_000);
		expect(c.sample(19_000, T0 + 99)).toBe(false);
		expect(c.sample(19_900, T0 + 99)).toBe(false); // equal rtt: no gain
		expect(c.sample(19_950, T0 + 10_000)).toBe(true);
		expect(c.rttMs).toBe(50);
		expect(c.epochAtTick0).toBe(T0 + 10_000 - 19_975);
		bridge.clock.advance(60_001);
		expect(c.sample(80_001 - 5_000, T0 + 70_000)).toBe(true);
		expect(c.rttMs).toBe(5_000);
		expect(steps).toHaveLength(3);
	});

	it("the beacon sets the clock only while unsynced", () => {
		const c = clock();
		bridge.clock.advance(3_000);
		expect(c.beacon(T0)).toBe(true);
		expect(c.epochAtTick0).toBe(T0 - 3_000);
		expect(c.rttMs).toBe(Infinity);
		expect(c.beacon(T0 + 999_999)).toBe(false);
		expect(c.epochAtTick0).toBe(T0 - 3_000);
		// Any timed round trip beats the beacon.
		bridge.clock.advance(1_000);
		expect(c.sample(0, T0 + 10)).toBe(true);
		expect(c.rttMs).toBe(4_000);
	});

	it("rejects a negative or over-long round trip", () => {
		const c = clock({ maxRttMs: 30_000 });
		bridge.clock.advance(40_000);
		expect(c.sample(40_001, T0)).toBe(false);
		expect(c.sample(9_999, T0)).toBe(false);
		expect(c.synced).toBe(false);
		expect(c.sample(10_000, T0)).toBe(true);
		expect(steps).toHaveLength(1);
	});

	it("by default steps the device RTC through Time.set", () => {
		const c = new ClockSync();
		bridge.clock.advance(2_000);
		c.sample(1_000, T0 + 123_456);
		// Time.set takes seconds, so the step may be off by a float rounding, never by a ms.
		expect(bridge.clock.now()).toBeCloseTo(T0 + 123_456 + 500, 0);
	});
});

describe("token bucket", () => {
	it("allows a burst, then refuses until refilled", () => {
		const b = new TokenBucket(1_000, 500, 0);
		expect(b.take(300, 0)).toBe(true);
		expect(b.take(300, 0)).toBe(false);
		expect(b.take(200, 0)).toBe(true);
		expect(b.take(1, 0)).toBe(false);
	});

	it("refills at ratePerS up to the burst", () => {
		const b = new TokenBucket(1_000, 500, 0);
		b.take(500, 0);
		expect(b.take(100, 99)).toBe(false);
		expect(b.take(100, 100)).toBe(true);
		expect(b.waitMs(500, 10_000)).toBe(0);
		expect(b.take(500, 10_000)).toBe(true);
		expect(b.take(1, 10_000)).toBe(false);
	});

	it("a cost above the burst goes from a full bucket and leaves a debt", () => {
		const b = new TokenBucket(1_000, 500, 0);
		expect(b.take(2_000, 0)).toBe(true);
		expect(b.waitMs(1, 0)).toBe(1_501);
		expect(b.take(1, 1_500)).toBe(false);
		expect(b.take(1, 1_501)).toBe(true);
	});

	it("force takes tokens regardless and delays bulk traffic", () => {
		const b = new TokenBucket(1_000, 500, 0);
		b.force(1_000, 0);
		expect(b.take(100, 0)).toBe(false);
		expect(b.waitMs(100, 0)).toBe(600);
		expect(b.take(100, 599)).toBe(false);
		expect(b.take(100, 600)).toBe(true);
	});

	it("waitMs caps the need at the burst and rounds up", () => {
		const b = new TokenBucket(3, 10, 0);
		b.take(10, 0);
		expect(b.waitMs(1_000, 0)).toBe(Math.ceil((10 * 1_000) / 3));
		expect(b.waitMs(1, 0)).toBe(334);
	});

	it("a clock going backwards does not mint tokens", () => {
		const b = new TokenBucket(1_000, 500, 1_000);
		b.take(500, 1_000);
		expect(b.take(1, 0)).toBe(false);
		expect(b.waitMs(100, 0)).toBe(100);
	});

	it("refuses a zero rate or burst", () => {
		expect(() => new TokenBucket(0, 10, 0)).toThrow(RangeError);
		expect(() => new TokenBucket(10, 0, 0)).toThrow(RangeError);
		expect(() => new TokenBucket(Number.NaN, 10, 0)).toThrow(RangeError);
	});
});
