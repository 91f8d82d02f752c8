// crc(A ‖ B) from the parts' CRCs equals the CRC of the whole, for every
// combinable algorithm and for uneven, empty and single-byte parts.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { checksumBase64 } from './checksums.js';
import { combineParts, type CombinableCrc } from './crc-combine.js';

describe('CRC combination', () => {
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as CombinableCrc[]) {
    it(`${alg}: combined part checksums equal the whole object's`, () => {
      for (const sizes of [[1, 1], [5, 0, 7], [1000, 3, 65536], [12, 4096, 1, 77777]]) {
        const parts = sizes.map((n) => randomBytes(n));
        const whole = checksumBase64(alg, Buffer.concat(parts));
        const combined = combineParts(alg, parts.map((p) => ({ crc: checksumBase64(alg, p), size: p.length })));
        assert.equal(combined, whole, `sizes ${sizes.join(',')}`);
      }
    });
  }
});
