/*
 * A packed bitmap font file (CSF1, resources/fonts/*.csf) imported as its
 * bytes. Only test suites do this (the golden-image suite opens the shipped
 * fonts without Node's fs): esbuild's "binary" loader (host-sim/bundle.ts)
 * and the vitest plugin in vitest.config.ts both give a Uint8Array. The
 * firmware itself opens fonts as Moddable resources (apps/stop-sign/fonts.ts).
 */
declare module "*.csf" {
	const bytes: Uint8Array;
	export default bytes;
}
