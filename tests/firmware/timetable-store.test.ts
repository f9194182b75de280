import { beforeEach, describe, expect, it } from "vitest";
import Preference from "preference";
import { createMemoryBridge, installBridge } from "../../host-sim/bridge/memory";
import { MAX_BYTES, TimetableStore } from "../../firmware/apps/stop-sign/timetable-store";
import { TIMETABLE_MAX_DEPARTURES, type StopTimetable } from "../../firmware/contract/board-payloads";
import { ProtocolError } from "../../firmware/runtime/errors";

const T = 1_767_258_000;

function slice(n: number, destChars = 10, routes = 8): StopTimetable {
	const dests: string[] = [];
	const destsZh: string[] = [];
	for (let i = 0; i < 100; i++) {
		dests.push(`D${i}-`.padEnd(destChars, "x"));
		destsZh.push("".padEnd(destChars, "站"));
	}
	const r: string[] = [];
	for (let i = 0; i < routes; i++) r.push(`R${i}`);
	const deps: number[] = [];
	for (let i = 0; i < n; i++) deps.push(Math.floor(i * 2), i % routes, i % 100);
	return { v: 1, stop: "S", name: "Stop", nameZh: "站", tz: 480, from: T, until: T + 86_400, routes: r, dests, destsZh, deps };
}

describe("TimetableStore", () => {
	beforeEach(() => installBridge(createMemoryBridge()));

	it("nothing stored → undefined", () => {
		expect(new TimetableStore().load()).toBeUndefined();
	});
	it("round trip, and a second store instance (a reboot) reads it", () => {
		const tt = slice(50);
		const r = new TimetableStore().save(tt);
		expect(r.trimmed).toBe(0);
		expect(r.bytes).toBeGreaterThan(0);
		expect(r.bytes).toBeLessThanOrEqual(MAX_BYTES);
		expect(new TimetableStore().load()).toEqual(tt);
	});
	it("the newest save wins, alternating slots", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		s.save(slice(20));
		expect(s.load()?.deps.length).toBe(60);
		s.save(slice(30));
		expect(s.load()?.deps.length).toBe(90);
		expect(Preference.get("tt", "cur")).toBe(0);
	});
	it("a slice over the bound is trimmed to its earliest departures, never rejected", () => {
		const big = slice(TIMETABLE_MAX_DEPARTURES, 40);
		const s = new TimetableStore();
		const r = s.save(big);
		expect(r.bytes).toBeLessThanOrEqual(MAX_BYTES);
		expect(r.trimmed).toBeGreaterThan(0);
		const back = s.load()!;
		const kept = back.deps.length / 3;
		expect(kept + r.trimmed).toBe(TIMETABLE_MAX_DEPARTURES);
		// earliest kept, in order, with their own route and destination names
		for (let i = 0; i < kept; i++) {
			expect(back.deps[i * 3]).toBe(big.deps[i * 3]);
			expect(back.routes[back.deps[i * 3 + 1]]).toBe(big.routes[big.deps[i * 3 + 1]]);
			expect(back.dests[back.deps[i * 3 + 2]]).toBe(big.dests[big.deps[i * 3 + 2]]);
			expect(back.destsZh![back.deps[i * 3 + 2]]).toBe(big.destsZh![big.deps[i * 3 + 2]]);
		}
		// the slice now ends where the cut was: no false "no more buses" after it
		expect(back.until).toBe(T + big.deps[kept * 3] * 60);
		// one more departure would not have fitted
		expect(kept).toBeLessThan(TIMETABLE_MAX_DEPARTURES);
	});
	it("a torn save (power cut before the commit) falls back to the previous slice", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		// The next save writes slot 1: a cut after its first chunk and before its header.
		Preference.delete("tt", "h1");
		Preference.set("tt", "c10", new Uint8Array([1, 2, 3]).buffer as ArrayBuffer);
		expect(s.load()?.deps.length).toBe(30);
	});
	it("a power cut at every NVS write of a save leaves the old or the new slice, never neither", () => {
		const outcomes = new Set<number>();
		const big = slice(600, 40);
		new TimetableStore().save(big);
		const newN = new TimetableStore().load()!.deps.length;
		for (let cutAt = 0; cutAt < 40; cutAt++) {
			const b = createMemoryBridge();
			installBridge(b);
			const s = new TimetableStore();
			s.save(slice(10));
			s.save(slice(20));
			const nvs = b.nvs as unknown as Record<string, (...a: unknown[]) => void>;
			const set = nvs.set.bind(nvs);
			const del = nvs.delete.bind(nvs);
			let writes = 0;
			const cut = () => {
				if (writes++ >= cutAt) throw new Error("power cut");
			};
			nvs.set = (...a: unknown[]) => (cut(), set(...a));
			nvs.delete = (...a: unknown[]) => (cut(), del(...a));
			let finished = true;
			try {
				s.save(big);
			} catch {
				finished = false;
			}
			nvs.set = set;
			nvs.delete = del;
			const n = new TimetableStore().load()?.deps.length;
			expect(`${cutAt}:${n}`).toBe(`${cutAt}:${n === 60 ? 60 : newN}`);
			outcomes.add(n === 60 ? 0 : 1);
			if (finished) break;
		}
		expect(outcomes.size).toBe(2);
	});
	it("a corrupt committed slot (CRC mismatch) → the other slot", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		s.save(slice(20)); // committed in slot 1
		const c = new Uint8Array(Preference.get("tt", "c10") as ArrayBuffer);
		c[c.length - 1] ^= 0x40;
		Preference.set("tt", "c10", c.buffer as ArrayBuffer);
		expect(s.load()?.deps.length).toBe(30);
	});
	it("both slots corrupt → undefined, not a throw", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		s.save(slice(20));
		Preference.set("tt", "h0", new Uint8Array(8).buffer as ArrayBuffer);
		Preference.set("tt", "h1", "garbage");
		Preference.set("tt", "cur", 7);
		expect(s.load()).toBeUndefined();
	});
	it("an invalid slice is refused with a ProtocolError and the stored one kept", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		expect(() => s.save({ ...slice(5), deps: [0, 99, 0] })).toThrow(ProtocolError);
		expect(s.load()?.deps.length).toBe(30);
	});
	it("clear forgets both slots", () => {
		const s = new TimetableStore();
		s.save(slice(10));
		s.clear();
		expect(s.load()).toBeUndefined();
		expect(Preference.keys("tt")).toEqual([]);
	});
});
