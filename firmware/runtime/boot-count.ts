/*
 * Boot counter persisted in NVS. Incremented once per boot, before anything
 * that could crash, so a boot loop is visible in the count (OTA safe mode
 * reads it). 32-bit signed, as Preference stores integers; wraps at 2^31-1.
 */
import Preference from "preference";

const DOMAIN = "sys";
const KEY = "boots";

/** Increments and returns this boot's number (1 on a fresh device). */
export function countBoot(): number {
	const previous = Preference.get(DOMAIN, KEY);
	const n = typeof previous === "number" && previous >= 0 && previous < 2_147_483_647 ? previous + 1 : 1;
	Preference.set(DOMAIN, KEY, n);
	return n;
}
