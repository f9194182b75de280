/*
 * The ESP32 second-stage bootloader with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE,
 * and the app-side esp_ota_ops calls the otaBoot module makes, over a
 * simulated flash with partitions "otadata", "ota_0" and "ota_1" (no factory
 * app, as manifests/platforms/esp32-4mb.csv).
 *
 * boot() follows bootloader_utility_get_selected_boot_partition and
 * bootloader_utility_load_boot_image (ESP-IDF bootloader_support):
 *   1. every PENDING_VERIFY entry becomes ABORTED: the trial boot was reset
 *      before the app confirmed it, whatever the reset was;
 *   2. both entries unusable (erased, INVALID or ABORTED) → try ota_0; if they
 *      were erased or torn (initial contents) the slot that loads gets
 *      seq = slot + 1, VALID written into entry 0 (set_actual_ota_seq);
 *   3. else the active entry's slot, and a NEW active entry becomes
 *      PENDING_VERIFY (this boot is the trial);
 *   4. the chosen slot is loaded if its image verifies, else the other slot
 *      (working down from the chosen index, then up); nothing loads → the
 *      device is bricked.
 * App-side calls follow app_update/esp_ota_ops.c: set-boot verifies the image
 * first; mark-valid rewrites the active entry VALID; mark-invalid needs a
 * rollback target (esp_ota_check_rollback_is_possible) and rewrites the active
 * entry INVALID. Failures come back as one-line strings so only primitives
 * cross the bridge; the otaBoot module turns them into Errors.
 *   https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/ota.html#app-rollback
 * Device-safe: no Node built-ins.
 */
import type { BridgeFlash, BridgePartition } from "../bridge/types";
import { imageSpan, readAppDescriptor, readSimPayload, verifyAppImage, type AppDescriptor, type SimPayload } from "./app-image";
import { activeIndex, entryIntact, entrySelectInvalid, entryValid, OtaData, OtaState, slotOf, stateName, type ImageState } from "./otadata";

export type SlotLabel = "ota_0" | "ota_1";
export const SLOT_LABELS: readonly SlotLabel[] = Object.freeze(["ota_0", "ota_1"] as SlotLabel[]);

export interface BootedImage extends AppDescriptor {
	/** the sim build's baked config etc.; undefined for a non-sim image */
	payload?: SimPayload;
}

export type BootResult = { ok: true; label: SlotLabel; image: BootedImage } | { ok: false; reason: string };

/** Maps a Moddable partition alias ("running", "nextota") to a slot label, or undefined. */
export type PartitionAliases = (name: string) => string | undefined;

export class SimBootloader {
	readonly #flash: BridgeFlash;
	#booted: SlotLabel | undefined;

	/** @throws Error when the flash lacks otadata, ota_0 or ota_1 */
	constructor(flash: BridgeFlash) {
		this.#flash = flash;
		for (const name of ["otadata", ...SLOT_LABELS]) this.#open(name);
	}

	// Partitions are looked up on every use, not kept: a file-backed flash may close and reopen them.
	#open(name: string): BridgePartition {
		const p = this.#flash.open(name);
		if (!p) throw new Error(`bootloader: flash has no "${name}" partition`);
		return p;
	}

	#otadata(): OtaData {
		return new OtaData(this.#open("otadata"));
	}

	#slot(index: number): BridgePartition {
		return this.#open(SLOT_LABELS[index]);
	}

	/** The slot the last successful boot() loaded; undefined before that or when bricked. */
	get bootedLabel(): SlotLabel | undefined {
		return this.#booted;
	}

	/** The image at the start of a slot (a copy of the bytes its headers span; see imageSpan). */
	slotBytes(label: SlotLabel): Uint8Array {
		const p = this.#slot(SLOT_LABELS.indexOf(label));
		return p.read(0, imageSpan((offset, length) => p.read(offset, length), p.byteLength));
	}

	/** Why a slot's image would not load, or undefined when it verifies. */
	verifySlot(label: SlotLabel): string | undefined {
		return verifyAppImage(this.slotBytes(label));
	}

	/** Runs the bootloader (see the file header); may write otadata. */
	boot(): BootResult {
		this.#booted = undefined;
		const otadata = this.#otadata();
		const entries = otadata.read();
		for (let i = 0; i < 2; i++) {
			if (entries[i].state !== OtaState.PENDING_VERIFY) continue;
			entries[i].state = OtaState.ABORTED;
			otadata.write(i, entries[i].seq, OtaState.ABORTED, entries[i].crc);
		}
		let start = 0;
		let initial = false;
		if (entrySelectInvalid(entries[0]) && entrySelectInvalid(entries[1])) {
			initial = !entryIntact(entries[0]) && !entryIntact(entries[1]);
		} else {
			const active = activeIndex(entries);
			if (active >= 0) {
				start = slotOf(entries[active].seq);
				if (entries[active].state === OtaState.NEW) {
					entries[active].state = OtaState.PENDING_VERIFY;
					otadata.write(active, entries[active].seq, OtaState.PENDING_VERIFY, entries[active].crc);
				}
			}
			// No active entry and no factory app: "will try all partitions", from ota_0 up.
		}
		const reasons: string[] = [];
		for (const slot of start === 0 ? [0, 1] : [1, 0]) {
			const label = SLOT_LABELS[slot];
			const bytes = this.slotBytes(label);
			const why = verifyAppImage(bytes);
			if (why) {
				reasons.push(`${label}: ${why}`);
				continue;
			}
			if (initial) otadata.write(0, slot + 1, OtaState.VALID);
			this.#booted = label;
			const desc = readAppDescriptor(bytes)!;
			const image: BootedImage = { ...desc };
			const payload = readSimPayload(bytes);
			if (payload) image.payload = payload;
			return { ok: true, label, image };
		}
		return { ok: false, reason: `no bootable app partition (${reasons.join("; ")})` };
	}

	/** esp_ota_get_running_partition + esp_ota_get_state_partition. @throws Error before a successful boot() */
	running(): { label: SlotLabel; state: ImageState } {
		const label = this.#requireBooted();
		const slot = SLOT_LABELS.indexOf(label);
		for (const e of this.#otadata().read()) if (slotOf(e.seq) === slot && entryIntact(e)) return { label, state: stateName(e.state) };
		return { label, state: "undefined" }; // ESP_ERR_NOT_FOUND: no entry names this slot
	}

	/** esp_ota_get_next_update_partition(NULL): the slot after the running one. */
	next(): SlotLabel {
		return this.#requireBooted() === "ota_0" ? "ota_1" : "ota_0";
	}

	/** Moddable's Flash aliases: "running" and "nextota" (modules/files/flash/esp32/flash.c). */
	alias(name: string): string | undefined {
		if (!this.#booted) return undefined;
		if (name === "running") return this.#booted;
		if (name === "nextota") return this.next();
		return undefined;
	}

	/** esp_ota_set_boot_partition(next()): a reason string when the image does not verify, else undefined. */
	setBoot(): string | undefined {
		const label = this.next();
		const why = this.verifySlot(label);
		if (why) return `otaBoot: invalid image in ${label}: ${why}`;
		this.#otadata().setBoot(SLOT_LABELS.indexOf(label));
		return undefined;
	}

	/** esp_ota_mark_app_valid_cancel_rollback: the active entry becomes VALID (no write if it is). */
	markValid(): string | undefined {
		const entries = this.#otadata().read();
		const active = activeIndex(entries);
		if (active < 0) return "otaBoot: running firmware has no otadata entry";
		if (entries[active].state !== OtaState.VALID) this.#otadata().write(active, entries[active].seq, OtaState.VALID);
		return undefined;
	}

	/** esp_ota_check_rollback_is_possible: the entry other than the active one is valid and its slot's image verifies. */
	canRollback(): boolean {
		const entries = this.#otadata().read();
		const active = activeIndex(entries);
		if (active < 0) return false;
		const last = entries[active ^ 1];
		if (!entryValid(last)) return false;
		return this.verifySlot(SLOT_LABELS[slotOf(last.seq)]) === undefined;
	}

	/**
	 * The otadata half of esp_ota_mark_app_invalid_rollback_and_reboot: the
	 * active entry becomes INVALID. The caller restarts the device after it.
	 * @returns a reason string when there is nothing to roll back to
	 */
	markInvalid(): string | undefined {
		if (!this.canRollback()) return "otaBoot: no image to roll back to";
		const entries = this.#otadata().read();
		const active = activeIndex(entries);
		this.#otadata().write(active, entries[active].seq, OtaState.INVALID);
		return undefined;
	}

	/**
	 * What flashing a factory-fresh board does (idf.py / mcconfig -m): the image
	 * goes to ota_0 and otadata is left blank, so the first boot picks ota_0.
	 * @throws RangeError when the image does not fit the slot
	 */
	provision(image: Uint8Array): void {
		const part = this.#slot(0);
		if (image.length > part.byteLength) throw new RangeError(`bootloader: ${image.length}-byte image does not fit ota_0 (${part.byteLength} bytes)`);
		const sectors = Math.ceil(image.length / part.blockSize);
		for (let s = 0; s < sectors; s++) {
			part.store(s * part.blockSize, new Uint8Array(part.blockSize).fill(0xff));
			part.noteErase(s);
		}
		part.store(0, image);
		this.#otadata().erase();
		this.#booted = undefined;
	}

	/** True when ota_0 holds nothing (first byte erased): a board nobody has flashed yet. */
	isBlank(): boolean {
		return this.#slot(0).read(0, 1)[0] === 0xff && this.#slot(1).read(0, 1)[0] === 0xff;
	}

	#requireBooted(): SlotLabel {
		if (!this.#booted) throw new Error("bootloader: no app is running (boot() has not succeeded)");
		return this.#booted;
	}
}
