import { describe, expect, it } from "vitest";
import { boardTopic, deviceTopic, allDevicesFilter, parseTopic, TIME_TOPIC } from "../../firmware/contract/topics";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { ProtocolError } from "../../firmware/runtime/errors";
import { encode } from "../../firmware/net/cbor/index";

describe("topics", () => {
	it("builds and parses every device channel", () => {
		expect(deviceTopic("pole-1", "cmd/res")).toBe("cs/v1/dev/pole-1/cmd/res");
		expect(parseTopic("cs/v1/dev/pole-1/cfg/desired")).toEqual({ kind: "device", deviceId: "pole-1", channel: "cfg/desired" });
		expect(parseTopic(boardTopic("FUR_CREEK_RES"))).toEqual({ kind: "board", stopId: "FUR_CREEK_RES" });
		expect(parseTopic(TIME_TOPIC)).toEqual({ kind: "time" });
		expect(allDevicesFilter("health", "ops")).toBe("$share/ops/cs/v1/dev/+/health");
	});
	it("rejects ids that would break the topic tree", () => {
		expect(() => deviceTopic("a/b", "status")).toThrow(RangeError);
		expect(() => deviceTopic("+", "status")).toThrow(RangeError);
		expect(() => boardTopic("")).toThrow(RangeError);
		expect(parseTopic("cs/v1/dev/x/unknown")).toBeUndefined();
		expect(parseTopic("cs/v2/dev/x/status")).toBeUndefined();
	});
});

describe("payload codec", () => {
	const status = { v: 1, state: "online", role: "light-pole", fw: "0.1.0", board: "generic", boot: "poweron", bootCount: 3, t: 1_767_225_600_000 } as const;
	it("round-trips a status and drops undefined fields", () => {
		const bytes = encodePayload("status", { ...status, boot: undefined });
		const back = decodePayload("status", bytes);
		expect(back.bootCount).toBe(3);
		expect("boot" in back && back.boot !== undefined).toBe(false);
	});
	it("refuses to encode a payload that breaks the contract", () => {
		expect(() => encodePayload("status", { ...status, state: "sleepy" as "online" })).toThrow(ProtocolError);
	});
	it("rejects malformed CBOR, wrong shapes, unknown fields and future versions", () => {
		expect(() => decodePayload("status", new Uint8Array([0xa1]))).toThrow(/malformed CBOR/);
		expect(() => decodePayload("status", encode([1, 2]))).toThrow(/expected a map/);
		expect(() => decodePayload("status", encode({ ...status, extra: 1 }))).toThrow(/unknown field "extra"/);
		expect(() => decodePayload("status", encode({ ...status, v: 2 }))).toThrow(/status.v/);
		expect(() => decodePayload("health", encode({ v: 1 }))).toThrow(ProtocolError);
	});
});
