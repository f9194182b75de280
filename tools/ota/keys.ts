/*
 * OTA signing keys (Node only). Curbside signs with ECDSA P-256 (FIPS 186-4
 * §6.4, curve P-256 = secp256r1 = prime256v1 of SEC 2 §2.4.2) over SHA-256.
 * Keys live in PEM files: the private key as PKCS #8 (RFC 5208), the public
 * key as SubjectPublicKeyInfo (RFC 5480). A device carries the public key as
 * the uncompressed point 0x04‖X‖Y (SEC 1 v2 §2.3.3, 65 bytes) written as 130
 * lower-case hex digits in its build-time config key `otaPubKey`.
 *
 * Decision: where a public key is expected, a private key file is REFUSED,
 * not silently reduced to its public half. Whatever verifies images (CI, the
 * ops server, a laptop checking a download) must never need the signing
 * secret; accepting it would hide a copy of the key on a machine that has no
 * business holding it. The error names the `.pub.pem` file to use instead.
 * Passphrase-protected PEM is not supported (the error says so): keep the key
 * offline instead, e.g. on the machine that signs releases.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { OtaToolError } from "./package";

/** A key and its public point as the firmware's `otaPubKey` wants it (130 lower-case hex digits). */
export interface LoadedKey {
	key: KeyObject;
	hex: string;
}

const CURVE = "prime256v1";
const PUBLIC_HEX = /^(?:0x)?(04[0-9a-fA-F]{128})$/;

/** A fresh ECDSA P-256 key pair: PKCS #8 private PEM, SPKI public PEM and the public point in hex. */
export function generateSigningKey(): { privatePem: string; publicPem: string; publicHex: string } {
	const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: CURVE });
	return {
		privatePem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
		publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
		publicHex: publicHex(publicKey),
	};
}

/** 0x04‖X‖Y of a P-256 key (public or private) as 130 lower-case hex digits. */
export function publicHex(key: KeyObject): string {
	const jwk = (key.type === "private" ? createPublicKey(key) : key).export({ format: "jwk" });
	const x = Buffer.from(jwk.x!, "base64url");
	const y = Buffer.from(jwk.y!, "base64url");
	// JWK coordinates are the full 32-byte field elements (RFC 7518 §6.2.1.2), leading zeros kept.
	return "04" + x.toString("hex").padStart(64, "0") + y.toString("hex").padStart(64, "0");
}

function readPem(path: string, what: string): string {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		throw new OtaToolError(`cannot read ${what} ${path}: ${code ?? (e as Error).message}`);
	}
	if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new OtaToolError(`${path} is not a PEM file (expected "-----BEGIN … KEY-----")`);
	return text;
}

/** Refuses anything but an EC key on P-256, naming what it is instead. */
function requireP256(key: KeyObject, path: string): void {
	if (key.asymmetricKeyType !== "ec") {
		const kind = (key.asymmetricKeyType ?? "unknown").toUpperCase();
		throw new OtaToolError(`${path} is an ${kind} key; Curbside signs with ECDSA P-256`);
	}
	const curve = key.asymmetricKeyDetails?.namedCurve;
	if (curve !== CURVE) throw new OtaToolError(`${path} is an EC key on ${curve ?? "an unnamed curve"}; Curbside signs with ECDSA P-256 (prime256v1)`);
}

/** Loads the signing key from a PEM file. @throws OtaToolError naming the file and what is wrong with it */
export function loadPrivateKey(path: string): LoadedKey {
	const pem = readPem(path, "private key");
	if (/-----BEGIN (?:(?:[A-Z]+ )?PUBLIC KEY|CERTIFICATE)-----/.test(pem)) throw new OtaToolError(`${path} is a public key; signing needs the private key (the .pem that keygen wrote, not the .pub.pem)`);
	// PKCS #8 EncryptedPrivateKeyInfo, or a legacy OpenSSL PEM with a DEK-Info header (RFC 1421 §4.6.1.1).
	if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) throw new OtaToolError(keyError(path, { code: "ERR_MISSING_PASSPHRASE" }, "private key"));
	let key: KeyObject;
	try {
		key = createPrivateKey(pem);
	} catch (e) {
		throw new OtaToolError(keyError(path, e, "private key"));
	}
	requireP256(key, path);
	return { key, hex: publicHex(key) };
}

/**
 * Loads a public key from a PEM file, or from the hex point itself (as in
 * `otaPubKey`, optionally 0x-prefixed, or a file holding only that hex).
 * @throws OtaToolError naming the file and what is wrong with it
 */
export function loadPublicKey(pathOrHex: string): LoadedKey {
	const direct = PUBLIC_HEX.exec(pathOrHex.trim());
	if (direct) return fromHex(direct[1].toLowerCase(), "public key");
	let text: string;
	try {
		text = readFileSync(pathOrHex, "utf8");
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		throw new OtaToolError(`cannot read public key ${pathOrHex}: ${code ?? (e as Error).message} (expected a .pub.pem file or 130 hex digits starting 04)`);
	}
	const inFile = PUBLIC_HEX.exec(text.trim());
	if (inFile) return fromHex(inFile[1].toLowerCase(), pathOrHex);
	const pem = readPem(pathOrHex, "public key");
	if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(pem)) {
		const pub = pathOrHex.replace(/\.pem$/, "") + ".pub.pem";
		throw new OtaToolError(`${pathOrHex} is a private key; verifying needs only the public key (${pub}): keep the signing key off this machine`);
	}
	let key: KeyObject;
	try {
		key = createPublicKey(pem);
	} catch (e) {
		throw new OtaToolError(keyError(pathOrHex, e, "public key"));
	}
	requireP256(key, pathOrHex);
	return { key, hex: publicHex(key) };
}

/** The public key from its uncompressed point. @throws OtaToolError when the point is not on P-256 */
function fromHex(hex: string, where: string): LoadedKey {
	const point = Buffer.from(hex, "hex");
	let key: KeyObject;
	try {
		key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, format: "jwk" });
	} catch {
		throw new OtaToolError(`${where}: ${hex.slice(0, 12)}… is not a point on P-256`);
	}
	return { key, hex };
}

function keyError(path: string, e: unknown, what: string): string {
	const code = (e as NodeJS.ErrnoException).code;
	if (code === "ERR_MISSING_PASSPHRASE") return `${path} is passphrase-protected; curbside needs an unencrypted ${what} (keep it offline instead)`;
	return `${path} does not hold a usable ${what}: ${(e as Error).message}`;
}
