// The list entry cache (list-entry-cache.ts): an entry that reads exactly as
// one parsed before gets that parsed value; one that differs in any field,
// or that does not parse, is parsed (or refused) on its own.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListEntryCache } from './list-entry-cache.js';
import { encodeListAnswer, parseListAnswer } from './node-messages.js';
import { fixture, ts, write } from '../testing/fixture.js';
import { WireError } from './wire.js';

const f = fixture(1);
const S = f.params.S;
const w = write(f, ts(f, 3));
const w2 = write(f, ts(f, 5));
type Raw = { entries: Array<Record<string, unknown>>; truncated: boolean };
const raw = (): Raw => JSON.parse(encodeListAnswer({ entries: [{ key: 'a', lc: w.c, cc: w.cc, meta: w.meta }, { key: 'b', lc: w2.c }], truncated: false }).toString()) as Raw;
const flipHex = (s: string): string => (s[0] === '0' ? '1' : '0') + s.slice(1);

describe('list entry cache', () => {
  it('gives an entry read exactly as before the value parsed before', () => {
    const cache = new ListEntryCache();
    const one = parseListAnswer(raw(), S, cache);
    const two = parseListAnswer(raw(), S, cache);
    assert.equal(two.entries[0], one.entries[0]);
    assert.equal(two.entries[1], one.entries[1]);
    assert.deepEqual(two, parseListAnswer(raw(), S));
  });

  const changes: Record<string, (e: Record<string, unknown>) => void> = {
    key: (e) => { e.key = 'a2'; },
    'ts num': (e) => { (e.lc as { ts: { n: number } }).ts.n += 1; },
    'ts writer': (e) => { (e.lc as { ts: { w: string } }).ts.w = 'fedcba9876543210'; },
    'ts op': (e) => { (e.lc as { ts: { o: number } }).ts.o += 1; },
    'ts epoch': (e) => { (e.lc as { ts: { e: number } }).ts.e += 1; },
    nonce: (e) => { const lc = e.lc as { N: string }; lc.N = flipHex(lc.N); },
    D: (e) => { const lc = e.lc as { D: string }; lc.D = flipHex(lc.D); },
    'the last vec entry': (e) => { const lc = e.lc as { vec: string[] }; lc.vec[S - 1] = flipHex(lc.vec[S - 1]!); },
    'a cc entry': (e) => { const cc = e.cc as string[]; cc[S - 1] = flipHex(cc[S - 1]!); },
    meta: (e) => { e.meta = Buffer.from('{"v":1,"size":2}').toString('base64'); },
    'no description': (e) => { delete e.cc; delete e.meta; },
  };
  for (const [what, change] of Object.entries(changes)) {
    it(`parses anew an entry that differs in ${what}`, () => {
      const cache = new ListEntryCache();
      const first = parseListAnswer(raw(), S, cache).entries[0]!;
      const page = raw();
      change(page.entries[0]!);
      const again = parseListAnswer(page, S, cache).entries[0]!;
      assert.notEqual(again, first);
      assert.deepEqual(again, parseListAnswer(page, S).entries[0], 'what a parse without the cache gives');
    });
  }

  it('still refuses a malformed entry whose tag was seen', () => {
    const cache = new ListEntryCache();
    parseListAnswer(raw(), S, cache);
    const page = raw();
    (page.entries[0]!.lc as { vec: unknown[] }).vec = ['x'];
    assert.throws(() => parseListAnswer(page, S, cache), WireError);
    const undescribed = raw();
    (undescribed.entries[1]!).cc = ['zz'];
    assert.throws(() => parseListAnswer(undescribed, S, cache), WireError);
    const ccOnly = raw();
    (ccOnly.entries[1]!).cc = (raw().entries[0]!).cc;
    assert.throws(() => parseListAnswer(ccOnly, S, cache), WireError, 'a description without meta');
    const short = raw();
    (short.entries[0]!.lc as { vec: string[] }).vec.pop();
    assert.throws(() => parseListAnswer(short, S, cache), WireError, 'a vec one entry short');
    for (const lc of ['x', {}, { ts: 'x' }, null]) {
      const odd = raw();
      odd.entries[0]!.lc = lc;
      assert.throws(() => parseListAnswer(odd, S, cache), WireError, `lc ${JSON.stringify(lc)}`);
    }
  });

  it('keeps at most its bound, dropping the oldest', () => {
    const cache = new ListEntryCache(1);
    const solo = (): unknown => JSON.parse(encodeListAnswer({ entries: [{ key: 'a', lc: w.c }], truncated: false }).toString());
    assert.equal(parseListAnswer(solo(), S, cache).entries[0], parseListAnswer(solo(), S, cache).entries[0], 'one entry is kept');
    const a = parseListAnswer(raw(), S, cache).entries;
    const other = write(f, ts(f, 4));
    parseListAnswer(JSON.parse(encodeListAnswer({ entries: [{ key: 'c', lc: other.c }], truncated: false }).toString()), S, cache);
    assert.notEqual(parseListAnswer(raw(), S, cache).entries[0], a[0], 'the first entry was dropped');
  });
});
