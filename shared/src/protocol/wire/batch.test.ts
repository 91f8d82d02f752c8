// Batch bodies round-trip, and every malformed entry is a WireError.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANSWER_TOO_LARGE, BATCH_PATH, BATCH_ROUTES, BINARY_ANSWER_ROUTES, decodeAnswers, decodeBatch, encodeAnswers, encodeBatch, fitAnswers, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES,
  type BatchAnswer,
} from './batch.js';
import { WireError } from './wire.js';
import { PATHS } from './node-messages.js';

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

  it('a binary-answer entry keeps its flag, on the routes that have a binary answer only', () => {
    const asked = [...BINARY_ANSWER_ROUTES].map((route) => ({ route, payload: Buffer.from('x'), binary: true }));
    assert.deepEqual(decodeBatch(encodeBatch([...asked, ...entries])), [...asked, ...entries]);
    assert.equal(encodeBatch([{ route: PATHS.clock, payload: Buffer.alloc(0), binary: true }])[0], BATCH_ROUTES.indexOf(PATHS.clock) | 0x80);
    assert.deepEqual(new Set(BINARY_ANSWER_ROUTES), new Set([PATHS.clock, PATHS.complete, PATHS.collect, PATHS.filter, PATHS.store]));
    for (const route of BATCH_ROUTES.filter((r) => !BINARY_ANSWER_ROUTES.has(r))) {
      assert.throws(() => encodeBatch([{ route, payload: Buffer.alloc(0), binary: true }]), RangeError);
      const bad = encodeBatch([{ route, payload: Buffer.alloc(0) }]);
      bad[0] = bad[0]! | 0x80;
      assert.throws(() => decodeBatch(bad), isWire(/^bad batch entry$/), route);
    }
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

describe('fitAnswers: a batch answer cut to its byte cap (the node\'s side)', () => {
  const answer = (n: number): BatchAnswer => ({ status: 200, payload: Buffer.alloc(n, 7) });
  const REFUSAL = { error: 'answer-too-large', message: 'send it alone' };
  const refusalBytes = Buffer.byteLength(JSON.stringify(REFUSAL));

  it('the refusal code and the route are the wire\'s', () => {
    assert.equal(ANSWER_TOO_LARGE, 'answer-too-large');
    assert.equal(BATCH_PATH, '/v1/batch');
  });

  it('answers that fit, up to exactly the cap (6 bytes of framing each), go as they are', () => {
    const answers = [answer(100), answer(50)];
    const max = encodeAnswers(answers).length;
    assert.equal(max, 6 + 100 + 6 + 50);
    assert.deepEqual(fitAnswers(answers, max), answers);
  });

  it('one byte over: only the largest answer becomes a 413 ANSWER_TOO_LARGE refusal', () => {
    const answers = [answer(50), answer(100), answer(60)];
    const max = encodeAnswers(answers).length - 1;
    const out = fitAnswers(answers, max);
    assert.deepEqual(out.map((a) => a.status), [200, 413, 200]);
    assert.deepEqual(JSON.parse(out[1]!.payload.toString('utf8')), REFUSAL);
    assert.equal(out[0], answers[0]);
    assert.equal(out[2], answers[2]);
    assert.ok(encodeAnswers(out).length <= max);
    assert.equal(answers[1]!.status, 200, 'the answers given are not changed');
  });

  it('refuses the largest first, as many as needed and no more, counting each refusal\'s own bytes', () => {
    const answers = [answer(300), answer(10), answer(200), answer(250)];
    // Fits once the 300 and the 250 are refusals, to the byte; the 200 stays.
    const max = encodeAnswers(answers).length - 300 - 250 + 2 * refusalBytes;
    const out = fitAnswers(answers, max);
    assert.deepEqual(out.map((a) => a.status), [413, 200, 200, 413]);
    assert.equal(encodeAnswers(out).length, max);
    // One byte less and the 200 goes too.
    assert.deepEqual(fitAnswers(answers, max - 1).map((a) => a.status), [413, 200, 413, 413]);
  });

  it('the cap is MAX_BATCH_BYTES unless given', () => {
    const exact = [answer(MAX_BATCH_BYTES - 6)];
    assert.deepEqual(fitAnswers(exact), exact);
    assert.equal(fitAnswers([answer(MAX_BATCH_BYTES - 5)])[0]!.status, 413);
  });
});
