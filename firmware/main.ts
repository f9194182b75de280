/*
 * Firmware entry. Moddable calls a main module's default export at start.
 */
import { boot } from "./runtime/boot";

export default function main(): void {
	boot();
}
