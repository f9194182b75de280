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

/** What boardSpec.scenario may hold (all optional). */
export interface BoardScenario {
	/** a range for the diurnal curve, or (in-process only) a function of ticks */
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

type BoardBuilder = (board: SimBoard, scenario: BoardScenario) => ProviderDefaults;

const CATALOG: Readonly<Record<string, BoardBuilder>> = Object.freeze({
	generic(board, scenario) {
		addSHT3x(board, scenario, 21, 22);
		return {
			I2C: { data: 21, clock: 22, port: 0 },
			SPI: { clock: 18, in: 19, out: 23, port: 2 },
			// UART2 for the particulate sensor (PMS5003 talks 9600 8N1).
			Serial: { port: 2, receive: 16, transmit: 17, baud: 9600 },
			Digital: { pin: 0, mode: 1 },
			// Lamp driver dimming input (1–10 V / PWM interface) at 1 kHz.
			PWM: { pin: 25, hz: 1000 },
			// GPIO 34–39 are input-only: a good home for counter inputs.
			PulseCount: { signal: 34 },
			pin: {
				statusLed: 2,
				lampDim: 25,
				lampRelay: 26,
				peopleCounter: 34,
				vehicleCounter: 35,
				parkingBay: 36,
				radarRx: 32,
				radarTx: 33,
			},
		};
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
