// LampDimmer driver against the 0-10 V lamp model on a SimBoard (ARCHITECTURE §2).
// Portable: runs under vitest on Node and under the XS mini harness — only
// vitest and project imports, only the harness's matchers, no Node APIs.
import { describe, it, expect } from "vitest";
import { VirtualClock } from "../../host-sim/bridge/virtual-clock";
import { SimBoard } from "../../host-sim/io/board";
import { LampDimmerModel, lampLightPercent, type LampDimmerModelOptions } from "../../host-sim/models/lamp-dimmer";
import { LampDimmer, type LampDimmerOptions, type LampDimmerPWMOptions, type LampDimmerRelayOptions } from "../../drivers/lamp-dimmer";
import { ConfigError, DriverError } from "../../firmware/runtime/errors";

const DIM = 25;
const RELAY = 26;

/** A board with the lamp model on GPIO 25 (dim) and 26 (relay), and driver options for it. */
function rig(model: Partial<LampDimmerModelOptions> = {}) {
	const clock = new VirtualClock();
	const board = new SimBoard(clock);
	const device = board.provider({ PWM: { pin: DIM, hz: 1000 }, pin: { lampDim: DIM, lampRelay: RELAY } });
	const lamp = new LampDimmerModel(board, { dimPin: DIM, relayPin: RELAY, ...model });
	// The sim's IO classes stand in for the typings' `embedded:io/*` classes.
	const pwm = { ...device.PWM!.default, io: device.io.PWM } as unknown as LampDimmerPWMOptions;
	const relay = { io: device.io.Digital, pin: RELAY } as unknown as LampDimmerRelayOptions;
	const open = (extra: Partial<LampDimmerOptions> = {}) => new LampDimmer({ pwm, relay, inverted: model.inverted, ...extra });
	return { clock, board, device, lamp, pwm, relay, open };
}

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	return undefined;
}

describe("LampDimmer levels (non-inverted stage)", () => {
	it("starts at the safe state: 100 % with the relay closed", () => {
		const r = rig();
		const dimmer = r.open();
		expect(dimmer.read()).toBe(100);
		expect(r.board.pin(DIM).pwm!.value).toBe(1023);
		expect(r.lamp.controlV).toBe(10);
		expect(r.lamp.relayClosed).toBe(true);
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("0 % opens the relay and drives 0 V", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(0);
		expect(dimmer.read()).toBe(0);
		expect(r.board.pin(DIM).pwm!.value).toBe(0);
		expect(r.board.pin(RELAY).level).toBe(0);
		expect(r.lamp.controlV).toBe(0);
		expect(r.lamp.relayClosed).toBe(false);
		expect(r.lamp.lightPercent).toBe(0);
		expect(r.lamp.powerW).toBe(0);
	});

	it("minPercent: 10 % is about 1 V and the gear's minimum light", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(10);
		expect(r.board.pin(DIM).pwm!.value).toBe(102); // round(0.1 × 1024)
		expect(r.lamp.controlV).toBeCloseTo(0.996, 3);
		expect(r.lamp.relayClosed).toBe(true);
		expect(r.lamp.lightPercent).toBe(10);
	});

	it("a nonzero level below minPercent is raised to it", () => {
		const r = rig();
		const dimmer = r.open({ minPercent: 15 });
		dimmer.write(1);
		expect(dimmer.read()).toBe(15);
		expect(r.board.pin(DIM).pwm!.value).toBe(154);
		expect(r.lamp.lightPercent).toBeCloseTo(15, 0);
	});

	it("50 % is 5 V and half light", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(50);
		expect(r.board.pin(DIM).pwm!.value).toBe(512);
		expect(r.lamp.controlV).toBe(5);
		expect(r.lamp.lightPercent).toBe(50);
		expect(r.lamp.powerW).toBe(50);
	});

	it("100 % is a steady high: exactly 10 V", () => {
		const r = rig();
		const dimmer = r.open({ initialPercent: 0 });
		dimmer.write(100);
		expect(r.board.pin(DIM).pwm!.duty).toBe(1);
		expect(r.lamp.controlV).toBe(10);
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("honours hz and resolution", () => {
		const r = rig();
		const dimmer = r.open({ pwm: { ...r.pwm, hz: 2000, resolution: 12 } });
		dimmer.write(50);
		const pwm = r.board.pin(DIM).pwm!;
		expect(pwm.hz).toBe(2000);
		expect(pwm.resolution).toBe(12);
		expect(pwm.value).toBe(2048);
	});

	it("switching on sets the level before the relay closes; off opens the relay first", () => {
		const r = rig();
		const dimmer = r.open({ initialPercent: 0 });
		const mark = r.lamp.history.length;
		dimmer.write(30);
		const on = r.lamp.history.slice(mark);
		expect(on[0].relayClosed).toBe(false);
		expect(on[0].controlV).toBeGreaterThan(2.9);
		expect(on[on.length - 1].relayClosed).toBe(true);
		expect(on[on.length - 1].lightPercent).toBeCloseTo(30, 0);
		// No intermediate light level on the way up.
		for (const c of on) expect(c.lightPercent === 0 || Math.abs(c.lightPercent - 30) < 0.1).toBe(true);
		const mark2 = r.lamp.history.length;
		dimmer.write(0);
		const off = r.lamp.history.slice(mark2);
		expect(off[0].relayClosed).toBe(false);
		expect(off[0].controlV).toBeGreaterThan(2.9);
		expect(off[off.length - 1].controlV).toBe(0);
	});

	it("configure(minPercent) re-applies the last requested level", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(5);
		expect(dimmer.read()).toBe(10);
		dimmer.configure({ minPercent: 20 });
		expect(dimmer.read()).toBe(20);
		expect(r.lamp.lightPercent).toBeCloseTo(20, 0);
		dimmer.configure({ minPercent: 0 });
		expect(dimmer.read()).toBe(5);
	});

	it("works without a relay (dim-to-off gear on permanent mains)", () => {
		const r = rig({ relayPin: undefined });
		const dimmer = r.open({ relay: undefined });
		dimmer.write(0);
		expect(r.lamp.relayClosed).toBe(true);
		expect(r.lamp.lightPercent).toBe(0);
		expect(r.lamp.powerW).toBe(0.5); // standby
		expect(r.board.pinOwner(RELAY)).toBeUndefined();
	});
});

describe("LampDimmer inverted stage (open-collector sink)", () => {
	it("100 % is duty 0 and 10 V", () => {
		const r = rig({ inverted: true });
		const dimmer = r.open();
		dimmer.write(100);
		expect(r.board.pin(DIM).pwm!.value).toBe(0);
		expect(r.lamp.controlV).toBe(10);
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("50 % is 5 V", () => {
		const r = rig({ inverted: true });
		const dimmer = r.open();
		dimmer.write(50);
		expect(r.board.pin(DIM).pwm!.value).toBe(512);
		expect(r.lamp.controlV).toBe(5);
		expect(r.lamp.lightPercent).toBe(50);
	});

	it("minPercent is about 1 V", () => {
		const r = rig({ inverted: true });
		const dimmer = r.open();
		dimmer.write(10);
		expect(r.board.pin(DIM).pwm!.value).toBe(922);
		expect(r.lamp.controlV).toBeCloseTo(0.996, 3);
		expect(r.lamp.lightPercent).toBe(10);
	});

	it("0 % is a steady high (wire sunk to 0 V) and the relay open", () => {
		const r = rig({ inverted: true });
		const dimmer = r.open();
		dimmer.write(0);
		expect(r.board.pin(DIM).pwm!.duty).toBe(1);
		expect(r.lamp.controlV).toBe(0);
		expect(r.lamp.relayClosed).toBe(false);
		expect(r.lamp.lightPercent).toBe(0);
	});

	it("a fail-safe relay (NC contact, closedLevel 0) is driven low to stay on", () => {
		const r = rig({ inverted: true, relayClosedLevel: 0 });
		const dimmer = r.open({ relay: { ...r.relay, closedLevel: 0 } });
		dimmer.write(40);
		expect(r.board.pin(RELAY).level).toBe(0);
		expect(r.lamp.relayClosed).toBe(true);
		dimmer.write(0);
		expect(r.board.pin(RELAY).level).toBe(1);
		expect(r.lamp.relayClosed).toBe(false);
	});
});

describe("LampDimmer range and configuration", () => {
	it("write out of range throws RangeError and keeps the level", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(40);
		expect(() => dimmer.write(-1)).toThrow(RangeError);
		expect(() => dimmer.write(100.5)).toThrow(RangeError);
		expect(() => dimmer.write(Infinity)).toThrow(RangeError);
		expect(() => dimmer.write("50" as never)).toThrow(RangeError);
		expect(dimmer.read()).toBe(40);
		expect(r.board.pin(DIM).pwm!.value).toBe(410);
		expect(r.lamp.lightPercent).toBeCloseTo(40, 1);
	});

	it("NaN is refused", () => {
		const r = rig();
		const dimmer = r.open();
		expect(() => dimmer.write(NaN)).toThrow(/LampDimmer level NaN/);
		expect(dimmer.read()).toBe(100);
	});

	it("bad options are ConfigErrors naming the key, and open nothing", () => {
		const r = rig();
		const e1 = thrown(() => r.open({ minPercent: 150 }));
		expect(e1).toBeInstanceOf(ConfigError);
		expect((e1 as ConfigError).key).toBe("minPercent");
		const e2 = thrown(() => r.open({ relay: { ...r.relay, closedLevel: 2 as never } }));
		expect((e2 as ConfigError).key).toBe("relay.closedLevel");
		const e3 = thrown(() => r.open({ initialPercent: NaN }));
		expect((e3 as ConfigError).key).toBe("initialPercent");
		expect(r.board.pinOwner(DIM)).toBeUndefined();
		const dimmer = r.open();
		expect(() => dimmer.configure({ minPercent: -5 })).toThrow(ConfigError);
	});

	it("a PWM the LEDC cannot make is a DriverError naming the part", () => {
		const r = rig();
		const e = thrown(() => r.open({ pwm: { ...r.pwm, hz: 100_000, resolution: 10 } }));
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toBe("LampDimmer cannot open PWM");
		expect(r.board.pinOwner(DIM)).toBeUndefined();
	});

	it("a relay pin already in use fails the constructor and releases the PWM", () => {
		const r = rig();
		const other = new r.device.io.Digital({ pin: RELAY, mode: 8 });
		const e = thrown(() => r.open());
		expect(e).toBeInstanceOf(DriverError);
		expect((e as Error).message).toBe("LampDimmer cannot open relay");
		expect(r.board.pinOwner(DIM)).toBeUndefined();
		other.close();
		r.open().close();
	});

	it("an IO failure on write goes to onError when given, else throws DriverError", () => {
		const r = rig();
		let fail = false;
		const Base = r.device.io.PWM;
		class FlakyPWM extends Base {
			override write(value: number): void {
				if (fail) throw new Error("ledc update failed");
				super.write(value);
			}
		}
		const pwm = { ...r.pwm, io: FlakyPWM } as unknown as LampDimmerPWMOptions;
		const errors: unknown[] = [];
		const quiet = r.open({ pwm, onError: (e) => errors.push(e) });
		fail = true;
		quiet.write(30);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(DriverError);
		expect((errors[0] as Error).message).toBe("LampDimmer write failed");
		fail = false;
		quiet.close();
		const loud = r.open({ pwm });
		fail = true;
		expect(() => loud.write(30)).toThrow(DriverError);
		expect(() => r.open({ pwm: { ...pwm, pin: 27 }, relay: undefined })).toThrow("LampDimmer initial write failed");
		expect(r.board.pinOwner(27)).toBeUndefined();
		// close still releases the pins when the park write fails
		loud.close();
		expect(r.board.pinOwner(DIM)).toBeUndefined();
		expect(r.board.pinOwner(RELAY)).toBeUndefined();
	});
});

describe("LampDimmer lifecycle", () => {
	it("close twice is safe, parks at full and frees the pins (inverted stage stays lit)", () => {
		const r = rig({ inverted: true });
		const dimmer = r.open();
		dimmer.write(0);
		expect(r.lamp.lightPercent).toBe(0);
		dimmer.close();
		dimmer.close();
		expect(r.board.pinOwner(DIM)).toBeUndefined();
		expect(r.board.pinOwner(RELAY)).toBeUndefined();
		// LEDC stopped with the pin low: the sink is off, the wire floats to full.
		expect(r.board.pin(DIM).pwm).toBeUndefined();
		expect(r.board.pin(DIM).level).toBe(0);
		expect(r.lamp.controlV).toBe(10);
		// Relay pin reset to input with pull-up: a logic-level relay input reads it closed.
		expect(r.lamp.relayClosed).toBe(true);
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("a non-inverted stage goes dark once released (documented: not fail-safe ON)", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(30);
		dimmer.close();
		// The last level written before release was the park level, 100 %.
		expect(r.lamp.history.some((c) => c.lightPercent === 100 && c.relayClosed)).toBe(true);
		expect(r.lamp.controlV).toBe(0);
		expect(r.lamp.lightPercent).toBe(0);
	});

	it("use after close throws DriverError", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.close();
		expect(() => dimmer.write(50)).toThrow(DriverError);
		expect(() => dimmer.write(50)).toThrow("LampDimmer closed");
		expect(() => dimmer.read()).toThrow("LampDimmer closed");
		expect(() => dimmer.configure({ minPercent: 5 })).toThrow("LampDimmer closed");
	});

	it("the pins can be reopened after close", () => {
		const r = rig();
		r.open().close();
		const again = r.open({ initialPercent: 25 });
		expect(r.lamp.lightPercent).toBeCloseTo(25, 1);
		again.close();
	});
});

describe("lamp model", () => {
	it("light curve: off below 0.5 V, minimum to 1 V, 10 %/V, capped", () => {
		expect(lampLightPercent(0)).toBe(0);
		expect(lampLightPercent(0.49)).toBe(0);
		expect(lampLightPercent(0.5)).toBe(10);
		expect(lampLightPercent(3)).toBe(30);
		expect(lampLightPercent(12)).toBe(100);
	});

	it("tracks on-time and energy against board time", () => {
		const r = rig({ ratedW: 100, standbyW: 0.5 });
		const dimmer = r.open({ initialPercent: 0 });
		dimmer.write(50);
		r.clock.advance(3_600_000);
		dimmer.write(0);
		r.clock.advance(3_600_000);
		expect(r.lamp.onMs).toBe(3_600_000);
		expect(r.lamp.energyWh).toBeCloseTo(50, 6); // relay open: no standby
	});

	it("open-wire fault: the gear sees open circuit and goes to full", () => {
		const r = rig({ relayPin: undefined });
		const dimmer = r.open({ relay: undefined });
		dimmer.write(0);
		r.lamp.fault = "open-wire";
		expect(r.lamp.controlV).toBe(10);
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("short-wire fault: 0 V, off", () => {
		const r = rig();
		const dimmer = r.open();
		r.lamp.fault = "short-wire";
		expect(r.lamp.lightPercent).toBe(0);
		expect(dimmer.read()).toBe(100); // the driver cannot know: no feedback
	});

	it("stuck fault: the gear holds its light whatever the input", () => {
		const r = rig();
		const dimmer = r.open();
		dimmer.write(60);
		r.lamp.fault = "stuck";
		dimmer.write(20);
		expect(r.lamp.lightPercent).toBeCloseTo(60, 1);
		r.lamp.fault = undefined;
		expect(r.lamp.lightPercent).toBeCloseTo(20, 1);
	});

	it("lamp-dead: no light, standby power", () => {
		const r = rig();
		r.open();
		r.lamp.fault = "lamp-dead";
		expect(r.lamp.lightPercent).toBe(0);
		expect(r.lamp.powerW).toBe(0.5);
	});

	it("relay faults: welded keeps power, stuck open removes it", () => {
		const r = rig();
		const dimmer = r.open();
		r.lamp.fault = "relay-stuck-open";
		expect(r.lamp.lightPercent).toBe(0);
		r.lamp.fault = "relay-welded";
		dimmer.write(0);
		expect(r.lamp.relayClosed).toBe(true);
		expect(r.lamp.powerW).toBe(0.5); // dim-to-off, still on mains
	});

	it("mains loss darkens the lamp and stops the on-time", () => {
		const r = rig();
		r.open();
		r.clock.advance(1000);
		r.lamp.mains = false;
		r.clock.advance(5000);
		expect(r.lamp.lightPercent).toBe(0);
		expect(r.lamp.onMs).toBe(1000);
		r.lamp.mains = true;
		expect(r.lamp.lightPercent).toBe(100);
	});

	it("detach stops following the pins", () => {
		const r = rig();
		const dimmer = r.open();
		r.lamp.detach();
		const changes = r.lamp.stats.changes;
		dimmer.write(30);
		expect(r.lamp.stats.changes).toBe(changes);
		expect(r.lamp.stats.relaySwitches).toBe(1);
	});
});
