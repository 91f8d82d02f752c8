// Register ids (DESIGN §8): a register is (namespace, key), its id a hash,
// never a path built from the key. Objects live in the namespace named by
// their bucket; bucket records live in the reserved namespace "" (no S3
// bucket name is empty), keyed by bucket name.

import { lp } from '../bytes.js';
import { sha256 } from '../hash.js';

const REG_DOMAIN = Buffer.from('ps-reg-v1\0', 'utf8');

export const BUCKETS_NS = '';

export function regId(ns: string, key: string): Buffer {
  return sha256(REG_DOMAIN, lp(ns), lp(key));
}
