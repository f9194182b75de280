/*
 * The project's native boot-control module "otaBoot": ESP-IDF app rollback
 * (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE) for the firmware's OTA trial boot.
 * On ESP32: native/ota-boot (esp_ota_ops.h); in the host simulator:
 * host-sim/modules/ota-boot.ts over the simulated bootloader and otadata.
 * The image itself is written by the firmware through Flash("nextota").
 * Module-shaped for mcconfig's "paths" mapping (see types/mqtt.d.ts).
 *   https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/ota.html#app-rollback
 */

/** ESP-IDF esp_ota_img_states_t of the running app partition, by name ("undefined" = rollback not in use / factory-fresh). */
export type ImageState = "new" | "pending-verify" | "valid" | "invalid" | "aborted" | "undefined";

declare const otaBoot: {
	/** label ("ota_0"/"ota_1") and otadata state of the running app partition (esp_ota_get_running_partition + esp_ota_get_state_partition) */
	running(): { label: string; state: ImageState };
	/** label of esp_ota_get_next_update_partition(NULL): the partition Flash("nextota") opens */
	next(): string;
	/** esp_ota_set_boot_partition(next): runs esp_image_verify on it first; throws Error("otaBoot: invalid image in <label>: <why>") */
	setBoot(): void;
	/** esp_ota_mark_app_valid_cancel_rollback() */
	markValid(): void;
	/** esp_ota_check_rollback_is_possible() */
	canRollback(): boolean;
	/** esp_ota_mark_app_invalid_rollback_and_reboot(): does not return on the device; throws Error("otaBoot: no image to roll back to") */
	rollback(): void;
};
export default otaBoot;
