/*
 * Deterministic CBOR encoder for the device.
 *
 * RFC 8949 §3 (heads, major types 0-5 and 7), §3.1 (definite lengths only),
 * §4.1 (preferred serialization: shortest argument; shortest exact float of
 * half/single/double), §4.2.1 (Core Deterministic Encoding: map keys sorted
 * by the bytewise order of their encodings), §3.3 (IEEE 754 half-precision,
 * converted by hand because XS and Node 20 lack Float16Array/setFloat16).
 *
 * Numbers: a safe integer (Number.isSafeInteger, so -0 too) becomes a CBOR
 * integer, -0 therefore encodes as 0x00 exactly like cbor-x. Anything else
 * is a float in the shortest width that holds it exactly; every NaN becomes
 * f97e00 and ±Infinity the half form, as §4.2.1 prescribes.
 *
 * UTF-8 is produced by hand from code points (no TextEncoder on XS, and XS
 * string length is not a UTF-16 count), iterating with for…of so both
 * engines see whole code points. Lone surrogates cannot be expressed in
 * UTF-8 and are rejected rather than silently replaced.
 *
 * The walk is iterative with an explicit stack so an adversarial or cyclic
 * value cannot overflow the (small, on ESP32) native stack; maxDepth stops it.
 */
import { CborError, DEFAULT_LIMITS } from "./types";
import type { CborValue, EncodeOptions } from "./types";

const TWO_32 = 4294967296;

// Scratch space for reading float bit patterns; shared, never re-entered.
const scratch = new DataView(new ArrayBuffer(8));

/** Growable output buffer. */
class Writer {
	buf: Uint8Array;
	pos = 0;

	constructor(size: number) {
		this.buf = new Uint8Array(size);
	}

	ensure(n: number): void {
		const need = this.pos + n;
		if (need <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < need) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.buf.subarray(0, this.pos));
		this.buf = next;
	}

	byte(b: number): void {
		this.ensure(1);
		this.buf[this.pos++] = b;
	}

	bytes(b: Uint8Array): void {
		this.ensure(b.length);
		this.buf.set(b, this.pos);
		this.pos += b.length;
	}

	/** Writes a head with the shortest argument form (§4.1); n is a safe non-negative integer. */
	head(major: number, n: number): void {
		this.ensure(9);
		const buf = this.buf;
		const mt = major << 5;
		let p = this.pos;
		if (n < 24) {
			buf[p++] = mt | n;
		} else if (n < 0x100) {
			buf[p++] = mt | 24;
			buf[p++] = n;
		} else if (n < 0x10000) {
			buf[p++] = mt | 25;
			buf[p++] = n >>> 8;
			buf[p++] = n & 0xff;
		} else if (n < TWO_32) {
			buf[p++] = mt | 26;
			p = put32(buf, p, n);
		} else {
			buf[p++] = mt | 27;
			p = put32(buf, p, Math.floor(n / TWO_32));
			p = put32(buf, p, n >>> 0);
		}
		this.pos = p;
	}

	/** Writes a text string whose UTF-8 length was already computed by utf8Length. */
	text(s: string, len: number): void {
		this.head(3, len);
		this.ensure(len);
		const buf = this.buf;
		let p = this.pos;
		for (const ch of s) {
			const c = ch.codePointAt(0) as number;
			if (c < 0x80) {
				buf[p++] = c;
			} else if (c < 0x800) {
				buf[p++] = 0xc0 | (c >>> 6);
				buf[p++] = 0x80 | (c & 0x3f);
			} else if (c < 0x10000) {
				buf[p++] = 0xe0 | (c >>> 12);
				buf[p++] = 0x80 | ((c >>> 6) & 0x3f);
				buf[p++] = 0x80 | (c & 0x3f);
			} else {
				buf[p++] = 0xf0 | (c >>> 18);
				buf[p++] = 0x80 | ((c >>> 12) & 0x3f);
				buf[p++] = 0x80 | ((c >>> 6) & 0x3f);
				buf[p++] = 0x80 | (c & 0x3f);
			}
		}
		this.pos = p;
	}

	/** Writes a number: integer head for safe integers, else the shortest exact float (§4.1, §4.2.1). */
	number(v: number): void {
		if (Number.isSafeInteger(v)) {
			if (v >= 0) this.head(0, v);
			else this.head(1, -1 - v);
			return;
		}
		this.ensure(9);
		const buf = this.buf;
		if (v !== v) {
			// All NaNs collapse to the canonical quiet NaN (§4.2.1).
			buf[this.pos++] = 0xf9;
			buf[this.pos++] = 0x7e;
			buf[this.pos++] = 0x00;
			return;
		}
		if (Math.fround(v) === v) {
			const h = halfBits(v);
			if (h >= 0) {
				buf[this.pos++] = 0xf9;
				buf[this.pos++] = h >>> 8;
				buf[this.pos++] = h & 0xff;
				return;
			}
			scratch.setFloat32(0, v);
			buf[this.pos++] = 0xfa;
			for (let i = 0; i < 4; i++) buf[this.pos++] = scratch.getUint8(i);
			return;
		}
		scratch.setFloat64(0, v);
		buf[this.pos++] = 0xfb;
		for (let i = 0; i < 8; i++) buf[this.pos++] = scratch.getUint8(i);
	}
}

function put32(buf: Uint8Array, p: number, n: number): number {
	buf[p] = n >>> 24;
	buf[p + 1] = (n >>> 16) & 0xff;
	buf[p + 2] = (n >>> 8) & 0xff;
	buf[p + 3] = n & 0xff;
	return p + 4;
}

/**
 * Half-precision bits for v if a binary16 holds v exactly, else -1.
 * v must already be float32-exact and not NaN; we reuse float32's fields
 * because binary16 is binary32 with fewer exponent and mantissa bits.
 */
function halfBits(v: number): number {
	scratch.setFloat32(0, v);
	const bits = scratch.getUint32(0);
	const sign = (bits >>> 16) & 0x8000;
	const exp = (bits >>> 23) & 0xff;
	const mant = bits & 0x7fffff;
	if (exp === 0xff) return sign | 0x7c00; // ±Infinity (NaN handled by caller)
	if (exp === 0) return mant === 0 ? sign : -1; // ±0; float32 subnormals are far below half range
	const e = exp - 127;
	if (e > 15) return -1;
	if (e >= -14) {
		// Normal half: the 13 mantissa bits that half lacks must be zero.
		if ((mant & 0x1fff) !== 0) return -1;
		return sign | ((e + 15) << 10) | (mant >>> 13);
	}
	if (e < -24) return -1;
	// Subnormal half (value = m * 2^-24): shift the full significand down.
	const shift = 13 + (-14 - e);
	const full = 0x800000 | mant;
	if ((full & ((1 << shift) - 1)) !== 0) return -1;
	return sign | (full >>> shift);
}

/** UTF-8 byte length of s computed from code points; throws CborError on a lone surrogate. */
function utf8Length(s: string, at: number): number {
	let n = 0;
	for (const ch of s) {
		const c = ch.codePointAt(0) as number;
		if (c < 0x80) n += 1;
		else if (c < 0x800) n += 2;
		else if (c < 0x10000) {
			if (c >= 0xd800 && c <= 0xdfff) {
				throw new CborError(`cannot encode lone surrogate U+${c.toString(16).toUpperCase()} in text string (output byte ${at})`, at);
			}
			n += 3;
		} else n += 4;
	}
	return n;
}

/** Encoded form of a map key (head + UTF-8), used for §4.2.1 sorting. */
function encodeKey(key: string, at: number): Uint8Array {
	const len = utf8Length(key, at);
	const w = new Writer(len + 9);
	w.text(key, len);
	return w.buf.subarray(0, w.pos);
}

/** Bytewise lexicographic order of encoded keys; a proper prefix sorts first (§4.2.1). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
	const n = a.length < b.length ? a.length : b.length;
	for (let i = 0; i < n; i++) {
		if (a[i] !== b[i]) return a[i] - b[i];
	}
	return a.length - b.length;
}

function isPlainObject(v: object): boolean {
	const proto = Object.getPrototypeOf(v);
	return proto === Object.prototype || proto === null;
}

function typeName(v: unknown): string {
	if (typeof v !== "object" || v === null) return typeof v;
	if (Array.isArray(v)) return "array";
	const ctor = (v as { constructor?: { name?: unknown } }).constructor;
	return ctor && typeof ctor.name === "string" && ctor.name ? ctor.name : "object";
}

// Marks a stack entry holding pre-encoded key bytes rather than a value.
const RAW = -1;

/** Encodes value as deterministic CBOR (RFC 8949 §4.2.1); throws CborError on unsupported types, lone surrogates, or nesting beyond maxDepth (which also catches cycles). */
export function encode(value: CborValue, options?: EncodeOptions): Uint8Array {
	const maxDepth = options?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
	// NaN would disable the depth check and let a cyclic value loop forever.
	if (typeof maxDepth !== "number" || !(maxDepth >= 0)) throw new CborError(`invalid encode option maxDepth: ${String(maxDepth)}`, 0);
	const w = new Writer(256);
	// Parallel stacks: the item and its nesting depth (RAW for key bytes).
	const items: unknown[] = [value];
	const depths: number[] = [0];
	while (items.length > 0) {
		const v = items.pop();
		const depth = depths.pop() as number;
		if (depth === RAW) {
			w.bytes(v as Uint8Array);
			continue;
		}
		switch (typeof v) {
			case "number":
				w.number(v);
				continue;
			case "string":
				w.text(v, utf8Length(v, w.pos));
				continue;
			case "boolean":
				w.byte(v ? 0xf5 : 0xf4);
				continue;
			case "undefined":
				w.byte(0xf7);
				continue;
			case "object":
				break;
			default:
				throw new CborError(`cannot encode ${typeof v} (output byte ${w.pos})`, w.pos);
		}
		if (v === null) {
			w.byte(0xf6);
			continue;
		}
		if (v instanceof Uint8Array) {
			w.head(2, v.length);
			w.bytes(v);
			continue;
		}
		const isArray = Array.isArray(v);
		if (!isArray && !isPlainObject(v)) {
			throw new CborError(`cannot encode ${typeName(v)}: only plain objects, arrays and Uint8Array (output byte ${w.pos})`, w.pos);
		}
		if (depth + 1 > maxDepth) {
			throw new CborError(`nesting deeper than maxDepth ${maxDepth} (cyclic value?) at output byte ${w.pos}`, w.pos);
		}
		if (isArray) {
			const arr = v as unknown[];
			w.head(4, arr.length);
			for (let i = arr.length - 1; i >= 0; i--) {
				items.push(arr[i]);
				depths.push(depth + 1);
			}
			continue;
		}
		const obj = v as Record<string, unknown>;
		const keys = Object.keys(obj);
		const entries: { k: Uint8Array; v: unknown }[] = [];
		for (const key of keys) entries.push({ k: encodeKey(key, w.pos), v: obj[key] });
		entries.sort((a, b) => compareBytes(a.k, b.k));
		w.head(5, entries.length);
		// Pushed in reverse so the first key pops first, each key before its value.
		for (let i = entries.length - 1; i >= 0; i--) {
			items.push(entries[i].v);
			depths.push(depth + 1);
			items.push(entries[i].k);
			depths.push(RAW);
		}
	}
	return w.buf.slice(0, w.pos);
}

/**
 * The head of a data item alone (RFC 8949 §3: major type and argument, in
 * preferred serialization), for callers that splice pre-encoded items into
 * a container instead of decoding and re-encoding them (the outbox batches).
 */
export function encodeHead(major: number, argument: number): Uint8Array {
	if (!Number.isInteger(major) || major < 0 || major > 7) throw new CborError(`invalid major type ${major}`, 0);
	if (!Number.isSafeInteger(argument) || argument < 0) throw new CborError(`invalid head argument ${argument}`, 0);
	const w = new Writer(9);
	w.head(major, argument);
	return w.buf.slice(0, w.pos);
}
