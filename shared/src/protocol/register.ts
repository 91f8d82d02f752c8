// Register ids (DESIGN §8): a register is (namespace, key), its id a hash,
// never a path built from the key. Objects live in the namespace named by
// their bucket; bucket records live in the reserved namespace "" (no S3
// bucket name is empty), keyed by bucket name.

import { sha256 } from '../hash.js';

const REG_DOMAIN = Buffer.from('ps-reg-v1\0', 'utf8');

export const BUCKETS_NS = '';

/**
 * H(domain ‖ u32 len ‖ ns ‖ u32 len ‖ key), the lengths in UTF-8 bytes,
 * written into one Buffer (a listing takes one a key; five Buffers and a
 * Hash object each were a tenth of what its verdicts allocated).
 */
export function regId(ns: string, key: string): Buffer {
  const nsBytes = Buffer.byteLength(ns, 'utf8');
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const b = Buffer.allocUnsafe(REG_DOMAIN.length + 4 + nsBytes + 4 + keyBytes);
  let at = REG_DOMAIN.copy(b, 0);
  at = b.writeUInt32BE(nsBytes, at);
  at += b.write(ns, at, 'utf8');
  at = b.writeUInt32BE(keyBytes, at);
  b.write(key, at, 'utf8');
  return sha256(b);
}
