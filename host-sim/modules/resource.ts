/*
 * Host-sim `resource`: Moddable's Resource class. `new Resource(path)` throws
 * when the resource was not built into the image; `Resource.exists(path)` checks.
 * The device maps resources from flash; the sim hands out a read-only copy.
 */
import { bridge } from "../bridge/types";

export default class Resource {
	#bytes: Uint8Array;
	static exists(path: string): boolean {
		return bridge().resource(path) !== undefined;
	}
	constructor(path: string) {
		const bytes = bridge().resource(path);
		if (!bytes) throw new Error(`resource: "${path}" not found`);
		this.#bytes = new Uint8Array(bytes.byteLength);
		this.#bytes.set(bytes);
	}
	get byteLength(): number {
		return this.#bytes.byteLength;
	}
	slice(begin: number, end?: number): ArrayBuffer {
		return this.#bytes.slice(begin, end).buffer;
	}
}
