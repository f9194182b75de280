/*
 * The generic ESP32 light-pole wiring (README "Light pole"), one source for
 * the firmware and the simulator's board. A board provider that names these
 * pins in `device.pin` overrides them (Moddable's stock esp32 targets name
 * only a few, such as `led`); otherwise the firmware uses this map.
 * Open-collector inputs sit on GPIOs with internal pull-ups (34–39 have none).
 */
export const POLE_PINS = Object.freeze({
	statusLed: 2,
	lampDim: 25,
	lampRelay: 26,
	beamA: 27,
	beamB: 14,
	vehicleLoop: 13,
	parkingBay: 4,
	radarRx: 32,
	radarTx: 33,
} as const);

export type PolePin = keyof typeof POLE_PINS;
