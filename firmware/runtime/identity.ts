/*
 * Device identity. The configured `deviceId` wins; an empty one derives a
 * stable id from the station MAC ("cs-" + 12 hex digits), as ESPHome and
 * Tasmota do, so a freshly flashed board has a unique, topic-safe name.
 */
import mac from "mac";

/** Returns the device id used in every topic. */
export function deviceIdentity(configured: string): string {
	if (configured) return configured;
	const hex = mac().replace(/[^0-9a-fA-F]/g, "").toLowerCase();
	if (hex.length !== 12) return "cs-unknown";
	return "cs-" + hex;
}
