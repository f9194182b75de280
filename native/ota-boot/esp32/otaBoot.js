/*
 * otaBoot on ESP32: ESP-IDF app rollback for the firmware's OTA trial boot
 * (types/ota-boot.d.ts is the contract; host-sim/modules/ota-boot.ts is the
 * simulator's twin). Needs CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y
 * (native/ota-boot/sdkconfig), without which the bootloader never marks a new
 * image PENDING_VERIFY and never rolls one back.
 *   https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/ota.html#app-rollback
 * Plain JS with Moddable's `@ "native"` bindings (xsc syntax). The natives
 * return primitives only, so no xsID_ symbols are needed in C; the object
 * and the state names are made here.
 */

function runningLabel() @ "xs_otaboot_running_label";
function runningState() @ "xs_otaboot_running_state";
function nextLabel() @ "xs_otaboot_next_label";
function setBoot() @ "xs_otaboot_set_boot";
function markValid() @ "xs_otaboot_mark_valid";
function canRollback() @ "xs_otaboot_can_rollback";
function rollback() @ "xs_otaboot_rollback";

// esp_ota_img_states_t values 0..4; anything else (ESP_OTA_IMG_UNDEFINED, or no
// otadata entry for the running slot, reported as -1) is "undefined".
const STATES = Object.freeze(["new", "pending-verify", "valid", "invalid", "aborted"]);

const otaBoot = Object.freeze({
	running() {
		return { label: runningLabel(), state: STATES[runningState()] ?? "undefined" };
	},
	next() {
		return nextLabel();
	},
	setBoot,
	markValid,
	canRollback,
	rollback,
});

export default otaBoot;
