/*
 * In-RAM index of the outbox's unacked records: seq → flash offset and body
 * length, in seq order, so pending() and ack() never rescan flash.
 * Three parallel typed arrays (10 bytes per pending record) instead of an
 * object per record: a 64 KiB ring of small records holds thousands, and the
 * ESP32 without PSRAM has ~100 KiB of heap for everything. Acked records are
 * not indexed at all. An ack in the middle leaves a hole (length 0: bodies are
 * never empty) that the next growth compacts away.
 */

export class PendingIndex {
	#seq: Uint32Array;
	#offset: Uint32Array;
	#length: Uint16Array;
	#start = 0;
	#end = 0;
	#count = 0;
	#bytes = 0;

	constructor(initialCapacity = 16) {
		this.#seq = new Uint32Array(initialCapacity);
		this.#offset = new Uint32Array(initialCapacity);
		this.#length = new Uint16Array(initialCapacity);
	}
	/** Live (unacked) entries. */
	get count(): number {
		return this.#count;
	}
	/** Sum of the live entries' body lengths, in bytes. */
	get bytes(): number {
		return this.#bytes;
	}
	/** One past the last position; positions in [firstAfter(x), end) may hold holes. */
	get end(): number {
		return this.#end;
	}
	seqAt(i: number): number {
		return this.#seq[i];
	}
	offsetAt(i: number): number {
		return this.#offset[i];
	}
	/** Body length in bytes; 0 marks a hole. */
	lengthAt(i: number): number {
		return this.#length[i];
	}
	/** First position whose seq is greater than `seq` (binary search: seqs ascend, holes included). */
	firstAfter(seq: number): number {
		let lo = this.#start;
		let hi = this.#end;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (this.#seq[mid] > seq) hi = mid;
			else lo = mid + 1;
		}
		return lo;
	}
	/** Adds a record; its seq must exceed every seq already pushed. */
	push(seq: number, offset: number, length: number): void {
		if (this.#end === this.#seq.length) this.#makeRoom();
		const i = this.#end++;
		this.#seq[i] = seq;
		this.#offset[i] = offset;
		this.#length[i] = length;
		this.#count++;
		this.#bytes += length;
	}
	/** Turns a live position into a hole. Positions of other entries do not move. */
	remove(i: number): void {
		const length = this.#length[i];
		if (!length) return;
		this.#length[i] = 0;
		this.#count--;
		this.#bytes -= length;
		while (this.#start < this.#end && !this.#length[this.#start]) this.#start++;
		while (this.#end > this.#start && !this.#length[this.#end - 1]) this.#end--;
	}
	/** Compacts live entries to the front; doubles the arrays only if more than half full. */
	#makeRoom(): void {
		const capacity = this.#seq.length;
		const grow = this.#count * 2 > capacity;
		const seq = grow ? new Uint32Array(capacity * 2) : this.#seq;
		const offset = grow ? new Uint32Array(capacity * 2) : this.#offset;
		const length = grow ? new Uint16Array(capacity * 2) : this.#length;
		let j = 0;
		for (let i = this.#start; i < this.#end; i++) {
			if (!this.#length[i]) continue;
			seq[j] = this.#seq[i];
			offset[j] = this.#offset[i];
			length[j] = this.#length[i];
			j++;
		}
		this.#seq = seq;
		this.#offset = offset;
		this.#length = length;
		this.#start = 0;
		this.#end = j;
	}
}
