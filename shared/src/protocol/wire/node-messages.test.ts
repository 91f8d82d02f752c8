// Every node message round-trips through its encoder and strict parser, and
// each parser refuses every malformed field with WireError (a node's answer
// that does not parse is evidence; a request that does not parse is a 400).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeBlocksReq, encodeCandAnswer, encodeCommit, encodeCompleteReq, encodeEntryAnswer, encodeEntryReq, encodeFilterAnswer,
  encodeFilterReq, encodeOpen, encodePinAnswer, encodePinReq, encodeRefBody, encodeReleasesReq, encodeTsAnswer, isReleasesReq, MAX_RELEASES, parseReleasesReq,
  MAX_CANDIDATES, MAX_FILTER_FRAGMENT, MAX_JSON_BODY, MISSING_FRAGMENT, MISSING_PARTS, MAX_PIN_ID, MAX_KEY_BYTES, MAX_LIST_LIMIT, MAX_NS_BYTES, MAX_PARTS, parseBlocksReq, parseCandAnswer,
  parseCommit, parseCompleteReq, parseEntryAnswer, parseEntryReq, parseFilterAnswer, parseFilterReq, parseHealth,
  parseListReq, parseOpen, parsePinAnswer, parsePinReq, parseRef, parseTsAnswer, PATHS,
} from './node-messages.js';
import { candToWire, tsToWire, WireError } from './wire.js';
import { fixture, ts, write } from '../testing/fixture.js';

const f = fixture(1);
const S = f.params.S;
const w = write(f, ts(f, 3));
const ref = { ns: 'bucket', key: 'dir/ü key' };
const j = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString('utf8')) as Record<string, unknown>;
const H = 'ab'.repeat(32);

function wire(fn: () => unknown, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && (!msg || msg.test(e.message)));
}

describe('node messages: requests', () => {
  it('paths', () => {
    assert.equal(PATHS.store, '/v1/store');
    assert.equal(new Set(Object.values(PATHS)).size, Object.keys(PATHS).length);
  });

  it('parseRef: ns and key within their limits (key counted in UTF-8 bytes)', () => {
    assert.deepEqual(parseRef({ ns: 'b', key: 'k' }), { ns: 'b', key: 'k' });
    assert.deepEqual(parseRef({ ns: 'n'.repeat(MAX_NS_BYTES), key: 'k'.repeat(MAX_KEY_BYTES) }).key.length, MAX_KEY_BYTES);
    wire(() => parseRef({ ns: 'n'.repeat(MAX_NS_BYTES + 1), key: 'k' }), /bad ns/);
    wire(() => parseRef({ ns: 'b', key: 'k'.repeat(MAX_KEY_BYTES + 1) }), /key too long/);
    wire(() => parseRef({ ns: 'b', key: 'ü'.repeat(MAX_KEY_BYTES / 2 + 1) }), /key too long/);
    wire(() => parseRef({ ns: 'b', key: 'ü'.repeat(MAX_KEY_BYTES * 4 + 1) }), /bad key/);
    wire(() => parseRef({ ns: 1, key: 'k' }), /bad ns/);
    wire(() => parseRef({ ns: 'b' }), /bad key/);
  });

  it('open', () => {
    assert.deepEqual(parseOpen(j(encodeOpen(ref, 4096, { hash: 'sha256' }))), { ref, blockSize: 4096, hash: 'sha256' });
    assert.deepEqual(parseOpen(j(encodeOpen(ref, 4096, { hash: 'blake3' }))), { ref, blockSize: 4096, hash: 'blake3' });
    assert.deepEqual(parseOpen(j(encodeOpen(ref, 64, { from: w.c.ts }))), { ref, blockSize: 64, hash: 'sha256', from: w.c.ts });
    // SHA-256 opens are the bytes they were before there was a choice: older nodes read them.
    assert.deepEqual(j(encodeOpen(ref, 4096, { hash: 'sha256' })), { ...ref, blockSize: 4096 });
    wire(() => parseOpen({ ...ref, blockSize: 64, hash: 'md5' }), /unknown block hash/);
    wire(() => parseOpen({ ...ref, blockSize: 64, hash: 'sha256' }), /unknown block hash/);
    wire(() => parseOpen({ ...ref, blockSize: 64, hash: 'blake3', from: tsToWire(w.c.ts) }), /sends no blocks/);
    for (const bs of [0, -1, 1.5, '64', undefined]) wire(() => parseOpen({ ...ref, blockSize: bs }), /bad blockSize/);
    wire(() => parseOpen({ ...ref, blockSize: 64, from: { n: 1 } }), /bad ts/);
    wire(() => parseOpen([]), /not an object/);
    wire(() => parseOpen(null), /not an object/);
  });

  it('commit, with and without parts', () => {
    const m = w.commit();
    assert.deepEqual(parseCommit(j(encodeCommit(m)), S), m);
    const parts = [{ ns: 'b', key: 'p1', ts: w.c.ts }];
    assert.deepEqual(parseCommit(j(encodeCommit({ ...m, parts })), S), { ...m, parts });
    const good = j(encodeCommit(m));
    const bad: [string, unknown, RegExp][] = [
      ['ts', null, /bad ts/], ['nbar', 'ab', /bad nbar/], ['D', H + 'ab', /bad D/], ['vec', [H], /bad vec/],
      ['cc', [H, H, H, 'x'], /bad cc/], ['meta', 7, /bad meta/], ['parts', {}, /bad parts/],
      ['parts', Array(MAX_PARTS + 1).fill({ ns: 'b', key: 'k', ts: tsToWire(w.c.ts) }), /bad parts/],
      ['parts', [{ ns: 'b', key: 'k' }], /bad ts/], ['parts', ['x'], /not an object/],
    ];
    for (const [field, value, msg] of bad) wire(() => parseCommit({ ...good, [field]: value }, S), msg);
    assert.equal(parseCommit({ ...good, parts: Array(MAX_PARTS).fill({ ns: 'b', key: 'k', ts: tsToWire(w.c.ts) }) }, S).parts?.length, MAX_PARTS);
  });

  it('complete, filter, entry', () => {
    assert.deepEqual(parseCompleteReq(j(encodeCompleteReq(ref, w.c)), S), { ref, c: w.c });
    assert.deepEqual(parseFilterReq(j(encodeFilterReq(ref, 'read-1', [w.c])), S), { ref, readId: 'read-1', C: [w.c] });
    assert.deepEqual(parseFilterReq(j(encodeFilterReq(ref, 'r'.repeat(64), Array(MAX_CANDIDATES).fill(w.c))), S).C.length, MAX_CANDIDATES);
    wire(() => parseFilterReq(j(encodeFilterReq(ref, 'r', Array(MAX_CANDIDATES + 1).fill(w.c))), S), /bad C/);
    wire(() => parseFilterReq({ ...ref, readId: 'r' }, S), /bad C/);
    wire(() => parseFilterReq(j(encodeFilterReq(ref, 'r'.repeat(65), [])), S), /bad readId/);
    wire(() => parseCompleteReq({ ...ref }, S), /bad candidate/);
    assert.deepEqual(parseEntryReq(j(encodeEntryReq({ ref, ts: w.c.ts }))), { ref, ts: w.c.ts });
    wire(() => parseEntryReq({ ...ref }), /bad ts/);
  });

  it('blocks', () => {
    const r = { ref, ts: w.c.ts, from: 2, to: 5, withList: true };
    assert.deepEqual(parseBlocksReq(j(encodeBlocksReq(r))), r);
    assert.equal(parseBlocksReq(j(encodeBlocksReq({ ...r, from: 3, to: 3, withList: false }))).withList, false);
    assert.equal(parseBlocksReq({ ...j(encodeBlocksReq(r)), withList: 'yes' }).withList, false);
    const good = j(encodeBlocksReq(r));
    for (const [from, to] of [[-1, 2], [3, 2], [1.5, 2], [0, 2.5], ['0', 2], [0, '2'], [0, Number.MAX_SAFE_INTEGER + 1], [undefined, 1]]) {
      wire(() => parseBlocksReq({ ...good, from, to }), /bad block range/);
    }
    assert.equal(parseBlocksReq({ ...good, from: 0, to: 0 }).to, 0);
  });

  it('list', () => {
    const r = { ns: 'b', prefix: 'p/', after: 'p/a', skipPrefix: true, limit: 10 };
    assert.deepEqual(parseListReq(r), r);
    assert.deepEqual(parseListReq({ ...r, after: null, skipPrefix: 1 }), { ...r, after: null, skipPrefix: false });
    for (const limit of [0, MAX_LIST_LIMIT + 1, 1.5, '10']) wire(() => parseListReq({ ...r, limit }), /bad limit/);
    assert.equal(parseListReq({ ...r, limit: MAX_LIST_LIMIT }).limit, MAX_LIST_LIMIT);
    assert.equal(parseListReq({ ...r, limit: 1 }).limit, 1);
    wire(() => parseListReq({ ...r, after: 3 }), /bad after/);
    wire(() => parseListReq({ ...r, prefix: undefined }), /bad prefix/);
    wire(() => parseListReq({ ...r, prefix: 'p'.repeat(MAX_KEY_BYTES * 4 + 1) }), /bad prefix/);
    wire(() => parseListReq({ ...r, ns: 'n'.repeat(MAX_NS_BYTES + 1) }), /bad ns/);
  });

  it('pin', () => {
    for (const action of ['renew', 'release'] as const) {
      assert.deepEqual(parsePinReq(j(encodePinReq({ ref, readId: 'r', action, ts: null }))), { ref, readId: 'r', action, ts: null });
    }
    assert.deepEqual(parsePinReq(j(encodePinReq({ ref, readId: 'r', action: 'narrow', ts: w.c.ts }))).ts, w.c.ts);
    assert.equal(parsePinReq({ ...ref, readId: 'r', action: 'renew' }).ts, null);
    wire(() => parsePinReq({ ...ref, readId: 'r', action: 'narrow', ts: null }), /narrow needs a ts/);
    wire(() => parsePinReq({ ...ref, readId: 'r', action: 'keep' }), /bad pin action/);
    wire(() => parsePinReq({ ...ref, readId: 'r'.repeat(65), action: 'renew' }), /bad readId/);
    assert.equal(parsePinAnswer(j(encodePinAnswer(true))), true);
    assert.equal(parsePinAnswer(j(encodePinAnswer(false))), false);
    assert.equal(parsePinAnswer({ ok: 'true' }), false);
  });

  // One pin message releasing many reads (the gateway gathers releases).
  it('releases of many reads', () => {
    const rs = [{ ref, readId: 'r1' }, { ref: { ns: 'b2', key: '' }, readId: 'r2' }];
    const body = j(encodeReleasesReq(rs));
    assert.equal(isReleasesReq(body), true);
    assert.equal(isReleasesReq(j(encodePinReq({ ref, readId: 'r', action: 'release', ts: null }))), false);
    assert.deepEqual(parseReleasesReq(body), rs);
    const many = Array.from({ length: MAX_RELEASES }, (_, i) => ({ ref, readId: `r${i}` }));
    assert.equal(parseReleasesReq(j(encodeReleasesReq(many))).length, MAX_RELEASES);
    wire(() => parseReleasesReq(j(encodeReleasesReq([...many, { ref, readId: 'x' }]))), /bad reads/);
    wire(() => parseReleasesReq({ action: 'release', reads: [] }), /bad reads/);
    wire(() => parseReleasesReq({ action: 'release', reads: {} }), /bad reads/);
    wire(() => parseReleasesReq({ ...body, action: 'renew' }), /bad pin action/);
    wire(() => parseReleasesReq({ action: 'release', reads: [{ ...ref, readId: 'r'.repeat(65) }] }), /bad readId/);
    wire(() => parseReleasesReq({ action: 'release', reads: [{ key: 'k', readId: 'r' }] }), /bad ns/);
    wire(() => parseReleasesReq({ action: 'release', reads: [7] }), /not an object/);
  });

  it('encodeRefBody carries extra fields', () => {
    assert.deepEqual(j(encodeRefBody(ref, { readId: 'x' })), { ...ref, readId: 'x' });
    assert.deepEqual(j(encodeRefBody(ref)), ref);
  });
});

describe('node messages: answers', () => {
  it('ts, candidate and entry answers', () => {
    assert.deepEqual(parseTsAnswer(j(encodeTsAnswer(w.c.ts))), w.c.ts);
    assert.equal(parseTsAnswer(j(encodeTsAnswer(null))), null);
    wire(() => parseTsAnswer({}), /bad ts/);
    assert.deepEqual(parseCandAnswer(j(encodeCandAnswer(w.c)), S), w.c);
    assert.equal(parseCandAnswer(j(encodeCandAnswer(null)), S), null);
    assert.deepEqual(parseEntryAnswer(j(encodeEntryAnswer(w.commit())), S), w.commit());
    assert.equal(parseEntryAnswer(j(encodeEntryAnswer(null)), S), null);
    wire(() => parseEntryAnswer({ entry: 1 }, S));
  });

  it('filter answers: bare, described, with fragment, GONE', () => {
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer({ ts: null })), S), { ts: null });
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer({ ts: w.c.ts })), S), { ts: w.c.ts });
    const described = { ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: Buffer.concat([w.blocks[0]!, w.blocks[1]!]) };
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer(described)), S), described);
    const withFrag = { ...described, fragment: Buffer.alloc(MAX_FILTER_FRAGMENT, 1) };
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer(withFrag)), S), withFrag);
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer({ ts: null, gone: w.c })), S), { ts: null, gone: w.c });
    // cc without meta is no description.
    assert.deepEqual(Object.keys(j(encodeFilterAnswer({ ts: w.c.ts, cc: w.cc }))), ['ts']);
  });

  // DESIGN §6, protocol review finding 9: the node's pin id rides in every
  // filter answer and is named in later filter requests; a node that lost
  // the named pin answers `lapsed` (nothing else).
  it('pin ids and lapsed: filter requests and answers', () => {
    assert.deepEqual(parseFilterReq(j(encodeFilterReq(ref, 'r', [w.c], 'a1b2')), S), { ref, readId: 'r', C: [w.c], pin: 'a1b2' });
    assert.equal('pin' in parseFilterReq(j(encodeFilterReq(ref, 'r', [w.c])), S), false);
    wire(() => parseFilterReq({ ...j(encodeFilterReq(ref, 'r', [])), pin: 'p'.repeat(MAX_PIN_ID + 1) }, S), /bad pin/);
    wire(() => parseFilterReq({ ...j(encodeFilterReq(ref, 'r', [])), pin: 7 }, S), /bad pin/);
    for (const a of [
      { ts: null, pin: 'p1' },
      { ts: w.c.ts, pin: 'p1' },
      { ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: w.blocks[0]!, pin: 'p1' },
      { ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: w.blocks[0]!, fragment: Buffer.from('f'), pin: 'p1' },
      { ts: null, gone: w.c, pin: 'p1' },
    ]) assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer(a)), S), a);
    assert.deepEqual(parseFilterAnswer(j(encodeFilterAnswer({ ts: null, lapsed: true })), S), { ts: null, lapsed: true });
    // A lapsed answer says nothing else, whatever else was set.
    assert.deepEqual(j(encodeFilterAnswer({ ts: w.c.ts, gone: w.c, pin: 'p', lapsed: true })), { ts: null, lapsed: true });
    wire(() => parseFilterAnswer({ ts: null, pin: 'p'.repeat(MAX_PIN_ID + 1) }, S), /bad pin/);
    wire(() => parseFilterAnswer({ ts: null, gone: candToWire(w.c), pin: [] }, S), /bad pin/);
  });

  it('filter answers: malformed fields', () => {
    const good = j(encodeFilterAnswer({ ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: w.blocks[0]!, fragment: Buffer.from('f') }));
    wire(() => parseFilterAnswer({ ...good, blocks: Buffer.alloc(31).toString('base64') }, S), /bad blocks/);
    wire(() => parseFilterAnswer({ ...good, blocks: undefined }, S), /bad blocks/);
    wire(() => parseFilterAnswer({ ...good, cc: [H] }, S), /bad cc/);
    wire(() => parseFilterAnswer({ ...good, meta: 1 }, S), /bad meta/);
    wire(() => parseFilterAnswer({ ...good, fragment: Buffer.alloc(MAX_FILTER_FRAGMENT + 1).toString('base64') }, S), /^fragment too large$/);
    wire(() => parseFilterAnswer({ ...good, fragment: 'A'.repeat(MAX_FILTER_FRAGMENT * 2 + 1) }, S), /^bad fragment$/);
    wire(() => parseFilterAnswer({ ...good, ts: 'x' }, S), /bad ts/);
    wire(() => parseFilterAnswer({ gone: { ...candToWire(w.c), vec: [] } }, S), /bad candidate vec/);
    wire(() => parseFilterAnswer('x', S), /not an object/);
  });

  it('health: counters or 0, ok only when true', () => {
    assert.deepEqual(parseHealth({ node: 2, ok: true, registers: 5, histEntries: 7, bytes: 9, diskFreeBytes: 10, diskTotalBytes: 11 }),
      { node: 2, ok: true, registers: 5, histEntries: 7, bytes: 9, diskFreeBytes: 10, diskTotalBytes: 11 });
    assert.deepEqual(parseHealth({ node: -1, ok: 'true', registers: 1.5, histEntries: '7', bytes: -1, diskFreeBytes: 1.5 }), { node: 0, ok: false, registers: 0, histEntries: 0, bytes: 0, diskFreeBytes: 0, diskTotalBytes: 0 });
    assert.deepEqual(parseHealth({ node: Number.MAX_SAFE_INTEGER + 1, ok: 1 }), { node: 0, ok: false, registers: 0, histEntries: 0, bytes: 0, diskFreeBytes: 0, diskTotalBytes: 0 });
    wire(() => parseHealth(null), /not an object/);
  });
});

describe('node messages: wire constants and the pin of a filter answer', () => {
  it('the refusal codes and the JSON body cap are the wire\'s', () => {
    assert.equal(MISSING_FRAGMENT, 'missing-fragment');
    assert.equal(MISSING_PARTS, 'missing-parts');
    assert.equal(MAX_JSON_BODY, 4 * 1024 * 1024);
  });

  it('a filter answer carries its pin id through encode and parse (an empty one and a GONE one too)', () => {
    const S = 4;
    const empty = parseFilterAnswer(JSON.parse(encodeFilterAnswer({ ts: null, pin: 'pin-7' }).toString('utf8')), S);
    assert.equal(empty.pin, 'pin-7');
    const none = parseFilterAnswer(JSON.parse(encodeFilterAnswer({ ts: null }).toString('utf8')), S);
    assert.equal(none.pin, undefined);
    assert.equal('pin' in JSON.parse(encodeFilterAnswer({ ts: null }).toString('utf8')), false);
  });
});
