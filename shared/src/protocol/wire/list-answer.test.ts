// The list answer's bytes (list-answer.ts): pages round-trip through the
// encoders and the strict reader, the node's encoder (lc as stored text, cc
// as stored bytes) makes the same bytes as the page encoder, and every
// length, flag and cap is checked: an answer cut anywhere, one byte longer,
// or with any field past its cap is WireError (evidence), and a field at
// its cap is not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeListAnswer, encodeRawListAnswer, encodeStoredListAnswer, maxLcBytes, parseListAnswer, readListAnswer, type RawListPage,
} from './list-answer.js';
import { MAX_KEY_BYTES, MAX_LIST_LIMIT } from './node-messages.js';
import { maxMetaBytes } from './sizes.js';
import { candToWire, WireError } from './wire.js';
import { fixture, ts, write } from '../testing/fixture.js';

const f = fixture(1);
const S = f.params.S;
const w = write(f, ts(f, 3));
const w2 = write(f, ts(f, 5));
const lcJson = JSON.stringify(candToWire(w.c));

function wire(fn: () => unknown, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && (!msg || msg.test(e.message)), msg?.source);
}

/** The answer of `page` with its raw entries rewritten. */
function rewritten(page: Parameters<typeof encodeListAnswer>[0], change: (p: RawListPage) => RawListPage): Buffer {
  return encodeRawListAnswer(change(readListAnswer(encodeListAnswer(page), S)));
}

const page = {
  entries: [{ key: 'a', lc: w.c }, { key: 'dir/ü "quoted" \\ key\n', lc: w2.c, cc: w2.cc, meta: w2.meta }, { key: '\u0001', lc: w.c, cc: w.cc, meta: w.meta }],
  truncated: true,
};

describe('list answers', () => {
  it('round-trip, described or not, with each combination of flags', () => {
    for (const flags of [{ truncated: false }, { truncated: true }, { truncated: true, byteLimited: true }]) {
      const p = { ...page, ...flags };
      assert.deepEqual(parseListAnswer(encodeListAnswer(p), S), p);
    }
    assert.deepEqual(parseListAnswer(encodeListAnswer({ entries: [], truncated: false }), S), { entries: [], truncated: false });
  });

  it('from stored lc text and cc bytes are the bytes the page encoder makes; half a description is none', () => {
    const keys = ['a', 'dir/ü "quoted" \\ key\n', '\u0001'];
    for (const [truncated, byteLimited] of [[false, false], [true, false], [true, true]] as const) {
      const p = { entries: keys.map((key, i) => (i % 2 ? { key, lc: w.c } : { key, lc: w.c, cc: w.cc, meta: w.meta })), truncated, ...(byteLimited ? { byteLimited } : {}) };
      const stored = keys.map((key, i) => ({ key: Buffer.from(key), lcJson, ...(i % 2 ? {} : { cc: Buffer.concat(w.cc), meta: w.meta }) }));
      assert.deepEqual(encodeStoredListAnswer(stored, truncated, byteLimited), encodeListAnswer(p));
    }
    const bare = encodeListAnswer({ entries: [{ key: 'a', lc: w.c }], truncated: false });
    assert.deepEqual(encodeStoredListAnswer([{ key: Buffer.from('a'), lcJson, cc: Buffer.concat(w.cc) }], false, false), bare);
    assert.deepEqual(encodeStoredListAnswer([{ key: Buffer.from('a'), lcJson, meta: w.meta }], false, false), bare);
    assert.deepEqual(encodeListAnswer({ entries: [{ key: 'a', lc: w.c, cc: w.cc }], truncated: false }), bare);
  });

  it('an answer cut at any byte, or with a byte more, is refused', () => {
    const body = encodeListAnswer(page);
    for (let n = 0; n < body.length; n++) wire(() => parseListAnswer(body.subarray(0, n), S), /cut short/);
    wire(() => parseListAnswer(Buffer.concat([body, Buffer.from([0])]), S), /bytes after the list page/);
  });

  it('flags: unknown bits, and byte-limited without truncated, are refused', () => {
    const body = encodeListAnswer(page);
    for (const flags of [4, 8, 0x80, 5]) {
      const b = Buffer.from(body);
      b[0] = flags;
      wire(() => parseListAnswer(b, S), /bad list page flags/);
    }
    const b = Buffer.from(body);
    b[0] = 2;
    wire(() => parseListAnswer(b, S), /byte-limited page not truncated/);
  });

  it('at most MAX_LIST_LIMIT entries', () => {
    const one = { key: 'a', lc: w.c };
    assert.equal(parseListAnswer(encodeListAnswer({ entries: Array(MAX_LIST_LIMIT).fill(one), truncated: false }), S).entries.length, MAX_LIST_LIMIT);
    wire(() => parseListAnswer(encodeListAnswer({ entries: Array(MAX_LIST_LIMIT + 1).fill(one), truncated: false }), S), /too many entries/);
  });

  it('a key of MAX_KEY_BYTES UTF-8 bytes is read; one byte more, or bytes that are not UTF-8, are refused', () => {
    const at = { entries: [{ key: 'ü'.repeat(MAX_KEY_BYTES / 2), lc: w.c }], truncated: false };
    assert.deepEqual(parseListAnswer(encodeListAnswer(at), S), at);
    wire(() => parseListAnswer(encodeListAnswer({ entries: [{ key: `k${'ü'.repeat(MAX_KEY_BYTES / 2)}`, lc: w.c }], truncated: false }), S), /bad key/);
    const body = encodeListAnswer({ entries: [{ key: 'ab', lc: w.c }], truncated: false });
    body[5] = 0xff; // the key's first byte: 0xff starts no UTF-8 sequence
    wire(() => parseListAnswer(body, S), /bad key/);
  });

  it('lc: up to maxLcBytes, JSON, a well-formed candidate', () => {
    const withLc = (lc: string): Buffer => rewritten({ entries: [{ key: 'a', lc: w.c }], truncated: false },
      (p) => ({ ...p, entries: p.entries.map((e) => ({ ...e, lc: Buffer.from(lc) })) }));
    // Padding inside the JSON text: the same candidate, at the cap.
    const padded = lcJson.slice(0, -1) + ' '.repeat(maxLcBytes(S) - lcJson.length) + '}';
    assert.deepEqual(parseListAnswer(withLc(padded), S).entries[0]!.lc, w.c);
    wire(() => parseListAnswer(withLc(padded.slice(0, -1) + ' }'), S), /bad lc: too long/);
    wire(() => parseListAnswer(withLc('{"ts":'), S), /bad lc: not JSON/);
    wire(() => parseListAnswer(withLc('null'), S), /bad candidate/);
    const short = { ...candToWire(w.c), vec: candToWire(w.c).vec.slice(1) };
    wire(() => parseListAnswer(withLc(JSON.stringify(short)), S), /bad candidate vec/);
    wire(() => parseListAnswer(withLc(JSON.stringify({ ...candToWire(w.c), N: 'zz' })), S), /bad candidate nonce/);
  });

  it('a description flag other than 0 or 1, and meta past maxMetaBytes, are refused', () => {
    const body = encodeListAnswer({ entries: [{ key: 'a', lc: w.c, cc: w.cc, meta: w.meta }], truncated: false });
    const flagAt = 3 + 2 + 1 + 2 + lcJson.length;
    assert.equal(body[flagAt], 1);
    const two = Buffer.from(body);
    two[flagAt] = 2;
    wire(() => parseListAnswer(two, S), /bad description flag/);
    const big = Buffer.from(body);
    big.writeUInt32BE(maxMetaBytes(S) + 1, flagAt + 1);
    wire(() => parseListAnswer(big, S), /meta too large/);
  });

  it('cc is S hashes: one short or one more is refused', () => {
    const entry = (cc: Buffer) => [{ key: Buffer.from('a'), lcJson, cc, meta: w.meta }];
    assert.deepEqual(parseListAnswer(encodeStoredListAnswer(entry(Buffer.concat(w.cc)), false, false), S).entries[0]!.cc, w.cc);
    wire(() => parseListAnswer(encodeStoredListAnswer(entry(Buffer.concat(w.cc.slice(1))), false, false), S), /cut short/);
    wire(() => parseListAnswer(encodeStoredListAnswer(entry(Buffer.concat([...w.cc, w.cc[0]!])), false, false), S), /bytes after/);
  });
});
