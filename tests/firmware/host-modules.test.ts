/*
 * The host-sim Moddable modules keep the device's contracts (limits, errors,
 * NOR semantics). Runs on Node and on XS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import Timer from "timer";
import Preference from "preference";
import Flash from "flash";
import Client from "mqtt";
import Instrumentation from "instrumentation";
import { createMemoryBridge, installBridge, PowerCut, type MemoryBridge } from "../../host-sim/bridge/memory";

let bridge: MemoryBridge;
beforeEach(() => {
	bridge = installBridge(createMemoryBridge());
});

describe("timer", () => {
	it("set fires once, repeat fires on period, callbacks get the timer", () => {
		const seen: unknown[] = [];
		const t = Timer.set((id) => seen.push(id), 100);
		let r = 0;
		Timer.repeat(() => r++, 40);
		bridge.clock.advance(200);
		expect(seen).toEqual([t]);
		expect(r).toBe(5);
	});
	it("set with repeat, schedule and clear", () => {
		let n = 0;
		const t = Timer.set(() => n++, 10, 100);
		bridge.clock.advance(215);
		expect(n).toBe(3);
		Timer.schedule(t);
		bridge.clock.advance(1_000);
		expect(n).toBe(3);
		Timer.schedule(t, 5);
		bridge.clock.advance(10);
		expect(n).toBe(4);
		Timer.clear(t);
		Timer.clear(t);
		Timer.clear(undefined);
	});
	it("misuse throws", () => {
		expect(() => Timer.set(undefined as never, 1)).toThrow(TypeError);
		expect(() => Timer.set(() => {}, -1)).toThrow(RangeError);
	});
});

describe("preference (ESP32 NVS limits)", () => {
	it("round-trips booleans, integers, strings and buffers", () => {
		Preference.set("d", "b", true);
		Preference.set("d", "i", -42);
		Preference.set("d", "s", "水");
		Preference.set("d", "a", new Uint8Array([1, 2, 3]).buffer);
		expect(Preference.get("d", "b")).toBe(true);
		expect(Preference.get("d", "i")).toBe(-42);
		expect(Preference.get("d", "s")).toBe("水");
		expect(new Uint8Array(Preference.get("d", "a") as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
		expect(Preference.keys("d").sort()).toEqual(["a", "b", "i", "s"]);
		Preference.delete("d", "i");
		expect(Preference.get("d", "i")).toBeUndefined();
	});
	it("keys and domains over 15 characters are refused", () => {
		expect(() => Preference.set("d", "sixteen-chars-xx", 1)).toThrow(/1..15 characters/);
		expect(() => Preference.set("sixteen-chars-xx", "k", 1)).toThrow(RangeError);
		expect(() => Preference.get("d", "")).toThrow(RangeError);
	});
	it("floats and values over 4000 bytes are refused", () => {
		expect(() => Preference.set("d", "f", 1.5)).toThrow(/32-bit integers/);
		expect(() => Preference.set("d", "big", "x".repeat(4001))).toThrow(/4000 bytes/);
		expect(() => Preference.set("d", "big", "é".repeat(2001))).toThrow(/4000 bytes/);
		expect(() => Preference.set("d", "buf", new ArrayBuffer(4001))).toThrow(/4000 bytes/);
		Preference.set("d", "ok", "x".repeat(4000));
	});
});

describe("flash (NOR semantics)", () => {
	it("erase sets 0xFF and counts; writes only clear bits", () => {
		const f = new Flash("outbox");
		expect(f.blockSize).toBe(4096);
		f.write(0, 2, new Uint8Array([0xf0, 0x0f]));
		expect(new Uint8Array(f.read(0, 2))).toEqual(new Uint8Array([0xf0, 0x0f]));
		f.write(0, 2, new Uint8Array([0x3c, 0xff]));
		expect(new Uint8Array(f.read(0, 2))).toEqual(new Uint8Array([0x30, 0x0f]));
		f.erase(0);
		expect(new Uint8Array(f.read(0, 2))).toEqual(new Uint8Array([0xff, 0xff]));
		expect(bridge.flash.partitions.get("outbox")!.eraseCounts[0]).toBe(1);
	});
	it("out-of-range access and unknown partitions throw", () => {
		const f = new Flash("outbox");
		expect(() => f.read(f.byteLength - 1, 2)).toThrow(RangeError);
		expect(() => f.erase(f.byteLength / f.blockSize)).toThrow(RangeError);
		expect(() => new Flash("nope")).toThrow(/partition "nope" not found/);
	});
	it("a power cut mid-write leaves a torn write", () => {
		const f = new Flash("outbox");
		bridge.flash.partitions.get("outbox")!.cutAfterBytes = 3;
		expect(() => f.write(0, 8, new Uint8Array(8))).toThrow(PowerCut);
		expect(new Uint8Array(f.read(0, 8))).toEqual(new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255]));
	});
});

describe("mqtt (Moddable contract)", () => {
	it("throws before ready and reports a failed connect through onClose", () => {
		const c = new Client({ host: "127.0.0.1", id: "x" });
		let closed = 0;
		c.onClose = () => closed++;
		expect(() => c.publish("a", "b")).toThrow("connection closed");
		bridge.clock.advance(10);
		expect(closed).toBe(1);
		c.close();
		c.close();
	});
	it("refuses QoS above 0 and a missing id", () => {
		expect(() => new Client({ host: "h", id: "" })).toThrow(/id required/);
		expect(() => new Client({ host: "h", id: "x", will: { topic: "t", message: "m", quality: 1 as 0 } })).toThrow(/QoS 0/);
	});
});

describe("instrumentation", () => {
	it("maps names to 1-based indices", () => {
		const i = Instrumentation.map("XS Slot Heap Used")!;
		expect(Instrumentation.name(i)).toBe("XS Slot Heap Used");
		expect(Instrumentation.get(999)).toBeUndefined();
	});
	it("answers measured counters and leaves the rest undefined, never a made-up value", () => {
		bridge.instrumentation.networkBytesWritten = 321;
		expect(Instrumentation.get(Instrumentation.map("Network Bytes Written"))).toBe(321);
		expect(Instrumentation.get(Instrumentation.map("XS Slot Heap Used"))).toBeUndefined();
		expect(Instrumentation.get(Instrumentation.map("Timers"))).toBeUndefined();
	});
});
