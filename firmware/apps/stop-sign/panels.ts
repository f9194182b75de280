/*
 * Which e-paper panel sits on which board, and how it is opened from the
 * board's `device` provider (STYLE.md rule 1: drivers never read `device.*`,
 * the app wires them). The board config key picks the panel, so one role
 * manifest serves every sign and the board manifest says what is soldered
 * (the table is panels-table.ts).
 *
 * Generic ESP32 DevKitC wiring for the SPI panels (GxEPD2's ESP32 wiring,
 * overridable by the board provider's named pins epdSelect, epdDc,
 * epdReset, epdBusy): SCK 18, MOSI 23, CS 5, DC 17, RST 16, BUSY 4;
 * panel 3.3 V and GND. The SHT3x at 0x44 on I2C 21/22 (optional) gives the
 * temperature for the cold-refresh guard.
 */
import device from "embedded:provider/builtin";
import Timer from "timer";
import type { EPaperPanel } from "../../../drivers/epaper";
import { IT8951Panel, type IT8951Display } from "../../../drivers/it8951-panel";
import { SSD1680 } from "../../../drivers/ssd1680";
import { UC8179 } from "../../../drivers/uc8179";
import { DriverError } from "../../runtime/errors";
import { EPD_PINS } from "./pins";
import type { PanelSpec } from "./panels-table";

export { BOARD_PANELS, panelFor, type PanelSpec } from "./panels-table";

// The typings' IO classes and the provider's descriptors differ in detail; the casts are at this one boundary.
/* eslint-disable @typescript-eslint/no-explicit-any */
const io = device.io as any;
const provider = device as any;

function pin(name: "epdSelect" | "epdDc" | "epdReset" | "epdBusy", fallback: number): number {
	const n = provider.pin?.[name];
	return typeof n === "number" ? n : fallback;
}

/**
 * Opens the panel driver for `spec`. The IT8951 bridge comes from Moddable's `it8951` module, loaded only on boards that have it.
 * @throws DriverError when the board has no SPI bus or the driver cannot claim its pins
 */
export async function openPanel(spec: PanelSpec, onError: (e: Error) => void): Promise<EPaperPanel> {
	if (spec.controller === "it8951") {
		const Display = (await import("it8951")).default;
		return new IT8951Panel(new Display({}) as unknown as IT8951Display, { timer: Timer as any });
	}
	const spiDefaults = provider.SPI?.default;
	if (!spiDefaults) throw new DriverError("board has no default SPI bus for the e-paper panel");
	const options = {
		// Write-only bus: the modules wire SDA one way, so no `in` (MISO).
		spi: { io: io.SPI, clock: spiDefaults.clock, out: spiDefaults.out, port: spiDefaults.port, select: pin("epdSelect", EPD_PINS.select) },
		dc: { io: io.Digital, pin: pin("epdDc", EPD_PINS.dc) },
		reset: { io: io.Digital, pin: pin("epdReset", EPD_PINS.reset) },
		busy: { io: io.Digital, pin: pin("epdBusy", EPD_PINS.busy) },
		timer: Timer as any,
		onError,
	};
	if (spec.controller === "ssd1680") return new SSD1680({ ...options, width: spec.width as 128, height: spec.height as 296 });
	return new UC8179({ ...options, width: spec.width, height: spec.height });
}
