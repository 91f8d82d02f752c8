// parseAlgorithm accepts the forms clients send (x-amz-checksum-algorithm,
// x-amz-sdk-checksum-algorithm): any case, surrounding whitespace.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { algorithmOfHeader, parseAlgorithm } from './checksums.js';

describe('parseAlgorithm', () => {
  it('is case-insensitive and trims', () => {
    assert.equal(parseAlgorithm('crc32'), 'CRC32');
    assert.equal(parseAlgorithm(' crc32c '), 'CRC32C');
    assert.equal(parseAlgorithm('Sha256\t'), 'SHA256');
    assert.equal(parseAlgorithm('md5'), undefined);
    assert.equal(parseAlgorithm(''), undefined);
  });
});

describe('algorithmOfHeader', () => {
  it('only x-amz-checksum-<alg>, exactly', () => {
    assert.equal(algorithmOfHeader('x-amz-checksum-crc64nvme'), 'CRC64NVME');
    assert.equal(algorithmOfHeader('X-Amz-Checksum-CRC32'), 'CRC32');
    for (const n of ['xx-amz-checksum-crc32', 'x-amz-checksum-crc32-x', 'x-amz-checksum-', 'x-amz-checksum-md5']) assert.equal(algorithmOfHeader(n), undefined, n);
  });
});
