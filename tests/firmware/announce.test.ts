// What the audio/TTS button reads out, in English and Chinese: the stop, the
// notice before the times when they are not live, the next departures, the
// alert; "No departures" when empty. Portable: vitest and the XS harness.
import { describe, it, expect } from "vitest";
import { announce } from "../../firmware/apps/stop-sign/announce";
import type { ScreenModel } from "../../firmware/apps/stop-sign/screen-model";
import { UI_STRINGS } from "../../firmware/apps/stop-sign/ui-strings";

function model(over: Partial<ScreenModel> = {}): ScreenModel {
	return {
		stopName: "Central",
		stopNameZh: "中环",
		updated: "14:02",
		source: "live",
		rows: [
			{ route: "10", dest: "Harbour", destZh: "海港", when: { kind: "min", min: 3 } },
			{ route: "7", dest: "Airport", destZh: "机场", when: { kind: "due" } },
			{ route: "5", dest: "Central", destZh: "中环", when: { kind: "canceled", hhmm: "14:05" } },
			{ route: "9", dest: "Zoo", when: { kind: "min", min: 20 } },
		],
		...over,
	};
}

describe("announce (English)", () => {
	it("reads the stop and the next three departures", () => {
		expect(announce(model(), "en")).toBe("Central. Route 10 to Harbour, 3 minutes. Route 7 to Airport, due. Route 5 to Central, cancelled.");
	});

	it("max limits the departures read; 0 reads none", () => {
		expect(announce(model(), "en", 1)).toBe("Central. Route 10 to Harbour, 3 minutes.");
		expect(announce(model(), "en", 10)).toContain("Route 9 to Zoo, 20 minutes.");
		expect(announce(model(), "en", 0)).toBe("Central.");
		expect(announce(model(), "en", -3)).toBe("Central.");
	});

	it("one minute, about, clock times and skipped stops", () => {
		const m = model({
			rows: [
				{ route: "1", dest: "A", when: { kind: "min", min: 1 } },
				{ route: "2", dest: "B", when: { kind: "min", min: 6 }, approx: true },
				{ route: "3", dest: "C", when: { kind: "skipped", hhmm: "14:20" } },
			],
		});
		expect(announce(m, "en")).toBe("Central. Route 1 to A, 1 minute. Route 2 to B, about 6 minutes. Route 3 to C, not stopping here.");
		const sched = model({ source: "timetable", notice: "stale", rows: [{ route: "8", dest: "Pier", when: { kind: "clock", hhmm: "14:31" } }] });
		expect(announce(sched, "en")).toBe(`Central. ${UI_STRINGS.stale.en}. Route 8 to Pier, at 14:31.`);
	});

	it("the notice comes before any time when the sign is not live", () => {
		const text = announce(model({ source: "timetable", notice: "offline" }), "en");
		expect(text.indexOf(UI_STRINGS.offline.en)).toBeGreaterThan(0);
		expect(text.indexOf(UI_STRINGS.offline.en)).toBeLessThan(text.indexOf("Route"));
		// a timetable model without a stated reason still says so
		expect(announce(model({ source: "timetable" }), "en")).toContain(UI_STRINGS.stale.en);
	});

	it("empty → No departures, with the reason when there is one", () => {
		expect(announce(model({ rows: [] }), "en")).toBe("Central. No departures.");
		expect(announce(model({ rows: [], source: "none", notice: "clock not set" }), "en")).toBe("Central. Clock not set. No departures.");
	});

	it("the alert is read last; a stop name ending in a full stop is not doubled", () => {
		const text = announce(model({ stopName: "Queen St.", rows: [], alert: "Lift out of order" }), "en");
		expect(text).toBe("Queen St. No departures. Alert: Lift out of order.");
	});

	it("a negative minute count (producer bug) is read as due, never as minus", () => {
		expect(announce(model({ rows: [{ route: "4", dest: "X", when: { kind: "min", min: -2 } }] }), "en")).toBe("Central. Route 4 to X, due.");
	});
});

describe("announce (Chinese)", () => {
	it("reads with the Chinese names and words", () => {
		expect(announce(model(), "zh")).toBe("中环。10路，开往海港，3分钟。7路，开往机场，即将到站。5路，开往中环，已取消。");
	});

	it("falls back to the Latin name when there is no Chinese one", () => {
		expect(announce(model({ stopNameZh: undefined }), "zh", 1)).toBe("Central。10路，开往海港，3分钟。");
		expect(announce(model(), "zh", 10)).toContain("9路，开往Zoo，20分钟。");
	});

	it("notice, clock times and the empty board in Chinese", () => {
		const sched = model({ source: "timetable", notice: "stale", rows: [{ route: "8", dest: "Pier", destZh: "码头", when: { kind: "clock", hhmm: "14:31" } }] });
		expect(announce(sched, "zh")).toBe(`中环。${UI_STRINGS.stale.zh}。8路，开往码头，计划14:31开出。`);
		expect(announce(model({ rows: [], alertZh: "电梯停用" }), "zh")).toBe("中环。暂无班次。通告：电梯停用。");
		expect(announce(model({ rows: [{ route: "2", dest: "B", when: { kind: "min", min: 6 }, approx: true }] }), "zh")).toBe("中环。2路，开往B，约6分钟。");
	});
});
