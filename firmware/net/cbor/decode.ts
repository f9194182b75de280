/*
 * Strict, bounded CBOR decoder for the device.
 *
 * RFC 8949 §3 (heads; major types 0-5 and 7), §3.2 (indefinite lengths:
 * rejected here), §3.3 (half/single/double floats; half decoded by hand, no
 * getFloat16 on XS), §3.1 + §5.3.1 (text strings must be valid UTF-8 per
 * RFC 3629, so surrogates, overlongs and > U+10FFFF are rejected), §5.6
 * (duplicate map keys are invalid), §10 (untrusted input: every length is
 * checked against the remaining input before anything is allocated, and
 * depth/items/string/input sizes are bounded by DecodeLimits).
 *
 * Accepted input is wider than what encode() emits: non-shortest heads and
 * wider floats are valid CBOR (cbor-x emits doubles for large integers), so
 * they decode to the same JS value rather than being rejected.
 *
 * The walk is iterative with an explicit frame stack: the native stack on
 * an ESP32 is tiny and a caller may raise maxDepth, so recursion is out.
 * Every failure is a CborError whose message names the byte offset.
 */
import { CborError, DEFAULT_LIMITS } from "./types";
import type { CborMap, CborValue, DecodeLimits } from "./types";

const TWO_32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAJOR_NAMES = ["unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag", "simple/float"];

/** One open array or map. */
interface Frame {
	arr: CborValue[] | null;
	map: CborMap | null;
	/** Elements (arrays) or entries (maps) still to read. */
	remaining: number;
	/** Map key read but its value not yet. */
	key: string | undefined;
}

function truncated(end: number, what: string, start: number, missing: number): CborError {
	return new CborError(`truncated at byte ${end}: ${what} starting at byte ${start} needs ${missing} more byte(s)`, end);
}

function resolveLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
	if (limits === undefined) return DEFAULT_LIMITS;
	const out: DecodeLimits = { ...DEFAULT_LIMITS };
	for (const name of Object.keys(DEFAULT_LIMITS) as (keyof DecodeLimits)[]) {
		const v = limits[name];
		if (v === undefined) continue;
		// NaN fails v >= 0; Infinity is allowed and means "no limit".
		if (typeof v !== "number" || !(v >= 0)) throw new CborError(`invalid decode limit ${name}: ${String(v)}`);
		out[name] = v;
	}
	return out;
}

/** IEEE 754 binary16 to number, by hand (§3.3, RFC 8949 Appendix D). */
function halfToNumber(h: number): number {
	const exp = (h >>> 10) & 0x1f;
	const mant = h & 0x3ff;
	let v: number;
	if (exp === 0) v = mant * 2 ** -24;
	else if (exp === 31) v = mant === 0 ? Infinity : NaN;
	else v = (mant + 1024) * 2 ** (exp - 25);
	return h & 0x8000 ? -v : v;
}

function badUtf8(at: number, detail: string): CborError {
	return new CborError(`invalid UTF-8 in text string at byte ${at}: ${detail}`, at);
}

function hex2(b: number): string {
	return (b < 16 ? "0x0" : "0x") + b.toString(16);
}

/** Decodes bytes [start, end) as strict UTF-8 (RFC 3629 Table 3-7 ranges); throws CborError. */
function decodeUtf8(b: Uint8Array, start: number, end: number): string {
	const parts: string[] = [];
	// fromCodePoint is fed small chunks: spreading a 64 KiB string's code
	// points at once would blow XS's argument stack.
	const chunk: number[] = [];
	let i = start;
	while (i < end) {
		const c = b[i];
		let cp: number;
		if (c < 0x80) {
			cp = c;
			i += 1;
		} else {
			let n: number;
			// Allowed range of the second byte; narrowed for the lead bytes
			// where the full range would admit overlongs, surrogates or > U+10FFFF.
			let lo = 0x80;
			let hi = 0xbf;
			let narrowed = "invalid continuation byte";
			if (c >= 0xc2 && c <= 0xdf) {
				n = 1;
				cp = c & 0x1f;
			} else if (c >= 0xe0 && c <= 0xef) {
				n = 2;
				cp = c & 0x0f;
				if (c === 0xe0) {
					lo = 0xa0;
					narrowed = "overlong encoding";
				} else if (c === 0xed) {
					hi = 0x9f;
					narrowed = "encoded surrogate (U+D800-U+DFFF)";
				}
			} else if (c >= 0xf0 && c <= 0xf4) {
				n = 3;
				cp = c & 0x07;
				if (c === 0xf0) {
					lo = 0x90;
					narrowed = "overlong encoding";
				} else if (c === 0xf4) {
					hi = 0x8f;
					narrowed = "code point above U+10FFFF";
				}
			} else if (c < 0xc0) {
				throw badUtf8(i, `unexpected continuation byte ${hex2(c)}`);
			} else {
				throw badUtf8(i, c < 0xc2 ? `overlong encoding (lead byte ${hex2(c)})` : `invalid lead byte ${hex2(c)}`);
			}
			if (end - i <= n) throw badUtf8(i, "incomplete multi-byte sequence");
			for (let k = 1; k <= n; k++) {
				const cc = b[i + k];
				if (cc < lo || cc > hi) {
					throw badUtf8(i + k, cc >= 0x80 && cc <= 0xbf ? narrowed : `invalid continuation byte ${hex2(cc)}`);
				}
				cp = (cp << 6) | (cc & 0x3f);
				lo = 0x80;
				hi = 0xbf;
			}
			i += n + 1;
		}
		chunk.push(cp);
		if (chunk.length === 64) {
			parts.push(String.fromCodePoint(...chunk));
			chunk.length = 0;
		}
	}
	if (chunk.length > 0) parts.push(String.fromCodePoint(...chunk));
	return parts.length === 1 ? parts[0] : parts.join("");
}

/** Stores a map entry; keys like "__proto__" or "toString" go through defineProperty (XS freezes Object.prototype, so plain assignment of an inherited name would throw). */
function setEntry(obj: CborMap, key: string, value: CborValue): void {
	if (key in obj) Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
	else obj[key] = value;
}

/** Decodes exactly one CBOR data item; throws CborError on malformed, unsupported, over-limit, truncated or trailing input. */
export function decode(input: Uint8Array | ArrayBuffer, limits?: Partial<DecodeLimits>): CborValue {
	const lim = resolveLimits(limits);
	// Re-view as a plain Uint8Array: on Node a Buffer's slice() is a view, not
	// a copy, and decoded byte strings must neither alias the input nor be Buffers.
	let bytes: Uint8Array;
	if (input instanceof Uint8Array) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
	else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
	else throw new CborError("input must be a Uint8Array or ArrayBuffer", 0);
	const end = bytes.length;
	if (end > lim.maxInputLength) {
		throw new CborError(`input of ${end} bytes exceeds maxInputLength ${lim.maxInputLength} at byte 0`, 0);
	}
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const stack: Frame[] = [];
	let pos = 0;
	let items = 0;

	for (;;) {
		const start = pos;
		if (pos >= end) throw truncated(end, "data item", start, 1);
		const ib = bytes[pos++];
		const major = ib >>> 5;
		const ai = ib & 0x1f;
		const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
		if (top !== undefined && top.map !== null && top.key === undefined && major !== 3) {
			throw new CborError(`map key must be a text string, found ${MAJOR_NAMES[major]} at byte ${start}`, start);
		}
		if (++items > lim.maxItems) throw new CborError(`more than maxItems ${lim.maxItems} data items at byte ${start}`, start);
		if (ai >= 28 && ai <= 30) {
			throw new CborError(`reserved additional information ${ai} (initial byte ${hex2(ib)}) at byte ${start}`, start);
		}

		let value: CborValue;
		if (major === 7) {
			if (ai < 20) throw new CborError(`unsupported simple value ${ai} at byte ${start}`, start);
			else if (ai === 20) value = false;
			else if (ai === 21) value = true;
			else if (ai === 22) value = null;
			else if (ai === 23) value = undefined;
			else if (ai === 24) {
				if (pos >= end) throw truncated(end, "simple value", start, 1);
				const sv = bytes[pos];
				// §3.3: values < 32 in the two-byte form are not well-formed.
				throw new CborError(sv < 32 ? `simple value ${sv} in two-byte form is not well-formed at byte ${start}` : `unsupported simple value ${sv} at byte ${start}`, start);
			} else if (ai === 25) {
				if (end - pos < 2) throw truncated(end, "half float", start, 2 - (end - pos));
				value = halfToNumber((bytes[pos] << 8) | bytes[pos + 1]);
				pos += 2;
			} else if (ai === 26) {
				if (end - pos < 4) throw truncated(end, "single float", start, 4 - (end - pos));
				value = view.getFloat32(pos);
				pos += 4;
			} else if (ai === 27) {
				if (end - pos < 8) throw truncated(end, "double float", start, 8 - (end - pos));
				value = view.getFloat64(pos);
				pos += 8;
			} else {
				throw new CborError(`unexpected break (0xff) outside an indefinite-length item at byte ${start}`, start);
			}
		} else {
			if (ai === 31) {
				if (major >= 2 && major <= 5) throw new CborError(`indefinite-length ${MAJOR_NAMES[major]} is not supported at byte ${start}`, start);
				throw new CborError(`additional information 31 is not well-formed for a ${MAJOR_NAMES[major]} at byte ${start}`, start);
			}
			let arg = ai;
			if (ai >= 24) {
				const n = 1 << (ai - 24);
				if (end - pos < n) throw truncated(end, `${MAJOR_NAMES[major]} head`, start, n - (end - pos));
				if (n === 1) arg = bytes[pos];
				else if (n === 2) arg = view.getUint16(pos);
				else if (n === 4) arg = view.getUint32(pos);
				// Above 2^53 this is inexact, but it stays > MAX_SAFE, which is all the checks below need.
				else arg = view.getUint32(pos) * TWO_32 + view.getUint32(pos + 4);
				pos += n;
			}
			if (major === 0) {
				if (arg > MAX_SAFE) throw new CborError(`integer out of safe range at byte ${start}`, start);
				value = arg;
			} else if (major === 1) {
				if (arg > MAX_SAFE - 1) throw new CborError(`integer out of safe range at byte ${start}`, start);
				value = -1 - arg;
			} else if (major === 2 || major === 3) {
				if (arg > end - pos) throw truncated(end, `${MAJOR_NAMES[major]} of ${arg} bytes`, start, arg - (end - pos));
				if (arg > lim.maxStringLength) {
					throw new CborError(`${MAJOR_NAMES[major]} of ${arg} bytes exceeds maxStringLength ${lim.maxStringLength} at byte ${start}`, start);
				}
				value = major === 2 ? bytes.slice(pos, pos + arg) : decodeUtf8(bytes, pos, pos + arg);
				pos += arg;
			} else if (major === 6) {
				throw new CborError(`unsupported tag ${arg} at byte ${start}`, start);
			} else {
				if (stack.length + 1 > lim.maxDepth) {
					throw new CborError(`nesting deeper than maxDepth ${lim.maxDepth} at byte ${start}`, start);
				}
				// Every element takes at least one byte (two per map entry):
				// reject impossible counts before allocating anything.
				const minBytes = major === 4 ? arg : arg * 2;
				if (minBytes > end - pos) {
					throw truncated(end, `${MAJOR_NAMES[major]} of ${arg} ${major === 4 ? "elements" : "entries"}`, start, minBytes - (end - pos));
				}
				if (items + minBytes > lim.maxItems) {
					throw new CborError(`${MAJOR_NAMES[major]} of ${arg} would exceed maxItems ${lim.maxItems} at byte ${start}`, start);
				}
				if (arg > 0) {
					stack.push(major === 4 ? { arr: [], map: null, remaining: arg, key: undefined } : { arr: null, map: {}, remaining: arg, key: undefined });
					continue;
				}
				value = major === 4 ? [] : {};
			}
		}

		// Hand the finished item to its parent, closing every container it completes.
		for (;;) {
			const f = stack.length > 0 ? stack[stack.length - 1] : undefined;
			if (f === undefined) {
				if (pos !== end) throw new CborError(`${end - pos} trailing byte(s) after the top-level item at byte ${pos}`, pos);
				return value;
			}
			if (f.map !== null) {
				if (f.key === undefined) {
					const key = value as string;
					if (Object.hasOwn(f.map, key)) {
						const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
						throw new CborError(`duplicate map key ${JSON.stringify(shown)} at byte ${start}`, start);
					}
					f.key = key;
					break;
				}
				setEntry(f.map, f.key, value);
				f.key = undefined;
			} else {
				(f.arr as CborValue[]).push(value);
			}
			if (--f.remaining > 0) break;
			stack.pop();
			value = f.map !== null ? f.map : (f.arr as CborValue[]);
		}
	}
}
