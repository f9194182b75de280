/*
 * `curbside ota keygen|pack|sign|verify|publish|pause|resume|abort`: the
 * release side of over-the-air updates. keygen makes the signing key, pack
 * wraps an image with its manifest, sign checks the release ledger and signs,
 * verify checks what a device will check. publish and the campaign controls
 * live in ota-publish.ts, loaded only when used. Every failure is one line
 * (an OtaToolError) and exit 1.
 */
import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { PROJECT_ROOT, boardManifest } from "../../host-sim/manifest-config";
import { generateSigningKey, loadPrivateKey, loadPublicKey } from "../ota/keys";
import { checkRelease, defaultLedgerPath, loadLedger, recordRelease } from "../ota/ledger";
import { OtaToolError, describePackage, packImage, readPackage, signPackage, verifyPackage, writePackage } from "../ota/package";
import { runOtaControl, runOtaPublish, type OtaPublishOptions } from "./ota-publish";

/** A key's public point, short enough for a log line but enough to tell keys apart. */
function keyId(hex: string): string {
	return `${hex.slice(0, 18)}…`;
}

function integerOption(value: string | undefined, flag: string): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d+$/.test(value)) throw new OtaToolError(`${flag} "${value}" is not a whole number`);
	return Number(value);
}

export function runOtaKeygen(options: { out: string; name: string }): void {
	if (!/^[A-Za-z0-9_.-]+$/.test(options.name)) throw new OtaToolError(`--name "${options.name}" is not a plain file name`);
	const privatePath = join(options.out, `${options.name}.pem`);
	const publicPath = join(options.out, `${options.name}.pub.pem`);
	for (const path of [privatePath, publicPath]) {
		// Replacing a key orphans every device built with the old otaPubKey: never do it implicitly.
		if (existsSync(path)) throw new OtaToolError(`refusing to overwrite ${path}: devices built with that key accept only images it signs (move it away yourself to make a new one)`);
	}
	const keys = generateSigningKey();
	try {
		mkdirSync(options.out, { recursive: true });
		writeFileSync(privatePath, keys.privatePem, { mode: 0o600, flag: "wx" });
		writeFileSync(publicPath, keys.publicPem, { mode: 0o644, flag: "wx" });
	} catch (e) {
		throw new OtaToolError(`cannot write the key pair: ${(e as Error).message}`);
	}
	console.log(`wrote ${privatePath} (private, mode 0600: keep it offline, back it up) and ${publicPath}`);
	console.log(`public key (otaPubKey): ${keys.publicHex}`);
	console.log(`build devices that trust it: mcconfig … otaPubKey=${keys.publicHex}`);
	console.log(`  e.g. mcconfig -d -m -p esp32/nodemcu manifests/light-pole.json otaPubKey=${keys.publicHex}`);
}

export function runOtaPack(imagePath: string, options: { board: string; role: string; version: string; sec: string; chunk?: string; note?: string; out?: string }): void {
	if (!/^[a-z0-9][a-z0-9_-]*$/.test(options.board) || !existsSync(PROJECT_ROOT + boardManifest(options.board))) {
		throw new OtaToolError(`unknown board "${options.board}" (no ${boardManifest(options.board)})`);
	}
	let image: Uint8Array;
	try {
		image = readFileSync(imagePath);
	} catch (e) {
		throw new OtaToolError(`cannot read image ${imagePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
	}
	const pkg = packImage(image, {
		board: options.board,
		role: options.role,
		version: options.version,
		sec: integerOption(options.sec, "--sec")!,
		chunk: integerOption(options.chunk, "--chunk"),
		note: options.note,
	});
	const out = options.out ?? `${basename(imagePath, extname(imagePath))}-${options.version}.cspkg`;
	writePackage(out, pkg);
	console.log(describePackage(pkg));
	console.log(`wrote ${out} (unsigned; next: curbside ota sign ${out} --key <private.pem>)`);
}

export function runOtaSign(packagePath: string, options: { key: string; ledger?: string }): void {
	const pkg = readPackage(packagePath);
	const { key, hex } = loadPrivateKey(options.key);
	const ledger = loadLedger(options.ledger ?? defaultLedgerPath(options.key));
	const previous = checkRelease(ledger, pkg.manifest);
	const signed = signPackage(pkg, key);
	// Never sign a package whose image no longer matches its manifest: the signature would vouch for bytes nobody packed.
	verifyPackage(signed, createPublicKey(key));
	// Ledger first: a signed package never exists without its release on record (a re-run is idempotent).
	if (!previous) recordRelease(ledger, pkg.manifest);
	writePackage(packagePath, signed);
	console.log(describePackage(signed));
	console.log(`signed ${packagePath} with key ${keyId(hex)}${pkg.sig ? " (replacing its previous signature)" : ""}`);
	console.log(previous ? `ledger ${ledger.path}: ${pkg.manifest.version} for ${pkg.manifest.role} on ${pkg.manifest.board} was already released with this image (${previous.signedAt}); re-signed` : `ledger ${ledger.path}: recorded ${pkg.manifest.version} for ${pkg.manifest.role} on ${pkg.manifest.board}, security version ${pkg.manifest.sec}`);
}

export function runOtaVerify(packagePath: string, options: { pub: string; board?: string; role?: string }): void {
	const pkg = readPackage(packagePath);
	const { key, hex } = loadPublicKey(options.pub);
	console.log(describePackage(pkg));
	verifyPackage(pkg, key, { board: options.board, role: options.role });
	console.log(`signature OK (key ${keyId(hex)})`);
}

/** `ota publish <package> …`: the campaign runner (ota-publish.ts) with the CLI's options as they are. */
export async function runOtaPublishCommand(packagePath: string, options: OtaPublishOptions): Promise<void> {
	await runOtaPublish(packagePath, options);
}

/** `ota pause|resume|abort --state <file>`. */
export function otaControlAction(action: "pause" | "resume" | "abort"): (options: { state: string }) => Promise<void> {
	return async (options) => {
		await runOtaControl(action, { state: options.state });
	};
}
