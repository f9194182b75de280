/*
 * What the OTA agent keeps across reboots, in NVS (domain "ota"). NVS writes
 * one entry atomically (ESP-IDF NVS: an entry is committed by its state
 * bits), but several keys are not one transaction, so every multi-key update
 * first sets `phase` to IDLE and sets it to its new value last: a power cut
 * in between leaves a state that reads as "nothing in progress" or as the
 * old phase, never as a half-written new one.
 *
 *   phase  0 idle · 1 downloading · 2 applied (boot switch requested, the
 *          next boot is the trial of `to`)
 *   id, man, sig   the offer being handled: manifest bytes and signature as
 *          received, so a resumed download re-checks the same signed text
 *   slot   label of the partition being written (otaBoot.next() when it began)
 *   done   image bytes written, read back and hashed (a multiple of
 *          PERSIST_BYTES or the whole image)
 *   from, to       versions before and after, for the result record
 *   last   the last offer id that reached a terminal state here, so a
 *          retained offer heard again after a reboot is not retried
 *   minSec highest security version ever confirmed on this device
 *   safe   1 while in safe mode (boot loop on a confirmed image)
 *   early  consecutive crash resets before `stableMs` of uptime
 *   why    the reason the firmware itself gave when it rolled back
 *   parts  parts that worked before the update (the trial requires them)
 */
import Preference from "preference";

const DOMAIN = "ota";

export const PHASE_IDLE = 0;
export const PHASE_DOWNLOADING = 1;
export const PHASE_APPLIED = 2;

/** Download progress is persisted after every flash sector (4 KiB): a resume loses at most one sector. A 1.5 MB image costs 384 NVS entry writes, ~3 NVS pages of 126 entries (ESP-IDF NVS), well inside page wear limits. */
export const PERSIST_BYTES = 4096;

export interface Download {
	id: string;
	manifest: Uint8Array;
	sig: Uint8Array;
	slot: string;
	done: number;
}

function bytes(key: string): Uint8Array | undefined {
	const v = Preference.get(DOMAIN, key);
	return v instanceof ArrayBuffer ? new Uint8Array(v) : undefined;
}

function str(key: string): string | undefined {
	const v = Preference.get(DOMAIN, key);
	return typeof v === "string" ? v : undefined;
}

function int(key: string, fallback = 0): number {
	const v = Preference.get(DOMAIN, key);
	return typeof v === "number" ? v : fallback;
}

function buffer(b: Uint8Array): ArrayBuffer {
	return b.slice().buffer as ArrayBuffer;
}

export const OtaStore = {
	phase(): number {
		return int("phase", PHASE_IDLE);
	},
	setPhase(phase: number): void {
		Preference.set(DOMAIN, "phase", phase);
	},
	/** The download in progress, or undefined (also when its keys are damaged). */
	download(): Download | undefined {
		const phase = this.phase();
		if (phase !== PHASE_DOWNLOADING && phase !== PHASE_APPLIED) return undefined;
		const id = str("id");
		const manifest = bytes("man");
		const sig = bytes("sig");
		const slot = str("slot");
		if (!id || !manifest || !sig || !slot) return undefined;
		return { id, manifest, sig, slot, done: int("done") };
	},
	begin(d: Omit<Download, "done">): void {
		this.setPhase(PHASE_IDLE);
		Preference.set(DOMAIN, "id", d.id);
		Preference.set(DOMAIN, "man", buffer(d.manifest));
		Preference.set(DOMAIN, "sig", buffer(d.sig));
		Preference.set(DOMAIN, "slot", d.slot);
		Preference.set(DOMAIN, "done", 0);
		this.setPhase(PHASE_DOWNLOADING);
	},
	setDone(bytesDone: number): void {
		Preference.set(DOMAIN, "done", bytesDone);
	},
	/** Before the boot switch: what the trial (or the old image after a rollback) reports. */
	applied(from: string, to: string): void {
		Preference.set(DOMAIN, "from", from);
		Preference.set(DOMAIN, "to", to);
		Preference.delete(DOMAIN, "why");
		this.setPhase(PHASE_APPLIED);
	},
	versions(): { from?: string; to?: string } {
		return { from: str("from"), to: str("to") };
	},
	/** Ends whatever was in progress; `id` becomes the last handled offer. */
	finish(id: string | undefined): void {
		this.setPhase(PHASE_IDLE);
		if (id) Preference.set(DOMAIN, "last", id);
	},
	lastHandled(): string | undefined {
		return str("last");
	},
	minSec(): number {
		return int("minSec");
	},
	raiseMinSec(sec: number): void {
		if (sec > this.minSec()) Preference.set(DOMAIN, "minSec", sec);
	},
	setRollbackReason(why: string): void {
		Preference.set(DOMAIN, "why", why.length > 160 ? why.slice(0, 160) : why);
	},
	rollbackReason(): string | undefined {
		return str("why");
	},
	setParts(names: readonly string[] | undefined): void {
		if (names) Preference.set(DOMAIN, "parts", names.join(","));
		else Preference.delete(DOMAIN, "parts");
	},
	parts(): string[] | undefined {
		const v = str("parts");
		return v === undefined ? undefined : v.split(",").filter((n) => n);
	},
	safe(): boolean {
		return int("safe") === 1;
	},
	setSafe(on: boolean): void {
		if (on) Preference.set(DOMAIN, "safe", 1);
		else Preference.delete(DOMAIN, "safe");
	},
	early(): number {
		return int("early");
	},
	setEarly(n: number): void {
		Preference.set(DOMAIN, "early", n);
	},
};
