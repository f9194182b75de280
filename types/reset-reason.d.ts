/*
 * Moddable's ESP32 `resetReason` module (build/devices/esp32/modules/resetReason),
 * which no typings declare: esp_reset_reason() as its enum value and the SDK's
 * label ("Power-On", "Software", "Panic", "Brownout", …). Desktop builds use
 * native/reset-reason-host with the same contract. Module-shaped for
 * mcconfig's "paths" mapping (see types/mqtt.d.ts).
 */
export default function getResetReason(): { reason: number; string: string };
