// Light-pole building blocks on their own: the telemetry allowlist, the
// sensor supervisor and the window helpers. Portable: Node and real XS.
import { describe, it, expect } from "vitest";
import { isRecordKind, validateRecordData } from "../../firmware/contract/telemetry";
import { SensorSlot, faultOf, type SlotHost } from "../../firmware/apps/light-pole/sensor-slot";
import { Mean, msToBoundary, windowTime } from "../../firmware/apps/light-pole/windows";
import { DriverError } from "../../firmware/runtime/errors";

describe("telemetry contract (allowlist)", () => {
	it("accepts a full AirQualityObserved window", () => {
		const r = validateRecordData("AirQualityObserved", { dateObservedFrom: 1_000, dateObservedTo: [3, 5_000], pm25: 12.5, temperature: 7.25, relativeHumidity: 0.5, pressure: 1013, failed: ["pms5003"] });
		expect(r.pm25).toBe(12.5);
		expect(r.dateObservedTo).toEqual([3, 5_000]);
	});
	it("refuses a field outside the allowlist, naming it", () => {
		expect(() => validateRecordData("CrowdFlowObserved", { dateObservedFrom: 1, dateObservedTo: 2, peopleCount: 3, usage: "pedestrians", mac: "aa:bb" })).toThrow('CrowdFlowObserved: unknown field "mac"');
	});
	it("refuses NaN, Infinity and out-of-range values", () => {
		expect(() => validateRecordData("AirQualityObserved", { dateObservedFrom: 1, dateObservedTo: 2, pm25: NaN })).toThrow("AirQualityObserved.pm25: expected a finite number");
		expect(() => validateRecordData("AirQualityObserved", { dateObservedFrom: 1, dateObservedTo: 2, temperature: Infinity })).toThrow("temperature");
		expect(() => validateRecordData("AirQualityObserved", { dateObservedFrom: 1, dateObservedTo: 2, relativeHumidity: 57 })).toThrow("AirQualityObserved.relativeHumidity: 57 outside 0..1");
		expect(() => validateRecordData("TrafficFlowObserved", { dateObservedFrom: 1, dateObservedTo: 2, intensity: -1, laneDirection: "forward" })).toThrow("intensity");
	});
	it("refuses free text where the contract has a closed set", () => {
		expect(() => validateRecordData("Streetlight", { powerState: "on", illuminanceLevel: 1, status: "ok", reason: "because" })).toThrow("Streetlight.reason: expected one of");
		expect(() => validateRecordData("sensor.fault", { sensor: "camera", fault: "stuck", message: "x" })).toThrow("sensor.fault.sensor");
	});
	it("refuses a kind that is not in the contract", () => {
		expect(isRecordKind("PersonTrack")).toBe(false);
		expect(() => validateRecordData("PersonTrack", {})).toThrow('record kind "PersonTrack" is not in the contract');
	});
	it("bounds event messages", () => {
		expect(() => validateRecordData("sensor.fault", { sensor: "bme280", fault: "other", message: "x".repeat(121) })).toThrow("longer than 120");
	});
});

/** A host with a hand-driven clock and scheduler. */
function host() {
	let now = 0;
	const timers = new Map<string, { at: number; fn: () => void }>();
	const records: [string, Record<string, unknown>][] = [];
	const lines: string[] = [];
	const h: SlotHost & { advance(ms: number): void; records: typeof records; timers: typeof timers } = {
		ticks: () => now,
		record: (kind, data) => records.push([kind, data]),
		after: (name, ms, fn) => timers.set(name, { at: now + ms, fn }),
		cancel: (name) => timers.delete(name),
		log: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
		advance(ms) {
			now += ms;
			for (const [name, t] of [...timers]) if (t.at <= now) {
				timers.delete(name);
				t.fn();
			}
		},
		records,
		timers,
	};
	return h;
}

class FakePart {
	closed = 0;
	value: unknown = { x: 1 };
	read() {
		if (this.value instanceof Error) throw this.value;
		return this.value;
	}
}

describe("SensorSlot", () => {
	it("classifies driver messages into contract faults", () => {
		expect(faultOf(new DriverError("SHT3x CRC mismatch (temperature word at 0x44)"))).toBe("checksum");
		expect(faultOf(new DriverError("SHT3x output stuck: 8 identical readings"))).toBe("stuck");
		expect(faultOf(new DriverError("SHT3x not responding at 0x44 (NACK)"))).toBe("no-answer");
		expect(faultOf(new DriverError("SHT3x temperature out of range: 130.00 °C"))).toBe("range");
		expect(faultOf(new Error("bay sensor flapping"))).toBe("flapping");
		expect(faultOf(new Error("whatever"))).toBe("other");
	});

	it("records one fault event per outage, one ok event after, and retries with backoff", () => {
		const h = host();
		const part = new FakePart();
		let opens = 0;
		const slot = new SensorSlot<FakePart>({ name: "bme280", open: () => (opens++, part), close: (p) => p.closed++, random: () => 0.999 }, h);
		slot.start();
		expect(slot.sample((p) => p.read())).toEqual({ x: 1 });
		expect(slot.state).toBe("ok");
		part.value = new DriverError("BME280 not responding (NACK)");
		expect(slot.sample((p) => p.read())).toBe(undefined);
		expect(slot.state).toBe("failed");
		expect(part.closed).toBe(1);
		expect(h.records).toEqual([["sensor.fault", { sensor: "bme280", fault: "no-answer", message: "BME280 not responding (NACK)" }]]);
		// Re-opened after the first backoff (≤ 5 s), still failing: no second event.
		h.advance(5_000);
		expect(opens).toBe(2);
		expect(slot.sample((p) => p.read())).toBe(undefined);
		expect(h.records.length).toBe(1);
		expect(slot.errors).toBe(2);
		// The second retry waits longer (doubling).
		expect(h.timers.get("open-bme280")!.at).toBeGreaterThan(5_000 + 5_000);
		part.value = { x: 2 };
		h.advance(10_000);
		expect(slot.sample((p) => p.read())).toEqual({ x: 2 });
		expect(slot.state).toBe("ok");
		expect(h.records[1]).toEqual(["sensor.ok", { sensor: "bme280", downS: 15 }]);
	});

	it("turns a NaN reading into a garbage fault instead of a value", () => {
		const h = host();
		const part = new FakePart();
		part.value = { temperature: 21, humidity: NaN };
		const slot = new SensorSlot<FakePart>({ name: "sht3x", open: () => part, close: () => {} }, h);
		slot.start();
		expect(slot.sample((p) => p.read())).toBe(undefined);
		expect(h.records[0][1]).toEqual({ sensor: "sht3x", fault: "garbage", message: "sht3x: garbage reading (value.humidity is not a number)" });
	});

	it("a part missing at boot is a fault and is retried", () => {
		const h = host();
		let present = false;
		const slot = new SensorSlot<FakePart>({ name: "veml7700", open: () => { if (!present) throw new DriverError("VEML7700 not responding (NACK)"); return new FakePart(); }, close: () => {} }, h);
		slot.start();
		expect(slot.state).toBe("failed");
		expect(h.records.length).toBe(1);
		present = true;
		h.advance(300_000);
		expect(slot.driver).not.toBe(undefined);
		expect(slot.sample((p) => p.read())).toEqual({ x: 1 });
	});

	it("stop parks the part, cancels retries and is safe twice", () => {
		const h = host();
		const part = new FakePart();
		const slot = new SensorSlot<FakePart>({ name: "pms5003", open: () => part, close: (p) => p.closed++ }, h);
		slot.start();
		slot.stop();
		slot.stop();
		expect(part.closed).toBe(1);
		expect(slot.state).toBe("off");
		slot.fail(new Error("late"));
		expect(h.records.length).toBe(0);
		expect(h.timers.size).toBe(0);
	});
});

describe("windows", () => {
	it("Mean ignores non-finite input and is undefined when empty", () => {
		const m = new Mean();
		expect(m.take()).toBe(undefined);
		m.add(1);
		m.add(NaN);
		m.add(2);
		expect(m.count).toBe(2);
		expect(m.take()).toBe(1.5);
		expect(m.take()).toBe(undefined);
	});
	it("aligns to the wall clock once synced, to ticks before", () => {
		const unsynced = { ticks: () => 70_000, epoch: () => undefined, bootCount: 4 };
		expect(msToBoundary(unsynced, 60_000)).toBe(50_000);
		expect(windowTime(unsynced)).toEqual([4, 70_000]);
		const synced = { ticks: () => 70_000, epoch: () => 1_767_225_630_000, bootCount: 4 };
		expect(msToBoundary(synced, 300_000)).toBe(270_000);
		expect(windowTime(synced)).toBe(1_767_225_630_000);
	});
	it("skips a boundary closer than a tenth of a window (no sliver windows after a clock step)", () => {
		expect(msToBoundary({ ticks: () => 0, epoch: () => 1_767_225_899_500, bootCount: 1 }, 300_000)).toBe(300_500);
		expect(msToBoundary({ ticks: () => 0, epoch: () => 1_767_225_870_000, bootCount: 1 }, 300_000)).toBe(30_000);
	});
});
