/*
 * Host-sim `mc/config`: the manifest's "config" section. On the device mcconfig
 * generates this module from manifest.json plus the role and board manifests;
 * the sim builds the same merged object (host-sim/manifest-config.ts).
 */
import { bridge } from "../bridge/types";

const config: Record<string, any> = Object.freeze({ ...bridge().config });
export default config;
