/*
 * Installs the benchmark device's bridge. A module of its own because it must
 * run before any host module evaluates (mc/config reads the bridge on load,
 * the board provider builds the board from boardSpec on load).
 * Board scenario hook: an earlier evaluation on the same XS machine may leave
 * `globalThis.__benchBoardScenario`, a function of the device clock returning
 * boardSpec.scenario (bench/xs-pole-entry.ts: a street world on this clock).
 */
import { createMemoryBridge, installBridge } from "../host-sim/bridge/memory";
import { VirtualClock } from "../host-sim/bridge/virtual-clock";

declare const __CONFIG__: Record<string, unknown>;

const clock = new VirtualClock();
const scenario = (globalThis as { __benchBoardScenario?: (clock: VirtualClock) => unknown }).__benchBoardScenario?.(clock);

export const bridge = installBridge(createMemoryBridge({ config: __CONFIG__, deviceId: String(__CONFIG__.deviceId), clock, scenario }));
