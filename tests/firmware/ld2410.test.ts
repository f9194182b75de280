// LD2410 driver against the LD2410 UART model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs, no
// Moddable specifiers (the board is built directly on a VirtualClock).
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import type { SerialLine, SerialModel } from "../../host-sim/io/models";
import { LD2410Model, LD2410_COMMAND, ld2410AckFrame, ld2410CommandFrame, ld2410ReportFrame, type PresenceScenario } from "../../host-sim/models/ld2410";
import { LD2410, type LD2410Identity, type LD2410Options, type LD2410PortOptions, type LD2410Report } from "../../drivers/ld2410";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const UART = { port: 1, receive: 32, transmit: 33, baud: 256_000 };
const nobody: PresenceScenario = () => undefined;

/** A 23-byte basic report captured from a real LD2410 (Home Assistant forum, 2024): both targets. */
const CAPTURED = [0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa, 0x03, 0x4f, 0x00, 0x64, 0x4c, 0x00, 0x64, 0x32, 0x00, 0x55, 0x00, 0xf8, 0xf7, 0xf6, 0xf5];
const CAPTURED_REPORT: LD2410Report = {
	presence: true,
	moving: true,
	stationary: true,
	movingCm: 79,
	movingEnergy: 100,
	stationaryCm: 76,
	stationaryEnergy: 100,
	detectionCm: 50,
};

/** A board with (or without) a device on UART 1, and an opener for the driver that records reports and errors. */
function rig(model: SerialModel | null = new LD2410Model({ scenario: nobody })) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	if (model) board.attachSerial(1, model);
	const device = board.provider({ Serial: UART });
	// The sim's Serial class stands in for the typings' `embedded:io/serial` class.
	const port = { ...device.Serial!.default, io: device.io.Serial } as unknown as LD2410PortOptions;
	const errors: DriverError[] = [];
	const reports: LD2410Report[] = [];
	const open = (extra: Partial<LD2410Options> = {}) =>
		new LD2410({ port, ticks: () => clock.ticks(), onError: (e) => errors.push(e), onReport: (r) => reports.push(r), ...extra });
	return { clock, board, device, port, open, errors, reports, model: model as LD2410Model };
}

/** A rig whose model only speaks when told to (`model.send`): for hand-built byte streams. */
function quietRig() {
	const r = rig(new LD2410Model({ scenario: nobody }));
	r.model.fault = "silent";
	return r;
}

function identity(ld: LD2410, timeoutMs?: number) {
	const result: { calls: number; error?: DriverError; identity?: LD2410Identity } = { calls: 0 };
	ld.identify((error, id) => {
		result.calls++;
		result.error = error;
		result.identity = id;
	}, timeoutMs);
	return result;
}

function messages(errors: DriverError[]): string {
	return errors.map((e) => e.message).join(" | ");
}

describe("LD2410 report frames (protocol §2.3)", () => {
	it("a captured report frame decodes exactly", () => {
		const r = quietRig();
		const ld = r.open();
		r.model.send(CAPTURED);
		r.clock.advance(5);
		expect(ld.read()).toEqual(CAPTURED_REPORT);
		expect(r.reports).toHaveLength(1);
		expect(ld.stats.frames).toBe(1);
		expect(ld.stats.badFrames).toBe(0);
		expect(r.errors).toHaveLength(0);
	});

	it("the model builds the same bytes for the same report", () => {
		const frame = ld2410ReportFrame({ state: 3, movingCm: 79, movingEnergy: 100, stationaryCm: 76, stationaryEnergy: 100, detectionCm: 50 });
		expect(Array.from(frame)).toEqual(CAPTURED);
	});

	it("an engineering frame (type 0x01) yields its basic target data", () => {
		const r = quietRig();
		const ld = r.open();
		// length 35: type, 0xAA, 9 target bytes, 2 farthest gates, 9 + 9 gate energies, 2 extra, 0x55, 0x00
		const data = [0x01, 0xaa, 0x01, 0x2c, 0x01, 0x3c, 0x00, 0x00, 0x00, 0x2c, 0x01, 0x08, 0x08];
		for (let k = 0; k < 20; k++) data.push(k);
		data.push(0x55, 0x00);
		r.model.send([0xf4, 0xf3, 0xf2, 0xf1, data.length, 0x00, ...data, 0xf8, 0xf7, 0xf6, 0xf5]);
		r.clock.advance(5);
		expect(data.length).toBe(35);
		expect(ld.read()).toEqual({ presence: true, moving: true, stationary: false, movingCm: 300, movingEnergy: 60, stationaryCm: 0, stationaryEnergy: 0, detectionCm: 300 });
	});

	it("resyncs on the header after garbage, counting the garbage once", () => {
		const r = quietRig();
		const ld = r.open();
		r.model.send([0x13, 0xf4, 0xf3, 0x77, 0xfd, 0xfc, 0x00, 0xf4, 0x55, 0x00, ...CAPTURED]);
		r.clock.advance(5);
		expect(ld.read()).toEqual(CAPTURED_REPORT);
		expect(ld.stats.badFrames).toBe(1);
		expect(r.errors).toHaveLength(0);
	});

	it("resyncs after a truncated frame and finds the header inside it", () => {
		const r = quietRig();
		const ld = r.open();
		const other = Array.from(ld2410ReportFrame({ state: 1, movingCm: 120, movingEnergy: 33, stationaryCm: 0, stationaryEnergy: 0, detectionCm: 120 }));
		r.model.send(other.slice(0, 12)); // cut after 12 bytes
		r.model.send(CAPTURED);
		r.clock.advance(5);
		expect(ld.read()).toEqual(CAPTURED_REPORT);
		expect(ld.stats.frames).toBe(1);
		expect(ld.stats.badFrames).toBe(1);
	});

	it("a frame split across two arrivals decodes once complete", () => {
		const r = quietRig();
		const ld = r.open();
		r.model.send(CAPTURED.slice(0, 3));
		r.clock.advance(5);
		expect(ld.read()).toBeUndefined();
		r.model.send(CAPTURED.slice(3));
		r.clock.advance(5);
		expect(ld.read()).toEqual(CAPTURED_REPORT);
		expect(ld.stats.badFrames).toBe(0);
	});

	it("rejects a wrong footer, tail, check byte, type and length", () => {
		const r = quietRig();
		const ld = r.open({ badFrameLimit: 10 });
		const corrupt = (at: number, value: number) => {
			const f = CAPTURED.slice();
			f[at] = value;
			return f;
		};
		r.model.send(corrupt(22, 0x00)); // footer
		r.model.send(corrupt(17, 0x56)); // tail
		r.model.send(corrupt(18, 0x01)); // check
		r.model.send(corrupt(6, 0x05)); // type
		r.model.send(corrupt(7, 0xab)); // head
		r.model.send(corrupt(4, 0xff)); // length
		r.clock.advance(10);
		expect(ld.read()).toBeUndefined();
		expect(ld.stats.frames).toBe(0);
		expect(ld.stats.badFrames).toBe(6);
		r.model.send(CAPTURED);
		r.clock.advance(5);
		expect(ld.read()).toEqual(CAPTURED_REPORT);
	});
});

describe("LD2410 presence from the scenario", () => {
	const walk: PresenceScenario = (t) => {
		if (t < 1000) return undefined;
		if (t < 3000) return { moving: { cm: 250, energy: 60 } };
		if (t < 5000) return { moving: { cm: 140, energy: 30 }, stationary: { cm: 120, energy: 45 } };
		return { stationary: { cm: 120, energy: 45 } };
	};

	it("follows nobody → moving → both → stationary", () => {
		const r = rig(new LD2410Model({ scenario: walk }));
		const ld = r.open();
		r.clock.advance(500);
		expect(ld.read()!.presence).toBe(false);
		r.clock.advance(1000); // 1.5 s
		const m = ld.read()!;
		expect([m.presence, m.moving, m.stationary, m.movingCm, m.detectionCm]).toEqual([true, true, false, 250, 250]);
		expect(Math.abs(m.movingEnergy - 60)).toBeLessThanOrEqual(3);
		r.clock.advance(2000); // 3.5 s
		const both = ld.read()!;
		expect([both.moving, both.stationary, both.movingCm, both.stationaryCm, both.detectionCm]).toEqual([true, true, 140, 120, 120]);
		r.clock.advance(2000); // 5.5 s
		const s = ld.read()!;
		expect([s.presence, s.moving, s.stationary, s.stationaryCm]).toEqual([true, false, true, 120]);
		expect(Math.abs(s.stationaryEnergy - 45)).toBeLessThanOrEqual(3);
		expect(r.errors).toHaveLength(0);
		expect(ld.stats.badFrames).toBe(0);
	});

	it("reports about ten times a second", () => {
		const r = rig(new LD2410Model({ scenario: walk }));
		const ld = r.open();
		r.clock.advance(2000);
		expect(r.reports.length).toBeGreaterThanOrEqual(19);
		expect(r.reports.length).toBeLessThanOrEqual(20);
		expect(ld.stats.frames).toBe(r.reports.length);
	});

	it("a target beyond the farthest gate (6 m) is not reported", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 650, energy: 40 } }) }));
		const ld = r.open();
		r.clock.advance(300);
		expect(ld.read()!.presence).toBe(false);
	});

	it("read() returns undefined once the latest report is older than staleMs", () => {
		const r = rig(new LD2410Model({ scenario: walk }));
		const ld = r.open({ staleMs: 500 });
		r.clock.advance(1500);
		expect(ld.read()).toBeDefined();
		r.model.fault = "silent";
		r.clock.advance(450);
		expect(ld.read()).toBeDefined();
		r.clock.advance(100);
		expect(ld.read()).toBeUndefined();
	});
});

describe("LD2410 commands (protocol §2.2)", () => {
	it("identify: enable configuration → read firmware version → end configuration", () => {
		const r = rig();
		const ld = r.open();
		r.clock.advance(250);
		const got = identity(ld);
		r.clock.advance(100);
		expect(got.calls).toBe(1);
		expect(got.error).toBeUndefined();
		expect(got.identity).toEqual({ firmware: "V1.07.22091615", firmwareType: 0, major: 1, minor: 7, build: 0x22091615, protocolVersion: 1, bufferSize: 64 });
		expect(r.model.stats.commands).toEqual([LD2410_COMMAND.enableConfiguration, LD2410_COMMAND.readFirmwareVersion, LD2410_COMMAND.endConfiguration]);
		expect(r.model.configuring).toBe(false);
		const before = ld.stats.frames;
		r.clock.advance(300);
		expect(ld.stats.frames).toBeGreaterThan(before); // reporting again
		expect(ld.read()).toBeDefined();
	});

	it("identify reports the model's firmware", () => {
		const r = rig(new LD2410Model({ firmware: { major: 2, minor: 0x04, build: 0x23022511 } }));
		const ld = r.open();
		const got = identity(ld);
		r.clock.advance(100);
		expect(got.identity!.firmware).toBe("V2.04.23022511");
	});

	it("no answer: the callback gets a DriverError at the deadline, not before", () => {
		const r = rig();
		r.model.fault = "silent";
		const ld = r.open({ staleMs: 10_000 });
		const got = identity(ld, 200);
		r.clock.advance(150);
		expect(ld.read()).toBeUndefined();
		expect(got.calls).toBe(0);
		r.clock.advance(60);
		ld.read();
		expect(got.calls).toBe(1);
		expect(got.error).toBeInstanceOf(DriverError);
		expect(got.error!.message).toBe("LD2410 no answer after 200 ms");
		// The driver is free again, and works once the radar answers.
		r.model.fault = undefined;
		const again = identity(ld, 200);
		r.clock.advance(100);
		expect(again.identity!.major).toBe(1);
	});

	it("a radar left in configuration mode is told to end it after a failed command", () => {
		const r = rig(new LD2410Model({ ackDelayMs: 150 }));
		const ld = r.open();
		const got = identity(ld, 100); // the enable ACK comes too late
		r.clock.advance(120);
		ld.read();
		expect(got.error!.message).toMatch(/no answer after 100 ms/);
		r.clock.advance(400);
		expect(r.model.configuring).toBe(false);
		expect(r.model.stats.commands).toEqual([LD2410_COMMAND.enableConfiguration, LD2410_COMMAND.endConfiguration]);
	});

	it("a refused command reaches the callback with its status", () => {
		const refuser: SerialModel = {
			baud: 256_000,
			receive(bytes: Uint8Array, line: SerialLine) {
				line.send(ld2410AckFrame(bytes[6] | (bytes[7] << 8), 1));
			},
		};
		const r = rig(refuser);
		const ld = r.open();
		const got = identity(ld);
		r.clock.advance(50);
		expect(got.error!.message).toBe("LD2410 command 0x00ff refused (status 1)");
	});

	it("setRange writes the farthest gates (§2.2.3) and the radar applies them", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 300, energy: 50 } }) }));
		const ld = r.open();
		r.clock.advance(250);
		expect(ld.read()!.moving).toBe(true);
		let result: unknown = "pending";
		ld.setRange({ movingGate: 3, stationaryGate: 4, unmannedS: 10 }, (e) => (result = e));
		r.clock.advance(100);
		expect(result).toBeUndefined();
		expect(r.model.parameters).toEqual({ movingGate: 3, stationaryGate: 4, unmannedS: 10 });
		r.clock.advance(300);
		expect(ld.read()!.moving).toBe(false); // 300 cm is beyond gate 3 (225 cm)
	});

	it("setRange rejects out-of-range values with ConfigError and sends nothing", () => {
		const r = rig();
		const ld = r.open();
		const ok = () => {};
		expect(() => ld.setRange({ movingGate: 9, stationaryGate: 4, unmannedS: 5 }, ok)).toThrow(ConfigError);
		expect(() => ld.setRange({ movingGate: 2, stationaryGate: 1, unmannedS: 5 }, ok)).toThrow(/stationaryGate/);
		expect(() => ld.setRange({ movingGate: 2, stationaryGate: 2, unmannedS: 70_000 }, ok)).toThrow(/unmannedS/);
		expect(() => ld.identify(ok, 0)).toThrow(ConfigError);
		r.clock.advance(100);
		expect(r.model.stats.commands).toHaveLength(0);
	});

	it("a second command while one is in flight is refused", () => {
		const r = rig();
		const ld = r.open();
		identity(ld);
		expect(() => identity(ld)).toThrow("LD2410 busy");
	});

	it("a receive-only port cannot send commands", () => {
		const r = rig();
		const { transmit: _transmit, ...receiveOnly } = r.port;
		const ld = new LD2410({ port: receiveOnly, ticks: () => r.clock.ticks() });
		expect(() => identity(ld)).toThrow(/no transmit pin/);
		r.clock.advance(250);
		expect(ld.read()).toBeDefined(); // still listens
	});

	it("the model ignores commands outside configuration mode and malformed frames", () => {
		const r = rig();
		const serial = new r.device.io.Serial({ ...UART, format: "buffer" });
		serial.write(ld2410CommandFrame(LD2410_COMMAND.readFirmwareVersion));
		const bad = ld2410CommandFrame(LD2410_COMMAND.enableConfiguration, [1, 0]);
		bad[bad.length - 1] = 0x00;
		serial.write(bad);
		serial.write(ld2410CommandFrame(LD2410_COMMAND.enableConfiguration, [2, 0]));
		r.clock.advance(50);
		expect(r.model.stats.acks).toBe(0);
		expect(r.model.configuring).toBe(false);
		serial.close();
	});

	it("the model stops reporting in configuration mode and resumes after it (§2.4)", () => {
		const r = rig();
		const serial = new r.device.io.Serial({ ...UART, format: "buffer" });
		serial.write(ld2410CommandFrame(LD2410_COMMAND.enableConfiguration, [1, 0]));
		r.clock.advance(500);
		const ack = new Uint8Array(serial.read() as ArrayBuffer);
		expect(Array.from(ack)).toEqual(Array.from(ld2410AckFrame(LD2410_COMMAND.enableConfiguration, 0, [1, 0, 0x40, 0])));
		serial.write(ld2410CommandFrame(LD2410_COMMAND.endConfiguration));
		r.clock.advance(350);
		const after = new Uint8Array(serial.read() as ArrayBuffer);
		expect(after.length).toBe(14 + 3 * 23); // end-configuration ACK, then reports again
		serial.close();
	});
});

describe("LD2410 faults", () => {
	it("silent radar: one 'not responding' error after 3 × staleMs", () => {
		const r = rig();
		r.model.fault = "silent";
		const ld = r.open({ staleMs: 500 });
		r.clock.advance(1400);
		expect(ld.read()).toBeUndefined();
		expect(r.errors).toHaveLength(0);
		r.clock.advance(200);
		expect(ld.read()).toBeUndefined();
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0]).toBeInstanceOf(DriverError);
		expect(r.errors[0].message).toBe("LD2410 not responding: no valid frame for more than 1500 ms");
		r.clock.advance(5000);
		ld.read();
		expect(r.errors).toHaveLength(1); // once per episode
	});

	it("silence is noticed when the radar recovers and goes silent again", () => {
		const r = rig();
		r.model.fault = "silent";
		const ld = r.open({ staleMs: 200 });
		r.clock.advance(700);
		ld.read();
		r.model.fault = undefined;
		r.clock.advance(300);
		expect(ld.read()).toBeDefined();
		r.model.fault = "silent";
		r.clock.advance(700);
		ld.read();
		expect(r.errors).toHaveLength(2);
	});

	it("garbage: bad frames in a row, no reports", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 200, energy: 50 } }) }));
		r.model.fault = "garbage";
		const ld = r.open();
		r.clock.advance(1000);
		expect(ld.read()).toBeUndefined();
		expect(r.reports).toHaveLength(0);
		expect(ld.stats.badFrames).toBeGreaterThanOrEqual(3);
		expect(messages(r.errors)).toMatch(/LD2410 3 bad frames in a row \(noise\)/);
		expect(r.errors).toHaveLength(1);
	});

	it("truncated frames: bad frames in a row, then recovery", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ stationary: { cm: 90, energy: 70 } }) }));
		r.model.fault = "truncated";
		const ld = r.open();
		r.clock.advance(1000);
		expect(ld.read()).toBeUndefined();
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0].message).toMatch(/^LD2410 3 bad frames in a row/);
		r.model.fault = undefined;
		r.clock.advance(300);
		expect(ld.read()!.stationaryCm).toBe(90);
	});

	it("bad footer: every frame rejected", () => {
		const r = rig();
		r.model.fault = "bad-footer";
		const ld = r.open();
		r.clock.advance(1000);
		expect(ld.read()).toBeUndefined();
		expect(ld.stats.frames).toBe(0);
		expect(r.errors[0].message).toBe("LD2410 3 bad frames in a row (footer mismatch)");
	});

	it("stuck output: identical reports with a target are reported and not published", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ stationary: { cm: 150, energy: 50 } }) }));
		const ld = r.open({ stuckLimit: 10, staleMs: 500 });
		r.clock.advance(2000);
		expect(r.errors).toHaveLength(0); // real returns jitter
		r.model.fault = "stuck";
		r.clock.advance(2000);
		expect(messages(r.errors)).toMatch(/^LD2410 output stuck: 10 identical reports/);
		expect(r.errors).toHaveLength(1);
		expect(ld.read()).toBeUndefined();
		r.model.fault = undefined;
		r.clock.advance(300);
		expect(ld.read()!.stationaryCm).toBe(150);
	});

	it("identical reports of nobody are normal, not stuck", () => {
		const r = rig();
		const ld = r.open({ stuckLimit: 5 });
		r.clock.advance(3000);
		expect(r.errors).toHaveLength(0);
		expect(ld.read()!.presence).toBe(false);
	});

	it("implausible values are reported once per episode and not published", () => {
		const r = quietRig();
		const ld = r.open();
		const frame = (over: Partial<{ state: number; movingCm: number; movingEnergy: number; stationaryCm: number; stationaryEnergy: number; detectionCm: number }>) =>
			ld2410ReportFrame({ state: 1, movingCm: 200, movingEnergy: 40, stationaryCm: 0, stationaryEnergy: 0, detectionCm: 200, ...over });
		r.model.send(frame({ movingCm: 700 }));
		r.model.send(frame({ movingCm: 650 }));
		r.clock.advance(5);
		expect(ld.read()).toBeUndefined();
		expect(r.errors).toHaveLength(1);
		expect(r.errors[0].message).toBe("LD2410 implausible report: moving distance 700 cm > 600 cm");
		r.model.send(frame({}));
		r.model.send(frame({ stationaryEnergy: 120 }));
		r.model.send(frame({}));
		r.model.send(frame({ state: 7 }));
		r.clock.advance(5);
		expect(messages(r.errors)).toMatch(/stationary energy 120 > 100 \| LD2410 implausible report: unknown target state 7$/);
		expect(ld.read()!.movingCm).toBe(200); // the last plausible report
		expect(ld.stats.implausible).toBe(4);
		expect(ld.stats.frames).toBe(6);
	});

	it("without onError, the next read() throws the fault", () => {
		const r = rig();
		r.model.fault = "bad-footer";
		const ld = new LD2410({ port: r.port, ticks: () => r.clock.ticks() });
		r.clock.advance(1000);
		expect(() => ld.read()).toThrow(DriverError);
		expect(ld.read()).toBeUndefined(); // thrown once
	});

	it("baud mismatch (opened at 115200): errors, never a report", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 200, energy: 50 } }) }));
		const ld = r.open({ port: { ...r.port, baud: 115_200 } });
		const got = identity(ld, 300);
		r.clock.advance(2000);
		expect(ld.read()).toBeUndefined();
		expect(r.reports).toHaveLength(0);
		expect(ld.stats.frames).toBe(0);
		expect(messages(r.errors)).toMatch(/bad frames in a row \(noise\)/);
		expect(got.error!.message).toBe("LD2410 no answer after 300 ms");
		expect(r.model.stats.acks).toBe(0);
	});
});

describe("LD2410 lifecycle", () => {
	it("close twice is safe and frees the UART and its pins", () => {
		const r = rig();
		const ld = r.open();
		expect(r.board.pinOwner(32)).toBeDefined();
		ld.close();
		ld.close();
		expect(r.board.pinOwner(32)).toBeUndefined();
		expect(r.board.pinOwner(33)).toBeUndefined();
		const again = r.open();
		r.clock.advance(250);
		expect(again.read()).toBeDefined();
		again.close();
	});

	it("use after close throws DriverError", () => {
		const r = rig();
		const ld = r.open();
		ld.close();
		expect(() => ld.read()).toThrow(DriverError);
		expect(() => ld.read()).toThrow("LD2410 closed");
		expect(() => ld.configure({ staleMs: 100 })).toThrow("LD2410 closed");
		expect(() => identity(ld)).toThrow("LD2410 closed");
		expect(() => ld.setRange({ movingGate: 8, stationaryGate: 8, unmannedS: 5 }, () => {})).toThrow("LD2410 closed");
	});

	it("no callback runs after close", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 200, energy: 50 } }) }));
		const ld = r.open({ staleMs: 100 });
		r.clock.advance(250);
		const seen = r.reports.length;
		expect(seen).toBeGreaterThan(0);
		const got = identity(ld, 50);
		ld.close();
		r.clock.advance(2000);
		expect(r.reports).toHaveLength(seen);
		expect(r.errors).toHaveLength(0);
		expect(got.calls).toBe(0);
	});

	it("a callback may close the driver mid-stream", () => {
		const r = rig(new LD2410Model({ scenario: () => ({ moving: { cm: 200, energy: 50 } }) }));
		let count = 0;
		const ld: LD2410 = r.open({
			onReport: () => {
				count++;
				ld.close();
			},
		});
		r.clock.advance(1000);
		expect(count).toBe(1);
		expect(() => ld.read()).toThrow("LD2410 closed");
	});

	it("configure and the constructor reject bad values with ConfigError", () => {
		const r = rig();
		const ld = r.open();
		expect(() => ld.configure({ staleMs: 0 })).toThrow(ConfigError);
		expect(() => ld.configure({ badFrameLimit: 0 })).toThrow(/badFrameLimit/);
		expect(() => ld.configure({ stuckLimit: -1 })).toThrow(/stuckLimit/);
		ld.close();
		expect(() => r.open({ staleMs: Number.NaN })).toThrow(ConfigError);
		expect(() => new LD2410({ port: r.port } as unknown as LD2410Options)).toThrow(/ticks/);
		expect(r.board.pinOwner(32)).toBeUndefined(); // nothing opened
	});

	it("a UART already in use: the constructor throws DriverError", () => {
		const r = rig();
		const first = r.open();
		expect(() => r.open()).toThrow(DriverError);
		expect(() => r.open()).toThrow(/LD2410 cannot open UART/);
		first.close();
	});
});
