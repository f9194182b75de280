/*
 * OTA release tools: keys, packages and the release ledger as units, then
 * `curbside ota keygen|pack|sign|verify` through the real binary in a temp
 * dir. Tampering tests recompute the container's CRC-32 where they model an
 * attacker (the CRC catches accidents; the signature and SHA-256 catch
 * intent), and leave it stale where they model a damaged copy.
 */
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../firmware/contract/codec";
import { OTA_MAX_IMAGE } from "../../firmware/contract/ota-payloads";
import { crc32 } from "../../firmware/net/outbox/crc32";
import { buildSimImage } from "../../host-sim/ota/app-image";
import { generateSigningKey, loadPrivateKey, loadPublicKey } from "../../tools/ota/keys";
import { checkRelease, defaultLedgerPath, loadLedger, recordRelease } from "../../tools/ota/ledger";
import { decodePackage, describePackage, encodePackage, packImage, readPackage, signPackage, verifyPackage, writePackage, type OtaPackage } from "../../tools/ota/package";

const BIN = fileURLToPath(new URL("../../bin/curbside.js", import.meta.url));

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), "curbside-ota-"));
	dirs.push(dir);
	return dir;
}

function curbside(cwd: string, ...args: string[]) {
	const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

function simImage(version: string, sec: number, options: { role?: string; board?: string; size?: number } = {}): Uint8Array {
	return buildSimImage({ version, secureVersion: sec, role: options.role ?? "light-pole", board: options.board ?? "generic", size: options.size ?? 20_000 });
}

/** Raw bytes with no app descriptor (not an ESP32 image): only the manifest speaks for them. */
function rawImage(size: number, seed: number): Uint8Array {
	return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Recomputes the container's trailing CRC-32, as someone tampering on purpose would. */
function fixCrc(bytes: Uint8Array): Uint8Array {
	new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4));
	return bytes;
}

function indexOf(haystack: Uint8Array, needle: string, from = 0): number {
	const n = new TextEncoder().encode(needle);
	for (let i = from; i <= haystack.length - n.length; i++) if (n.every((b, j) => haystack[i + j] === b)) return i;
	return -1;
}

function message(run: () => unknown): string {
	try {
		run();
	} catch (e) {
		return (e as Error).message;
	}
	throw new Error("expected a throw");
}

const KEYS = generateSigningKey();
const PRIVATE = createPrivateKey(KEYS.privatePem);
const PUBLIC = createPublicKey(KEYS.publicPem);

function signedPackage(): OtaPackage {
	return signPackage(packImage(simImage("0.2.0", 2), { board: "generic", role: "light-pole", version: "0.2.0", sec: 2, note: "test", created: 1_700_000_000_000 }), PRIVATE);
}

describe("signing keys", () => {
	it("keygen's public hex is the uncompressed P-256 point of its PEM", () => {
		expect(KEYS.publicHex).toMatch(/^04[0-9a-f]{128}$/);
		const dir = tempDir();
		writeFileSync(join(dir, "k.pub.pem"), KEYS.publicPem);
		expect(loadPublicKey(join(dir, "k.pub.pem")).hex).toBe(KEYS.publicHex);
		// The SPKI DER of a P-256 key ends with the 65-byte point.
		const der = PUBLIC.export({ type: "spki", format: "der" });
		expect(der.subarray(der.length - 65).toString("hex")).toBe(KEYS.publicHex);
	});

	it("a public key given as hex (as otaPubKey, 0x-prefixed, or in a file) verifies what the private key signed", () => {
		const pkg = signedPackage();
		for (const given of [KEYS.publicHex, "0x" + KEYS.publicHex.toUpperCase()]) expect(() => verifyPackage(pkg, loadPublicKey(given).key)).not.toThrow();
		const dir = tempDir();
		writeFileSync(join(dir, "otaPubKey.txt"), KEYS.publicHex + "\n");
		expect(loadPublicKey(join(dir, "otaPubKey.txt")).hex).toBe(KEYS.publicHex);
	});

	it("a point off the curve is refused", () => {
		expect(message(() => loadPublicKey("04" + "11".repeat(64)))).toBe("public key: 041111111111… is not a point on P-256");
	});

	it("missing, non-PEM, RSA, P-384, Ed25519 and encrypted keys are refused with the reason", () => {
		const dir = tempDir();
		expect(message(() => loadPrivateKey(join(dir, "nope.pem")))).toBe(`cannot read private key ${join(dir, "nope.pem")}: ENOENT`);
		writeFileSync(join(dir, "junk.pem"), "hello");
		expect(message(() => loadPrivateKey(join(dir, "junk.pem")))).toContain("is not a PEM file");
		const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
		writeFileSync(join(dir, "rsa.pem"), rsa.privateKey.export({ type: "pkcs1", format: "pem" }));
		writeFileSync(join(dir, "rsa.pub.pem"), rsa.publicKey.export({ type: "spki", format: "pem" }));
		expect(message(() => loadPrivateKey(join(dir, "rsa.pem")))).toBe(`${join(dir, "rsa.pem")} is an RSA key; Curbside signs with ECDSA P-256`);
		expect(message(() => loadPublicKey(join(dir, "rsa.pub.pem")))).toBe(`${join(dir, "rsa.pub.pem")} is an RSA key; Curbside signs with ECDSA P-256`);
		const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
		writeFileSync(join(dir, "p384.pem"), p384.privateKey.export({ type: "sec1", format: "pem" }));
		expect(message(() => loadPrivateKey(join(dir, "p384.pem")))).toContain("is an EC key on secp384r1; Curbside signs with ECDSA P-256");
		const ed = generateKeyPairSync("ed25519");
		writeFileSync(join(dir, "ed.pem"), ed.privateKey.export({ type: "pkcs8", format: "pem" }));
		expect(message(() => loadPrivateKey(join(dir, "ed.pem")))).toContain("is an ED25519 key");
		const enc = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
		writeFileSync(join(dir, "enc.pem"), enc.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }));
		expect(message(() => loadPrivateKey(join(dir, "enc.pem")))).toContain("is passphrase-protected");
		writeFileSync(join(dir, "enc-sec1.pem"), enc.privateKey.export({ type: "sec1", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" }));
		expect(message(() => loadPrivateKey(join(dir, "enc-sec1.pem")))).toBe(`${join(dir, "enc-sec1.pem")} is passphrase-protected; curbside needs an unencrypted private key (keep it offline instead)`);
	});

	it("a SEC 1 ('EC PRIVATE KEY') P-256 key is accepted", () => {
		const dir = tempDir();
		const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
		writeFileSync(join(dir, "sec1.pem"), k.privateKey.export({ type: "sec1", format: "pem" }));
		expect(loadPrivateKey(join(dir, "sec1.pem")).hex).toMatch(/^04[0-9a-f]{128}$/);
	});

	it("a public key where the private one is needed, and a private key where a public one is expected, are refused", () => {
		const dir = tempDir();
		writeFileSync(join(dir, "k.pem"), KEYS.privatePem);
		writeFileSync(join(dir, "k.pub.pem"), KEYS.publicPem);
		expect(message(() => loadPrivateKey(join(dir, "k.pub.pem")))).toContain("is a public key; signing needs the private key");
		expect(message(() => loadPublicKey(join(dir, "k.pem")))).toBe(`${join(dir, "k.pem")} is a private key; verifying needs only the public key (${join(dir, "k.pub.pem")}): keep the signing key off this machine`);
	});
});

describe("packages", () => {
	it("the manifest is the contract's canonical CBOR with the image's size and SHA-256", () => {
		const image = simImage("0.2.0", 2);
		const pkg = packImage(image, { board: "generic", role: "light-pole", version: "0.2.0", sec: 2, created: 1_700_000_000_000 });
		const m = decodePayload("ota-manifest", pkg.manifestBytes);
		expect(m).toMatchObject({ board: "generic", role: "light-pole", version: "0.2.0", sec: 2, size: image.length, chunk: 4096, note: "", created: 1_700_000_000_000 });
		expect(Buffer.from(m.sha256).toString("hex")).toBe(createHash("sha256").update(image).digest("hex"));
		expect(Buffer.from(encodePayload("ota-manifest", m)).equals(Buffer.from(pkg.manifestBytes))).toBe(true);
		expect(pkg.sig).toBeUndefined();
	});

	it("the signature is 64-byte r‖s over SHA-256(manifest bytes) and verifies with node:crypto directly", () => {
		const pkg = signedPackage();
		expect(pkg.sig!.length).toBe(64);
		expect(verify("sha256", pkg.manifestBytes, { key: PUBLIC, dsaEncoding: "ieee-p1363" }, pkg.sig!)).toBe(true);
		expect(verify("sha256", pkg.manifestBytes, { key: loadPublicKey(KEYS.publicHex).key, dsaEncoding: "ieee-p1363" }, pkg.sig!)).toBe(true);
		expect(() => verifyPackage(pkg, PUBLIC, { board: "generic", role: "light-pole" })).not.toThrow();
	});

	it("an image whose app descriptor disagrees with the options is refused", () => {
		const image = simImage("0.2.0", 2);
		const base = { board: "generic", role: "light-pole", version: "0.2.0", sec: 2 };
		expect(message(() => packImage(image, { ...base, version: "0.3.0" }))).toBe("image says version 0.2.0 but --version is 0.3.0");
		expect(message(() => packImage(image, { ...base, sec: 3 }))).toBe("image says security version 2 but --sec is 3");
		expect(message(() => packImage(image, { ...base, role: "stop-sign" }))).toBe("image is a curbside-light-pole build but --role is stop-sign");
		expect(message(() => packImage(image, { ...base, board: "m5paper" }))).toBe("image was built for board generic but --board is m5paper");
		const broken = image.slice();
		broken[1000] ^= 1;
		expect(message(() => packImage(broken, base))).toMatch(/^the image is not a valid ESP32 app image: checksum mismatch/);
	});

	it("an image without an app descriptor is packed on the options alone", () => {
		const pkg = packImage(rawImage(5000, 1), { board: "m5paper", role: "stop-sign", version: "1.0.0", sec: 0, chunk: 1024 });
		expect(pkg.manifest).toMatchObject({ board: "m5paper", role: "stop-sign", size: 5000, chunk: 1024 });
	});

	it("bad options and oversized images are refused naming the limit", () => {
		const base = { board: "generic", role: "light-pole", version: "0.2.0", sec: 2 };
		const raw = rawImage(100, 0);
		expect(message(() => packImage(new Uint8Array(OTA_MAX_IMAGE + 1), base))).toBe("the image is 1,703,937 bytes; an OTA app partition holds 1,703,936 bytes (0x1A0000, manifests/platforms/esp32-4mb.csv)");
		expect(() => packImage(new Uint8Array(OTA_MAX_IMAGE), base)).not.toThrow();
		expect(message(() => packImage(new Uint8Array(0), base))).toBe("the image is empty");
		expect(message(() => packImage(raw, { ...base, role: "kiosk" }))).toBe('unknown role "kiosk" (expected stop-sign or light-pole)');
		expect(message(() => packImage(raw, { ...base, version: "1.2" }))).toContain('--version "1.2" is not MAJOR.MINOR.PATCH');
		expect(message(() => packImage(raw, { ...base, sec: 70000 }))).toContain("--sec 70000 is not a security version");
		expect(message(() => packImage(raw, { ...base, chunk: 3000 }))).toBe("--chunk 3000 is not one of 1024, 2048, 4096, 8192, 16384");
		expect(message(() => packImage(raw, { ...base, note: "x".repeat(201) }))).toContain("cannot build the manifest: manifest.note");
		expect(message(() => packImage(raw, { ...base, board: "Bad Board" }))).toContain('manifest.board: "Bad Board" is not a board name');
	});

	it("verify names each failure: unsigned, wrong key, changed manifest, short image, changed image, wrong target", () => {
		const pkg = signedPackage();
		expect(message(() => verifyPackage({ ...pkg, sig: undefined }, PUBLIC))).toContain("the package is not signed");
		expect(message(() => verifyPackage(pkg, createPublicKey(generateSigningKey().publicPem)))).toMatch(/^signature does not verify with this key/);
		const forged = packImage(simImage("0.2.0", 2), { board: "generic", role: "light-pole", version: "0.2.0", sec: 2, note: "forged", created: 1_700_000_000_000 });
		expect(message(() => verifyPackage({ ...pkg, manifestBytes: forged.manifestBytes }, PUBLIC))).toMatch(/^signature does not verify with this key/);
		expect(message(() => verifyPackage({ ...pkg, image: pkg.image.subarray(0, 1000) }, PUBLIC))).toBe("the image is 1,000 bytes but the manifest says 20,000 bytes (truncated or tampered image)");
		const flipped = pkg.image.slice();
		flipped[5000] ^= 0x80;
		expect(message(() => verifyPackage({ ...pkg, image: flipped }, PUBLIC))).toBe("the image's SHA-256 does not match the manifest (tampered or damaged image)");
		expect(message(() => verifyPackage(pkg, PUBLIC, { board: "m5paper" }))).toBe("the package is for board generic, not m5paper");
		expect(message(() => verifyPackage(pkg, PUBLIC, { role: "stop-sign" }))).toBe("the package is for role light-pole, not stop-sign");
	});

	it("the container round-trips signed and unsigned packages", () => {
		for (const pkg of [signedPackage(), { ...signedPackage(), sig: undefined }]) {
			const back = decodePackage(encodePackage(pkg));
			expect(Buffer.from(back.manifestBytes).equals(Buffer.from(pkg.manifestBytes))).toBe(true);
			expect(Buffer.from(back.image).equals(Buffer.from(pkg.image))).toBe(true);
			expect(back.sig ? Buffer.from(back.sig).toString("hex") : undefined).toBe(pkg.sig ? Buffer.from(pkg.sig).toString("hex") : undefined);
			expect(back.manifest.version).toBe("0.2.0");
		}
	});

	it("a truncated file says truncated at every cut, never a confusing error", () => {
		const bytes = encodePackage(signedPackage());
		for (const cut of [1, 7, 8, 15, 19, 20, 100, 200, bytes.length - 5000, bytes.length - 4, bytes.length - 1]) {
			expect(message(() => decodePackage(bytes.subarray(0, cut), "p.cspkg"))).toMatch(/^p\.cspkg is truncated \(/);
		}
		expect(message(() => decodePackage(new Uint8Array(0), "p.cspkg"))).toBe("p.cspkg is not a Curbside OTA package (no .cspkg signature)");
	});

	it("damage is caught by the CRC; wrong magic, wrong format and trailing bytes are named", () => {
		const bytes = encodePackage(signedPackage());
		for (const at of [12, 40, 200, bytes.length - 100, bytes.length - 2]) {
			const bad = bytes.slice();
			bad[at] ^= 0x04;
			expect(message(() => decodePackage(bad, "p"))).toMatch(/^p is (damaged|truncated)/);
		}
		const flipped = bytes.slice();
		flipped[bytes.length - 100] ^= 1;
		expect(message(() => decodePackage(flipped, "p"))).toBe("p is damaged (CRC-32 mismatch): copy or pack it again");
		expect(message(() => decodePackage(new TextEncoder().encode("PK\x03\x04 a zip file, not a package"), "p"))).toBe("p is not a Curbside OTA package (no .cspkg signature)");
		const v2 = bytes.slice();
		v2[8] = 2;
		expect(message(() => decodePackage(fixCrc(v2), "p"))).toBe("p is package format 2; this curbside reads format 1");
		const longer = new Uint8Array(bytes.length + 3);
		longer.set(bytes);
		expect(message(() => decodePackage(longer, "p"))).toBe("p is damaged (3 bytes after the end of the package)");
	});

	it("a manifest that breaks the contract is named as such, even with a good CRC", () => {
		const bytes = encodePackage(signedPackage());
		const at = indexOf(bytes, "light-pole");
		bytes.set(new TextEncoder().encode("light-polX"), at);
		expect(message(() => decodePackage(fixCrc(bytes), "p"))).toMatch(/^p: invalid manifest: manifest\.role/);
	});

	it("writePackage is atomic: it leaves no temporary file, and a failed write leaves nothing behind", () => {
		const dir = tempDir();
		writePackage(join(dir, "a.cspkg"), signedPackage());
		expect(readdirSync(dir)).toEqual(["a.cspkg"]);
		expect(readPackage(join(dir, "a.cspkg")).manifest.version).toBe("0.2.0");
		expect(message(() => writePackage(join(dir, "missing", "a.cspkg"), signedPackage()))).toContain("cannot write");
		expect(readdirSync(dir)).toEqual(["a.cspkg"]);
		expect(message(() => readPackage(join(dir, "b.cspkg")))).toBe(`cannot read package ${join(dir, "b.cspkg")}: ENOENT`);
	});

	it("describePackage summarises target, versions, size, hash and signature", () => {
		const pkg = signedPackage();
		const text = describePackage(pkg);
		expect(text).toContain("light-pole on board generic");
		expect(text).toContain("0.2.0 (security version 2)");
		expect(text).toContain("20,000 bytes, 5 chunk(s) of 4096");
		expect(text).toContain(Buffer.from(pkg.manifest.sha256).toString("hex"));
		expect(text).toContain("64 bytes (ECDSA P-256 r‖s)");
		expect(describePackage({ ...pkg, sig: undefined })).toContain("none (unsigned)");
	});
});

describe("release ledger", () => {
	function manifest(version: string, sec: number, seed = 0, target: { board?: string; role?: string } = {}) {
		return packImage(rawImage(1000, seed), { board: target.board ?? "generic", role: target.role ?? "light-pole", version, sec }).manifest;
	}

	it("a missing ledger is empty; recorded releases survive a reload", () => {
		const path = join(tempDir(), "releases.json");
		const ledger = loadLedger(path);
		expect(ledger).toEqual({ path, releases: [], exists: false });
		expect(checkRelease(ledger, manifest("0.1.0", 1))).toBeUndefined();
		recordRelease(ledger, manifest("0.1.0", 1), Date.UTC(2025, 0, 1));
		const back = loadLedger(path);
		expect(back.exists).toBe(true);
		expect(back.releases).toEqual([{ board: "generic", role: "light-pole", version: "0.1.0", sec: 1, size: 1000, sha256: Buffer.from(manifest("0.1.0", 1).sha256).toString("hex"), signedAt: "2025-01-01T00:00:00.000Z" }]);
		expect(defaultLedgerPath("/keys/curbside-ota.pem")).toBe("/keys/releases.json");
	});

	it("re-signing the identical image is idempotent", () => {
		const ledger = loadLedger(join(tempDir(), "releases.json"));
		recordRelease(ledger, manifest("0.3.0", 3));
		expect(checkRelease(ledger, manifest("0.3.0", 3))?.version).toBe("0.3.0");
		expect(ledger.releases.length).toBe(1);
	});

	it("a released version never changes: another image or another sec under it is refused", () => {
		const ledger = loadLedger(join(tempDir(), "releases.json"));
		recordRelease(ledger, manifest("0.3.0", 3));
		expect(message(() => checkRelease(ledger, manifest("0.3.0", 3, 7)))).toMatch(/^0\.3\.0 for light-pole on generic was already released with a different image \(sha256 [0-9a-f]{12}…\) on .*; a released version never changes/);
		expect(message(() => checkRelease(ledger, manifest("0.3.0", 4)))).toContain("already released with security version 3");
		// Same version for another target is a different release.
		expect(checkRelease(ledger, manifest("0.3.0", 3, 7, { board: "m5paper", role: "stop-sign" }))).toBeUndefined();
	});

	it("security versions never go back", () => {
		const ledger = loadLedger(join(tempDir(), "releases.json"));
		recordRelease(ledger, manifest("0.2.0", 2));
		recordRelease(ledger, manifest("0.3.0", 3));
		expect(message(() => checkRelease(ledger, manifest("0.3.1", 2)))).toBe("security version 2 is below 3, released with 0.3.0; security versions never go back");
		expect(message(() => checkRelease(ledger, manifest("0.2.1", 2, 0, { role: "stop-sign" })))).toContain("security version 2 is below 3");
	});

	it("within one security version, versions never go back; a higher sec on an older branch is a backport", () => {
		const ledger = loadLedger(join(tempDir(), "releases.json"));
		recordRelease(ledger, manifest("0.5.0", 3));
		expect(message(() => checkRelease(ledger, manifest("0.4.9", 3)))).toBe("0.4.9 is older than 0.5.0, already released with security version 3; within one security version, versions never go back");
		expect(checkRelease(ledger, manifest("0.5.1", 3))).toBeUndefined();
		expect(checkRelease(ledger, manifest("0.5.0", 3, 0, { board: "m5paper", role: "stop-sign" }))).toBeUndefined();
		expect(checkRelease(ledger, manifest("0.4.1", 4))).toBeUndefined();
	});

	it("a malformed ledger is refused with the reason, not overwritten", () => {
		const dir = tempDir();
		const path = join(dir, "releases.json");
		writeFileSync(path, "{ nope");
		expect(message(() => loadLedger(path))).toContain(`ledger ${path} is not valid JSON`);
		writeFileSync(path, JSON.stringify({ releases: [] }));
		expect(message(() => loadLedger(path))).toContain("is not a Curbside release ledger");
		writeFileSync(path, JSON.stringify({ format: "curbside-ota-ledger", v: 1, releases: [{ board: "generic", role: "light-pole", version: "0.1.0", sec: -1, size: 1, sha256: "00".repeat(32), signedAt: "x" }] }));
		expect(message(() => loadLedger(path))).toBe(`ledger ${path}: releases[0].sec: expected a non-negative integer`);
		writeFileSync(path, JSON.stringify({ format: "curbside-ota-ledger", v: 2, releases: [] }));
		expect(message(() => loadLedger(path))).toContain("is version 2; this curbside reads version 1");
	});
});

describe("curbside ota (the real binary)", () => {
	function setup() {
		const dir = tempDir();
		const keygen = curbside(dir, "ota", "keygen", "--out", "keys");
		expect(keygen.code).toBe(0);
		return { dir, keygen, key: join("keys", "curbside-ota.pem"), pub: join("keys", "curbside-ota.pub.pem") };
	}

	function pack(dir: string, version: string, sec: number, ...extra: string[]) {
		writeFileSync(join(dir, `img-${version}.bin`), simImage(version, sec));
		return curbside(dir, "ota", "pack", `img-${version}.bin`, "--board", "generic", "--role", "light-pole", "--version", version, "--sec", String(sec), ...extra);
	}

	it("keygen writes a 0600 private key and a public key, prints the otaPubKey hex, and refuses to overwrite", () => {
		const { dir, keygen, key, pub } = setup();
		expect(statSync(join(dir, key)).mode & 0o777).toBe(0o600);
		const hex = loadPublicKey(join(dir, pub)).hex;
		expect(loadPrivateKey(join(dir, key)).hex).toBe(hex);
		expect(keygen.out).toContain(`public key (otaPubKey): ${hex}`);
		expect(keygen.out).toContain(`mcconfig … otaPubKey=${hex}`);
		const before = readFileSync(join(dir, key), "utf8");
		const again = curbside(dir, "ota", "keygen", "--out", "keys");
		expect(again.code).toBe(1);
		expect(again.err.trim()).toBe(`curbside: refusing to overwrite ${key}: devices built with that key accept only images it signs (move it away yourself to make a new one)`);
		expect(readFileSync(join(dir, key), "utf8")).toBe(before);
		expect(curbside(dir, "ota", "keygen", "--out", "keys", "--name", "other").code).toBe(0);
		expect(existsSync(join(dir, "keys", "other.pub.pem"))).toBe(true);
	});

	it("pack → sign → verify: signature OK, and the file is what the contract and node:crypto agree on", () => {
		const { dir, key, pub, keygen } = setup();
		const packed = pack(dir, "0.2.0", 2, "--note", "first release");
		expect(packed.code).toBe(0);
		expect(packed.out).toContain("wrote img-0.2.0-0.2.0.cspkg (unsigned");
		const signed = curbside(dir, "ota", "sign", "img-0.2.0-0.2.0.cspkg", "--key", key);
		expect(signed.code).toBe(0);
		expect(signed.out).toContain(`ledger ${join("keys", "releases.json")}: recorded 0.2.0 for light-pole on generic, security version 2`);
		const ok = curbside(dir, "ota", "verify", "img-0.2.0-0.2.0.cspkg", "--pub", pub, "--board", "generic", "--role", "light-pole");
		expect(ok.code).toBe(0);
		expect(ok.out).toContain("note:      first release");
		expect(ok.out).toMatch(/signature OK \(key 04[0-9a-f]{16}…\)/);
		const hex = /otaPubKey\): (04[0-9a-f]{128})/.exec(keygen.out)![1];
		expect(curbside(dir, "ota", "verify", "img-0.2.0-0.2.0.cspkg", "--pub", hex).code).toBe(0);
		const pkg = readPackage(join(dir, "img-0.2.0-0.2.0.cspkg"));
		expect(decodePayload("ota-manifest", pkg.manifestBytes)).toMatchObject({ version: "0.2.0", sec: 2, board: "generic", role: "light-pole", note: "first release" });
		expect(verify("sha256", pkg.manifestBytes, { key: createPublicKey(readFileSync(join(dir, pub))), dsaEncoding: "ieee-p1363" }, pkg.sig!)).toBe(true);
	});

	it("verify fails with the reason: another key, an image byte, a manifest byte, a damaged or truncated file, a wrong board", () => {
		const { dir, key, pub } = setup();
		pack(dir, "0.2.0", 2, "--out", "p.cspkg");
		expect(curbside(dir, "ota", "sign", "p.cspkg", "--key", key).code).toBe(0);
		const good = new Uint8Array(readFileSync(join(dir, "p.cspkg")));
		const run = (bytes: Uint8Array, ...args: string[]) => {
			writeFileSync(join(dir, "t.cspkg"), bytes);
			return curbside(dir, "ota", "verify", "t.cspkg", "--pub", pub, ...args);
		};
		const expectFailure = (r: { code: number | null; err: string }, line: string) => {
			expect(r.code).toBe(1);
			expect(r.err.trim()).toBe(`curbside: ${line}`);
		};
		curbside(dir, "ota", "keygen", "--out", "other");
		expectFailure(curbside(dir, "ota", "verify", "p.cspkg", "--pub", join("other", "curbside-ota.pub.pem")), "signature does not verify with this key (signed with another key, or the manifest was changed after signing)");
		const image = good.slice();
		image[good.length - 3000] ^= 0x01;
		expectFailure(run(fixCrc(image)), "the image's SHA-256 does not match the manifest (tampered or damaged image)");
		const manifest = good.slice();
		const at = indexOf(manifest, "0.2.0", 16);
		manifest[at + 2] = "9".charCodeAt(0); // "0.9.0": a forged version
		const r = run(fixCrc(manifest));
		expect(r.out).toContain("version:   0.9.0");
		expectFailure(r, "signature does not verify with this key (signed with another key, or the manifest was changed after signing)");
		const damaged = good.slice();
		damaged[good.length - 3000] ^= 0x01;
		expectFailure(run(damaged), "t.cspkg is damaged (CRC-32 mismatch): copy or pack it again");
		expectFailure(run(good.subarray(0, good.length - 1000)), `t.cspkg is truncated (${(good.length - 1000).toLocaleString("en-US")} bytes; its header says ${good.length.toLocaleString("en-US")} bytes)`);
		expectFailure(run(good, "--board", "m5paper"), "the package is for board generic, not m5paper");
		pack(dir, "0.2.0", 2, "--out", "u.cspkg");
		expectFailure(curbside(dir, "ota", "verify", "u.cspkg", "--pub", pub), "the package is not signed (run: curbside ota sign <package> --key <private.pem>)");
	});

	it("sign consults the ledger: a lower or reused security version is refused, the identical image re-signs", () => {
		const { dir, key } = setup();
		pack(dir, "0.3.0", 3);
		expect(curbside(dir, "ota", "sign", "img-0.3.0-0.3.0.cspkg", "--key", key).code).toBe(0);
		pack(dir, "0.3.1", 2);
		const lower = curbside(dir, "ota", "sign", "img-0.3.1-0.3.1.cspkg", "--key", key);
		expect(lower.code).toBe(1);
		expect(lower.err.trim()).toBe("curbside: security version 2 is below 3, released with 0.3.0; security versions never go back");
		expect(readPackage(join(dir, "img-0.3.1-0.3.1.cspkg")).sig).toBeUndefined();
		pack(dir, "0.2.9", 3);
		expect(curbside(dir, "ota", "sign", "img-0.2.9-0.2.9.cspkg", "--key", key).err.trim()).toBe("curbside: 0.2.9 is older than 0.3.0, already released with security version 3; within one security version, versions never go back");
		const again = curbside(dir, "ota", "sign", "img-0.3.0-0.3.0.cspkg", "--key", key);
		expect(again.code).toBe(0);
		expect(again.out).toContain("was already released with this image");
		expect(loadLedger(join(dir, "keys", "releases.json")).releases.map((r) => r.version)).toEqual(["0.3.0"]);
		// A different build under a released version: refused, also through an explicit --ledger.
		writeFileSync(join(dir, "other.bin"), simImage("0.3.0", 3, { size: 30_000 }));
		expect(curbside(dir, "ota", "pack", "other.bin", "--board", "generic", "--role", "light-pole", "--version", "0.3.0", "--sec", "3").code).toBe(0);
		expect(curbside(dir, "ota", "sign", "other-0.3.0.cspkg", "--key", key).err).toContain("0.3.0 for light-pole on generic was already released with a different image");
		const elsewhere = curbside(dir, "ota", "sign", "other-0.3.0.cspkg", "--key", key, "--ledger", "fresh.json");
		expect(elsewhere.code).toBe(0);
		expect(loadLedger(join(dir, "fresh.json")).releases.length).toBe(1);
	});

	it("pack refuses an image whose app descriptor disagrees, an unknown board, and a bad number", () => {
		const dir = tempDir();
		writeFileSync(join(dir, "img.bin"), simImage("0.2.0", 2));
		const args = ["ota", "pack", "img.bin", "--board", "generic", "--role", "light-pole"];
		expect(curbside(dir, ...args, "--version", "0.3.0", "--sec", "2").err.trim()).toBe("curbside: image says version 0.2.0 but --version is 0.3.0");
		expect(curbside(dir, ...args, "--version", "0.2.0", "--sec", "two").err.trim()).toBe('curbside: --sec "two" is not a whole number');
		expect(curbside(dir, "ota", "pack", "img.bin", "--board", "esp8266", "--role", "light-pole", "--version", "0.2.0", "--sec", "2").err.trim()).toBe('curbside: unknown board "esp8266" (no manifests/boards/esp8266.json)');
		expect(curbside(dir, ...args, "--version", "0.2.0", "--sec", "2", "--chunk", "3000").err.trim()).toBe("curbside: --chunk 3000 is not one of 1024, 2048, 4096, 8192, 16384");
		expect(curbside(dir, "ota", "pack", "none.bin", "--board", "generic", "--role", "light-pole", "--version", "0.2.0", "--sec", "2").err.trim()).toBe("curbside: cannot read image none.bin: ENOENT");
		expect(readdirSync(dir)).toEqual(["img.bin"]);
	});

	it("sign refuses an RSA key and a public key, leaving the package unsigned", () => {
		const { dir, pub } = setup();
		pack(dir, "0.2.0", 2, "--out", "p.cspkg");
		mkdirSync(join(dir, "rsa"));
		writeFileSync(join(dir, "rsa", "k.pem"), generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }));
		const rsa = curbside(dir, "ota", "sign", "p.cspkg", "--key", join("rsa", "k.pem"));
		expect(rsa.code).toBe(1);
		expect(rsa.err.trim()).toBe(`curbside: ${join("rsa", "k.pem")} is an RSA key; Curbside signs with ECDSA P-256`);
		expect(curbside(dir, "ota", "sign", "p.cspkg", "--key", pub).err).toContain("is a public key; signing needs the private key");
		expect(readPackage(join(dir, "p.cspkg")).sig).toBeUndefined();
		expect(existsSync(join(dir, "rsa", "releases.json"))).toBe(false);
	});
});
