/*
 * Host-sim `mac` (see native/mac/mac.ts): the simulated station MAC, derived
 * from the device id so it is stable across runs.
 */
import { bridge } from "../bridge/types";

export default function mac(): string {
	return bridge().net.mac;
}
