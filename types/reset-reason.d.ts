/*
 * The project's native module native/reset-reason: esp_reset_reason() as a
 * short name. ESP-IDF esp_system.h, esp_reset_reason_t.
 */
declare module "resetReason" {
	export type ResetReason = "poweron" | "external" | "sw" | "panic" | "wdt" | "deepsleep" | "brownout" | "sdio" | "unknown";
	export default function resetReason(): ResetReason | string;
}
