/*
 * Native half of otaBoot (esp32/otaBoot.js): thin bindings to ESP-IDF
 * app_update/esp_ota_ops.h. Every function returns a primitive or throws an
 * Error whose message starts with "otaBoot:".
 *   https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/ota.html
 * Quirks:
 *   - esp_ota_set_boot_partition() runs esp_image_verify() on the partition
 *     and reports only ESP_ERR_OTA_VALIDATE_FAILED, so the "why" in the error
 *     is generic; the bootloader log (UART) has the details;
 *   - esp_ota_mark_app_invalid_rollback_and_reboot() restarts the chip on
 *     success, so rollback() only returns by throwing.
 */

#include "xsmc.h"
#include "app_update/include/esp_ota_ops.h"

static const esp_partition_t *runningPartition(xsMachine *the)
{
	const esp_partition_t *p = esp_ota_get_running_partition();
	if (NULL == p)
		xsUnknownError("otaBoot: no running partition");
	return p;
}

static const esp_partition_t *nextPartition(xsMachine *the)
{
	const esp_partition_t *p = esp_ota_get_next_update_partition(NULL);
	if (NULL == p)
		xsUnknownError("otaBoot: no OTA update partition in the partition table");
	return p;
}

void xs_otaboot_running_label(xsMachine *the)
{
	xsmcSetString(xsResult, (char *)runningPartition(the)->label);
}

/* esp_ota_img_states_t of the running slot, or -1 when otadata has no entry for it. */
void xs_otaboot_running_state(xsMachine *the)
{
	esp_ota_img_states_t state;
	if (ESP_OK == esp_ota_get_state_partition(runningPartition(the), &state) && (state <= ESP_OTA_IMG_ABORTED))
		xsmcSetInteger(xsResult, (xsIntegerValue)state);
	else
		xsmcSetInteger(xsResult, -1);
}

void xs_otaboot_next_label(xsMachine *the)
{
	xsmcSetString(xsResult, (char *)nextPartition(the)->label);
}

void xs_otaboot_set_boot(xsMachine *the)
{
	const esp_partition_t *p = nextPartition(the);
	esp_err_t err = esp_ota_set_boot_partition(p);
	if (ESP_ERR_OTA_VALIDATE_FAILED == err)
		xsUnknownError("otaBoot: invalid image in %s: esp_image_verify failed", p->label);
	if (ESP_OK != err)
		xsUnknownError("otaBoot: set boot partition %s failed: %s", p->label, esp_err_to_name(err));
}

void xs_otaboot_mark_valid(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
	if (ESP_OK != err)
		xsUnknownError("otaBoot: mark valid failed: %s", esp_err_to_name(err));
}

void xs_otaboot_can_rollback(xsMachine *the)
{
	xsmcSetBoolean(xsResult, esp_ota_check_rollback_is_possible());
}

void xs_otaboot_rollback(xsMachine *the)
{
	/* Returns only on failure: ESP_ERR_OTA_ROLLBACK_FAILED (no valid image in the other slot) or ESP_FAIL (running from a factory app). */
	esp_err_t err = esp_ota_mark_app_invalid_rollback_and_reboot();
	if ((ESP_ERR_OTA_ROLLBACK_FAILED == err) || (ESP_FAIL == err))
		xsUnknownError("otaBoot: no image to roll back to");
	xsUnknownError("otaBoot: rollback failed: %s", esp_err_to_name(err));
}
