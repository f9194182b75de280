/*
 * File-backed NVS and flash partitions, so a simulated device keeps its
 * config, boot count and outbox across `curbside sim run` invocations just as
 * a board keeps them across power cycles. Writes are synchronous and in place
 * (flash) or atomic by rename (NVS), so killing the process is a fair
 * stand-in for pulling the plug. Node only.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { PartitionAliases } from "../ota/bootloader";
import type { BridgeFlash, BridgeNvs, BridgePartition } from "./types";

type NvsValue = string | number | boolean | Uint8Array;
type Stored = string | number | boolean | { b64: string };

export class FileNvs implements BridgeNvs {
	#path: string;
	#data: Record<string, Record<string, Stored>>;

	constructor(dir: string) {
		mkdirSync(dir, { recursive: true });
		this.#path = join(dir, "nvs.json");
		this.#data = existsSync(this.#path) ? JSON.parse(readFileSync(this.#path, "utf8")) : {};
	}
	get(domain: string, key: string): NvsValue | undefined {
		const v = this.#data[domain]?.[key];
		if (v !== null && typeof v === "object") return new Uint8Array(Buffer.from(v.b64, "base64"));
		return v;
	}
	set(domain: string, key: string, value: NvsValue): void {
		(this.#data[domain] ??= {})[key] = value instanceof Uint8Array || ArrayBuffer.isView(value) ? { b64: Buffer.from(value as Uint8Array).toString("base64") } : value;
		this.#flush();
	}
	delete(domain: string, key: string): void {
		if (this.#data[domain]) delete this.#data[domain][key];
		this.#flush();
	}
	keys(domain: string): string[] {
		return Object.keys(this.#data[domain] ?? {});
	}
	#flush(): void {
		const tmp = this.#path + ".tmp";
		writeFileSync(tmp, JSON.stringify(this.#data));
		renameSync(tmp, this.#path);
	}
}

class FilePartition implements BridgePartition {
	readonly byteLength: number;
	readonly blockSize: number;
	readonly eraseCounts: number[];
	#fd: number;

	constructor(path: string, byteLength: number, blockSize: number) {
		const fresh = !existsSync(path);
		this.#fd = openSync(path, fresh ? "w+" : "r+");
		if (fresh || fstatSync(this.#fd).size !== byteLength) {
			ftruncateSync(this.#fd, 0);
			writeSync(this.#fd, Buffer.alloc(byteLength, 0xff), 0, byteLength, 0);
		}
		this.byteLength = byteLength;
		this.blockSize = blockSize;
		this.eraseCounts = new Array(byteLength / blockSize).fill(0);
	}
	read(offset: number, byteLength: number): Uint8Array {
		const out = Buffer.alloc(byteLength);
		readSync(this.#fd, out, 0, byteLength, offset);
		return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
	}
	store(offset: number, bytes: Uint8Array): void {
		writeSync(this.#fd, bytes, 0, bytes.byteLength, offset);
	}
	noteErase(sector: number): void {
		this.eraseCounts[sector]++;
	}
	close(): void {
		closeSync(this.#fd);
	}
}

export class FileFlash implements BridgeFlash {
	#dir: string;
	#layout: Record<string, number>;
	#open = new Map<string, FilePartition>();
	/** Resolves "running" / "nextota" through the device's bootloader (set by SimDevice). */
	aliases: PartitionAliases | undefined;

	/** @param layout partition name → size in bytes (multiples of 4096) */
	constructor(dir: string, layout: Record<string, number>) {
		mkdirSync(dir, { recursive: true });
		this.#dir = dir;
		this.#layout = layout;
	}
	open(alias: string): BridgePartition | undefined {
		const name = this.aliases?.(alias) ?? alias;
		const size = this.#layout[name];
		if (!size) return undefined;
		let p = this.#open.get(name);
		if (!p) {
			p = new FilePartition(join(this.#dir, `${name}.bin`), size, 4096);
			this.#open.set(name, p);
		}
		return p;
	}
	close(): void {
		for (const p of this.#open.values()) p.close();
		this.#open.clear();
	}
}
