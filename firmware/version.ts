/*
 * Firmware identity compiled into every image. `securityVersion` is the
 * monotonic anti-rollback counter checked by OTA (ARCHITECTURE §5).
 */
export const FIRMWARE_VERSION = "0.1.0";
export const SECURITY_VERSION = 1;
