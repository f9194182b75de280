/*
 * What the sign's audio/TTS button reads out (issue #4: "a simulated press
 * reads out the next departures as a text event"): the stop, then — when the
 * times are not live — why (said BEFORE the times, so a listener never takes
 * a timetable clock for a prediction: the "never lie" rule holds for ears
 * too), then the next departures, then the service alert.
 *   en: "Central. Route 10 to Harbour, 3 minutes. Route 7 to Airport, due. Route 5 to Central, cancelled."
 *   zh: "中环。10路，开往海港，3分钟。7路，开往机场，即将到站。"
 * Built from the same ScreenModel as the screen, so ears and eyes get the same
 * facts. Spoken words that are never drawn live here, not in ui-strings.ts
 * (they need no glyphs). No Intl: numbers are plain integers.
 */
import type { ScreenModel, ShownDeparture } from "./screen-model";
import { noticeText } from "./screen";
import { UI_STRINGS } from "./ui-strings";

export type AnnounceLang = "en" | "zh";

const SPOKEN = Object.freeze({
	en: {
		route: (r: string) => `Route ${r}`,
		to: (dest: string) => ` to ${dest}`,
		minutes: (n: number) => (n === 1 ? "1 minute" : `${n} minutes`),
		about: "about ",
		due: "due",
		at: (hhmm: string) => `at ${hhmm}`,
		canceled: "cancelled",
		skipped: "not stopping here",
		alert: "Alert: ",
		comma: ", ",
		stop: ". ",
		space: " ",
	},
	zh: {
		route: (r: string) => `${r}路`,
		to: (dest: string) => `，开往${dest}`,
		minutes: (n: number) => `${n}分钟`,
		about: "约",
		due: UI_STRINGS.due.zh,
		at: (hhmm: string) => `${UI_STRINGS.scheduled.zh}${hhmm}开出`,
		canceled: UI_STRINGS.canceled.zh,
		skipped: "不停靠本站",
		alert: "通告：",
		comma: "，",
		stop: "。",
		space: "",
	},
});

/** `s` as a sentence ending in `end`, without doubling a full stop the text already has. */
function sentence(s: string, end: string): string {
	const t = s.trim();
	if (!t) return "";
	const last = t.slice(-1);
	return last === "." || last === "。" || last === "!" || last === "！" || last === "?" || last === "？" ? t : t + end.trim();
}

function when(d: ShownDeparture, w: (typeof SPOKEN)["en"] | (typeof SPOKEN)["zh"]): string {
	const about = d.approx ? w.about : "";
	switch (d.when.kind) {
		case "due":
			return w.due;
		case "min":
			if (!Number.isFinite(d.when.min) || d.when.min < 1) return w.due;
			return about + w.minutes(Math.floor(d.when.min));
		case "clock":
			return w.at(d.when.hhmm);
		case "canceled":
			return w.canceled;
		case "skipped":
			return w.skipped;
	}
	return "";
}

/** The text the audio button reads out: stop, notice (when not live), at most `max` departures, alert. */
export function announce(model: ScreenModel, lang: AnnounceLang, max = 3): string {
	const w = lang === "zh" ? SPOKEN.zh : SPOKEN.en;
	const parts: string[] = [];
	const stop = lang === "zh" ? model.stopNameZh || model.stopName : model.stopName || model.stopNameZh;
	if (stop) parts.push(sentence(stop, w.stop));
	const notice = noticeText(model, lang);
	if (notice) parts.push(sentence(notice, w.stop));
	const rows = Array.isArray(model.rows) ? model.rows : [];
	const n = Math.max(0, Math.min(rows.length, Math.floor(Number.isFinite(max) ? max : 0)));
	if (rows.length === 0) parts.push(sentence(UI_STRINGS.noDepartures[lang], w.stop));
	for (let i = 0; i < n; i++) {
		const d = rows[i];
		const dest = lang === "zh" ? d.destZh || d.dest : d.dest || d.destZh;
		parts.push(sentence(w.route(String(d.route ?? "")) + (dest ? w.to(dest) : "") + w.comma + when(d, w), w.stop));
	}
	const alert = lang === "zh" ? model.alertZh || model.alert : model.alert || model.alertZh;
	if (alert) parts.push(sentence(w.alert + alert, w.stop));
	return parts.filter((p) => p).join(w.space);
}
