/*
 * Host-sim `otaBoot`: the project's native boot-control module
 * (types/ota-boot.d.ts, native/ota-boot on ESP32) over the bridge's simulated
 * bootloader (host-sim/ota/bootloader.ts). Same contract as the device:
 * setBoot verifies the image first, rollback marks the running image invalid
 * and restarts. The bridge reports failures as strings; they become Errors of
 * this realm here.
 * Quirk: on the device rollback() never returns; here the restart is queued
 * by the host, so rollback() returns and the caller should do nothing more.
 */
import { bridge } from "../bridge/types";

export type ImageState = "new" | "pending-verify" | "valid" | "invalid" | "aborted" | "undefined";

function check(reason: string | undefined): void {
	if (reason !== undefined) throw new Error(reason);
}

const otaBoot = Object.freeze({
	running(): { label: string; state: ImageState } {
		const r = bridge().boot.running();
		return { label: String(r.label), state: String(r.state) as ImageState };
	},
	next(): string {
		return String(bridge().boot.next());
	},
	setBoot(): void {
		check(bridge().boot.setBoot());
	},
	markValid(): void {
		check(bridge().boot.markValid());
	},
	canRollback(): boolean {
		return bridge().boot.canRollback() === true;
	},
	rollback(): void {
		const b = bridge();
		check(b.boot.markInvalid());
		b.restart("rollback");
	},
});

export default otaBoot;
