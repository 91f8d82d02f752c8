// The length caps of list requests, at the cap and one past it: a prefix
// and an `after` key may each be up to 4 × MAX_KEY_BYTES characters (a key
// of MAX_KEY_BYTES UTF-8 bytes as JS string length is at most that), no
// more. Kills the protocol mutants that shrank these caps (node-messages.ts
// 164-165; nothing accepted a long one). A listed key's cap, in bytes:
// list-answer.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_KEY_BYTES, parseListReq } from './node-messages.js';
import { WireError } from './wire.js';

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
});
