/*
 * Wire contract of the sync and control plane (firmware/contract): every
 * payload kind round-trips through encodePayload/decodePayload, every
 * validator names the offending field path, and the uplink's spliced batches
 * are byte-identical to encodePayload("up"). Portable: Node (vitest) and XS.
 */
import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, isPayloadKind, type PayloadKind, type PayloadTypes } from "../../firmware/contract/codec";
import { MAX_SEQ, seqRanges, type RecordTime, type UpPayload, type UpRecord } from "../../firmware/contract/sync-payloads";
import { encode, type CborMap } from "../../firmware/net/cbor/index";
import { spliceBatch } from "../../firmware/net/uplink";
import { ProtocolError } from "../../firmware/runtime/errors";

const T0 = 1_767_225_600_000;

/** One valid payload of each kind, with every optional field set. */
const SAMPLES: { [K in PayloadKind]?: PayloadTypes[K] } = {
	up: {
		v: 1,
		id: 7,
		tx: 123_456,
		boot: 3,
		t0: T0,
		lost: 2,
		r: [
			[1, T0 + 5, "AirQualityObserved", { pm25: 12, temperature: 21.5, name: "Gare — 北口" }],
			[2, [3, 4_000], "outbox.loss", { first: 10, last: 12, count: 3 }],
		],
	},
	ack: { v: 1, id: 7, tx: 123_456, now: T0 + 1_000, acked: [[1, 2], [5, 5]] },
	time: { v: 1, now: T0 },
	cmd: { v: 1, id: "c-0001:a", exp: T0 + 60_000, name: "ping", args: { n: 1, s: "x", deep: { ok: true } } },
	"cmd/res": { v: 1, id: "c-0001:a", ok: true, code: "ok", msg: "done", data: { uptimeS: 12, t: null } },
	"cfg/desired": { v: 1, rev: 4, values: { healthMs: 30_000, logLevel: "debug", stopId: "FUR_CREEK_RES", flag: true } },
	"cfg/reported": { v: 1, rev: 4, state: "pending-reboot", appliedRev: 4, values: { mqttPass: "(set)", mqttPort: 1883 }, pending: ["mqttHost"], error: "none" },
	log: { v: 1, boot: 3, t0: T0, reason: "error", dropped: 1, e: [[10, "error", "cloud", "lost link"], [11, "info", "net", "ünïcode ✓"]] },
};

function roundTrip<K extends PayloadKind>(kind: K, value: PayloadTypes[K]): PayloadTypes[K] {
	const bytes = encodePayload(kind, value);
	const back = decodePayload(kind, bytes);
	// Decoding then re-encoding gives the same bytes (deterministic encoding).
	expect(encodePayload(kind, back)).toEqual(bytes);
	return back;
}

/** Expects `fn` to throw a ProtocolError whose message names `path`. */
function expectProtocolError(fn: () => unknown, path: string): void {
	let caught: unknown;
	try {
		fn();
	} catch (e) {
		caught = e;
	}
	expect(caught).toBeInstanceOf(ProtocolError);
	expect((caught as Error).message).toContain(path);
}

describe("contract round trips", () => {
	it("every sync and control payload kind round-trips", () => {
		for (const kind of Object.keys(SAMPLES) as PayloadKind[]) {
			expect(isPayloadKind(kind)).toBe(true);
			expect(roundTrip(kind, SAMPLES[kind] as never)).toEqual(SAMPLES[kind]);
		}
		expect(isPayloadKind("ota/nope")).toBe(false);
	});

	it("up records keep both time forms", () => {
		const back = roundTrip("up", SAMPLES.up!);
		expect(back.r[0][1]).toBe(T0 + 5);
		expect(back.r[1][1]).toEqual([3, 4_000]);
	});

	it("optional fields left undefined cost no bytes", () => {
		const up: UpPayload = { v: 1, id: 1, tx: 0, boot: 1, t0: undefined, lost: undefined, r: [] };
		const bytes = encodePayload("up", up);
		expect(bytes).toEqual(encode({ v: 1, id: 1, tx: 0, boot: 1, r: [] }));
		const back = decodePayload("up", bytes);
		expect(back.t0).toBeUndefined();
		expect(back.lost).toBeUndefined();
	});

	it("minimal results, reports and logs round-trip", () => {
		expect(roundTrip("cmd/res", { v: 1, ok: false, code: "malformed" })).toEqual({ v: 1, ok: false, code: "malformed" });
		expect(roundTrip("cmd", { v: 1, id: "x", exp: 0, name: "a" }).args).toBeUndefined();
		expect(roundTrip("cfg/reported", { v: 1, rev: 0, state: "applied", appliedRev: 0, values: {} }).pending).toBeUndefined();
		expect(roundTrip("log", { v: 1, boot: 0, reason: "request", dropped: 0, e: [] }).e).toHaveLength(0);
	});

	it("a time beacon with a fractional now is floored", () => {
		expect(decodePayload("time", encode({ v: 1, now: T0 + 0.75 })).now).toBe(T0);
	});
});

describe("contract validators name the field path", () => {
	const up = SAMPLES.up!;
	const rec = (r: unknown) => encode({ v: 1, id: 1, tx: 0, boot: 1, r: [r] } as never);
	const cases: [kind: PayloadKind, value: unknown, path: string][] = [
		["up", { ...up, v: 2 }, "up.v"],
		["up", { ...up, id: -1 }, "up.id"],
		["up", { ...up, tx: 1.5 }, "up.tx"],
		["up", { ...up, t0: "soon" }, "up.t0"],
		["up", { ...up, lost: -3 }, "up.lost"],
		["up", { ...up, r: {} }, "up.r"],
		["up", { ...up, extra: 1 }, 'unknown field "extra"'],
		["ack", { v: 1, id: 1, tx: 0, now: T0, acked: [[5, 4]] }, "ack.acked[0][1]"],
		["ack", { v: 1, id: 1, tx: 0, now: T0, acked: [[0, 4]] }, "ack.acked[0][0]"],
		["ack", { v: 1, id: 1, tx: 0, now: T0, acked: [[1, 2, 3]] }, "ack.acked[0]"],
		["ack", { v: 1, id: 1, tx: 0, now: -1, acked: [] }, "ack.now"],
		["time", { v: 1, now: "noon" }, "time.now"],
		["time", { v: 1, now: -5 }, "time.now"],
		["cmd", { v: 1, id: "bad id!", exp: T0, name: "ping" }, "cmd.id"],
		["cmd", { v: 1, id: "a", exp: -1, name: "ping" }, "cmd.exp"],
		["cmd", { v: 1, id: "a", exp: T0, name: "Ping" }, "cmd.name"],
		["cmd", { v: 1, id: "a", exp: T0, name: "ping", args: [1] }, "cmd.args"],
		["cmd/res", { v: 1, ok: "yes", code: "ok" }, "cmd/res.ok"],
		["cmd/res", { v: 1, ok: true, code: "great" }, "cmd/res.code"],
		["cmd/res", { v: 1, ok: true, code: "ok", msg: "m".repeat(257) }, "cmd/res.msg"],
		["cfg/desired", { v: 1, rev: 0, values: {} }, "cfg/desired.rev"],
		["cfg/desired", { v: 1, rev: 1, values: { healthMs: 1.5 } }, "cfg/desired.values.healthMs"],
		["cfg/desired", { v: 1, rev: 1, values: { x: [1] } }, "cfg/desired.values.x"],
		["cfg/desired", { v: 1, rev: 1, values: { x: "y".repeat(254) } }, "cfg/desired.values.x"],
		["cfg/reported", { v: 1, rev: 1, state: "fine", appliedRev: 0, values: {} }, "cfg/reported.state"],
		["cfg/reported", { v: 1, rev: 1, state: "applied", appliedRev: 0, values: {}, pending: ["ok", 3] }, "cfg/reported.pending[1]"],
		["log", { v: 1, boot: 0, reason: "request", dropped: 0, e: [[1, "loud", "t", "m"]] }, "log.e[0].level"],
		["log", { v: 1, boot: 0, reason: "request", dropped: 0, e: [[1, "info", "t"]] }, "log.e[0]"],
		["log", { v: 1, boot: 0, reason: "bored", dropped: 0, e: [] }, "log.reason"],
	];

	it("decode rejects each bad value with a ProtocolError naming the path", () => {
		for (const [kind, value, path] of cases) expectProtocolError(() => decodePayload(kind, encode(value as never)), path);
	});

	it("encode refuses the same bad values", () => {
		for (const [kind, value, path] of cases) expectProtocolError(() => encodePayload(kind, value as never), path);
	});

	it("up records name the record index and element", () => {
		expectProtocolError(() => decodePayload("up", rec([0, T0, "Kind", {}])), "up.r[0].seq");
		expectProtocolError(() => decodePayload("up", rec([MAX_SEQ + 1, T0, "Kind", {}])), "up.r[0].seq");
		expectProtocolError(() => decodePayload("up", rec([1, [1], "Kind", {}])), "up.r[0].t");
		expectProtocolError(() => decodePayload("up", rec([1, [1, -2], "Kind", {}])), "up.r[0].t[1]");
		expectProtocolError(() => decodePayload("up", rec([1, T0, "9lives", {}])), "up.r[0].kind");
		expectProtocolError(() => decodePayload("up", rec([1, T0, "Kind", [1]])), "up.r[0].data");
		expectProtocolError(() => decodePayload("up", rec([1, T0, "Kind"])), "up.r[0]");
	});

	it("malformed CBOR is a ProtocolError naming the kind", () => {
		expectProtocolError(() => decodePayload("ack", new Uint8Array([0xa5, 0x61])), "ack: malformed CBOR");
		expectProtocolError(() => decodePayload("cmd", new Uint8Array(0)), "cmd: malformed CBOR");
	});
});

/** A record body exactly as the uplink stores it: [t, kind, data] without its array head. */
function body(t: RecordTime, kind: string, data: CborMap): Uint8Array {
	return encode([t, kind, data]).subarray(1);
}

function makeRecords(n: number): UpRecord[] {
	const out: UpRecord[] = [];
	for (let i = 0; i < n; i++) {
		// Seqs cross every head width: 1-byte, 2-byte, 4-byte arguments.
		const seq = i < 20 ? i + 1 : i < 40 ? 1_000 + i : 0xffff_ff00 + i;
		const t: RecordTime = i % 3 === 0 ? [2 + (i % 5), i * 1_234] : T0 + i * 10_000;
		const data: CborMap = i % 2 ? { count: i, dir: "in", lane: [i, -i] } : { temperature: 20 + i / 4, label: `bay-${i} ✓`, ok: i % 4 === 0, none: null };
		out.push([seq, t, i % 4 === 1 ? "outbox.loss" : "CrowdFlowObserved", data]);
	}
	return out;
}

describe("spliceBatch", () => {
	const headers: [string, CborMap][] = [
		["no optional fields", { v: 1, id: 1, tx: 0, boot: 1 }],
		["t0", { v: 1, id: 42, tx: 987_654, boot: 300, t0: T0 }],
		["lost", { v: 1, id: 65_536, tx: 12, boot: 2, lost: 70_000 }],
		["t0 and lost", { v: 1, id: 9, tx: 4_294_967_296, boot: 1, t0: T0 + 3, lost: 1 }],
	];
	for (const n of [0, 1, 60]) {
		for (const [what, header] of headers) {
			it(`${n} record(s), header with ${what}: same bytes as encodePayload("up")`, () => {
				const records = makeRecords(n);
				const spliced = spliceBatch(
					header,
					records.map(([seq, t, kind, data]) => ({ seq, body: body(t, kind, data as CborMap) })),
				);
				const expected = encodePayload("up", { ...(header as unknown as Omit<UpPayload, "r">), r: records });
				expect(spliced).toEqual(expected);
				// And the cloud reads it back as the same batch.
				const back = decodePayload("up", spliced);
				expect(back.r).toHaveLength(n);
				expect(back.r).toEqual(records);
				expect(back.t0).toBe(header.t0);
				expect(back.lost).toBe(header.lost);
			});
		}
	}

	it("refuses a header too big for a one-byte map head", () => {
		const header: CborMap = {};
		for (let i = 0; i < 23; i++) header[`k${i}`] = i;
		expect(() => spliceBatch(header, [])).toThrow(RangeError);
	});
});

describe("seqRanges", () => {
	it("collapses runs into inclusive ranges", () => {
		expect(seqRanges([1, 2, 3, 7])).toEqual([
			[1, 3],
			[7, 7],
		]);
	});
	it("is empty for no seqs", () => {
		expect(seqRanges([])).toEqual([]);
	});
	it("sorts unordered input and merges duplicates", () => {
		expect(seqRanges([9, 5, 3, 4, 4, 10, 3, 12])).toEqual([
			[3, 5],
			[9, 10],
			[12, 12],
		]);
	});
	it("takes any iterable and handles u32 seqs", () => {
		expect(seqRanges(new Set([MAX_SEQ, MAX_SEQ - 1, 1]))).toEqual([
			[1, 1],
			[MAX_SEQ - 1, MAX_SEQ],
		]);
	});
	it("its output is a valid ack", () => {
		const acked = seqRanges([1, 2, 3, 10, 11, 40]);
		expect(decodePayload("ack", encodePayload("ack", { v: 1, id: 1, tx: 0, now: T0, acked })).acked).toEqual(acked);
	});
});
