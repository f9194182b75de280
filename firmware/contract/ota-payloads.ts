/*
 * Curbside wire contract, part 5: over-the-air updates (ARCHITECTURE §5).
 *
 *   cloud → device  .../ota/offer     OtaOffer (retained; empty = withdrawn)
 *   device → cloud  .../ota/req       OtaRequest: "send me chunks i..i+n-1"
 *   cloud → device  .../ota/chunk     OtaChunk: one chunk, or why it can't be sent
 *   device → cloud  .../ota/progress  OtaProgress: live progress (best effort)
 * Results that must not be lost (refused, rolled back, confirmed) are also
 * outbox records of kind "ota" (telemetry.ts), which survive power cuts.
 *
 * What is signed: the manifest's CBOR bytes exactly as the offer carries
 * them (deterministic encoding, RFC 8949 §4.2.1). The manifest holds the
 * image's size and SHA-256, so one ECDSA P-256 signature (FIPS 186-4 §6.4,
 * raw r‖s, 64 bytes) over SHA-256(manifest) covers target, versions and every
 * image byte. The device checks the signature when the offer arrives (nothing
 * unsigned is downloaded), hashes the image while it streams in, and checks
 * both again before it switches the boot partition.
 */
import { ProtocolError } from "../runtime/errors";
import { ROLES, type Role } from "./payloads";
import { CONTRACT_VERSION } from "./topics";
import { integer, oneOf, onlyKeys, optional, record, text } from "./validate";

/** Chunk sizes a manifest may name: powers of two that divide the 4 KB flash sector or are multiples of it. */
export const OTA_CHUNK_SIZES = Object.freeze([1024, 2048, 4096, 8192, 16384] as const);
/** Largest image the 4 MB partition table's app slots hold (manifests/platforms/esp32-4mb.csv: 0x1A0000). */
export const OTA_MAX_IMAGE = 0x1a0000;
/** Most chunks one request may ask for (bounds what a device can have in flight on a QoS 0 link). */
export const OTA_MAX_BATCH = 8;

const VERSION = /^(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})$/;
const OFFER_ID = /^[A-Za-z0-9_.:-]{1,40}$/;
const BOARD = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The signed description of an image. */
export interface OtaManifest {
	v: number;
	/** board manifest the image was built for (manifests/boards/<board>.json) */
	board: string;
	role: Role;
	/** MAJOR.MINOR.PATCH; must be newer than the running firmware */
	version: string;
	/** monotonic anti-rollback counter: never below the device's (firmware/version.ts SECURITY_VERSION) */
	sec: number;
	/** image bytes */
	size: number;
	/** SHA-256 of the image, 32 bytes */
	sha256: Uint8Array;
	/** bytes per chunk, one of OTA_CHUNK_SIZES */
	chunk: number;
	/** release note, shown to operators */
	note: string;
	/** when it was packed, epoch ms */
	created?: number;
}

export interface OtaOffer {
	v: number;
	/** offer id (campaign id); chunk requests and results name it */
	id: string;
	/** the manifest's CBOR bytes, as signed */
	manifest: Uint8Array;
	/** ECDSA P-256 signature over SHA-256(manifest): raw r‖s, 64 bytes */
	sig: Uint8Array;
}

export interface OtaRequest {
	v: number;
	id: string;
	/** first chunk index */
	i: number;
	/** how many chunks, 1..OTA_MAX_BATCH */
	n: number;
}

export const OTA_CHUNK_ERRORS = Object.freeze(["unknown-offer", "out-of-range", "paused"] as const);
export type OtaChunkError = (typeof OTA_CHUNK_ERRORS)[number];

export interface OtaChunk {
	v: number;
	id: string;
	i: number;
	/** the chunk's bytes (the last chunk may be short) */
	data?: Uint8Array;
	/** CRC-32 (IEEE 802.3) of data: catches transport damage before anything is written */
	crc?: number;
	/** why there is no data */
	err?: OtaChunkError;
}

/**
 * Where an update stands on a device. Terminal: refused, failed,
 * confirmed, rolled-back. "trial" is the first boot of a new image, before
 * its health checks pass.
 */
export const OTA_STATES = Object.freeze(["offered", "refused", "downloading", "verifying", "failed", "applying", "trial", "confirmed", "rolled-back", "safe-mode"] as const);
export type OtaState = (typeof OTA_STATES)[number];

export interface OtaProgress {
	v: number;
	id: string;
	state: OtaState;
	/** chunks verified and written so far */
	got?: number;
	/** chunks in the image */
	of?: number;
	/** the firmware version the device runs now */
	fw: string;
	/** the version on offer */
	to?: string;
	reason?: string;
}

function version(fields: Record<string, unknown>, path: string): number {
	return integer(fields.v, `${path}.v`, 1, CONTRACT_VERSION);
}

function matching(value: string, path: string, re: RegExp, what: string): string {
	if (!re.test(value)) throw new ProtocolError(`${path}: "${value}" is not ${what}`);
	return value;
}

function bytes(value: unknown, path: string, min: number, max: number): Uint8Array {
	if (!(value instanceof Uint8Array)) throw new ProtocolError(`${path}: expected a byte string`);
	if (value.byteLength < min || value.byteLength > max) throw new ProtocolError(`${path}: ${value.byteLength} bytes, expected ${min === max ? min : `${min}..${max}`}`);
	return value;
}

/** Parses "1.2.3" into comparable numbers. @throws ProtocolError */
export function parseVersion(value: string, path = "version"): [number, number, number] {
	const m = VERSION.exec(value);
	if (!m) throw new ProtocolError(`${path}: "${value}" is not MAJOR.MINOR.PATCH`);
	return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** <0 when a is older than b, 0 when equal, >0 when newer. */
export function compareVersions(a: string, b: string): number {
	const x = parseVersion(a, "a");
	const y = parseVersion(b, "b");
	for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
	return 0;
}

/** @throws ProtocolError */
export function validateOtaManifest(value: unknown): OtaManifest {
	const f = record(value, "manifest");
	onlyKeys(f, "manifest", ["v", "board", "role", "version", "sec", "size", "sha256", "chunk", "note", "created"]);
	const chunk = integer(f.chunk, "manifest.chunk");
	if (!(OTA_CHUNK_SIZES as readonly number[]).includes(chunk)) throw new ProtocolError(`manifest.chunk: ${chunk} is not one of ${OTA_CHUNK_SIZES.join(", ")}`);
	const v = text(f.version, "manifest.version", 17);
	parseVersion(v, "manifest.version");
	return {
		v: version(f, "manifest"),
		board: matching(text(f.board, "manifest.board", 32), "manifest.board", BOARD, "a board name"),
		role: oneOf(f.role, "manifest.role", ROLES),
		version: v,
		sec: integer(f.sec, "manifest.sec", 0, 0xffff),
		size: integer(f.size, "manifest.size", 1, OTA_MAX_IMAGE),
		sha256: bytes(f.sha256, "manifest.sha256", 32, 32),
		chunk,
		note: text(f.note, "manifest.note", 200),
		created: optional(f.created, (x) => integer(x, "manifest.created", 0)),
	};
}

/** @throws ProtocolError */
export function validateOtaOffer(value: unknown): OtaOffer {
	const f = record(value, "ota/offer");
	onlyKeys(f, "ota/offer", ["v", "id", "manifest", "sig"]);
	return {
		v: version(f, "ota/offer"),
		id: matching(text(f.id, "ota/offer.id", 40), "ota/offer.id", OFFER_ID, "an offer id"),
		manifest: bytes(f.manifest, "ota/offer.manifest", 1, 512),
		sig: bytes(f.sig, "ota/offer.sig", 64, 64),
	};
}

/** @throws ProtocolError */
export function validateOtaRequest(value: unknown): OtaRequest {
	const f = record(value, "ota/req");
	onlyKeys(f, "ota/req", ["v", "id", "i", "n"]);
	return {
		v: version(f, "ota/req"),
		id: matching(text(f.id, "ota/req.id", 40), "ota/req.id", OFFER_ID, "an offer id"),
		i: integer(f.i, "ota/req.i", 0, OTA_MAX_IMAGE),
		n: integer(f.n, "ota/req.n", 1, OTA_MAX_BATCH),
	};
}

/** @throws ProtocolError */
export function validateOtaChunk(value: unknown): OtaChunk {
	const f = record(value, "ota/chunk");
	onlyKeys(f, "ota/chunk", ["v", "id", "i", "data", "crc", "err"]);
	const out: OtaChunk = {
		v: version(f, "ota/chunk"),
		id: matching(text(f.id, "ota/chunk.id", 40), "ota/chunk.id", OFFER_ID, "an offer id"),
		i: integer(f.i, "ota/chunk.i", 0, OTA_MAX_IMAGE),
		data: optional(f.data, (x) => bytes(x, "ota/chunk.data", 1, OTA_CHUNK_SIZES[OTA_CHUNK_SIZES.length - 1])),
		crc: optional(f.crc, (x) => integer(x, "ota/chunk.crc", 0, 0xffff_ffff)),
		err: optional(f.err, (x) => oneOf(x, "ota/chunk.err", OTA_CHUNK_ERRORS)),
	};
	if ((out.data === undefined) === (out.err === undefined)) throw new ProtocolError("ota/chunk: needs exactly one of data and err");
	if (out.data !== undefined && out.crc === undefined) throw new ProtocolError("ota/chunk: data without crc");
	return out;
}

/** @throws ProtocolError */
export function validateOtaProgress(value: unknown): OtaProgress {
	const f = record(value, "ota/progress");
	onlyKeys(f, "ota/progress", ["v", "id", "state", "got", "of", "fw", "to", "reason"]);
	return {
		v: version(f, "ota/progress"),
		id: matching(text(f.id, "ota/progress.id", 40), "ota/progress.id", OFFER_ID, "an offer id"),
		state: oneOf(f.state, "ota/progress.state", OTA_STATES),
		got: optional(f.got, (x) => integer(x, "ota/progress.got", 0, OTA_MAX_IMAGE)),
		of: optional(f.of, (x) => integer(x, "ota/progress.of", 0, OTA_MAX_IMAGE)),
		fw: text(f.fw, "ota/progress.fw", 17),
		to: optional(f.to, (x) => text(x, "ota/progress.to", 17)),
		reason: optional(f.reason, (x) => text(x, "ota/progress.reason", 160)),
	};
}
