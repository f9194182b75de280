import { beforeEach, describe, expect, it } from "vitest";
import Preference from "preference";
import { createMemoryBridge, installBridge } from "../../host-sim/bridge/memory";
import { Config, CONFIG_DOMAIN } from "../../firmware/runtime/config";
import { ConfigError } from "../../firmware/runtime/errors";
import { DEFAULTS } from "./fixtures";

describe("config", () => {
	beforeEach(() => {
		installBridge(createMemoryBridge());
	});

	it("loads manifest defaults", () => {
		const c = new Config(DEFAULTS);
		expect(c.get("mqttPort")).toBe(1883);
		expect(c.get("role")).toBe("stop-sign");
		expect(c.issues).toHaveLength(0);
	});

	it("a missing default halts with the key named", () => {
		const d: Record<string, unknown> = { ...DEFAULTS };
		delete d.mqttHost;
		expect(() => new Config(d)).toThrow(/default for "mqttHost" is missing/);
	});

	it("an invalid default is a ConfigError naming the key and range", () => {
		expect(() => new Config({ ...DEFAULTS, mqttPort: 70_000 })).toThrow(/mqttPort.*70000 is outside 1..65535/);
		expect(() => new Config({ ...DEFAULTS, role: "kiosk" })).toThrow(ConfigError);
	});

	it("set persists to Preference and survives a reload", () => {
		const c = new Config(DEFAULTS);
		c.set("healthMs", 30_000);
		expect(Preference.get(CONFIG_DOMAIN, "healthMs")).toBe(30_000);
		expect(new Config(DEFAULTS).get("healthMs")).toBe(30_000);
	});

	it("a bad value is rejected and the last good value stays", () => {
		const c = new Config(DEFAULTS);
		c.set("healthMs", 30_000);
		expect(() => c.set("healthMs", 10)).toThrow(/healthMs: 10 is outside/);
		expect(() => c.apply({ logLevel: "verbose" })).toThrow(/expected one of error\|warn\|info\|debug/);
		expect(c.get("healthMs")).toBe(30_000);
		expect(new Config(DEFAULTS).get("healthMs")).toBe(30_000);
	});

	it("apply is all or nothing", () => {
		const c = new Config(DEFAULTS);
		expect(() => c.apply({ healthMs: 20_000, mqttPort: -1 })).toThrow(/mqttPort/);
		expect(c.get("healthMs")).toBe(DEFAULTS.healthMs);
	});

	it("an unknown key is rejected by name", () => {
		const c = new Config(DEFAULTS);
		expect(() => c.apply({ colour: "red" })).toThrow(/unknown key "colour"/);
	});

	it("a corrupt stored value falls back to the default and is reported", () => {
		Preference.set(CONFIG_DOMAIN, "mqttPort", "not-a-port");
		Preference.set(CONFIG_DOMAIN, "oldKey", 1);
		const c = new Config(DEFAULTS);
		expect(c.get("mqttPort")).toBe(1883);
		expect(c.issues.map((i) => i.key).sort()).toEqual(["mqttPort", "oldKey"]);
	});

	it("setting the default value removes the override", () => {
		const c = new Config(DEFAULTS);
		c.set("healthMs", 30_000);
		c.reset("healthMs");
		expect(Preference.get(CONFIG_DOMAIN, "healthMs")).toBeUndefined();
	});

	it("listeners hear only real changes; live keys are flagged", () => {
		const c = new Config(DEFAULTS);
		const heard: string[][] = [];
		c.onChange((k) => heard.push(k));
		c.apply({ logLevel: "debug", healthMs: DEFAULTS.healthMs });
		expect(heard).toEqual([["logLevel"]]);
		expect(Config.isLive(["logLevel", "healthMs"])).toBe(true);
		expect(Config.isLive(["mqttHost"])).toBe(false);
	});
});
