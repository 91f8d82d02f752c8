// The length caps of list requests and list answers, at the cap and one past
// it: a prefix, an `after` key and a listed key may each be up to
// 4 × MAX_KEY_BYTES characters (a key of MAX_KEY_BYTES UTF-8 bytes as JS
// string length is at most that), no more. Kills the protocol mutants that
// shrank these caps (node-messages.ts:164-165, 226; nothing accepted a long one).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeListAnswer, MAX_KEY_BYTES, parseListAnswer, parseListReq } from './node-messages.js';
import { candToWire, WireError } from './wire.js';
import { fixture, ts, write } from '../testing/fixture.js';

const f = fixture(1);
const S = f.params.S;
const w = write(f, ts(f, 3));
const CAP = MAX_KEY_BYTES * 4;

function wire(fn: () => unknown, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && msg.test(e.message));
}

describe('node messages: list key caps', () => {
  const req = { ns: 'b', prefix: 'p/', after: null, skipPrefix: false, limit: 10 };

  it('a list prefix of exactly the cap is accepted; one more character is refused', () => {
    assert.equal(parseListReq({ ...req, prefix: 'p'.repeat(CAP) }).prefix.length, CAP);
    wire(() => parseListReq({ ...req, prefix: 'p'.repeat(CAP + 1) }), /bad prefix/);
  });

  it('an after key of exactly the cap is accepted; one more character is refused', () => {
    assert.equal(parseListReq({ ...req, after: 'a'.repeat(CAP) }).after?.length, CAP);
    wire(() => parseListReq({ ...req, after: 'a'.repeat(CAP + 1) }), /bad after/);
  });

  it('a listed key of exactly the cap is accepted; one more character is refused', () => {
    const page = { entries: [{ key: 'k'.repeat(CAP), lc: w.c }], truncated: false };
    assert.deepEqual(parseListAnswer(JSON.parse(encodeListAnswer(page).toString('utf8')), S), page);
    wire(() => parseListAnswer({ entries: [{ key: 'k'.repeat(CAP + 1), lc: candToWire(w.c) }], truncated: false }, S), /bad key/);
  });
});
