// The list entry cache (list-entry-cache.ts): an entry whose bytes equal
// those parsed before under the same key gets the entry parsed before (the
// same object); one differing anywhere (key, any lc field, cc, meta, its
// description dropped) is parsed on its own, and bytes that do not parse
// are refused even when the key was seen.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListEntryCache } from './list-entry-cache.js';
import { encodeListAnswer, encodeRawListAnswer, parseListAnswer, readListAnswer } from './list-answer.js';
import { fixture, ts, write } from '../testing/fixture.js';
import { candToWire, WireError, type CandWire } from './wire.js';

const f = fixture(1);
const S = f.params.S;
const w = write(f, ts(f, 3));
const w2 = write(f, ts(f, 5));
const answer = (): Buffer => encodeListAnswer({ entries: [{ key: 'a', lc: w.c, cc: w.cc, meta: w.meta }, { key: 'b', lc: w2.c }], truncated: false });
const flipHex = (s: string): string => (s[0] === '0' ? '1' : '0') + s.slice(1);

interface Change { key?: string; lc?: (lc: CandWire) => unknown; cc?: (cc: Buffer) => Buffer; meta?: Buffer; undescribed?: true }

/** answer() with its first entry changed. */
function changed(change: Change): Buffer {
  const raw = readListAnswer(answer(), S);
  const [first, ...rest] = raw.entries;
  const lc = change.lc ? Buffer.from(JSON.stringify(change.lc(JSON.parse(first!.lc.toString()) as CandWire))) : first!.lc;
  const described = change.undescribed ? {} : { cc: change.cc ? change.cc(Buffer.from(first!.cc!)) : first!.cc!, meta: change.meta ?? first!.meta! };
  return encodeRawListAnswer({ ...raw, entries: [{ key: change.key ?? first!.key, lc, ...described }, ...rest] });
}

const flipLast = (b: Buffer): Buffer => {
  b[b.length - 1]! ^= 1;
  return b;
};

describe('list entry cache', () => {
  it('gives bytes seen before under the same key the entry parsed before', () => {
    const cache = new ListEntryCache();
    const one = parseListAnswer(answer(), S, cache);
    const two = parseListAnswer(answer(), S, cache);
    assert.equal(two.entries[0], one.entries[0]);
    assert.equal(two.entries[1], one.entries[1]);
    assert.deepEqual(two, parseListAnswer(answer(), S));
  });

  const changes: Record<string, Change> = {
    key: { key: 'a2' },
    'ts num': { lc: (lc) => ({ ...lc, ts: { ...lc.ts, n: lc.ts.n + 1 } }) },
    'ts writer': { lc: (lc) => ({ ...lc, ts: { ...lc.ts, w: 'fedcba9876543210' } }) },
    'ts op': { lc: (lc) => ({ ...lc, ts: { ...lc.ts, o: lc.ts.o + 1 } }) },
    'ts epoch': { lc: (lc) => ({ ...lc, ts: { ...lc.ts, e: lc.ts.e + 1 } }) },
    'ts tag': { lc: (lc) => ({ ...lc, ts: { ...lc.ts, g: flipHex(lc.ts.g) } }) },
    nonce: { lc: (lc) => ({ ...lc, N: flipHex(lc.N) }) },
    D: { lc: (lc) => ({ ...lc, D: flipHex(lc.D) }) },
    'the last vec entry': { lc: (lc) => ({ ...lc, vec: [...lc.vec.slice(0, -1), flipHex(lc.vec[S - 1]!)] }) },
    'the last cc byte': { cc: flipLast },
    meta: { meta: Buffer.from('{"v":1,"size":2}') },
    'no description': { undescribed: true },
  };
  for (const [what, change] of Object.entries(changes)) {
    it(`parses anew an entry that differs in ${what}`, () => {
      const cache = new ListEntryCache();
      const first = parseListAnswer(answer(), S, cache).entries[0]!;
      const body = changed(change);
      const again = parseListAnswer(body, S, cache).entries[0]!;
      assert.notEqual(again, first);
      assert.deepEqual(again, parseListAnswer(body, S).entries[0], 'what a parse without the cache gives');
    });
  }

  it('still refuses an entry that does not parse, under a key it has seen', () => {
    const cache = new ListEntryCache();
    parseListAnswer(answer(), S, cache);
    assert.throws(() => parseListAnswer(changed({ lc: (lc) => ({ ...lc, vec: ['x'] }) }), S, cache), WireError);
    assert.throws(() => parseListAnswer(changed({ lc: (lc) => ({ ...lc, vec: lc.vec.slice(1) }) }), S, cache), WireError, 'a vec one entry short');
    for (const lc of ['x', {}, { ts: 'x' }, null]) {
      assert.throws(() => parseListAnswer(changed({ lc: () => lc }), S, cache), WireError, `lc ${JSON.stringify(lc)}`);
    }
  });

  it('keeps at most its bound, dropping the oldest', () => {
    const cache = new ListEntryCache(1);
    const solo = (key: string, lc = w.c): Buffer => encodeListAnswer({ entries: [{ key, lc }], truncated: false });
    assert.equal(parseListAnswer(solo('a'), S, cache).entries[0], parseListAnswer(solo('a'), S, cache).entries[0], 'one entry is kept');
    const a = parseListAnswer(solo('a'), S, cache).entries[0];
    parseListAnswer(solo('c', w2.c), S, cache);
    assert.notEqual(parseListAnswer(solo('a'), S, cache).entries[0], a, 'the first entry was dropped');
    assert.deepEqual(candToWire(parseListAnswer(solo('a'), S, cache).entries[0]!.lc), candToWire(w.c));
  });
});
