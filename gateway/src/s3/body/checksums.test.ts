// Known answers for every checksum, and incremental = one-shot on random splits.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32c, crc64nvme } from './crc.js';
import { CHECKSUM_ALGORITHMS, algorithmOfHeader, checksumBase64, createChecksum, parseAlgorithm } from './checksums.js';

const hello = Buffer.from('hello world\n');

describe('checksums', () => {
  it('match the values real clients sent for "hello world\\n" (aws-sdk-js-v3.md)', () => {
    assert.equal(checksumBase64('CRC32', hello), 'rwg7LQ==');
    assert.equal(checksumBase64('CRC32C', hello), '8P9ykg==');
    assert.equal(checksumBase64('CRC64NVME', hello), 'D3gOhIHSoh8=');
    assert.equal(checksumBase64('SHA1', hello), 'IlljY7PeQLBvmB+4XYIxLowO1RE=');
    assert.equal(checksumBase64('SHA256', hello), 'qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc=');
    assert.equal(checksumBase64('MD5', hello), 'b1kCrCNwJL3QwXbLkwY9xA==');
  });

  it('match the standard check values of "123456789"', () => {
    const check = Buffer.from('123456789');
    assert.equal(crc32c(check), 0xe3069283);
    const c = crc64nvme(check);
    assert.equal(c.hi, 0xae8b1486);
    assert.equal(c.lo, 0x0a799888);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.deepEqual(crc64nvme(Buffer.alloc(0)), { hi: 0, lo: 0 });
  });

  it('give the same result fed in arbitrary pieces (exercises the 8-byte and byte paths)', () => {
    const data = randomBytes(100_003);
    for (const alg of CHECKSUM_ALGORITHMS) {
      const whole = checksumBase64(alg, data);
      const c = createChecksum(alg);
      let at = 0;
      for (const step of [1, 7, 8, 9, 13, 4096, 3, 65536]) {
        c.update(data.subarray(at, at + step));
        at += step;
      }
      c.update(data.subarray(at));
      assert.equal(c.digest().toString('base64'), whole, alg);
    }
  });

  it('slicing-by-8 CRC32C agrees with a bitwise reference', () => {
    const data = randomBytes(1000);
    let ref = 0xffffffff;
    for (const byte of data) {
      ref ^= byte;
      for (let k = 0; k < 8; k++) ref = ref & 1 ? (ref >>> 1) ^ 0x82f63b78 : ref >>> 1;
    }
    assert.equal(crc32c(data), ~ref >>> 0);
  });

  it('names: header ↔ algorithm', () => {
    assert.equal(algorithmOfHeader('x-amz-checksum-crc64nvme'), 'CRC64NVME');
    assert.equal(algorithmOfHeader('x-amz-checksum-md5'), undefined);
    assert.equal(parseAlgorithm('crc32c'), 'CRC32C');
    assert.equal(parseAlgorithm('CRC16'), undefined);
  });
});
