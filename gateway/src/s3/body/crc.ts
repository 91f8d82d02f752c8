// Incremental CRC32C and CRC64NVME over Uint8Array chunks (slicing-by-8).
// State is the running, not-yet-inverted register; init and xorout are all ones.

import { CRC32C_TABLE as T, CRC64_HI as H, CRC64_LO as L } from './crc-tables.js';

/** Continues a CRC32C over `data`. Pass the previous return value (0 to start); returns the finished CRC. */
export function crc32c(data: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))) >>> 0;
    c = (T[1792 + (a & 0xff)] as number)
      ^ (T[1536 + ((a >>> 8) & 0xff)] as number)
      ^ (T[1280 + ((a >>> 16) & 0xff)] as number)
      ^ (T[1024 + (a >>> 24)] as number)
      ^ (T[768 + (data[i + 4] as number)] as number)
      ^ (T[512 + (data[i + 5] as number)] as number)
      ^ (T[256 + (data[i + 6] as number)] as number)
      ^ (T[data[i + 7] as number] as number);
  }
  for (; i < n; i++) c = (c >>> 8) ^ (T[(c ^ (data[i] as number)) & 0xff] as number);
  return ~c >>> 0;
}

/** Running CRC64NVME as two 32-bit halves of the finished value. */
export interface Crc64 {
  hi: number;
  lo: number;
}

/** Continues a CRC64NVME over `data` from `previous` (start from {hi: 0, lo: 0}); returns the finished CRC. */
export function crc64nvme(data: Uint8Array, previous: Crc64 = { hi: 0, lo: 0 }): Crc64 {
  let hi = ~previous.hi >>> 0;
  let lo = ~previous.lo >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const a = lo ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    const b = hi ^ ((data[i + 4] as number) | ((data[i + 5] as number) << 8) | ((data[i + 6] as number) << 16) | ((data[i + 7] as number) << 24));
    const i0 = 1792 + (a & 0xff);
    const i1 = 1536 + ((a >>> 8) & 0xff);
    const i2 = 1280 + ((a >>> 16) & 0xff);
    const i3 = 1024 + (a >>> 24);
    const i4 = 768 + (b & 0xff);
    const i5 = 512 + ((b >>> 8) & 0xff);
    const i6 = 256 + ((b >>> 16) & 0xff);
    const i7 = b >>> 24;
    lo = ((L[i0] as number) ^ (L[i1] as number) ^ (L[i2] as number) ^ (L[i3] as number)
      ^ (L[i4] as number) ^ (L[i5] as number) ^ (L[i6] as number) ^ (L[i7] as number)) >>> 0;
    hi = ((H[i0] as number) ^ (H[i1] as number) ^ (H[i2] as number) ^ (H[i3] as number)
      ^ (H[i4] as number) ^ (H[i5] as number) ^ (H[i6] as number) ^ (H[i7] as number)) >>> 0;
  }
  for (; i < n; i++) {
    const idx = (lo ^ (data[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (L[idx] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (H[idx] as number)) >>> 0;
  }
  return { hi: ~hi >>> 0, lo: ~lo >>> 0 };
}
