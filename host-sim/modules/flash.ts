/*
 * Host-sim `flash`: Moddable's Flash class (modules/files/flash) over a named
 * partition, with NOR flash semantics as on the ESP32's SPI flash:
 *   - erase works on whole sectors (blockSize, 4096 bytes) and sets them to 0xFF;
 *   - a write can only clear bits (stored = old AND new), so rewriting without
 *     erase corrupts data exactly as the real part does;
 *   - erase counts per sector are kept for wear statistics.
 * Out-of-range access throws RangeError, as the device does.
 */
import { bridge, type BridgePartition } from "../bridge/types";

type BufferLike = ArrayBuffer | ArrayBufferView;

function bytesOf(buffer: BufferLike): Uint8Array {
	if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	return new Uint8Array(buffer);
}

export default class Flash {
	#part: BridgePartition;
	#name: string;

	constructor(partition?: string) {
		const name = partition ?? "xs";
		const part = bridge().flash.open(name);
		if (!part) throw new Error(`flash: partition "${name}" not found`);
		this.#part = part;
		this.#name = name;
	}
	get byteLength(): number {
		return this.#part.byteLength;
	}
	get blockSize(): number {
		return this.#part.blockSize;
	}
	#check(offset: number, byteLength: number): void {
		if (!Number.isInteger(offset) || !Number.isInteger(byteLength) || offset < 0 || byteLength < 0 || offset + byteLength > this.#part.byteLength)
			throw new RangeError(`flash: ${this.#name}: access ${offset}+${byteLength} outside ${this.#part.byteLength} bytes`);
	}
	/** Erases one sector (index, not offset) to 0xFF. */
	erase(sector: number): void {
		const size = this.#part.blockSize;
		if (!Number.isInteger(sector) || sector < 0 || (sector + 1) * size > this.#part.byteLength)
			throw new RangeError(`flash: ${this.#name}: invalid sector ${sector}`);
		this.#part.store(sector * size, new Uint8Array(size).fill(0xff));
		this.#part.noteErase(sector);
	}
	read(offset: number, byteLength: number): ArrayBuffer {
		this.#check(offset, byteLength);
		const out = new Uint8Array(byteLength);
		out.set(this.#part.read(offset, byteLength));
		return out.buffer;
	}
	/** Programs bytes: each stored bit becomes old AND new (NOR flash cannot set bits). */
	write(offset: number, byteLength: number, buffer: BufferLike): void {
		this.#check(offset, byteLength);
		const src = bytesOf(buffer);
		if (src.byteLength < byteLength) throw new RangeError(`flash: ${this.#name}: buffer shorter than ${byteLength} bytes`);
		const old = this.#part.read(offset, byteLength);
		const merged = new Uint8Array(byteLength);
		for (let i = 0; i < byteLength; i++) merged[i] = old[i] & src[i];
		this.#part.store(offset, merged);
	}
	/** Memory-mapped view. The sim returns a read-only copy (the device maps flash read-only too). */
	map(): ArrayBuffer {
		return this.read(0, this.#part.byteLength);
	}
}
