/*
 * Boot-loop guard for confirmed images. A trial image that crashes is rolled
 * back by the bootloader; a confirmed image has nothing to fall back to, so
 * `safeBoots` consecutive crash resets (panic or watchdog, esp_reset_reason)
 * each before `stableMs` of uptime put the device in safe mode: network, OTA
 * and logs only, the role app replaced by its fail-safe variant (a light
 * pole's lamp at lampSafePct). Safe mode persists across reboots until an
 * update is applied or an operator sends `safe-mode {"exit": true}`, because
 * leaving it by itself would just restart the loop.
 * Power-on, software and brownout resets are not crashes and reset the count.
 */
import { OtaStore } from "./state-store";

const CRASHES = ["panic", "wdt"];

export interface BootGuardResult {
	/** run in safe mode this boot */
	safe: boolean;
	/** safe mode was entered on this boot (report it once) */
	entered: boolean;
	/** consecutive early crash resets, this one included */
	early: number;
}

/**
 * Counts this boot. `trial`: a pending-verify image is never put in safe mode
 * (its crash means rollback, not safe mode).
 */
export function guardBoot(resetReason: string, safeBoots: number, trial: boolean): BootGuardResult {
	const early = CRASHES.includes(resetReason) ? OtaStore.early() + 1 : 0;
	OtaStore.setEarly(early);
	let entered = false;
	if (!trial && early >= safeBoots && !OtaStore.safe()) {
		OtaStore.setSafe(true);
		entered = true;
	}
	return { safe: !trial && OtaStore.safe(), entered, early };
}

/** The boot survived `stableMs`: crashes before this one no longer count. */
export function bootStable(): void {
	if (OtaStore.early() !== 0) OtaStore.setEarly(0);
}
