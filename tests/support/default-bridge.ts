/*
 * Every firmware test starts with a fresh in-memory device (virtual clock,
 * empty NVS, erased flash). Used as a vitest setup file on Node and imported
 * first by the XS test entry, so both engines start from the same state.
 */
import { createMemoryBridge, installBridge } from "../../host-sim/bridge/memory";

installBridge(createMemoryBridge());
