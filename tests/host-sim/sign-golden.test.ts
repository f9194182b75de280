// Golden PNGs of the stop sign, Node side (tools/goldens.ts): each PNG holds exactly what the Node render
// draws (pixel for pixel, the count of differing pixels on failure), and its pixels, packed back to the renderer's
// layout, hash to the digest the XS suite checks (tests/firmware/fixtures/golden-digests.ts). Together with
// tests/firmware/sign-golden.test.ts on xsnap that proves XS draws the PNG. Also the checker's unhappy paths.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodePng, frameToGray8 } from "../../host-sim/png";
import { GOLDEN_DIGESTS } from "../firmware/fixtures/golden-digests";
import { GOLDEN_CASES, goldenFile } from "../firmware/fixtures/sign-models";
import { checkGoldens, diffPixels, DIGESTS_FILE, digestsSource, frameDigest, GOLDEN_DIR, packGray8, readGolden, renderGolden } from "../../tools/goldens";

describe("golden PNGs (Node)", () => {
	for (const c of GOLDEN_CASES)
		it(`${goldenFile(c.name)} equals the Node render and the XS digest`, () => {
			const r = renderGolden(c);
			const golden = readGolden(join(GOLDEN_DIR, r.file), r.width, r.height, r.depth);
			const differing = diffPixels(r.gray, golden.gray);
			expect(`${differing} differing pixels`).toBe("0 differing pixels");
			expect(golden.digest).toBe(GOLDEN_DIGESTS[c.name]);
			expect(frameDigest(r.frame)).toBe(golden.digest);
		});

	it("1 bpp goldens stay small (they compress to a few KB)", () => {
		for (const c of GOLDEN_CASES) {
			const size = readFileSync(join(GOLDEN_DIR, goldenFile(c.name))).length;
			expect(size).toBeLessThan(c.layout === "m5paper" ? 24_000 : 12_000);
		}
	});

	it("the digest fixture is the one the PNGs generate", () => {
		const digests: Record<string, string> = {};
		for (const c of GOLDEN_CASES) {
			const r = renderGolden(c);
			digests[c.name] = readGolden(join(GOLDEN_DIR, r.file), r.width, r.height, r.depth).digest;
		}
		expect(readFileSync(DIGESTS_FILE, "utf8")).toBe(digestsSource(digests));
	});
});

describe("packGray8", () => {
	it("is the inverse of frameToGray8 at 1 and 4 bpp", () => {
		const one = Uint8Array.of(0b1010_0000, 0b0110_0000); // 3×2 at 1 bpp, rows padded to a byte
		expect(packGray8(3, 2, 1, frameToGray8(3, 2, 1, one))).toEqual(one);
		const four = Uint8Array.of(0x0f, 0x70, 0xa5, 0x30); // 3×2 at 4 bpp, last nibble of each row is padding
		expect(packGray8(3, 2, 4, frameToGray8(3, 2, 4, four))).toEqual(four);
	});

	it("refuses a gray pixel in a 1 bpp image, naming it", () => {
		expect(() => packGray8(2, 1, 1, Uint8Array.of(0, 128))).toThrow("pixel (1,0) is 128");
	});

	it("refuses a level a 4 bpp image cannot hold", () => {
		expect(() => packGray8(1, 1, 4, Uint8Array.of(100))).toThrow("multiples of 17");
	});

	it("refuses a pixel count that does not match the size", () => {
		expect(() => packGray8(2, 2, 1, new Uint8Array(3))).toThrow("3 pixels for 2×2");
	});
});

describe("checkGoldens", () => {
	let dir: string;
	let digests: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "curbside-goldens-"));
		for (const c of GOLDEN_CASES) copyFileSync(join(GOLDEN_DIR, goldenFile(c.name)), join(dir, goldenFile(c.name)));
		digests = join(dir, "golden-digests.ts");
		copyFileSync(DIGESTS_FILE, digests);
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it("passes on the committed goldens", () => {
		expect(checkGoldens(dir, digests)).toEqual([]);
	});

	it("names a changed file and how many pixels differ", () => {
		const c = GOLDEN_CASES.find((g) => g.layout === "epd420")!;
		const r = renderGolden(c);
		const frame = r.frame.slice();
		frame[0] ^= 0xff; // 8 pixels
		frame[frame.length - 1] ^= 0x01; // 1 more
		writeFileSync(join(dir, r.file), encodePng(r.width, r.height, r.depth, frame));
		const problems = checkGoldens(dir, digests);
		const mine = problems.find((p) => p.file === r.file);
		expect(mine?.pixels).toBe(9);
		expect(mine?.problem).toBe(`9 of ${r.width * r.height} pixels differ`);
		// the fixture no longer matches the PNGs either
		expect(problems.some((p) => p.file === digests && p.problem.includes("out of date"))).toBe(true);
	});

	it("reports a missing golden, a wrong-size one and one no case renders", () => {
		rmSync(join(dir, goldenFile(GOLDEN_CASES[0].name)));
		const big = GOLDEN_CASES.find((g) => g.layout === "epd750")!;
		writeFileSync(join(dir, goldenFile(big.name)), encodePng(8, 8, 1, new Uint8Array(8)));
		writeFileSync(join(dir, "sign-retired-layout.png"), encodePng(8, 1, 1, new Uint8Array(1)));
		const problems = checkGoldens(dir, digests);
		expect(problems.find((p) => p.file === goldenFile(GOLDEN_CASES[0].name))?.problem).toMatch(/ENOENT/);
		expect(problems.find((p) => p.file === goldenFile(big.name))?.problem).toContain("is 8×8, expected 800×480");
		expect(problems.find((p) => p.file === "sign-retired-layout.png")?.problem).toContain("no golden case");
	});

	it("reports a damaged PNG with the decoder's reason", () => {
		const f = goldenFile(GOLDEN_CASES[1].name);
		const bytes = new Uint8Array(readFileSync(join(dir, f)));
		bytes[bytes.length - 20] ^= 0xff; // inside a chunk: its CRC no longer matches
		writeFileSync(join(dir, f), bytes);
		expect(checkGoldens(dir, digests).find((p) => p.file === f)?.problem).toMatch(/PNG: /);
	});

	it("reports a hand-edited digest fixture", () => {
		writeFileSync(digests, readFileSync(digests, "utf8").replace(/"[0-9a-f]{64}"/, `"${"0".repeat(64)}"`));
		expect(checkGoldens(dir, digests)).toEqual([{ file: digests, problem: "out of date with the PNGs (run with --update)" }]);
	});
});

describe("frameDigest", () => {
	it("is SHA-256 (FIPS 180-4 example: \"abc\")", () => {
		expect(frameDigest(Uint8Array.of(0x61, 0x62, 0x63))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	});
});
