// parseAlgorithm accepts the forms clients send (x-amz-checksum-algorithm,
// x-amz-sdk-checksum-algorithm): any case, surrounding whitespace.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAlgorithm } from './checksums.js';

describe('parseAlgorithm', () => {
  it('is case-insensitive and trims', () => {
    assert.equal(parseAlgorithm('crc32'), 'CRC32');
    assert.equal(parseAlgorithm(' crc32c '), 'CRC32C');
    assert.equal(parseAlgorithm('Sha256\t'), 'SHA256');
    assert.equal(parseAlgorithm('md5'), undefined);
    assert.equal(parseAlgorithm(''), undefined);
  });
});
