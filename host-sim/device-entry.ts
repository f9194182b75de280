/*
 * What the host sees of a simulated device's realm: the firmware's boot
 * function (the same one firmware/main.ts calls on the ESP32).
 */
export { boot } from "../firmware/runtime/boot";
export { FIRMWARE_VERSION } from "../firmware/version";
