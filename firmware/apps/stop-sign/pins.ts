/*
 * Generic ESP32 DevKitC wiring of a stop sign's SPI e-paper module, as in
 * GxEPD2's ESP32 examples: SCK 18, MOSI 23 (VSPI), CS 5, DC 17, RST 16,
 * BUSY 4; panel 3.3 V and GND. A board provider's named pins (epdSelect,
 * epdDc, epdReset, epdBusy) override these. Plain data, so the simulator's
 * board catalog wires its panel models from the same table.
 */
export const EPD_PINS = Object.freeze({ clock: 18, out: 23, select: 5, dc: 17, reset: 16, busy: 4 });
