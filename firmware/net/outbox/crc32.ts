/*
 * CRC-32/ISO-HDLC, the CRC of ISO/IEC 13239 (HDLC), ITU-T V.42, IEEE 802.3
 * and zlib. Parameters from the reveng "Catalogue of parametrised CRC
 * algorithms" (https://reveng.sourceforge.io/crc-catalogue/17plus.htm#crc.cat.crc-32-iso-hdlc):
 *   width=32 poly=0x04c11db7 init=0xffffffff refin=true refout=true
 *   xorout=0xffffffff check=0xcbf43926 (the CRC of ASCII "123456789").
 * Reflected, so the loop shifts right with the bit-reversed polynomial
 * 0xEDB88320. One 256-entry table (1 KiB): a byte per step instead of a bit,
 * which matters on XS where every loop iteration is interpreted. Built at
 * module load, so a preloaded module keeps it in flash, not RAM.
 */

const TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c >>> 0;
	}
	return t;
})();

/** CRC-32/ISO-HDLC of bytes[start, end), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
	let c = 0xffffffff;
	for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
