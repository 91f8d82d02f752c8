// Batch bodies round-trip, and every malformed entry is a WireError.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BATCH_ROUTES, decodeAnswers, decodeBatch, encodeAnswers, encodeBatch, MAX_BATCH_ENTRIES } from './batch.js';
import { WireError } from './wire.js';

const isWire = (msg: RegExp) => (e: unknown) => e instanceof WireError && msg.test(e.message);

describe('batch requests', () => {
  const entries = BATCH_ROUTES.map((route, i) => ({ route, payload: Buffer.from(`p${i}`.repeat(i)) }));

  it('round-trips every route, empty payloads included', () => {
    assert.deepEqual(decodeBatch(encodeBatch(entries)), entries);
    assert.deepEqual(decodeBatch(Buffer.alloc(0)), []);
    assert.equal(encodeBatch(entries.slice(1, 2))[0], 1);
  });

  it('refuses a cut header, a cut payload and an unknown route', () => {
    const body = encodeBatch(entries);
    assert.throws(() => decodeBatch(body.subarray(0, 3)), isWire(/^bad batch$/));
    assert.throws(() => decodeBatch(body.subarray(0, body.length - 1)), isWire(/^bad batch entry$/));
    const bad = Buffer.from(body);
    bad[0] = BATCH_ROUTES.length;
    assert.throws(() => decodeBatch(bad), isWire(/^bad batch entry$/));
  });

  it(`takes at most ${MAX_BATCH_ENTRIES} entries`, () => {
    const one = { route: BATCH_ROUTES[0], payload: Buffer.alloc(0) };
    assert.equal(decodeBatch(encodeBatch(Array(MAX_BATCH_ENTRIES).fill(one))).length, MAX_BATCH_ENTRIES);
    assert.throws(() => decodeBatch(encodeBatch(Array(MAX_BATCH_ENTRIES + 1).fill(one))), isWire(/^bad batch$/));
  });
});

describe('batch answers', () => {
  const answers = [{ status: 200, payload: Buffer.from('{}') }, { status: 409, payload: Buffer.alloc(0) }, { status: 65535, payload: Buffer.from('x') }];

  it('round-trips', () => {
    assert.deepEqual(decodeAnswers(encodeAnswers(answers), 3), answers);
    assert.deepEqual(decodeAnswers(Buffer.alloc(0), 0), []);
  });

  it('refuses a cut answer, and one that answers more or fewer entries', () => {
    const body = encodeAnswers(answers);
    assert.throws(() => decodeAnswers(body.subarray(0, 5), 1), isWire(/^bad batch answer$/));
    assert.throws(() => decodeAnswers(body.subarray(0, body.length - 1), 3), isWire(/^bad batch answer entry$/));
    assert.throws(() => decodeAnswers(body, 2), isWire(/^batch answered 3 of 2 entries$/));
    assert.throws(() => decodeAnswers(body, 4), isWire(/^batch answered 3 of 4 entries$/));
  });
});
