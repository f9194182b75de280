/*
 * Every fixed string the sign can show, in English and Chinese. One place:
 * the screen draws from here, and `curbside fonts build` takes its glyph
 * subset from here (plus the GTFS stop, route and headsign names), so a
 * label can never render as missing-glyph boxes because the font was cut
 * without it.
 */
export const UI_STRINGS = Object.freeze({
	due: { en: "Due", zh: "即将到站" },
	min: { en: "min", zh: "分" },
	updated: { en: "updated", zh: "更新" },
	skipped: { en: "Not stopping", zh: "不停靠" },
	canceled: { en: "Cancelled", zh: "已取消" },
	noDepartures: { en: "No departures", zh: "暂无班次" },
	offline: { en: "Offline: timetable shown", zh: "离线：显示时刻表" },
	stale: { en: "Live times unavailable: timetable shown", zh: "实时信息不可用：显示时刻表" },
	clockNotSet: { en: "Clock not set", zh: "时钟未同步" },
	noData: { en: "No data yet", zh: "暂无数据" },
	noStop: { en: "Sign not configured", zh: "站牌未配置" },
	scheduled: { en: "scheduled", zh: "计划" },
	crowdLow: { en: "Seats", zh: "有座" },
	crowdMid: { en: "Standing", zh: "站立" },
	crowdHigh: { en: "Full", zh: "拥挤" },
	noBoard: { en: "No boarding", zh: "不载客" },
} as const);

export type UiKey = keyof typeof UI_STRINGS;

/** Characters the UI itself needs beyond the strings: digits, clock and minute signs, the ellipsis and approximation marks. */
export const UI_EXTRA_CHARS = "0123456789:~…-–·/()";
