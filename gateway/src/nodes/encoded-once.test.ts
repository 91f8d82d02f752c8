// A round's store message and complete request are encoded once for all its
// nodes, byte for byte what encoding them per node gave.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture, ts, write } from '@powerstore/shared/protocol/testing/fixture.js';
import { encodeCommit, encodeCompleteReq } from '@powerstore/shared/protocol/wire/node-messages.js';
import { commitBytes, completeBytes } from './encoded-once.js';

describe('encoded once per round', () => {
  const f = fixture(1);
  const w = write(f, ts(f, 3));
  const ref = { ns: 'b', key: 'k' };

  it('a store message: the same bytes as encodeCommit, made once per message object', () => {
    const msg = { ts: w.c.ts, nbar: w.nbar, d: w.c.d, vec: w.c.vec, cc: w.cc, meta: w.meta };
    const b = commitBytes(msg);
    assert.deepEqual(b, encodeCommit(msg));
    assert.equal(commitBytes(msg), b, 'the second node gets the same buffer');
    const other = { ...msg, meta: Buffer.from('{"size":6}') };
    assert.deepEqual(commitBytes(other), encodeCommit(other), 'another message, its own bytes');
  });

  it('a complete request: made once per candidate, and again for another register', () => {
    const b = completeBytes(ref, w.c);
    assert.deepEqual(b, encodeCompleteReq(ref, w.c));
    assert.equal(completeBytes({ ...ref }, w.c), b);
    const elsewhere = { ns: 'b', key: 'other' };
    assert.deepEqual(completeBytes(elsewhere, w.c), encodeCompleteReq(elsewhere, w.c));
    assert.deepEqual(completeBytes({ ns: 'c', key: 'k' }, w.c), encodeCompleteReq({ ns: 'c', key: 'k' }, w.c));
  });
});
