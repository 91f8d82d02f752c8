// CRC combination: the CRC of A ‖ B from crc(A), crc(B) and len(B), without
// the bytes (zlib's crc32_combine, generalised to any reflected CRC with
// all-ones init and xorout). It is how a multipart upload's FULL_OBJECT
// checksum is computed from its parts' checksums, as S3 does.

import type { ChecksumAlgorithm } from './checksums.js';

/** Reflected polynomials and widths of the CRCs S3 can combine. */
const CRCS = {
  CRC32: { poly: 0xedb88320n, width: 32 },
  CRC32C: { poly: 0x82f63b78n, width: 32 },
  CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, width: 64 },
} as const;

export type CombinableCrc = keyof typeof CRCS;

export function isCombinable(alg: ChecksumAlgorithm): alg is CombinableCrc {
  return alg in CRCS;
}

function times(mat: readonly bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i]!;
  return sum;
}

function square(mat: readonly bigint[]): bigint[] {
  return mat.map((row) => times(mat, row));
}

/** crc(A ‖ B) from a = crc(A), b = crc(B) and the length of B in bytes. */
export function crcCombine(alg: CombinableCrc, a: bigint, b: bigint, lenB: number): bigint {
  if (lenB <= 0) return a;
  const { poly, width } = CRCS[alg];
  // The operator for one zero bit, then two, then four.
  let odd: bigint[] = [poly];
  for (let n = 1, row = 1n; n < width; n++, row <<= 1n) odd.push(row);
  let even = square(odd);
  odd = square(even);
  let len = BigInt(lenB);
  let crc = a;
  for (;;) {
    even = square(odd); // next power of two of zero bytes
    if (len & 1n) crc = times(even, crc);
    len >>= 1n;
    if (len === 0n) break;
    odd = square(even);
    if (len & 1n) crc = times(odd, crc);
    len >>= 1n;
    if (len === 0n) break;
  }
  return crc ^ b;
}

/** Combines base64 big-endian part CRCs (as S3 carries them) with the parts' sizes. */
export function combineParts(alg: CombinableCrc, parts: ReadonlyArray<{ readonly crc: string; readonly size: number }>): string {
  const bytes = CRCS[alg].width / 8;
  let acc: bigint | null = null;
  for (const p of parts) {
    const v = BigInt(`0x${Buffer.from(p.crc, 'base64').toString('hex') || '0'}`);
    acc = acc === null ? v : crcCombine(alg, acc, v, p.size);
  }
  return Buffer.from((acc ?? 0n).toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}
