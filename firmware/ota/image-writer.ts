/*
 * Stage 2–3 on flash: writes the image into the update partition
 * (Moddable `new Flash("nextota")`, the partition esp_ota_get_next_update_partition
 * names) chunk by chunk, reads every chunk back, and hashes what is on flash,
 * not what came over the air.
 *
 * Why not Moddable's `ota` / `embedded:update` modules: both call
 * esp_ota_begin(), which erases the target region when it opens (or, in
 * sequential mode, erases each sector as the write position reaches it from
 * byte 0), so a download interrupted by a reboot could only start over.
 * Writing sectors through `flash` keeps everything already verified, and the
 * boot switch is made by the native otaBoot module (esp_ota_set_boot_partition,
 * which runs esp_image_verify on the partition first).
 *
 * NOR flash (ESP32 SPI flash): a 4 KiB sector is erased before it is written;
 * a chunk that starts a sector erases it (and the sectors a larger chunk
 * spans). After a reboot the write resumes at a persisted sector boundary, so
 * a sector torn by a power cut is always erased again before reuse.
 */
import Flash from "flash";
import { sha256, type Sha256Stream } from "./crypto";

export interface ImageWriterOptions {
	size: number;
	chunk: number;
	/** bytes already on flash and verified (resume) */
	done: number;
	/** the flash module's constructor (tests pass another partition name) */
	partition?: string;
}

export class ImageWriter {
	readonly size: number;
	readonly chunk: number;
	#flash: Flash;
	#hash: Sha256Stream;
	#written: number;
	#sector: number;

	/** @throws Error when the partition can't be opened or is too small */
	constructor(o: ImageWriterOptions) {
		this.#flash = new Flash(o.partition ?? "nextota");
		this.#sector = this.#flash.blockSize;
		if (o.size > this.#flash.byteLength) throw new RangeError(`image of ${o.size} bytes does not fit the ${this.#flash.byteLength}-byte update partition`);
		this.size = o.size;
		this.chunk = o.chunk;
		this.#hash = sha256();
		this.#written = 0;
		// Resume on a boundary that is both a chunk and a sector start (sizes are powers of two: the larger one).
		const unit = Math.max(this.#sector, o.chunk);
		const resumeAt = Math.min(o.done - (o.done % unit), o.size - (o.size % unit));
		if (resumeAt > 0) this.#rehash(resumeAt);
	}

	/** Bytes on flash, read back and hashed. */
	get written(): number {
		return this.#written;
	}

	/** Index of the next chunk to write. */
	get nextChunk(): number {
		return Math.floor(this.#written / this.chunk);
	}

	get chunks(): number {
		return Math.ceil(this.size / this.chunk);
	}

	/** Length chunk `i` must have (the last one may be short). */
	expectedLength(i: number): number {
		return Math.min(this.chunk, this.size - i * this.chunk);
	}

	/**
	 * Writes chunk `i` (must be `nextChunk`), reads it back, hashes it.
	 * @throws Error when flash does not hold what was written (the caller
	 *   retries the chunk; the sector is erased again)
	 */
	write(i: number, data: Uint8Array): void {
		const at = i * this.chunk;
		if (at !== this.#written) throw new RangeError(`chunk ${i} is out of order (next is ${this.nextChunk})`);
		if (data.byteLength !== this.expectedLength(i)) throw new RangeError(`chunk ${i} has ${data.byteLength} bytes, expected ${this.expectedLength(i)}`);
		const s = this.#sector;
		for (let sector = Math.ceil(at / s); sector * s < at + data.byteLength; sector++) this.#flash.erase(sector);
		this.#flash.write(at, data.byteLength, data);
		const back = new Uint8Array(this.#flash.read(at, data.byteLength));
		for (let k = 0; k < back.length; k++) if (back[k] !== data[k]) throw new Error(`flash read-back differs at byte ${at + k}`);
		this.#hash.write(back);
		this.#written = at + data.byteLength;
	}

	/** The image's SHA-256 over what is on flash. Only once, when every chunk is written. */
	finish(): Uint8Array {
		if (this.#written !== this.size) throw new Error(`image incomplete: ${this.#written} of ${this.size} bytes`);
		return this.#hash.close();
	}

	/** Re-reads and hashes the prefix already on flash (the hash state does not survive a reboot). */
	#rehash(upTo: number): void {
		const step = this.#sector;
		for (let at = 0; at < upTo; at += step) this.#hash.write(new Uint8Array(this.#flash.read(at, Math.min(step, upTo - at))));
		this.#written = upTo;
	}
}
