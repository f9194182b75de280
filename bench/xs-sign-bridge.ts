/*
 * Installs the stop-sign bench device's bridge (tools/bench/sign-bench.ts):
 * a module of its own because it must run before any host module evaluates
 * (mc/config reads the bridge on load, the board provider builds the board
 * from boardSpec on load). Unlike bench/xs-bridge.ts it names the board, so
 * the provider fits the sign's panel model (host-sim/boards.ts, e.g.
 * "generic-epd75": a UC8179 800×480), and it hands the firmware its font
 * resources: an earlier evaluation leaves their bytes on
 * globalThis.__benchSignResources, keyed as `new Resource(name)` asks.
 */
import { createMemoryBridge, installBridge } from "../host-sim/bridge/memory";
import { VirtualClock } from "../host-sim/bridge/virtual-clock";

declare const __CONFIG__: Record<string, unknown>;

const resources = (globalThis as { __benchSignResources?: Record<string, Uint8Array> }).__benchSignResources ?? {};

export const bridge = installBridge(
	createMemoryBridge({ config: __CONFIG__, deviceId: String(__CONFIG__.deviceId), board: String(__CONFIG__.board), clock: new VirtualClock(), resources }),
);
