/*
 * Light-pole application (first cut; counters, lamp control and the other
 * FIWARE models arrive with the light-pole work). It samples the board's
 * SHT3x on `sampleMs` and records each reading in the outbox as a FIWARE
 * WeatherObserved (temperature in °C, relativeHumidity as a 0..1 ratio).
 * Values are rounded to single precision: far finer than the sensor's
 * resolution (datasheet Table 1/2), and CBOR then needs 5 bytes, not 9
 * (RFC 8949 §4.2.2 shortest float). A sensor that fails is marked failed and
 * re-opened with backoff; the pole keeps running (ARCHITECTURE §2).
 */
import device from "embedded:provider/builtin";
import { SHT3x } from "../../../drivers/sht3x";
import { Backoff } from "../../net/backoff";
import { describeError } from "../../runtime/errors";
import type { App, AppContext } from "../app";

export function createLightPole(context: AppContext): App {
	const { config, log, scheduler, record } = context;
	let sensor: SHT3x | undefined;
	const retry = new Backoff(5_000, 300_000);

	const open = () => {
		try {
			// SHT3x ADDR pin low: 0x44 (datasheet §3.3 Table 7).
			sensor = new SHT3x({ sensor: { ...device.I2C.default, io: device.io.I2C, address: 0x44 } });
			retry.reset();
			log.info("SHT3x ready");
		} catch (e) {
			sensor = undefined;
			const delay = retry.next();
			log.warn(`SHT3x unavailable (${describeError(e)}); retry in ${Math.round(delay / 1000)} s`);
			scheduler.after("sht3x-open", delay, open);
		}
	};

	const sample = () => {
		if (!sensor) return;
		try {
			const r = sensor.sample();
			if (!r) return;
			const seq = record("WeatherObserved", { temperature: Math.fround(r.temperature), relativeHumidity: Math.fround(r.humidity / 100) });
			log.info(`temperature ${r.temperature.toFixed(2)} °C, humidity ${r.humidity.toFixed(1)} %RH${seq === undefined ? " (not kept)" : ` (record #${seq})`}`);
		} catch (e) {
			log.error(`SHT3x failed: ${describeError(e)}`);
			sensor.close();
			sensor = undefined;
			scheduler.after("sht3x-open", retry.next(), open);
		}
	};

	return {
		start() {
			open();
			scheduler.every("sample", config.get("sampleMs"), sample);
			log.info(`sampling every ${config.get("sampleMs")} ms`);
		},
		stop() {
			scheduler.cancel("sample");
			scheduler.cancel("sht3x-open");
			sensor?.close();
			sensor = undefined;
		},
	};
}
