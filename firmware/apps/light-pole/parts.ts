/*
 * The parts a light pole can carry and how each is opened from the board's
 * `device` provider (ECMA-419 IO descriptors; STYLE.md rule 1: drivers never
 * read `device.*` themselves, this file does the wiring).
 *
 * Named pins come from the board provider (`device.pin`) when it names them,
 * else from the generic pole wiring (pins.ts):
 *   I2C default bus   SHT3x 0x44, BME280 0x76, VEML7700 0x10
 *   Serial default    PMS5003 (9600 8N1)
 *   radarRx/radarTx   LD2410 on UART1 (256000 8N1)
 *   beamA/beamB       two IR beams across the footway (people, direction)
 *   vehicleLoop       an inductive loop detector's presence output
 *   parkingBay        the bay's loop detector presence output
 *   lampDim/lampRelay PWM to the 0–10 V stage, mains relay
 * A part that cannot be opened (absent, miswired) is a fault of its slot;
 * the rest of the pole runs.
 */
import device from "embedded:provider/builtin";
import Time from "time";
import { SHT3x } from "../../../drivers/sht3x";
import { BME280 } from "../../../drivers/bme280";
import { VEML7700 } from "../../../drivers/veml7700";
import { PMS5003 } from "../../../drivers/pms5003";
import { LD2410 } from "../../../drivers/ld2410";
import { BeamPair } from "../../../drivers/beam-pair";
import { PulseCounter } from "../../../drivers/pulse-counter";
import { BaySensor } from "../../../drivers/bay-sensor";
import { LampDimmer } from "../../../drivers/lamp-dimmer";
import { ConfigError, DriverError } from "../../runtime/errors";
import { POLE_PINS, type PolePin } from "./pins";
import { SENSOR_NAMES, type SensorName } from "../../contract/telemetry";

/** Every part name the `parts` config may list: the contract's sensor names, so events and health name parts the same way. */
export const PART_NAMES = SENSOR_NAMES;
export type PartName = SensorName;

/** The parts listed in config. @throws ConfigError naming an unknown part */
export function fittedParts(list: string): Set<PartName> {
	const out = new Set<PartName>();
	for (const name of list.split(",")) {
		if (!name) continue;
		if (!(PART_NAMES as readonly string[]).includes(name)) throw new ConfigError("parts", `parts: unknown part "${name}" (known: ${PART_NAMES.join(", ")})`);
		out.add(name as PartName);
	}
	return out;
}

const ticks = () => Time.ticks;
type Report = (e: unknown) => void;

// The typings' IO classes and the provider's descriptors differ in detail; the casts are at this one boundary.
/* eslint-disable @typescript-eslint/no-explicit-any */
const io = device.io as any;
const provider = device as any;

/** A named pin: the board provider's, else the generic pole wiring (pins.ts). */
function pin(name: PolePin): number {
	const n = provider.pin?.[name] ?? POLE_PINS[name];
	if (typeof n !== "number") throw new DriverError(`board has no "${name}" pin`);
	return n;
}

function i2c(): any {
	if (!provider.I2C?.default) throw new DriverError("board has no default I2C bus");
	return { ...provider.I2C.default, io: io.I2C };
}

export function openSHT3x(report: Report): SHT3x {
	// ADDR pin low: 0x44 (SHT3x datasheet §3.3 Table 7).
	return new SHT3x({ sensor: { ...i2c(), address: 0x44 }, onError: report });
}

export function openBME280(report: Report): BME280 {
	// SDO to GND: 0x76 (BME280 datasheet §6.2); ×2 oversampling and IIR 4 for a street pole (datasheet §3.5.1 "weather monitoring" uses ×1, we afford a little more).
	return new BME280({ sensor: { ...i2c(), address: 0x76 }, oversampling: { temperature: 2, pressure: 2, humidity: 2 }, filter: 4, onError: report });
}

export function openVEML7700(report: Report): VEML7700 {
	// Night light is steady: identical counts for a minute or two are real. An hour at 10 s sampling is a frozen part.
	return new VEML7700({ sensor: i2c(), ticks, onError: report, stuckLimit: 360 });
}

export function openPMS5003(report: Report): PMS5003 {
	if (!provider.Serial?.default) throw new DriverError("board has no default Serial port");
	// Asleep until the app wakes it for a window's measurement (fan life).
	return new PMS5003({ port: { ...provider.Serial.default, io: io.Serial }, ticks, onError: report, awake: false });
}

export function openLD2410(report: Report): LD2410 {
	return new LD2410({ port: { io: io.Serial, port: 1, receive: pin("radarRx"), transmit: pin("radarTx"), baud: 256_000 }, ticks, onError: report });
}

export function openBeams(report: Report, debounceMs: number): BeamPair {
	return new BeamPair({ a: { io: io.Digital, pin: pin("beamA") }, b: { io: io.Digital, pin: pin("beamB") }, ticks, debounceMs: Math.max(debounceMs, 1), onError: report });
}

export function openVehicleLoop(report: Report, debounceMs: number): PulseCounter {
	// Loop detector presence output: open collector, low while a vehicle is over the loop.
	return new PulseCounter({ input: { io: io.Digital, pin: pin("vehicleLoop") }, ticks, edge: "falling", debounceMs, onError: report });
}

export function openBay(report: Report, onChange: (occupied: boolean, sinceTicks: number) => void): BaySensor {
	return new BaySensor({ input: { io: io.Digital, pin: pin("parkingBay") }, ticks, onChange, onError: report });
}

export function openLamp(report: Report, minPercent: number): LampDimmer {
	// Inverted open-collector stage: a released pin lets the wire float to the driver's 10 V, so a dead controller leaves the lamp on (drivers/lamp-dimmer.ts header).
	return new LampDimmer({
		pwm: { ...(provider.PWM?.default ?? {}), io: io.PWM, pin: pin("lampDim") },
		relay: { io: io.Digital, pin: pin("lampRelay") },
		inverted: true,
		minPercent,
		onError: report,
	});
}
