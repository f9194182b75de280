/*
 * The sign's fonts: CSF1 packed bitmap fonts built by `curbside fonts build`
 * and shipped as Moddable data resources (resources/fonts/manifest.json).
 * A Resource is mapped from flash on the ESP32, so a font costs no RAM
 * beyond its parsed header; each is opened once and kept.
 */
import Resource from "Resource";
import { PackedFont } from "../../gfx/packed-font";
import type { Font } from "../../gfx/types";

const cache = new Map<string, Font>();

/**
 * The font resource `name` (e.g. "r16" → "r16.csf").
 * @throws Error when the build does not carry it, FontError when it is damaged
 */
export function font(name: string): Font {
	let f = cache.get(name);
	if (!f) {
		const path = `${name}.csf`;
		if (!Resource.exists(path)) throw new Error(`font resource "${path}" is not in this build (resources/fonts/manifest.json)`);
		// A view of the flash mapping, not a copy: the fonts of a 7.5" layout would otherwise take ~60 KB of an ESP32's RAM.
		f = new PackedFont(new Uint8Array(new Resource(path) as unknown as ArrayBuffer));
		cache.set(name, f);
	}
	return f;
}
