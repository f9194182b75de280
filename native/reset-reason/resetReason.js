/*
 * resetReason(): why the chip last reset, as a short name.
 * Native: reset-reason-esp32.c (esp_reset_reason(), ESP-IDF esp_system.h) and
 * reset-reason-host.c (desktop simulator builds: always "poweron").
 * Types: types/reset-reason.d.ts.
 */
export default function resetReason() @ "xs_curbside_reset_reason";
