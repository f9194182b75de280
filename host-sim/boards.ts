/*
 * Board catalog of the simulator: which parts sit on which pins of each
 * board the firmware is built for, and the `device` provider each exposes.
 * Wiring follows the real boards, so a driver given the board's defaults
 * reaches the modelled part exactly as it would reach the soldered one:
 *   - "generic": a generic ESP32 DevKitC / NodeMCU-32S with the usual pin
 *     choices (I2C SDA 21 / SCL 22, VSPI 18/19/23, UART2 16/17) and pins set
 *     aside for the light pole's lamp dimmer and counters (models come later);
 *   - "m5paper": M5Stack M5Paper, wiring as Moddable's target provider
 *     (build/devices/esp32/targets/m5paper/host/provider.js): I2C 21/22 with
 *     the SHT30 at 0x44, SPI on VSPI 14/13/12 to the IT8951 panel bridge.
 * Scenarios come from the bridge's boardSpec (plain data): the environment
 * range and initial fault injections. Plain TypeScript: also runs in XS.
 */
import { SimBoard, type BoardClock, type ProviderDefaults, type SimDevice } from "./io/board";
import { SHT3xModel, type EnvironmentScenario, type SHT3xFault } from "./models/sht3x";
import { BME280Model } from "./models/bme280";
import { VEML7700Model } from "./models/veml7700";
import { PMS5003Model } from "./models/pms5003";
import { LD2410Model } from "./models/ld2410";
import { BeamPairModel } from "./models/beam-pair";
import { LoopDetectorModel } from "./models/loop-detector";
import { LampDimmerModel } from "./models/lamp-dimmer";
import type { PoleWorld } from "./world/pole-world";
import { playStreet } from "./world/street";
import { POLE_PINS } from "../firmware/apps/light-pole/pins";
import { EPD_PINS } from "../firmware/apps/stop-sign/pins";
import { attachSSD1680 } from "./models/ssd1680";
import { attachUC8179 } from "./models/uc8179";

/** What boardSpec.scenario may hold (all optional). */
export interface BoardScenario {
	/** the street around a light pole (host-sim/world/pole-world.ts); it outlives the board. Set by the fleet. */
	world?: PoleWorld;
	/** a range for the diurnal curve, or (in-process only) a function of ticks; ignored when a world is given */
	environment?: DiurnalRange | EnvironmentScenario;
	/** faults set on the parts at boot */
	faults?: { sht3x?: SHT3xFault };
}

export interface DiurnalRange {
	/** [coldest, warmest] °C @default [12, 22] */
	celsius?: [number, number];
	/** [driest, dampest] %RH @default [40, 70] */
	relativeHumidity?: [number, number];
	/** hour of day at tick 0 @default 0 (boot at midnight) */
	bootHour?: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * A gentle day: coldest and dampest at 04:00, warmest and driest at 16:00,
 * following a cosine, as air near the ground roughly does on a clear day.
 */
export function diurnal(range: DiurnalRange = {}): EnvironmentScenario {
	const [tLow, tHigh] = range.celsius ?? [12, 22];
	const [hLow, hHigh] = range.relativeHumidity ?? [40, 70];
	const bootMs = (range.bootHour ?? 0) * HOUR_MS;
	return (ticksMs) => {
		// c = 1 at 04:00, −1 at 16:00.
		const c = Math.cos((2 * Math.PI * (ticksMs + bootMs - 4 * HOUR_MS)) / DAY_MS);
		return {
			celsius: (tLow + tHigh) / 2 - ((tHigh - tLow) / 2) * c,
			relativeHumidity: (hLow + hHigh) / 2 + ((hHigh - hLow) / 2) * c,
		};
	};
}

function environmentOf(scenario: BoardScenario): EnvironmentScenario {
	const world = scenario.world;
	if (world) return () => world.environment();
	const env = scenario.environment;
	return typeof env === "function" ? env : diurnal(env);
}

/** Attaches an SHT3x at `address` on the I2C wires `data`/`clock` (bus 0). */
function addSHT3x(board: SimBoard, scenario: BoardScenario, data: number, clock: number, address = 0x44): SHT3xModel {
	const model = new SHT3xModel({ scenario: environmentOf(scenario) });
	model.fault = scenario.faults?.sht3x;
	board.attachI2C(0, address, model, { data, clock });
	board.parts.sht3x = model;
	return model;
}

/** Generic ESP32 light-pole wiring: the firmware's own map, so sim and device agree. */
const PINS = POLE_PINS;

type BoardBuilder = (board: SimBoard, scenario: BoardScenario) => ProviderDefaults;

/** Provider defaults of a generic ESP32 stop sign: VSPI write-only to the panel, I2C to the SHT3x, the BOOT button (GPIO 0) as the audio button. */
function signDefaults(board: SimBoard, scenario: BoardScenario): ProviderDefaults {
	addSHT3x(board, scenario, 21, 22);
	return {
		I2C: { data: 21, clock: 22, port: 0 },
		SPI: { clock: 18, out: 23, port: 2 },
		pin: { epdSelect: EPD_PINS.select, epdDc: EPD_PINS.dc, epdReset: EPD_PINS.reset, epdBusy: EPD_PINS.busy, button: 0 },
	};
}

const CATALOG: Readonly<Record<string, BoardBuilder>> = Object.freeze({
	generic(board, scenario) {
		const sht3x = addSHT3x(board, scenario, 21, 22);
		const env = environmentOf(scenario);
		const world = scenario.world;
		const bme280 = new BME280Model({ scenario: (t) => ({ ...env(t), hPa: world ? world.environment().hPa : 1013.25 }) });
		board.attachI2C(0, 0x76, bme280, { data: 21, clock: 22 });
		const veml7700 = new VEML7700Model({ scenario: world ? () => ({ lux: world.lux() }) : undefined });
		board.attachI2C(0, 0x10, veml7700, { data: 21, clock: 22 });
		const pms5003 = new PMS5003Model({ scenario: world ? () => world.particulates() : undefined });
		board.attachSerial(2, pms5003);
		const ld2410 = new LD2410Model({
			scenario: world
				? () => {
						const near = world.presence();
						return near ? { moving: { cm: near.cm, energy: 70 } } : undefined;
					}
				: undefined,
		});
		board.attachSerial(1, ld2410);
		// Beams and loops: NPN open-collector outputs, active low, with 10 kΩ pull-ups on the board.
		const beams = new BeamPairModel(board.pin(PINS.beamA), board.pin(PINS.beamB), board, { bounces: world?.scenario.pedestrians?.bounces ?? 2 });
		const vehicleLoop = new LoopDetectorModel(board.pin(PINS.vehicleLoop), board);
		const bayLoop = new LoopDetectorModel(board.pin(PINS.parkingBay), board, { responseMs: 500 });
		const lamp = new LampDimmerModel(board, { dimPin: PINS.lampDim, relayPin: PINS.lampRelay, inverted: true });
		Object.assign(board.parts, { bme280, veml7700, pms5003, ld2410, beams, vehicleLoop, bayLoop, lamp });
		if (world) playStreet(world, board, { beams, vehicleLoop, bayLoop, faultable: { sht3x, bme280, veml7700, pms5003, ld2410, people: beams, vehicles: vehicleLoop, bay: bayLoop } });
		return {
			I2C: { data: 21, clock: 22, port: 0 },
			SPI: { clock: 18, in: 19, out: 23, port: 2 },
			// UART2 for the particulate sensor (PMS5003 talks 9600 8N1).
			Serial: { port: 2, receive: 16, transmit: 17, baud: 9600 },
			Digital: { pin: 0, mode: 1 },
			// Lamp driver dimming input (0–10 V stage) at 1 kHz.
			PWM: { pin: PINS.lampDim, hz: 1000 },
			PulseCount: { signal: PINS.vehicleLoop },
			pin: { ...PINS },
		};
	},
	// Stop signs on a generic ESP32 DevKitC with an SPI e-paper module (firmware/apps/stop-sign/panels.ts wiring) and an SHT3x for the cold guard.
	"generic-epd29"(board, scenario) {
		attachSSD1680(board, EPD_PINS, { width: 128, height: 296 });
		return signDefaults(board, scenario);
	},
	"generic-epd42"(board, scenario) {
		attachUC8179(board, EPD_PINS, { width: 400, height: 300 });
		return signDefaults(board, scenario);
	},
	"generic-epd75"(board, scenario) {
		attachUC8179(board, EPD_PINS, { width: 800, height: 480 });
		return signDefaults(board, scenario);
	},
	m5paper(board, scenario) {
		addSHT3x(board, scenario, 21, 22);
		return {
			I2C: { data: 21, clock: 22, port: 0 },
			SPI: { clock: 14, in: 13, out: 12, port: 2 },
			Digital: { pin: 38, mode: 1 /* InputPullUp: button A */ },
			pin: {
				powerMain: 2,
				powerExternal: 5,
				powerEPD: 23,
				touchInterrupt: 36,
				epdSelect: 15,
				epdBusy: 27,
				batteryVoltage: 35,
				// Moddable's provider names the rocker switch A/B/C.
				buttonA: 38,
				buttonB: 37,
				buttonC: 39,
			},
		};
	},
});

/** Names of the boards the catalog knows. */
export const BOARD_NAMES: readonly string[] = Object.freeze(Object.keys(CATALOG));

/**
 * Builds board `spec.board` on `clock`, with its parts steered by
 * `spec.scenario`, and the `device` object its provider exports.
 * @throws Error for a board the catalog does not know
 */
export function createBoard(spec: { board: string; scenario?: unknown }, clock: BoardClock): { board: SimBoard; device: SimDevice } {
	const build = Object.prototype.hasOwnProperty.call(CATALOG, spec.board) ? CATALOG[spec.board] : undefined;
	if (!build) throw new Error(`host-sim: unknown board "${spec.board}" (known: ${BOARD_NAMES.join(", ")})`);
	const scenario = (spec.scenario && typeof spec.scenario === "object" ? spec.scenario : {}) as BoardScenario;
	const board = new SimBoard(clock);
	const defaults = build(board, scenario);
	return { board, device: board.provider(defaults) };
}
