/*
 * What verifying a signed OTA image costs on XS (issue #6): the OTA crypto
 * port (firmware/ota/crypto.ts) over the host-sim crypt/ecdsa/curve/ecp
 * modules, on xsnap-worker (bench/xs-ota-entry.ts). Figures are computrons,
 * each minus an evaluation that does nothing:
 *   (a) SHA-256 over a 1.5 MiB (1,572,864-byte) image fed in 4 KiB chunks,
 *       as the download hashes while it streams: the pass with hashing minus
 *       the same pass with only the chunk copies (baseline, measured in the
 *       same run); a CRC-32 pass (the outbox's table CRC in TypeScript) is a
 *       second baseline, the cost of a plain integrity check per byte;
 *   (b) one P-256 verifyP256, mean over the 24 committed vectors
 *       (tests/firmware/fixtures/ota-vectors.ts; the cost varies with the
 *       scalars' bits), and its own range and on-curve checks alone;
 *   (c) total = (a) + (b), what accepting one 1.5 MiB image costs.
 * The digest XS computes must equal node:crypto's over the same bytes, or
 * the bench fails.
 * Heap: live slots (gc() first) held by an open SHA-256 stream, and left
 * after a verify.
 * Upper bounds for the device: on the ESP32 the Digest is native C
 * (Moddable's modCrypt.c, one host call per chunk), so (a) measures the
 * host-sim's TypeScript SHA-256, not what the device runs; and the device's
 * ECDSA does its point arithmetic in C (ec.mul2 over xsBigIntEx.c), where
 * the host-sim does it in BigInt TypeScript. Only the port's own checks
 * (guards) run the same code on both.
 */
import { createHash } from "node:crypto";
import { bundleFirmware } from "../../host-sim/bundle";
import { XsnapWorker, type XsMeters } from "../xs/xsnap-worker";
import { meter, query, ROOT } from "./xs-bench";

const IMAGE_BYTES = 1_572_864;
const CHUNK_BYTES = 4_096;
const KIB = 1_024;

export interface OtaVerifyFigures {
	imageBytes: number;
	chunkBytes: number;
	chunks: number;
	/** baselines over the same chunks: the copies alone, and copies + CRC-32 */
	baseline: { copyComputrons: number; crc32Computrons: number };
	/** (a): hashing minus the copy baseline */
	sha256: { computrons: number; computronsPerChunk: number; computronsPerKiB: number; timesCrc32: number; digest: string };
	/** (b): one verifyP256 (mean, min, max over the vectors); guards = its range + on-curve checks alone */
	verify: { computrons: number; computronsMin: number; computronsMax: number; vectors: number; guardsComputrons: number; parsePublicKeyComputrons: number; hashKiBEquivalent: number };
	/** (c) = (a) + (b) */
	total: { computrons: number; verifyShare: number };
	heap: { openStreamSlots: number; retainedAfterVerifySlots: number };
	note: string;
}

/** The bench image (bench/xs-ota-entry.ts prepare()): byte i = top byte of (i + 1) × 0x9E3779B1 mod 2^32. */
function imageDigest(): string {
	const image = new Uint8Array(IMAGE_BYTES);
	for (let i = 0; i < IMAGE_BYTES; i++) image[i] = Math.imul(i + 1, 0x9e3779b1) >>> 24;
	return createHash("sha256").update(image).digest("hex");
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function benchOtaVerify(): Promise<OtaVerifyFigures> {
	const script = await bundleFirmware({ entry: ROOT + "bench/xs-ota-entry.ts", define: { __OTA_BENCH__: JSON.stringify({ imageBytes: IMAGE_BYTES, chunkBytes: CHUNK_BYTES }) } });
	const worker = new XsnapWorker({ name: "curbside-bench" });
	worker.onPrint = () => {};
	try {
		await meter(worker, script);
		await meter(worker, "__bench.prepare()");
		// One untimed pass of each kind first, so one-time costs (the CRC table, K, class set-up) are paid.
		await meter(worker, "__bench.crc(); __bench.hash(); __bench.verify(0); __bench.guards(); __bench.parseKey()");
		const idle = (await meter(worker, "__bench.idle()")).compute;
		const net = (m: XsMeters) => m.compute - idle;

		const copy = net(await meter(worker, "__bench.copy()"));
		const crc = net(await meter(worker, "__bench.crc()"));
		const hashed = net(await meter(worker, "__bench.hash()"));
		const digest = await query<string>(worker, "__bench.digest()");
		const expected = imageDigest();
		if (digest !== expected) throw new Error(`ota bench: XS SHA-256 of the image is ${digest}, node:crypto says ${expected}`);

		const n = await query<number>(worker, "__bench.vectors()");
		const verifies: number[] = [];
		for (let i = 0; i < n; i++) verifies.push(net(await meter(worker, `__bench.verify(${i})`)));
		const guards = net(await meter(worker, "__bench.guards()"));
		const parseKey = net(await meter(worker, "__bench.parseKey()"));

		const slots = async () => (await meter(worker, "gc(); 1")).currentHeapCount;
		const beforeHold = await slots();
		await meter(worker, "__bench.hold()");
		const openStreamSlots = (await slots()) - beforeHold;
		await meter(worker, "__bench.release()");
		const beforeVerify = await slots();
		await meter(worker, "__bench.verify(1)");
		const retainedAfterVerifySlots = (await slots()) - beforeVerify;

		const chunks = IMAGE_BYTES / CHUNK_BYTES;
		const sha = hashed - copy;
		const verify = Math.round(verifies.reduce((a, b) => a + b, 0) / n);
		return {
			imageBytes: IMAGE_BYTES,
			chunkBytes: CHUNK_BYTES,
			chunks,
			baseline: { copyComputrons: copy, crc32Computrons: crc - copy },
			sha256: {
				computrons: sha,
				computronsPerChunk: Math.round(sha / chunks),
				computronsPerKiB: Math.round(sha / (IMAGE_BYTES / KIB)),
				timesCrc32: round(sha / (crc - copy), 2),
				digest,
			},
			verify: {
				computrons: verify,
				computronsMin: Math.min(...verifies),
				computronsMax: Math.max(...verifies),
				vectors: n,
				guardsComputrons: guards,
				parsePublicKeyComputrons: parseKey,
				hashKiBEquivalent: round(verify / (sha / (IMAGE_BYTES / KIB)), 1),
			},
			total: { computrons: sha + verify, verifyShare: round(verify / (sha + verify), 4) },
			heap: { openStreamSlots, retainedAfterVerifySlots },
			note: "upper bounds for the device: there SHA-256 is native C (crypt Digest) and the EC point arithmetic is C (ec.mul2); the XS figures run the host-sim's TypeScript for both. guardsComputrons is the port's own code on both.",
		};
	} finally {
		await worker.close();
	}
}
