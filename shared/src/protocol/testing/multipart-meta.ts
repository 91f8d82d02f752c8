// Worst-case multipart metadata for the size tests (protocol review findings
// 5 and 11): a completed object's meta in the shape of gateway/src/object-meta.ts
// (one PartLayout record per part, S cross-checksum hashes each), every field
// at its longest, and the completing store's part references.

import type { PartRef } from '../server.js';
import type { Timestamp } from '../timestamp.js';

/** The longest timestamp a part record can name. */
export const LONGEST_TS: Timestamp = {
  num: Number.MAX_SAFE_INTEGER, writer: 'f'.repeat(16), op: Number.MAX_SAFE_INTEGER, epoch: 0xffffffff, tag: Buffer.alloc(32, 0xff),
};

/** The meta of a multipart object of `parts` parts in a cluster of S nodes, every field at its longest. */
export function multipartMeta(S: number, parts: number): Buffer {
  const ts = { n: LONGEST_TS.num, w: LONGEST_TS.writer, o: LONGEST_TS.op, e: LONGEST_TS.epoch, g: LONGEST_TS.tag.toString('hex') };
  const records = Array.from({ length: parts }, (_, i) => ({
    n: i + 1, size: 5 * 1024 ** 3, etag: 'f'.repeat(32), blockSize: 16 * 1024 * 1024, ts,
    cc: Array.from({ length: S }, () => 'f'.repeat(64)), checksum: 'A'.repeat(44),
  }));
  return Buffer.from(JSON.stringify({
    v: 1, size: parts * 5 * 1024 ** 3, blockSize: 16 * 1024 * 1024, lastModified: 1_700_000_000_000,
    etag: `${'f'.repeat(32)}-${parts}`, contentType: 'application/octet-stream',
    user: { big: 'x'.repeat(2000) },
    checksums: { sha256: `${'A'.repeat(44)}-${parts}` }, checksumType: 'COMPOSITE',
    multipart: { uploadId: 'f'.repeat(24), parts: records },
  }));
}

/** The completing store's references to `parts` parts, namespaces at their longest (255 bytes). */
export function partRefs(parts: number, ts: Timestamp = LONGEST_TS, ns = `mpp/${'b'.repeat(251 - 28)}/${'f'.repeat(24)}`): PartRef[] {
  return Array.from({ length: parts }, (_, i) => ({ ns, key: String(i + 1).padStart(5, '0'), ts }));
}
