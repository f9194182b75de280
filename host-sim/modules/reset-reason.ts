/*
 * Host-sim `resetReason`: the project's native module (native/reset-reason)
 * reports esp_reset_reason() mapped to a short name. The sim reports what the
 * host last did to the device: "poweron", "sw" (restart), "panic", "brownout"
 * (a simulated power cut) or "deepsleep".
 */
import { bridge } from "../bridge/types";

export default function resetReason(): string {
	return bridge().resetReason;
}
