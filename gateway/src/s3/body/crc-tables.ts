// Slicing-by-8 tables for the two CRCs node:zlib lacks: CRC32C (Castagnoli,
// reflected 0x82F63B78) and CRC64NVME (reflected 0x9A6C9329AC4BC9B5). The
// 64-bit CRC is kept as two 32-bit halves so no BigInt is touched per byte.
// Tables are built once at load and never written again.

/** 8 × 256 entries: T[k*256 + b] = CRC of byte b followed by k zero bytes. */
function slice8(one: (b: number) => number): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) t[b] = one(b);
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b] as number;
      t[k * 256 + b] = (prev >>> 8) ^ (t[prev & 0xff] as number);
    }
  }
  return t;
}

export const CRC32C_TABLE = slice8((b) => {
  let c = b;
  for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});

const POLY64_HI = 0x9a6c9329;
const POLY64_LO = 0xac4bc9b5;

/** CRC64NVME tables, low and high halves: entry (k, b) is (HI[k*256+b], LO[k*256+b]). */
export const { CRC64_HI, CRC64_LO } = (() => {
  const hi = new Uint32Array(8 * 256);
  const lo = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let h = 0;
    let l = b;
    for (let i = 0; i < 8; i++) {
      const carry = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h >>>= 1;
      if (carry) {
        h = (h ^ POLY64_HI) >>> 0;
        l = (l ^ POLY64_LO) >>> 0;
      }
    }
    hi[b] = h;
    lo[b] = l;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const ph = hi[(k - 1) * 256 + b] as number;
      const pl = lo[(k - 1) * 256 + b] as number;
      const idx = pl & 0xff;
      // (prev >>> 8) ^ T0[prev & 0xff], on 64 bits split in halves.
      hi[k * 256 + b] = ((ph >>> 8) ^ (hi[idx] as number)) >>> 0;
      lo[k * 256 + b] = (((pl >>> 8) | (ph << 24)) ^ (lo[idx] as number)) >>> 0;
    }
  }
  return { CRC64_HI: hi, CRC64_LO: lo };
})();
