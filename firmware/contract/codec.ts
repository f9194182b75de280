/*
 * Curbside wire contract, part 3: bytes. Payloads are validated, then CBOR
 * encoded with the device codec (deterministic, RFC 8949 §4.2.1); incoming
 * bytes are decoded with bounded limits, then validated. Undefined fields are
 * dropped before encoding so optional fields cost no bytes.
 */
import { decode, encode } from "../net/cbor/index";
import { ProtocolError, describeError } from "../runtime/errors";
import { compact } from "./validate";
import {
	validateCommand,
	validateCommandResult,
	validateDesiredConfig,
	validateLog,
	validateReportedConfig,
	type CommandPayload,
	type CommandResult,
	type DesiredConfig,
	type LogPayload,
	type ReportedConfig,
} from "./control-payloads";
import {
	validateOtaChunk,
	validateOtaManifest,
	validateOtaOffer,
	validateOtaProgress,
	validateOtaRequest,
	type OtaChunk,
	type OtaManifest,
	type OtaOffer,
	type OtaProgress,
	type OtaRequest,
} from "./ota-payloads";
import { validateBoardFresh, validateStopBoard, validateStopTimetable, type BoardFresh, type StopBoard, type StopTimetable } from "./board-payloads";
import { validateHealth, validateStatus, type HealthPayload, type StatusPayload } from "./payloads";
import { validateAck, validateTime, validateUp, type AckPayload, type TimePayload, type UpPayload } from "./sync-payloads";

/** Payload type of each device channel, plus the time beacon, the signed OTA manifest (carried inside an offer) and the per-stop board and timetable. */
export interface PayloadTypes {
	status: StatusPayload;
	health: HealthPayload;
	up: UpPayload;
	ack: AckPayload;
	cmd: CommandPayload;
	"cmd/res": CommandResult;
	"cfg/desired": DesiredConfig;
	"cfg/reported": ReportedConfig;
	log: LogPayload;
	time: TimePayload;
	"ota/offer": OtaOffer;
	"ota/req": OtaRequest;
	"ota/chunk": OtaChunk;
	"ota/progress": OtaProgress;
	"ota-manifest": OtaManifest;
	board: StopBoard;
	timetable: StopTimetable;
	fresh: BoardFresh;
}
export type PayloadKind = keyof PayloadTypes;

const VALIDATORS: { [K in PayloadKind]: (v: unknown) => PayloadTypes[K] } = {
	status: validateStatus,
	health: validateHealth,
	up: validateUp,
	ack: validateAck,
	cmd: validateCommand,
	"cmd/res": validateCommandResult,
	"cfg/desired": validateDesiredConfig,
	"cfg/reported": validateReportedConfig,
	log: validateLog,
	time: validateTime,
	"ota/offer": validateOtaOffer,
	"ota/req": validateOtaRequest,
	"ota/chunk": validateOtaChunk,
	"ota/progress": validateOtaProgress,
	"ota-manifest": validateOtaManifest,
	board: validateStopBoard,
	timetable: validateStopTimetable,
	fresh: validateBoardFresh,
};

/** Whether `kind` names a payload of this contract (e.g. a parsed topic's channel). */
export function isPayloadKind(kind: string): kind is PayloadKind {
	return Object.prototype.hasOwnProperty.call(VALIDATORS, kind);
}


/** Validates and encodes a payload. @throws ProtocolError when `value` breaks the contract */
export function encodePayload<K extends PayloadKind>(kind: K, value: PayloadTypes[K]): Uint8Array {
	const checked = VALIDATORS[kind](compact(value as unknown as Record<string, unknown>));
	return encode(compact(checked as unknown as Record<string, unknown>) as never);
}

/** Decodes and validates a payload. @throws ProtocolError with the reason (bad CBOR or bad shape) */
export function decodePayload<K extends PayloadKind>(kind: K, bytes: Uint8Array | ArrayBuffer): PayloadTypes[K] {
	let value: unknown;
	try {
		value = decode(bytes);
	} catch (e) {
		throw new ProtocolError(`${kind}: malformed CBOR: ${describeError(e)}`, { cause: e });
	}
	return VALIDATORS[kind](value);
}
