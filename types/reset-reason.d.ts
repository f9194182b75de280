/*
 * The project's native module native/reset-reason: esp_reset_reason() as a
 * short name (ESP-IDF esp_system.h, esp_reset_reason_t). Module-shaped for
 * mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
export type ResetReason = "poweron" | "external" | "sw" | "panic" | "wdt" | "deepsleep" | "brownout" | "sdio" | "unknown";
export default function resetReason(): ResetReason | string;
