/*
 * Installs the benchmark device's bridge. A module of its own because it must
 * run before any host module evaluates (mc/config reads the bridge on load).
 */
import { createMemoryBridge, installBridge } from "../host-sim/bridge/memory";

declare const __CONFIG__: Record<string, unknown>;

export const bridge = installBridge(createMemoryBridge({ config: __CONFIG__, deviceId: String(__CONFIG__.deviceId) }));
