/*
 * Host-sim `resource`: Moddable's Resource class. `new Resource(path)` throws
 * when the resource was not built into the image; `Resource.exists(path)` checks.
 * On the device a Resource is a HostBuffer mapped from flash, so
 * `new Uint8Array(resource)` views it without copying it into RAM; here it is
 * an ArrayBuffer holding a copy, which gives firmware code the same idiom.
 */
import { bridge } from "../bridge/types";

export default class Resource extends ArrayBuffer {
	static exists(path: string): boolean {
		return bridge().resource(path) !== undefined;
	}
	constructor(path: string) {
		const bytes = bridge().resource(path);
		if (!bytes) throw new Error(`resource: "${path}" not found`);
		super(bytes.byteLength);
		new Uint8Array(this).set(bytes);
	}
	/** A copy as a plain ArrayBuffer (ArrayBuffer's own slice would construct a Resource through @@species). */
	override slice(begin: number, end?: number): ArrayBuffer {
		return new Uint8Array(this).slice(begin, end).buffer;
	}
}
