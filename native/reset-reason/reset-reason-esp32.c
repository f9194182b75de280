/*
 * Curbside native module: reset reason on ESP32.
 * ESP-IDF: esp_reset_reason() (components/esp_system/include/esp_system.h),
 * mapped to the short names the firmware and the wire contract use.
 */
#include "xsmc.h"
#include "esp_system.h"

void xs_curbside_reset_reason(xsMachine *the)
{
	const char *name;
	switch (esp_reset_reason()) {
		case ESP_RST_POWERON:   name = "poweron"; break;
		case ESP_RST_EXT:       name = "external"; break;
		case ESP_RST_SW:        name = "sw"; break;
		case ESP_RST_PANIC:     name = "panic"; break;
		case ESP_RST_INT_WDT:
		case ESP_RST_TASK_WDT:
		case ESP_RST_WDT:       name = "wdt"; break;
		case ESP_RST_DEEPSLEEP: name = "deepsleep"; break;
		case ESP_RST_BROWNOUT:  name = "brownout"; break;
		case ESP_RST_SDIO:      name = "sdio"; break;
		default:                name = "unknown"; break;
	}
	xsmcSetString(xsResult, (char *)name);
}
