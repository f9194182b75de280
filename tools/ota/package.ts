/*
 * OTA packages (Node only): an app image, its signed manifest and the
 * signature, in one file (`.cspkg`) that `curbside ota pack` writes, `sign`
 * signs in place, `verify` checks and `publish` serves.
 *
 * What is signed is fixed by the wire contract (firmware/contract/
 * ota-payloads.ts): ECDSA P-256 over SHA-256 of the manifest's deterministic
 * CBOR bytes, raw r‖s (IEEE P1363, 64 bytes). The manifest holds the image's
 * size and SHA-256, so the one signature covers every image byte. The package
 * keeps the manifest bytes exactly as signed; they are never re-encoded.
 *
 * Container, all integers big-endian:
 *    0   8  signature 89 43 53 50 4B 0D 0A 1A ("\x89CSPK\r\n\x1A")
 *    8   1  container format version, 1
 *    9   1  signature length: 0 (unsigned) or 64
 *   10   2  manifest length (1..512, the offer's limit)
 *   12   4  image length
 *   16      manifest CBOR ‖ signature ‖ image
 *  end   4  CRC-32/ISO-HDLC of every byte before it
 * The signature bytes follow PNG's (PNG spec, 3rd ed., §5.2 and §12.12): the
 * high-bit first byte catches 7-bit transfers, CR LF catches line-ending
 * conversion, 0x1A stops `type` on DOS consoles. The CRC catches accidents
 * (a truncated download, a damaged copy) with a clear message before anything
 * reads a length; it is no defence against intent: tampering is what the
 * signature and the manifest's SHA-256 catch.
 */
import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { OTA_CHUNK_SIZES, OTA_MAX_IMAGE, parseVersion, type OtaManifest } from "../../firmware/contract/ota-payloads";
import { ROLES, type Role } from "../../firmware/contract/payloads";
import { CONTRACT_VERSION } from "../../firmware/contract/topics";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { readAppDescriptor, readSimPayload, verifyAppImage } from "../../host-sim/ota/app-image";

/** A package-tool failure whose message is the one line the CLI prints. */
export class OtaToolError extends Error {
	override get name(): string {
		return "OtaToolError";
	}
}

export interface OtaPackage {
	manifest: OtaManifest;
	/** the manifest's CBOR bytes, exactly as signed and as the offer carries them */
	manifestBytes: Uint8Array;
	/** ECDSA P-256 signature over SHA-256(manifestBytes), raw r‖s, 64 bytes; absent until signed */
	sig?: Uint8Array;
	image: Uint8Array;
}

export interface PackOptions {
	/** board manifest the image was built for (manifests/boards/<board>.json) */
	board: string;
	role: string;
	/** MAJOR.MINOR.PATCH */
	version: string;
	/** security version (anti-rollback counter), 0..65535 */
	sec: number;
	/** bytes per chunk, one of OTA_CHUNK_SIZES @default 4096 */
	chunk?: number;
	/** release note for operators, ≤ 200 characters @default "" */
	note?: string;
	/** when packed, epoch ms @default Date.now() */
	created?: number;
}

const MAGIC = Uint8Array.of(0x89, 0x43, 0x53, 0x50, 0x4b, 0x0d, 0x0a, 0x1a);
const FORMAT = 1;
const HEADER = 16;
const TRAILER = 4;
const SIG_BYTES = 64;
const MAX_MANIFEST = 512;

function sha256(bytes: Uint8Array): Uint8Array {
	return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((x, i) => x === b[i]);
}

function bytesText(n: number): string {
	return `${n.toLocaleString("en-US")} bytes`;
}

/**
 * Builds the manifest for an image (size, SHA-256, target, versions).
 * When the image carries an ESP-IDF app descriptor (esp_app_desc_t), the
 * image must verify as the bootloader will check it, and its version and
 * secure_version must be the ones claimed (so must the role in a
 * curbside-<role> project name, and the board of a simulator image): a
 * manifest that lies about the image it covers would pass signature checks
 * and then fail on the device, or worse, defeat its anti-rollback check.
 * @throws OtaToolError with one line naming the bad option
 */
export function packImage(image: Uint8Array, options: PackOptions): OtaPackage {
	const { board, role, version, sec, chunk = 4096, note = "", created = Date.now() } = options;
	if (!(ROLES as readonly string[]).includes(role)) throw new OtaToolError(`unknown role "${role}" (expected ${ROLES.join(" or ")})`);
	try {
		parseVersion(version);
	} catch {
		throw new OtaToolError(`--version "${version}" is not MAJOR.MINOR.PATCH (e.g. 0.2.0)`);
	}
	if (!Number.isInteger(sec) || sec < 0 || sec > 0xffff) throw new OtaToolError(`--sec ${sec} is not a security version (an integer 0..65535)`);
	if (!(OTA_CHUNK_SIZES as readonly number[]).includes(chunk)) throw new OtaToolError(`--chunk ${chunk} is not one of ${OTA_CHUNK_SIZES.join(", ")}`);
	if (image.length === 0) throw new OtaToolError("the image is empty");
	if (image.length > OTA_MAX_IMAGE) {
		throw new OtaToolError(`the image is ${bytesText(image.length)}; an OTA app partition holds ${bytesText(OTA_MAX_IMAGE)} (0x${OTA_MAX_IMAGE.toString(16).toUpperCase()}, manifests/platforms/esp32-4mb.csv)`);
	}
	const desc = readAppDescriptor(image);
	if (desc) {
		// What the bootloader would refuse after the download is better refused before the signature.
		const broken = verifyAppImage(image);
		if (broken !== undefined) throw new OtaToolError(`the image is not a valid ESP32 app image: ${broken}`);
		// Simulator and Curbside builds name their project curbside-<role> and stamp version and secure_version; a stock
		// Moddable ESP-IDF project sets neither (PROJECT_VER from git, secure_version 0), so its descriptor is not judged:
		// the signed manifest is what the device checks.
		const built = /^curbside-(.+)$/.exec(desc.projectName)?.[1];
		if (built !== undefined && desc.version !== version) throw new OtaToolError(`image says version ${desc.version} but --version is ${version}`);
		if (built !== undefined && desc.secureVersion !== sec) throw new OtaToolError(`image says security version ${desc.secureVersion} but --sec is ${sec}`);
		if (built !== undefined && (ROLES as readonly string[]).includes(built) && built !== role) throw new OtaToolError(`image is a ${desc.projectName} build but --role is ${role}`);
		const builtFor = readSimPayload(image)?.board;
		if (builtFor !== undefined && builtFor !== board) throw new OtaToolError(`image was built for board ${builtFor} but --board is ${board}`);
	}
	const manifest: OtaManifest = { v: CONTRACT_VERSION, board, role: role as Role, version, sec, size: image.length, sha256: sha256(image), chunk, note, created };
	let manifestBytes: Uint8Array;
	try {
		manifestBytes = encodePayload("ota-manifest", manifest);
	} catch (e) {
		throw new OtaToolError(`cannot build the manifest: ${(e as Error).message}`);
	}
	if (manifestBytes.length > MAX_MANIFEST) throw new OtaToolError(`the manifest is ${manifestBytes.length} bytes; an offer carries at most ${MAX_MANIFEST} (shorten --note)`);
	return { manifest: decodePayload("ota-manifest", manifestBytes), manifestBytes, image };
}

/** The package with a fresh signature over its manifest bytes (any previous signature is replaced). */
export function signPackage(pkg: OtaPackage, privateKey: KeyObject): OtaPackage {
	const sig = new Uint8Array(sign("sha256", pkg.manifestBytes, { key: privateKey, dsaEncoding: "ieee-p1363" }));
	return { ...pkg, sig };
}

/**
 * Checks what a device will check, in the device's order: a signature that
 * verifies with `publicKey`, then the image against the signed size and
 * SHA-256, then (when asked) the target board and role.
 * @throws OtaToolError with the reason in one line
 */
export function verifyPackage(pkg: OtaPackage, publicKey: KeyObject, expect: { board?: string; role?: string } = {}): void {
	if (!pkg.sig) throw new OtaToolError("the package is not signed (run: curbside ota sign <package> --key <private.pem>)");
	const ok = pkg.sig.length === SIG_BYTES && verify("sha256", pkg.manifestBytes, { key: publicKey, dsaEncoding: "ieee-p1363" }, pkg.sig);
	if (!ok) throw new OtaToolError("signature does not verify with this key (signed with another key, or the manifest was changed after signing)");
	const { manifest, image } = pkg;
	if (image.length !== manifest.size) throw new OtaToolError(`the image is ${bytesText(image.length)} but the manifest says ${bytesText(manifest.size)} (truncated or tampered image)`);
	if (!sameBytes(sha256(image), manifest.sha256)) throw new OtaToolError("the image's SHA-256 does not match the manifest (tampered or damaged image)");
	if (expect.board !== undefined && expect.board !== manifest.board) throw new OtaToolError(`the package is for board ${manifest.board}, not ${expect.board}`);
	if (expect.role !== undefined && expect.role !== manifest.role) throw new OtaToolError(`the package is for role ${manifest.role}, not ${expect.role}`);
}

/** The container bytes of a package (layout in the file header). */
export function encodePackage(pkg: OtaPackage): Uint8Array {
	const sig = pkg.sig ?? new Uint8Array(0);
	if (sig.length !== 0 && sig.length !== SIG_BYTES) throw new OtaToolError(`a signature is ${SIG_BYTES} bytes, not ${sig.length}`);
	if (pkg.manifestBytes.length < 1 || pkg.manifestBytes.length > MAX_MANIFEST) throw new OtaToolError(`a manifest is 1..${MAX_MANIFEST} bytes, not ${pkg.manifestBytes.length}`);
	const out = new Uint8Array(HEADER + pkg.manifestBytes.length + sig.length + pkg.image.length + TRAILER);
	const view = new DataView(out.buffer);
	out.set(MAGIC, 0);
	out[8] = FORMAT;
	out[9] = sig.length;
	view.setUint16(10, pkg.manifestBytes.length);
	view.setUint32(12, pkg.image.length);
	let at = HEADER;
	for (const part of [pkg.manifestBytes, sig, pkg.image]) {
		out.set(part, at);
		at += part.length;
	}
	view.setUint32(at, crc32(out, 0, at));
	return out;
}

/**
 * Parses container bytes; `name` (usually the file path) starts every error.
 * @throws OtaToolError: not a package, truncated, damaged, or an invalid manifest
 */
export function decodePackage(bytes: Uint8Array, name = "package"): OtaPackage {
	const prefix = Math.min(bytes.length, MAGIC.length);
	if (!sameBytes(bytes.subarray(0, prefix), MAGIC.subarray(0, prefix)) || bytes.length === 0) throw new OtaToolError(`${name} is not a Curbside OTA package (no .cspkg signature)`);
	if (bytes.length < HEADER + TRAILER) throw new OtaToolError(`${name} is truncated (${bytesText(bytes.length)})`);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (bytes[8] !== FORMAT) throw new OtaToolError(`${name} is package format ${bytes[8]}; this curbside reads format ${FORMAT}`);
	const sigLength = bytes[9];
	const manifestLength = view.getUint16(10);
	const imageLength = view.getUint32(12);
	const end = HEADER + manifestLength + sigLength + imageLength;
	if (bytes.length < end + TRAILER) throw new OtaToolError(`${name} is truncated (${bytesText(bytes.length)}; its header says ${bytesText(end + TRAILER)})`);
	if (bytes.length > end + TRAILER) throw new OtaToolError(`${name} is damaged (${bytesText(bytes.length - end - TRAILER)} after the end of the package)`);
	if (view.getUint32(end) !== crc32(bytes, 0, end)) throw new OtaToolError(`${name} is damaged (CRC-32 mismatch): copy or pack it again`);
	if (sigLength !== 0 && sigLength !== SIG_BYTES) throw new OtaToolError(`${name} is damaged (a ${sigLength}-byte signature)`);
	const manifestBytes = bytes.slice(HEADER, HEADER + manifestLength);
	let manifest: OtaManifest;
	try {
		manifest = decodePayload("ota-manifest", manifestBytes);
	} catch (e) {
		throw new OtaToolError(`${name}: invalid manifest: ${(e as Error).message}`);
	}
	const sigAt = HEADER + manifestLength;
	return {
		manifest,
		manifestBytes,
		sig: sigLength ? bytes.slice(sigAt, sigAt + sigLength) : undefined,
		image: bytes.slice(sigAt + sigLength, end),
	};
}

/** Reads a package file. @throws OtaToolError naming the file */
export function readPackage(path: string): OtaPackage {
	let bytes: Uint8Array;
	try {
		bytes = readFileSync(path);
	} catch (e) {
		throw new OtaToolError(`cannot read package ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	return decodePackage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/**
 * Writes bytes through a temporary file and a rename (atomic on POSIX), so
 * a crash or a full disk never leaves a half-written package or ledger.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
	const tmp = `${path}.${process.pid}.tmp`;
	try {
		writeFileSync(tmp, bytes);
		renameSync(tmp, path);
	} catch (e) {
		rmSync(tmp, { force: true });
		throw new OtaToolError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
}

/** Writes a package file atomically. @throws OtaToolError */
export function writePackage(path: string, pkg: OtaPackage): void {
	writeFileAtomic(path, encodePackage(pkg));
}

/** A short multi-line summary for the CLI. */
export function describePackage(pkg: OtaPackage): string {
	const m = pkg.manifest;
	const chunks = Math.ceil(m.size / m.chunk);
	const lines = [
		`target:    ${m.role} on board ${m.board}`,
		`version:   ${m.version} (security version ${m.sec})`,
		`image:     ${bytesText(m.size)}, ${chunks} chunk(s) of ${m.chunk}`,
		`sha256:    ${hex(m.sha256)}`,
	];
	if (m.note) lines.push(`note:      ${m.note}`);
	if (m.created !== undefined) lines.push(`packed:    ${new Date(m.created).toISOString()}`);
	lines.push(`signature: ${pkg.sig ? `${pkg.sig.length} bytes (ECDSA P-256 r‖s)` : "none (unsigned)"}`);
	return lines.join("\n");
}
