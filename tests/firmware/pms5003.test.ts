// PMS5003 driver against the PMS5003 UART model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board is built directly on a VirtualClock).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import { PMS5003Model, PMS5003_COMMAND, pms5003Command, pms5003Frame, type ParticulateScenario } from "../../host-sim/models/pms5003";
import { PMS5003, type PMS5003Options, type PMS5003PortOptions, type PMS5003Sample } from "../../drivers/pms5003";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const SERIAL = { port: 2, receive: 16, transmit: 17, baud: 9600 };
const steady: ParticulateScenario = () => ({ pm1: 8, pm25: 12, pm10: 16 });
/** A model whose fan is already up to speed (no unstable start), for tests that skip the warm-up. */
const warmModel = (scenario = steady, noise?: number) => new PMS5003Model({ scenario, noise, warmupMs: 0 });

/** Appendix I frame built by hand: CF=1 12/18/21, atmospheric 11/17/21, counts 2310/660/120/14/3/1, reserved 0x9700. */
const FRAME = [
	0x42, 0x4d, 0x00, 0x1c, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x15, 0x00, 0x0b, 0x00, 0x11, 0x00, 0x15,
	0x09, 0x06, 0x02, 0x94, 0x00, 0x78, 0x00, 0x0e, 0x00, 0x03, 0x00, 0x01, 0x97, 0x00, 0x02, 0xd5,
];
const FRAME_WORDS = [12, 18, 21, 11, 17, 21, 2310, 660, 120, 14, 3, 1, 0x9700];
/** Appendix II commands as the datasheet lists them. */
const WAKE = [0x42, 0x4d, 0xe4, 0x00, 0x01, 0x01, 0x74];
const SLEEP = [0x42, 0x4d, 0xe4, 0x00, 0x00, 0x01, 0x73];
const PASSIVE = [0x42, 0x4d, 0xe1, 0x00, 0x00, 0x01, 0x70];
const READ = [0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71];

/** A board with a PMS5003 model on UART 2 (RX 16, TX 17), and a driver factory collecting callbacks. */
function rig(model = new PMS5003Model({ scenario: steady }), baud = 9600) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	board.attachSerial(2, model);
	const device = board.provider({ Serial: { ...SERIAL, baud } });
	// The sim's Serial class stands in for the typings' `embedded:io/serial` class.
	const port = { ...device.Serial!.default, io: device.io.Serial } as unknown as PMS5003PortOptions;
	const errors: DriverError[] = [];
	const samples: PMS5003Sample[] = [];
	const open = (extra: Partial<PMS5003Options> = {}) =>
		new PMS5003({ port, ticks: () => clock.ticks(), onError: (e) => errors.push(e), onSample: (s) => samples.push(s), ...extra });
	/** Calls sample() every `everyMs` for `forMs`; returns the readings it got. */
	const poll = (pms: PMS5003, forMs: number, everyMs = 1_000) => {
		const got: PMS5003Sample[] = [];
		for (let t = 0; t < forMs; t += everyMs) {
			clock.advance(everyMs);
			const s = pms.sample();
			if (s) got.push(s);
		}
		return got;
	};
	return { clock, board, model, port, errors, samples, open, poll };
}

function tail(bytes: number[], n: number): number[] {
	return bytes.slice(bytes.length - n);
}

function messages(errors: Error[]): string {
	return errors.map((e) => e.message).join(" | ");
}

describe("PMS5003 wire format (datasheet Appendix I, II)", () => {
	it("check code of the hand-built frame is the 16-bit byte sum 0x02D5", () => {
		expect(PMS5003.checksum(Uint8Array.from(FRAME), 0, 30)).toBe(0x02d5);
		expect(pms5003Frame(FRAME_WORDS)).toEqual(Uint8Array.from(FRAME));
	});

	it("host commands carry the LRC the datasheet lists", () => {
		expect(pms5003Command(PMS5003_COMMAND.sleep, 1)).toEqual(Uint8Array.from(WAKE));
		expect(pms5003Command(PMS5003_COMMAND.sleep, 0)).toEqual(Uint8Array.from(SLEEP));
		expect(pms5003Command(PMS5003_COMMAND.mode, 0)).toEqual(Uint8Array.from(PASSIVE));
		expect(pms5003Command(PMS5003_COMMAND.read, 0)).toEqual(Uint8Array.from(READ));
	});

	it("a hand-built frame is decoded exactly", () => {
		const r = rig();
		const pms = r.open({ warmupMs: 0 });
		r.clock.advance(100);
		r.model.inject(FRAME);
		r.clock.advance(50);
		const s = pms.sample()!;
		expect([s.pm1, s.pm25, s.pm10]).toEqual([11, 17, 21]);
		expect(s.cf1).toEqual({ pm1: 12, pm25: 18, pm10: 21 });
		expect(s.particlesPer100ml).toEqual({ over0_3um: 2310, over0_5um: 660, over1_0um: 120, over2_5um: 14, over5_0um: 3, over10um: 1 });
		expect(pms.stats.frames).toBe(1);
		expect(r.errors).toHaveLength(0);
	});

	it("the constructor wakes the sensor and selects passive mode", () => {
		const r = rig();
		r.open();
		r.clock.advance(50);
		expect(r.model.stats.rx).toEqual([...WAKE, ...PASSIVE]);
		expect(r.model.mode).toBe("passive");
		expect(r.model.fan).toBe(true);
	});

	it("the passive-mode answer (42 4D 00 04 E1 00) is taken as an ack, not a bad frame", () => {
		const r = rig();
		const pms = r.open();
		r.clock.advance(100);
		expect(pms.stats.acks).toBe(1);
		expect(pms.stats.badFrames).toBe(0);
	});
});

describe("PMS5003 sampling", () => {
	it("warm-up: nothing before 30 s, the scenario after", () => {
		const r = rig();
		const pms = r.open();
		expect(pms.warm).toBe(false);
		expect(r.poll(pms, 29_000)).toHaveLength(0);
		expect(pms.stats.warmupDiscarded).toBeGreaterThanOrEqual(28);
		const got = r.poll(pms, 4_000);
		expect(pms.warm).toBe(true);
		expect(got.length).toBeGreaterThanOrEqual(2);
		for (const s of got) {
			expect(s.ticksMs).toBeGreaterThanOrEqual(30_000);
			expect(Math.abs(s.pm25 - 12)).toBeLessThanOrEqual(1);
			expect(Math.abs(s.pm10 - 16)).toBeLessThanOrEqual(1);
		}
		expect(r.errors).toHaveLength(0);
	});

	it("the model's warm-up values are low, so keeping them would be caught", () => {
		const r = rig();
		const naive = r.open({ warmupMs: 0 });
		const early = r.poll(naive, 5_000);
		expect(early.length).toBeGreaterThanOrEqual(3);
		for (const s of early) expect(s.pm25).toBeLessThan(10);
	});

	it("request() then sample() after answerMs gives a fresh reading after a long idle", () => {
		const r = rig();
		const pms = r.open();
		r.clock.advance(60_000);
		expect(pms.sample()).toBeUndefined(); // nothing was asked for while idle
		const waitMs = pms.request();
		expect(waitMs).toBe(pms.answerMs);
		r.clock.advance(waitMs);
		const s = pms.sample()!;
		expect(Math.abs(s.pm25 - 12)).toBeLessThanOrEqual(1);
		expect(s.ticksMs).toBeGreaterThan(60_000);
	});

	it("a reading older than maxAgeMs is never returned", () => {
		const r = rig();
		const pms = r.open({ maxAgeMs: 3_000 });
		expect(r.poll(pms, 32_000).length).toBeGreaterThan(0);
		r.model.fault = "silent"; // the reading of t = 31.05 s is the last
		r.clock.advance(1_500);
		expect(pms.sample()!.ticksMs).toBeLessThan(32_000);
		r.clock.advance(1_000);
		expect(pms.sample()).toBeUndefined();
	});

	it("onSample receives each warm reading, the same object sample() returns", () => {
		const r = rig();
		const pms = r.open();
		const got = r.poll(pms, 35_000);
		expect(r.samples.length).toBeGreaterThanOrEqual(got.length);
		expect(r.samples).toContain(got[got.length - 1]);
	});

	it("a ramping scenario is followed", () => {
		const ramp: ParticulateScenario = (t) => ({ pm1: t / 4_000, pm25: t / 2_000, pm10: t / 1_000 });
		const r = rig(new PMS5003Model({ scenario: ramp, noise: 0 }));
		const pms = r.open();
		const got = r.poll(pms, 60_000);
		const last = got[got.length - 1];
		expect(Math.abs(last.pm10 - last.ticksMs / 1_000)).toBeLessThanOrEqual(1);
		expect(last.pm10).toBeGreaterThan(got[0].pm10);
	});
});

describe("PMS5003 sleep and wake", () => {
	it("sleep() sends 42 4D E4 00 00 01 73 and stops the fan; wake() restarts it and the warm-up", () => {
		const r = rig();
		const pms = r.open();
		r.poll(pms, 32_000);
		pms.sleep();
		r.clock.advance(50);
		expect(tail(r.model.stats.rx, 7)).toEqual(SLEEP);
		expect(r.model.fan).toBe(false);
		expect(pms.awake).toBe(false);
		const last = r.model.stats.commands[r.model.stats.commands.length - 1];
		expect([last.command, last.data]).toEqual([0xe4, 0]);
		r.clock.advance(6_000); // the last reading before sleep goes stale

		expect(pms.wake()).toBe(30_000);
		r.clock.advance(50);
		expect(tail(r.model.stats.rx, 14)).toEqual([...WAKE, ...PASSIVE]);
		expect(r.model.fan).toBe(true);
		expect(r.model.warmingUp).toBe(true);
		expect(r.poll(pms, 29_000)).toHaveLength(0);
		expect(r.poll(pms, 3_000).length).toBeGreaterThan(0);
	});

	it("asleep: sample() sends nothing and reports nothing", () => {
		const r = rig();
		const pms = r.open();
		pms.sleep();
		r.clock.advance(50);
		const sent = r.model.stats.rx.length;
		expect(r.poll(pms, 10_000)).toHaveLength(0);
		expect(r.model.stats.rx.length).toBe(sent);
		expect(r.model.stats.dataFrames).toBe(0);
		expect(r.errors).toHaveLength(0);
	});

	it("request() while asleep throws", () => {
		const r = rig();
		const pms = r.open({ awake: false });
		expect(() => pms.request()).toThrow(/PMS5003 asleep/);
	});

	it("awake: false parks the sensor on construction", () => {
		const r = rig();
		const pms = r.open({ awake: false });
		r.clock.advance(50);
		expect(r.model.stats.rx).toEqual(SLEEP);
		expect(r.model.fan).toBe(false);
		expect(pms.awake).toBe(false);
	});

	it("a sensor found running while asleep (brown-out) is put back to sleep", () => {
		const r = rig();
		const pms = r.open();
		pms.sleep();
		r.clock.advance(100);
		r.model.powerCycle(); // comes back awake, in active mode
		expect(r.model.fan).toBe(true);
		r.clock.advance(1_500);
		expect(r.model.fan).toBe(false);
		expect(pms.stats.unsolicited).toBeGreaterThanOrEqual(1);
		expect(r.samples).toHaveLength(0);
	});

	it("two requests before the first answer are both answered, with no false reboot", () => {
		const r = rig();
		const pms = r.open();
		r.clock.advance(100);
		pms.request();
		pms.request();
		r.clock.advance(200);
		expect(pms.stats.frames).toBe(2);
		expect(pms.stats.unsolicited).toBe(0);
		expect(pms.stats.restarts).toBe(0);
	});

	it("a reboot while awake is seen: passive mode is restored and the warm-up restarts", () => {
		const r = rig();
		const pms = r.open();
		expect(r.poll(pms, 32_000).length).toBeGreaterThan(0);
		r.model.powerCycle();
		r.clock.advance(2_500);
		expect(pms.stats.restarts).toBe(1);
		expect(r.model.mode).toBe("passive");
		expect(pms.warm).toBe(false);
		const before = r.samples.length;
		r.poll(pms, 27_000);
		expect(r.samples.length).toBe(before);
		expect(r.poll(pms, 4_000).length).toBeGreaterThan(0);
	});
});

describe("PMS5003 faults", () => {
	it("resynchronises after garbage and a false start", () => {
		const r = rig();
		const pms = r.open({ warmupMs: 0 });
		r.clock.advance(100);
		// noise, a lone 0x42, then a header whose frame is cut by the real one
		r.model.inject([0x00, 0xff, 0x42, 0x13, 0x4d, 0x42, 0x4d, 0x00, 0x1c, 0x01, 0x02, ...FRAME]);
		r.clock.advance(50);
		const s = pms.sample()!;
		expect([s.pm1, s.pm25, s.pm10]).toEqual([11, 17, 21]);
		expect(pms.stats.frames).toBe(1);
		expect(pms.stats.noiseBytes).toBeGreaterThanOrEqual(5);
		expect(pms.stats.badFrames).toBe(1);
	});

	it("a frame with a bad check code is dropped and reported", () => {
		const r = rig();
		const pms = r.open({ warmupMs: 0 });
		r.model.fault = "checksum";
		expect(r.poll(pms, 3_000)).toHaveLength(0);
		expect(r.samples).toHaveLength(0);
		expect(r.errors.length).toBeGreaterThan(0);
		expect(r.errors[0]).toBeInstanceOf(DriverError);
		expect(r.errors[0].message).toMatch(/^PMS5003 checksum mismatch/);
		expect(pms.stats.checksumErrors).toBeGreaterThanOrEqual(2);
		expect(pms.stats.badFrames).toBe(pms.stats.checksumErrors);
	});

	it("without onError, sample() throws the fault, and recovers", () => {
		const r = rig(warmModel());
		const pms = new PMS5003({ port: r.port, ticks: () => r.clock.ticks(), warmupMs: 0 });
		r.model.fault = "checksum"; // the passive-mode answer arrives corrupted
		r.clock.advance(1_000);
		let thrown: unknown;
		try {
			pms.sample(); // throws, having asked for the next frame
		} catch (e) {
			thrown = e;
		}
		expect(thrown).toBeInstanceOf(DriverError);
		expect((thrown as Error).message).toMatch(/^PMS5003 checksum mismatch \(frame 0x175, computed 0x174\)/);
		r.model.fault = undefined;
		r.clock.advance(1_000);
		expect(Math.abs(pms.sample()!.pm25 - 12)).toBeLessThanOrEqual(1);
	});

	it("no frame for more than 3 s while awake: not responding", () => {
		const r = rig();
		const pms = r.open();
		expect(r.poll(pms, 32_000).length).toBeGreaterThan(0);
		expect(r.errors).toHaveLength(0);
		r.model.fault = "silent";
		r.poll(pms, 3_000);
		expect(r.errors).toHaveLength(0);
		r.poll(pms, 2_000);
		expect(messages(r.errors)).toMatch(/PMS5003 not responding: no valid frame for \d+ ms/);
		expect(r.errors[0]).toBeInstanceOf(DriverError);
	});

	it("stuck output is reported after stuckLimit identical frames and no longer returned", () => {
		const r = rig(warmModel());
		const pms = r.open({ warmupMs: 0, stuckLimit: 4 });
		r.model.fault = "stuck";
		r.poll(pms, 8_000);
		expect(r.samples).toHaveLength(3);
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0].message).toBe("PMS5003 output stuck: 4 identical frames");
		expect(pms.stats.stuck).toBeGreaterThanOrEqual(3);
		r.clock.advance(2_000); // the last good reading (t = 3.05 s) goes stale
		expect(pms.sample()).toBeUndefined();
	});

	it("a noisy steady reading is not taken for stuck", () => {
		const r = rig(warmModel());
		const pms = r.open({ warmupMs: 0, stuckLimit: 5 });
		expect(r.poll(pms, 40_000).length).toBeGreaterThanOrEqual(38);
		expect(r.errors).toHaveLength(0);
	});

	it("PM2.5 above PM10 is implausible", () => {
		const r = rig(warmModel(() => ({ pm1: 5, pm25: 40, pm10: 30 }), 0));
		const pms = r.open({ warmupMs: 0 });
		expect(r.poll(pms, 3_000)).toHaveLength(0);
		expect(r.errors.length).toBeGreaterThan(0);
		expect(r.errors[0].message).toBe("PMS5003 implausible reading: PM2.5 40 > PM10 30 µg/m³");
		expect(pms.stats.implausible).toBeGreaterThan(0);
	});

	it("above 1000 µg/m³ is implausible", () => {
		const r = rig(warmModel(() => ({ pm1: 900, pm25: 1100, pm10: 1300 }), 0));
		const pms = r.open({ warmupMs: 0 });
		expect(r.poll(pms, 3_000)).toHaveLength(0);
		expect(r.errors[0].message).toMatch(/^PMS5003 implausible reading: PM10 1300 µg\/m³ above 1000/);
	});

	it("frames cut short are reported as truncated, never decoded", () => {
		const r = rig();
		const pms = r.open({ warmupMs: 0 });
		r.model.fault = "truncated";
		expect(r.poll(pms, 5_000)).toHaveLength(0);
		expect(r.samples).toHaveLength(0);
		expect(messages(r.errors)).toMatch(/PMS5003 truncated frame \(\d+ of 32 bytes\)/);
		expect(pms.stats.truncated).toBeGreaterThanOrEqual(3);
	});

	it("garbage on the line gives errors, not values", () => {
		const r = rig();
		const pms = r.open({ warmupMs: 0 });
		r.model.fault = "garbage";
		expect(r.poll(pms, 6_000)).toHaveLength(0);
		expect(r.samples).toHaveLength(0);
		expect(messages(r.errors)).toMatch(/PMS5003 not responding.*bytes of noise/);
		expect(pms.stats.noiseBytes).toBeGreaterThan(100);
	});

	it("a baud mismatch gives errors, not values", () => {
		const r = rig(new PMS5003Model({ scenario: steady }), 115_200);
		const pms = r.open({ warmupMs: 0 });
		expect(r.poll(pms, 6_000)).toHaveLength(0);
		expect(r.samples).toHaveLength(0);
		expect(messages(r.errors)).toMatch(/PMS5003 not responding.*wrong baud/);
		// The sensor never understood a command: still in its power-up active mode.
		expect(r.model.stats.commands).toHaveLength(0);
		expect(r.model.stats.noiseBytes + r.model.stats.badCommands).toBeGreaterThan(0);
		expect(r.model.mode).toBe("active");
	});
});

describe("PMS5003 lifecycle", () => {
	it("close twice is safe; it parks the fan and then releases the UART", () => {
		const r = rig();
		const pms = r.open();
		r.clock.advance(100);
		pms.close();
		pms.close();
		r.clock.advance(20);
		expect(r.model.fan).toBe(false);
		expect(r.model.stats.sleeps).toBe(1);
		expect(tail(r.model.stats.rx, 7)).toEqual(SLEEP);
		expect(r.board.pinOwner(16)).toBeUndefined();
		expect(r.board.pinOwner(17)).toBeUndefined();
		r.open().close(); // the port can be opened again
	});

	it("use after close throws, and no callback runs after close", () => {
		const r = rig(warmModel());
		const pms = r.open({ warmupMs: 0 });
		r.clock.advance(100);
		const bad = FRAME.slice();
		bad[31] ^= 0x01;
		r.model.inject([...FRAME, ...bad]); // lands 33 and 67 ms from now
		for (let i = 0; i < 10; i++) pms.request(); // 70 bytes queued: the port stays open ~80 ms after close()
		pms.close();
		r.clock.advance(2_000);
		expect(r.board.pinOwner(16)).toBeUndefined();
		expect(pms.stats.frames).toBe(0);
		expect(pms.stats.badFrames).toBe(0);
		expect(r.samples).toHaveLength(0);
		expect(r.errors).toHaveLength(0);
		expect(() => pms.sample()).toThrow(DriverError);
		expect(() => pms.sample()).toThrow("PMS5003 closed");
		expect(() => pms.request()).toThrow("PMS5003 closed");
		expect(() => pms.wake()).toThrow("PMS5003 closed");
		expect(() => pms.sleep()).toThrow("PMS5003 closed");
		expect(() => pms.configure({ warmupMs: 1 })).toThrow("PMS5003 closed");
	});

	it("bad configuration values are ConfigErrors", () => {
		const r = rig();
		expect(() => r.open({ warmupMs: -1 })).toThrow(ConfigError);
		expect(() => r.open({ maxAgeMs: 0 })).toThrow(ConfigError);
		expect(() => r.open({ stuckLimit: 1.5 })).toThrow(ConfigError);
		const pms = r.open();
		expect(() => pms.configure({ notRespondingMs: Number.NaN })).toThrow(ConfigError);
		expect(() => pms.configure({ stuckLimit: -1 })).toThrow(/PMS5003 invalid stuckLimit/);
	});

	it("a port without a transmit pin is refused before anything is opened", () => {
		const r = rig();
		const port = { ...r.port, transmit: undefined };
		expect(() => new PMS5003({ port, ticks: () => r.clock.ticks() })).toThrow(ConfigError);
		expect(r.board.pinOwner(16)).toBeUndefined();
	});

	it("a UART already in use: DriverError naming the part", () => {
		const r = rig();
		r.open();
		expect(() => r.open()).toThrow(DriverError);
		expect(() => r.open()).toThrow("PMS5003 cannot open UART");
	});
});
