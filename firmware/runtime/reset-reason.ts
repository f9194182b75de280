/*
 * The reset reason as a short, topic-friendly name, from Moddable's
 * `resetReason` module (esp_reset_reason(), ESP-IDF esp_system.h).
 */
import getResetReason from "resetReason";

// esp_reset_reason_t → name. 5 and 6 are the interrupt and task watchdogs.
const NAMES: Record<number, string> = { 1: "poweron", 2: "external", 3: "sw", 4: "panic", 5: "wdt", 6: "wdt", 7: "wdt", 8: "deepsleep", 9: "brownout", 10: "sdio" };

/** "poweron", "sw", "panic", "wdt", "deepsleep", "brownout", … or "unknown". */
export function resetReasonName(): string {
	try {
		return NAMES[getResetReason().reason] ?? "unknown";
	} catch {
		return "unknown";
	}
}
