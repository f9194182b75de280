/*
 * Host-sim `resetReason`: the contract of Moddable's ESP32 module,
 * {reason: esp_reset_reason_t, string: SDK label}, for whatever the host last
 * did to the simulated device (power on, restart, panic, brown-out…).
 */
import { bridge } from "../bridge/types";

// ESP-IDF esp_system.h esp_reset_reason_t values, with the SDK's labels.
const REASONS: Record<string, [number, string]> = {
	poweron: [1, "Power-On"],
	external: [2, "External Pin"],
	sw: [3, "Software"],
	panic: [4, "Panic"],
	wdt: [7, "Other WDT"],
	deepsleep: [8, "Deep Sleep"],
	brownout: [9, "Brownout"],
};

export default function getResetReason(): { reason: number; string: string } {
	const [reason, string] = REASONS[bridge().resetReason] ?? [0, "Unknown"];
	return { reason, string };
}
