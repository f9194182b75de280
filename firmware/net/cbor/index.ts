/*
 * Device-side CBOR codec (RFC 8949): deterministic encoder (§4.2.1) and
 * strict, bounded decoder (§3, §5, §10). See encode.ts / decode.ts.
 */
export { encode, encodeHead } from "./encode";
export { decode } from "./decode";
export { CborError, DEFAULT_LIMITS } from "./types";
export type { CborMap, CborValue, DecodeLimits, EncodeOptions } from "./types";
