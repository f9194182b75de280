import { beforeEach, describe, expect, it } from "vitest";
import { createMemoryBridge, installBridge, type MemoryBridge } from "../../host-sim/bridge/memory";
import { Logger } from "../../firmware/runtime/logger";
import { Scheduler } from "../../firmware/runtime/scheduler";
import { Backoff } from "../../firmware/net/backoff";
import { countBoot } from "../../firmware/runtime/boot-count";
import { deviceIdentity } from "../../firmware/runtime/identity";
import { ConfigError, CurbsideError, DriverError, describeError } from "../../firmware/runtime/errors";

let bridge: MemoryBridge;
beforeEach(() => {
	bridge = installBridge(createMemoryBridge());
});

function logger(capacity = 4) {
	const lines: string[] = [];
	const l = new Logger({ ticks: () => bridge.clock.ticks(), sink: (s) => lines.push(s), capacity });
	return { l, lines };
}

describe("logger", () => {
	it("filters by level and formats time, level and tag", () => {
		const { l, lines } = logger();
		l.log("debug", "x", "hidden");
		bridge.clock.advance(1_234);
		l.tagged("mqtt").info("connected");
		expect(lines).toEqual(["     1.234 INFO  mqtt: connected"]);
	});
	it("ring keeps the newest entries and counts drops", () => {
		const { l } = logger(3);
		for (let i = 0; i < 5; i++) l.log("warn", "t", `m${i}`);
		expect(l.entries().map((e) => e.msg)).toEqual(["m2", "m3", "m4"]);
		expect(l.dropped).toBe(2);
		l.entries(true);
		expect(l.entries()).toHaveLength(0);
		expect(l.dropped).toBe(0);
	});
	it("errors reach onError; unknown levels are refused", () => {
		const { l } = logger();
		const seen: string[] = [];
		l.onError = (e) => seen.push(e.msg);
		l.tagged("a").error("bad");
		expect(seen).toEqual(["bad"]);
		expect(() => (l.level = "loud" as never)).toThrow(RangeError);
	});
	it("long messages are cut in the ring", () => {
		const l = new Logger({ ticks: () => 0, sink: () => {}, maxMessage: 10 });
		l.log("info", "t", "x".repeat(50));
		expect(l.entries()[0].msg.length).toBe(10);
	});
});

describe("scheduler", () => {
	it("runs periodic tasks on the virtual clock", () => {
		const { l } = logger();
		const s = new Scheduler(l.tagged("sched"));
		let n = 0;
		s.every("tick", 1_000, () => n++);
		bridge.clock.advance(5_500);
		expect(n).toBe(5);
		expect(s.stats("tick")!.runs).toBe(5);
	});
	it("a throwing task is logged and counted and keeps running", () => {
		const { l, lines } = logger();
		const s = new Scheduler(l.tagged("sched"));
		let n = 0;
		s.every("bad", 100, () => {
			n++;
			throw new DriverError("sensor gone");
		});
		bridge.clock.advance(350);
		expect(n).toBe(3);
		expect(s.stats("bad")!.failures).toBe(3);
		expect(lines[0]).toContain("task bad failed: DriverError: sensor gone");
	});
	it("after runs once; cancel and re-add replace", () => {
		const { l } = logger();
		const s = new Scheduler(l.tagged("sched"));
		let a = 0;
		s.after("once", 100, () => a++);
		bridge.clock.advance(1_000);
		expect(a).toBe(1);
		expect(s.has("once")).toBe(false);
		let b = 0;
		s.every("p", 100, () => b++);
		s.every("p", 1_000, () => (b += 10));
		bridge.clock.advance(1_000);
		expect(b).toBe(10);
		s.clear();
		bridge.clock.advance(5_000);
		expect(b).toBe(10);
	});
	it("refuses a zero interval", () => {
		const { l } = logger();
		expect(() => new Scheduler(l.tagged("s")).every("z", 0, () => {})).toThrow(RangeError);
	});
});

describe("backoff", () => {
	it("full jitter stays under a doubling ceiling up to the cap", () => {
		const b = new Backoff(1_000, 8_000, () => 0.999);
		const delays = [b.next(), b.next(), b.next(), b.next(), b.next()];
		expect(delays).toEqual([999, 1_998, 3_996, 7_992, 7_992]);
		b.reset();
		expect(b.attempt).toBe(0);
	});
	it("never returns zero (no hot reconnect loop)", () => {
		const b = new Backoff(1_000, 8_000, () => 0);
		expect(b.next()).toBe(100);
	});
	it("rejects nonsense bounds", () => {
		expect(() => new Backoff(0, 10)).toThrow(RangeError);
		expect(() => new Backoff(10, 5)).toThrow(RangeError);
	});
});

describe("boot count and identity", () => {
	it("counts boots in NVS", () => {
		expect(countBoot()).toBe(1);
		expect(countBoot()).toBe(2);
		bridge.nvs.set("sys", "boots", "garbage");
		expect(countBoot()).toBe(1);
	});
	it("derives an id from the MAC when none is configured", () => {
		expect(deviceIdentity("pole-7")).toBe("pole-7");
		expect(deviceIdentity("")).toBe("cs-020000000001");
	});
});

describe("errors", () => {
	it("typed errors carry name and cause without assigning this.name", () => {
		const e = new ConfigError("mqttPort", "bad port", { cause: new RangeError("x") });
		expect(e.name).toBe("ConfigError");
		expect(e.key).toBe("mqttPort");
		expect(e).toBeInstanceOf(CurbsideError);
		expect(describeError(e)).toBe("ConfigError: bad port (cause: RangeError: x)");
	});
});
