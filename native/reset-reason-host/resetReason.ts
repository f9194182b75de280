/*
 * `resetReason` for desktop builds (mcconfig -p lin/mac/win). On ESP32 the
 * SDK's own module (build/devices/esp32/modules/resetReason) reports
 * esp_reset_reason(); it has no desktop version, and a desktop process
 * always starts from power on. Same contract: {reason, string}.
 */
export default function getResetReason(): { reason: number; string: string } {
	// ESP_RST_POWERON = 1 (ESP-IDF esp_system.h, esp_reset_reason_t)
	return { reason: 1, string: "Power-On" };
}
