// The HTTP edge's answer to a key epoch this gateway lacks (protocol review
// finding 1): 503 SlowDown, a retryable error, never NoSuchKey or 500.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { UnknownEpochError } from '@powerstore/shared/errors.js';
import { isServerFault, toS3Error } from './error-map.js';

describe('toS3Error, unknown key epoch', () => {
  it('is 503 SlowDown', () => {
    const e = toS3Error(new UnknownEpochError(4, 'collect'));
    assert.equal(e.code, 'SlowDown');
    assert.equal(e.status, 503);
    assert.ok(isServerFault(e));
    assert.doesNotMatch(e.message, /collect|4/, 'the internal detail does not leak');
  });
});
