// Byte limits sized from S3's (protocol review findings 5 and 11): the
// largest message a correct gateway or node builds (a completing store of
// 10,000 parts; a listing page of 10,000-part objects) parses at every t,
// fits in a batch, and anything above a limit is refused (WireError:
// evidence when a node sent it).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_BATCH_BYTES } from './batch.js';
import { candToWire, WireError } from './wire.js';
import { encodeCommit, MAX_LIST_LIMIT, parseCommit, parseFilterAnswer } from './node-messages.js';
import { encodeListAnswer, parseListAnswer } from './list-answer.js';
import { base64Length, LIST_PAGE_BYTES, listEntryWeight, MAX_PARTS, maxCommitBytes, maxMetaBytes } from './sizes.js';
import { fixture, ts, write } from '../testing/fixture.js';
import { multipartMeta, partRefs } from '../testing/multipart-meta.js';
import { MAX_T } from '../params.js';

const ts_ = (t: number): number[] => Array.from({ length: t }, (_, i) => i + 1);

describe('sizes: 10,000-part uploads', () => {
  for (const t of ts_(MAX_T)) {
    it(`t=${t}: the completing store of 10,000 worst-case parts is within the caps and parses`, () => {
      const f = fixture(t);
      const S = f.params.S;
      const meta = multipartMeta(S, MAX_PARTS);
      assert.ok(meta.length <= maxMetaBytes(S), `meta ${meta.length} > ${maxMetaBytes(S)}`);
      const w = write(f, ts(f, 2));
      const commit = encodeCommit({ ...w.commit(), meta, parts: partRefs(MAX_PARTS) });
      assert.ok(commit.length <= maxCommitBytes(S), `commit ${commit.length} > ${maxCommitBytes(S)}`);
      assert.ok(maxCommitBytes(S) + 5 <= MAX_BATCH_BYTES, 'a completing store still fits in a batch');
      const back = parseCommit(JSON.parse(commit.toString('utf8')), S);
      assert.deepEqual(back.meta, meta);
      assert.equal(back.parts?.length, MAX_PARTS);
    });
  }

  it('a meta over the cap is refused, in a commit and in a listing or filter answer', () => {
    const f = fixture(1);
    const S = f.params.S;
    const w = write(f, ts(f, 2));
    const big = Buffer.alloc(maxMetaBytes(S) + 1, 0x20);
    const commit = JSON.parse(encodeCommit({ ...w.commit(), meta: big }).toString('utf8')) as unknown;
    assert.throws(() => parseCommit(commit, S), WireError);
    const page = encodeListAnswer({ entries: [{ key: 'k', lc: w.c, cc: w.cc, meta: big }], truncated: false });
    assert.throws(() => parseListAnswer(page, S), (e: unknown) => e instanceof WireError && e.message === 'meta too large');
    const filter = { ts: candToWire(w.c).ts, cc: w.cc.map((h) => h.toString('hex')), meta: big.toString('base64'), blocks: '' };
    assert.throws(() => parseFilterAnswer(filter, S), WireError);
    assert.equal(base64Length(3), 4);
    assert.equal(base64Length(4), 8);
  });
});

describe('sizes: listing pages', () => {
  it('a count-only page of 1,000 entries with 100-part metas is over the batch cap (finding 5)', () => {
    const f = fixture(1);
    const w = write(f, ts(f, 2));
    const meta = multipartMeta(f.params.S, 100);
    const entries = Array.from({ length: MAX_LIST_LIMIT }, (_, i) => ({ key: `k${i}`, lc: w.c, cc: w.cc, meta }));
    assert.ok(encodeListAnswer({ entries, truncated: false }).length > MAX_BATCH_BYTES);
  });

  for (const t of ts_(MAX_T)) {
    it(`t=${t}: a byte-limited page of 10,000-part objects is within the batch cap`, () => {
      const f = fixture(t);
      const w = write(f, ts(f, 2));
      const meta = multipartMeta(f.params.S, MAX_PARTS);
      // The node adds entries until they weigh LIST_PAGE_BYTES: here, the first reaches it.
      const entries: Array<{ key: string; lc: typeof w.c; cc: Buffer[]; meta: Buffer }> = [];
      let weight = 0;
      while (weight < LIST_PAGE_BYTES) {
        const key: string = `${'k'.repeat(1000)}${entries.length}`;
        entries.push({ key, lc: w.c, cc: w.cc, meta });
        weight += listEntryWeight(key, meta);
      }
      const answer = encodeListAnswer({ entries, truncated: true, byteLimited: true });
      assert.ok(answer.length + 6 <= MAX_BATCH_BYTES, `page ${answer.length}`);
      const back = parseListAnswer(answer, f.params.S);
      assert.equal(back.byteLimited, true);
      assert.equal(back.entries.length, entries.length);
    });
  }

  it('a page of 1,000 small entries just under the weight limit is within the batch cap at t=4', () => {
    const f = fixture(MAX_T);
    const w = write(f, ts(f, 2));
    const per = Math.floor((LIST_PAGE_BYTES - 1) / MAX_LIST_LIMIT);
    const entries = Array.from({ length: MAX_LIST_LIMIT }, (_, i) => {
      const key = `${i}`.padStart(10, '0');
      return { key, lc: w.c, cc: w.cc, meta: Buffer.alloc(per - key.length, 0x61) };
    });
    assert.ok(encodeListAnswer({ entries, truncated: true }).length + 6 <= MAX_BATCH_BYTES);
  });

  it('a byte-limited page must be truncated', () => {
    assert.throws(() => parseListAnswer(Buffer.from([2, 0, 0]), 4), WireError);
    assert.deepEqual(parseListAnswer(Buffer.from([3, 0, 0]), 4), { entries: [], truncated: true, byteLimited: true });
  });
});

describe('sizes: the caps, to the byte', () => {
  it('meta of a 10,000-part object at t=1 (S=4): 64 KiB of base plus 10,000 × (384 + 68 × 4)', () => {
    assert.equal(maxMetaBytes(4), 64 * 1024 + 10_000 * (384 + 68 * 4));
    assert.equal(maxMetaBytes(4), 6_625_536);
  });

  it('a completing store at t=1: meta as base64, 512 bytes per part reference, 64 KiB for the rest', () => {
    assert.equal(base64Length(6_625_536), 8_834_048);
    assert.equal(maxCommitBytes(4), 8_834_048 + 10_000 * 512 + 64 * 1024);
  });

  it('a listing entry weighs its key\'s UTF-8 bytes plus its meta\'s, and a missing meta nothing', () => {
    assert.equal(listEntryWeight('ключ', Buffer.alloc(10)), 8 + 10);
    assert.equal(listEntryWeight('ключ', undefined), 8);
    assert.equal(listEntryWeight('', undefined), 0);
  });
});
