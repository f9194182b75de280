/*
 * ESP32 application image format: read the app descriptor, verify an image as
 * the bootloader's esp_image_verify does, and build small valid "sim images"
 * that stand in for real firmware builds in the simulator.
 *
 * Layout (ESP-IDF api-reference/system/app_image_format; esptool
 * advanced-topics/firmware-image-format; all fields little endian):
 *   0   esp_image_header_t, 24 bytes: magic 0xE9, segment_count, spi_mode,
 *       spi_speed|spi_size, entry_addr u32, then the extended header: wp_pin,
 *       spi_pin_drv[3], chip_id u16 (0 = ESP32), min_chip_rev, min/max
 *       chip_rev_full u16, reserved[4], hash_appended (byte 23)
 *   24  esp_image_segment_header_t, 8 bytes: load_addr u32, data_len u32;
 *       data_len bytes of data follow, then the next segment header
 *   32  esp_app_desc_t (256 bytes) opens the first (DROM) segment's data:
 *       magic_word 0xABCD5432, secure_version u32, reserv1[2], version[32],
 *       project_name[32], time[16], date[16], idf_ver[32], app_elf_sha256[32]…
 *   …   after the last segment: zero padding up to one byte short of a
 *       16-byte boundary, then the checksum byte (0xEF XOR every byte of
 *       segment data), then, if hash_appended, the SHA-256 of every byte
 *       from 0 through the checksum.
 * A sim image has one DROM segment: the app desc, then "CSIM", a u32 length
 * and the JSON of { board, config, crashAfterMs }, then deterministic filler.
 * Plain TS on purpose (no Node built-ins, no TextEncoder): it runs in the
 * device realm on XS as well as in Node tools.
 */
import { Sha256 } from "./sha256";

export const IMAGE_MAGIC = 0xe9;
export const APP_DESC_MAGIC = 0xabcd5432;
const HEADER_BYTES = 24;
const SEGMENT_HEADER_BYTES = 8;
export const APP_DESC_OFFSET = HEADER_BYTES + SEGMENT_HEADER_BYTES;
const APP_DESC_BYTES = 256;
const CHECKSUM_SEED = 0xef;
const HASH_BYTES = 32;
/** ESP-IDF ESP_IMAGE_MAX_SEGMENTS */
const MAX_SEGMENTS = 16;
const SIM_MARKER = [0x43, 0x53, 0x49, 0x4d]; // "CSIM"
const SIM_PAYLOAD_OFFSET = APP_DESC_OFFSET + APP_DESC_BYTES;

export interface AppDescriptor {
	version: string;
	secureVersion: number;
	projectName: string;
}

export interface SimPayload {
	board: string;
	config: Record<string, unknown>;
	crashAfterMs?: number;
}

export interface SimImageOptions {
	version: string;
	secureVersion: number;
	/** device role; the image's project_name is `curbside-<role>` */
	role: string;
	board: string;
	/** whole image size in bytes, rounded up to 16 @default 65536 */
	size?: number;
	/** mc/config values baked into this build (as mcconfig key=value) */
	config?: Record<string, unknown>;
	/** the host crashes a device running this image this long after boot */
	crashAfterMs?: number;
}

/** UTF-8 without TextEncoder (not on XS); whole code points via for…of. */
function utf8(text: string): Uint8Array {
	const out: number[] = [];
	for (const ch of text) {
		const c = ch.codePointAt(0)!;
		if (c < 0x80) out.push(c);
		else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
		else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
		else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
	}
	return Uint8Array.from(out);
}

/** Decodes UTF-8 leniently (a bad sequence becomes U+FFFD): descriptor strings come from foreign builds. */
function text(bytes: Uint8Array): string {
	let s = "";
	for (let i = 0; i < bytes.length; ) {
		const b = bytes[i];
		const n = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
		if (n < 0 || i + n >= bytes.length) {
			s += "\ufffd";
			i++;
			continue;
		}
		let c = n ? b & (0x3f >> n) : b;
		let ok = true;
		for (let k = 1; k <= n; k++) {
			const cc = bytes[i + k];
			if ((cc & 0xc0) !== 0x80) ok = false;
			c = (c << 6) | (cc & 63);
		}
		if (!ok || c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
			s += "\ufffd";
			i++;
			continue;
		}
		s += String.fromCodePoint(c);
		i += n + 1;
	}
	return s;
}

/** A NUL-terminated char[len] field. */
function cString(bytes: Uint8Array, at: number, len: number): string {
	let end = at;
	while (end < at + len && bytes[end] !== 0) end++;
	return text(bytes.subarray(at, end));
}

function view(bytes: Uint8Array): DataView {
	return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The esp_app_desc_t of an image (sim or real Moddable/ESP-IDF build), or
 * undefined when byte 0 is not 0xE9, the bytes are too short, or the
 * descriptor's magic word is missing. Reads only the first 288 bytes.
 */
export function readAppDescriptor(bytes: Uint8Array): AppDescriptor | undefined {
	if (bytes.length < APP_DESC_OFFSET + APP_DESC_BYTES || bytes[0] !== IMAGE_MAGIC) return undefined;
	const v = view(bytes);
	if (v.getUint32(APP_DESC_OFFSET, true) !== APP_DESC_MAGIC) return undefined;
	return {
		secureVersion: v.getUint32(APP_DESC_OFFSET + 4, true),
		version: cString(bytes, APP_DESC_OFFSET + 16, 32),
		projectName: cString(bytes, APP_DESC_OFFSET + 48, 32),
	};
}

/**
 * Byte length of the image (header through the appended hash), or a reason
 * it cannot be walked. Bytes after the image (erased flash) are ignored.
 */
function imageExtent(bytes: Uint8Array): { end: number; checksumAt: number; sum: number } | string {
	if (bytes.length < HEADER_BYTES) return "truncated header";
	if (bytes[0] !== IMAGE_MAGIC) return `bad magic 0x${bytes[0].toString(16).padStart(2, "0")}`;
	const v = view(bytes);
	const segments = bytes[1];
	if (segments === 0 || segments > MAX_SEGMENTS) return `bad segment count ${segments}`;
	if (v.getUint16(12, true) !== 0) return `image is for chip id ${v.getUint16(12, true)}, not ESP32`;
	let pos = HEADER_BYTES;
	let sum = CHECKSUM_SEED;
	for (let s = 0; s < segments; s++) {
		if (pos + SEGMENT_HEADER_BYTES > bytes.length) return `truncated at segment ${s} header`;
		const len = v.getUint32(pos + 4, true);
		// ESP-IDF verify_segment_header: segment lengths are word multiples.
		if (len % 4) return `segment ${s} length ${len} not a multiple of 4`;
		pos += SEGMENT_HEADER_BYTES;
		if (pos + len > bytes.length) return `truncated in segment ${s}`;
		for (let i = pos, end = pos + len; i < end; i++) sum ^= bytes[i];
		pos += len;
	}
	const checksumAt = pos | 15; // padded to one byte short of a 16-byte boundary
	const end = checksumAt + 1 + (bytes[23] === 1 ? HASH_BYTES : 0);
	if (end > bytes.length) return "truncated footer";
	return { end, checksumAt, sum };
}

/**
 * How many leading bytes of a partition the image at its start occupies
 * (header, segments, padding, checksum, hash), found by reading only the
 * headers through `read(offset, length)`; `limit` (the partition size) when
 * the headers do not describe an image that fits. Lets a verifier read 64 KB
 * of a 1.6 MB slot instead of all of it.
 */
export function imageSpan(read: (offset: number, length: number) => Uint8Array, limit: number): number {
	if (limit < HEADER_BYTES) return limit;
	const head = read(0, HEADER_BYTES);
	if (head[0] !== IMAGE_MAGIC) return HEADER_BYTES;
	let pos = HEADER_BYTES;
	for (let s = 0; s < Math.min(head[1], MAX_SEGMENTS); s++) {
		if (pos + SEGMENT_HEADER_BYTES > limit) return limit;
		pos += SEGMENT_HEADER_BYTES + view(read(pos, SEGMENT_HEADER_BYTES)).getUint32(4, true);
		if (pos > limit) return limit;
	}
	return Math.min(limit, (pos | 15) + 1 + (head[23] === 1 ? HASH_BYTES : 0));
}

/**
 * What the simulated esp_image_verify says about `bytes` (an image, or a whole
 * app partition): undefined when valid, else a one-line reason (bad magic,
 * truncated, checksum or sha256 mismatch, missing app descriptor).
 */
export function verifyAppImage(bytes: Uint8Array): string | undefined {
	const extent = imageExtent(bytes);
	if (typeof extent === "string") return extent;
	const { end, checksumAt, sum } = extent;
	if (bytes[checksumAt] !== sum) return `checksum mismatch (stored 0x${bytes[checksumAt].toString(16)}, computed 0x${sum.toString(16)})`;
	if (bytes[23] === 1) {
		const digest = new Sha256().update(bytes.subarray(0, checksumAt + 1)).digest();
		for (let i = 0; i < HASH_BYTES; i++) if (digest[i] !== bytes[checksumAt + 1 + i]) return "sha256 mismatch";
	}
	// An OTA app without esp_app_desc_t cannot be identified (esp_ota_get_partition_description fails).
	if (!readAppDescriptor(bytes.subarray(0, end))) return "no app descriptor";
	return undefined;
}

/** Writes `value` as a NUL-padded char[len]; throws RangeError when it does not fit with its NUL. */
function putCString(out: Uint8Array, at: number, len: number, value: string, field: string): void {
	const b = utf8(value);
	if (b.length >= len) throw new RangeError(`app image: ${field} "${value}" longer than ${len - 1} bytes`);
	out.set(b, at);
}

/**
 * Builds a valid sim image (see the file header). Deterministic: the same
 * options give the same bytes. @throws RangeError when the descriptor strings
 * or the payload do not fit, or `size` is too small for them
 */
export function buildSimImage(options: SimImageOptions): Uint8Array {
	const size = Math.ceil((options.size ?? 65_536) / 16) * 16;
	const payload: SimPayload = { board: options.board, config: options.config ?? {} };
	if (options.crashAfterMs !== undefined) payload.crashAfterMs = options.crashAfterMs;
	const json = utf8(JSON.stringify(payload));
	// Header + segment header + data + 15 pad bytes + checksum + hash = size, data a multiple of 16.
	const dataLen = size - APP_DESC_OFFSET - 16 - HASH_BYTES;
	if (dataLen < APP_DESC_BYTES + 8 + json.length) throw new RangeError(`app image: size ${size} too small for a ${json.length}-byte payload`);
	if (!Number.isInteger(options.secureVersion) || options.secureVersion < 0 || options.secureVersion > 0xffff_ffff)
		throw new RangeError(`app image: secure version ${options.secureVersion} is not a u32`);

	const out = new Uint8Array(size);
	const v = view(out);
	out[0] = IMAGE_MAGIC;
	out[1] = 1; // one segment
	out[2] = 2; // DIO
	out[3] = 0x20; // 4 MB, 40 MHz
	v.setUint32(4, 0x400d_0018, true); // entry in IROM, as an IDF app's call_start_cpu0 would be
	out[8] = 0xee; // WP pin disabled
	v.setUint16(17, 399, true); // max_chip_rev_full v3.99
	out[23] = 1; // hash_appended
	v.setUint32(24, 0x3f40_0020, true); // DROM load address
	v.setUint32(28, dataLen, true);

	const d = APP_DESC_OFFSET;
	v.setUint32(d, APP_DESC_MAGIC, true);
	v.setUint32(d + 4, options.secureVersion, true);
	putCString(out, d + 16, 32, options.version, "version");
	putCString(out, d + 48, 32, `curbside-${options.role}`, "project_name");
	putCString(out, d + 80, 16, "00:00:00", "time");
	putCString(out, d + 96, 16, "Jan  1 2025", "date");
	putCString(out, d + 112, 32, "curbside-sim", "idf_ver");

	let p = SIM_PAYLOAD_OFFSET;
	out.set(SIM_MARKER, p);
	v.setUint32(p + 4, json.length, true);
	out.set(json, p + 8);
	p += 8 + json.length;
	// Filler so large images are not runs of zeros: an LCG (Numerical Recipes constants), fixed seed.
	let x = 0x2545_f491;
	for (const end = APP_DESC_OFFSET + dataLen; p < end; p++) {
		x = (Math.imul(x, 1_664_525) + 1_013_904_223) | 0;
		out[p] = x >>> 24;
	}

	let sum = CHECKSUM_SEED;
	for (let i = APP_DESC_OFFSET, end = APP_DESC_OFFSET + dataLen; i < end; i++) sum ^= out[i];
	const checksumAt = (APP_DESC_OFFSET + dataLen) | 15;
	out[checksumAt] = sum;
	out.set(new Sha256().update(out.subarray(0, checksumAt + 1)).digest(), checksumAt + 1);
	return out;
}

/** The sim payload of a sim image, or undefined (no "CSIM" marker: a real build, or garbage). */
export function readSimPayload(bytes: Uint8Array): SimPayload | undefined {
	const p = SIM_PAYLOAD_OFFSET;
	if (!readAppDescriptor(bytes) || bytes.length < p + 8) return undefined;
	for (let i = 0; i < 4; i++) if (bytes[p + i] !== SIM_MARKER[i]) return undefined;
	const len = view(bytes).getUint32(p + 4, true);
	if (p + 8 + len > bytes.length) return undefined;
	let parsed: unknown;
	try {
		parsed = JSON.parse(text(bytes.subarray(p + 8, p + 8 + len)));
	} catch {
		return undefined;
	}
	if (!parsed || typeof parsed !== "object") return undefined;
	const o = parsed as Record<string, unknown>;
	if (typeof o.board !== "string" || !o.config || typeof o.config !== "object" || Array.isArray(o.config)) return undefined;
	const out: SimPayload = { board: o.board, config: o.config as Record<string, unknown> };
	if (typeof o.crashAfterMs === "number") out.crashAfterMs = o.crashAfterMs;
	return out;
}
