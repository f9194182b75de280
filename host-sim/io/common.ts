/*
 * Helpers shared by the simulated ECMA-419 IO classes: buffer views, option
 * checks and the errors Moddable's ESP32 IO raises on misuse, so firmware
 * sees the same exception class and message in the sim as on the device.
 */

/**
 * ECMA-419's `Buffer`: an ArrayBuffer, a SharedArrayBuffer, a view on one,
 * or (on XS) a HostBuffer — typed by its byteLength, checked at run time.
 */
export type IOBuffer = ArrayBufferLike | ArrayBufferView | { readonly byteLength: number };

/** A byte view over any ECMA-419 `Buffer` (ArrayBuffer, typed array, DataView). */
export function bytesOf(buffer: unknown): Uint8Array {
	if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
	if (typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer) return new Uint8Array(buffer);
	throw new TypeError("invalid buffer");
}

/** A copy as a fresh ArrayBuffer (what `read(count)` returns). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
	const out = new ArrayBuffer(bytes.byteLength);
	new Uint8Array(out).set(bytes);
	return out;
}

/** Method called on a closed IO object: Moddable's xsmcGetHostDataValidate fails. */
export function closedError(): Error {
	return new Error("closed");
}

/** A pin (or port) another IO object already holds: builtinIsPinFree fails. */
export function inUseError(what: string): Error {
	return new Error(`in use (${what})`);
}

/** Validates a pin number: integer 0 ..= 39 on the ESP32 (GPIO_NUM_MAX 40). */
export function checkPin(value: unknown, name: string): number {
	if (value === undefined) throw new RangeError(`${name} required`);
	if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 39) throw new RangeError(`invalid ${name}`);
	return value;
}

/** The `format` option/property: only the listed formats are accepted. */
export function checkFormat<F extends string>(value: unknown, allowed: readonly F[], fallback: F): F {
	if (value === undefined) return fallback;
	if (!allowed.includes(value as F)) throw new RangeError("invalid format");
	return value as F;
}

/**
 * Calls an ECMA-419 callback with the IO object as `this`. An exception it
 * throws propagates to whoever runs the clock, as an uncaught exception in a
 * callback reaches XS's unhandled-exception report on the device.
 */
export function invoke(self: object, callback: ((...args: never[]) => void) | undefined, ...args: unknown[]): void {
	if (!callback) return;
	(callback as (...a: unknown[]) => void).apply(self, args);
}
