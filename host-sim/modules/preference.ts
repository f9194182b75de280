/*
 * Host-sim `preference`: Moddable's Preference API with the ESP32 NVS limits
 * the device enforces (Moddable modules/files/preference/esp32, ESP-IDF NVS):
 *   - domain and key: 1..15 characters (NVS_KEY_NAME_MAX_SIZE is 16 with the NUL);
 *   - values: boolean, 32-bit integer, string, ArrayBuffer; floats are rejected;
 *   - a string or buffer value of at most 4000 bytes.
 * Misuse throws the same kind of error the device throws, so a firmware bug
 * shows up in the simulator first.
 */
import { bridge } from "../bridge/types";

export const MAX_NAME_LENGTH = 15;
export const MAX_VALUE_BYTES = 4000;

function checkName(what: string, name: unknown): string {
	if (typeof name !== "string" || name.length < 1 || name.length > MAX_NAME_LENGTH)
		throw new RangeError(`preference: ${what} "${String(name)}" must be 1..${MAX_NAME_LENGTH} characters`);
	return name;
}

/** UTF-8 byte length without TextEncoder (not on XS). */
function utf8Length(s: string): number {
	let n = 0;
	for (const ch of s) {
		const c = ch.codePointAt(0)!;
		n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	}
	return n;
}

type Value = string | boolean | number | ArrayBuffer;

const Preference = {
	set(domain: string, key: string, value: Value): void {
		checkName("domain", domain);
		checkName("key", key);
		let stored: string | number | boolean | Uint8Array;
		if (typeof value === "boolean") stored = value;
		else if (typeof value === "number") {
			if (!Number.isInteger(value) || value < -2_147_483_648 || value > 2_147_483_647)
				throw new RangeError(`preference: ${domain}.${key}: only 32-bit integers are supported, got ${value}`);
			stored = value;
		} else if (typeof value === "string") {
			if (utf8Length(value) > MAX_VALUE_BYTES) throw new RangeError(`preference: ${domain}.${key}: value over ${MAX_VALUE_BYTES} bytes`);
			stored = value;
		} else if (value && typeof value === "object" && typeof (value as ArrayBuffer).byteLength === "number" && !ArrayBuffer.isView(value)) {
			if (value.byteLength > MAX_VALUE_BYTES) throw new RangeError(`preference: ${domain}.${key}: value over ${MAX_VALUE_BYTES} bytes`);
			stored = new Uint8Array(value.slice(0));
		} else throw new TypeError(`preference: ${domain}.${key}: unsupported value type`);
		bridge().nvs.set(domain, key, stored);
	},
	get(domain: string, key: string): Value | undefined {
		checkName("domain", domain);
		checkName("key", key);
		const v = bridge().nvs.get(domain, key);
		if (v === undefined || typeof v !== "object") return v;
		// Copy into this realm's ArrayBuffer: the bridge may live in another realm.
		const out = new Uint8Array(v.byteLength);
		out.set(v);
		return out.buffer;
	},
	delete(domain: string, key: string): void {
		checkName("domain", domain);
		checkName("key", key);
		bridge().nvs.delete(domain, key);
	},
	keys(domain: string): string[] {
		checkName("domain", domain);
		return bridge().nvs.keys(domain).slice();
	},
};

export default Preference;
