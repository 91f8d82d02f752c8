// Property-based tests of the node protocol's JSON decoders (wire.ts and
// node-messages.ts). Every message a node or a gateway receives is
// untrusted: any JSON value, and any valid message with a value replaced,
// a member dropped or its text mangled, gives a well-formed value or a
// WireError (which the receiver counts as evidence), never a TypeError or
// RangeError. Every encoder's output parses back to what was encoded.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Candidate } from '../candidate.js';
import * as m from './node-messages.js';
import type { StoreCommit } from '../server.js';
import type { Timestamp } from '../timestamp.js';
import { parseCand, parseTs } from './wire.js';
import { bytesArb as bytes, candArb as candArbOf, tsArb, valueOrWireError } from '../testing/arbitraries.js';

const S = 4;
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));
const runs = (n: number) => n * RUNS;

/** fast-check's records have no prototype; the decoders build plain objects. */
const plain = <T extends object>(x: T): T => ({ ...x });
const candArb = candArbOf(S);
const refArb = fc.record({ ns: fc.string({ maxLength: 20 }), key: fc.string({ maxLength: 60, unit: 'grapheme' }) });
const commitArb: fc.Arbitrary<StoreCommit> = fc.record({
  ts: tsArb, nbar: bytes(32), d: bytes(32),
  vec: fc.array(bytes(32), { minLength: S, maxLength: S }), cc: fc.array(bytes(32), { minLength: S, maxLength: S }),
  meta: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  parts: fc.option(fc.array(fc.record({ ns: fc.string({ maxLength: 10 }), key: fc.string({ maxLength: 20 }), ts: tsArb }).map(plain), { maxLength: 3 }), { nil: undefined }),
}).map(({ parts, ...c }) => (parts ? { ...c, parts } : c));

/** Every decoder, taking parsed JSON. */
const DECODERS: Record<string, (j: unknown) => unknown> = {
  parseTs, parseCand: (j) => parseCand(j, S),
  parseOpen: m.parseOpen, parseCommit: (j) => m.parseCommit(j, S), parseCompleteReq: (j) => m.parseCompleteReq(j, S),
  parseFilterReq: (j) => m.parseFilterReq(j, S), parseBlocksReq: m.parseBlocksReq, parseEntryReq: m.parseEntryReq,
  parseEntryAnswer: (j) => m.parseEntryAnswer(j, S), parseListReq: m.parseListReq, parseTsAnswer: m.parseTsAnswer,
  parseCandAnswer: (j) => m.parseCandAnswer(j, S), parseFilterAnswer: (j) => m.parseFilterAnswer(j, S),
  parseHealth: m.parseHealth, parsePinReq: m.parsePinReq, parsePinAnswer: m.parsePinAnswer, parseReleasesReq: m.parseReleasesReq,
};

/** Valid encoded messages, one per decoder that has an encoder. */
const encodedArb = fc.oneof(
  fc.tuple(refArb, fc.integer({ min: 1, max: 1 << 20 }), fc.oneof(tsArb.map((from) => ({ from })), fc.constantFrom({ hash: 'sha256' as const }, { hash: 'blake3' as const })))
    .map(([r, bs, data]) => ['parseOpen', m.encodeOpen(r, bs, data)] as const),
  commitArb.map((c) => ['parseCommit', m.encodeCommit(c)] as const),
  fc.tuple(refArb, candArb).map(([r, c]) => ['parseCompleteReq', m.encodeCompleteReq(r, c)] as const),
  fc.tuple(refArb, fc.string({ maxLength: 64 }), fc.array(candArb, { maxLength: 3 })).map(([r, id, C]) => ['parseFilterReq', m.encodeFilterReq(r, id, C)] as const),
  fc.tuple(refArb, tsArb, fc.nat(), fc.nat(), fc.boolean()).map(([ref, ts, a, b, withList]) => ['parseBlocksReq', m.encodeBlocksReq({ ref, ts, from: Math.min(a, b), to: Math.max(a, b), withList })] as const),
  fc.tuple(refArb, tsArb).map(([ref, ts]) => ['parseEntryReq', m.encodeEntryReq({ ref, ts })] as const),
  fc.option(commitArb, { nil: null }).map((c) => ['parseEntryAnswer', m.encodeEntryAnswer(c)] as const),
  fc.option(tsArb, { nil: null }).map((t) => ['parseTsAnswer', m.encodeTsAnswer(t)] as const),
  fc.option(candArb, { nil: null }).map((c) => ['parseCandAnswer', m.encodeCandAnswer(c)] as const),
  fc.tuple(fc.option(tsArb, { nil: null }), fc.array(bytes(32), { minLength: S, maxLength: S }), bytes(8), fc.nat({ max: 4 }), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }))
    .map(([ts, cc, meta, nblocks, frag]) => ['parseFilterAnswer', m.encodeFilterAnswer({ ts, cc, meta, blocks: Buffer.alloc(32 * nblocks, 7), ...(frag ? { fragment: Buffer.from(frag) } : {}) })] as const),
  candArb.map((gone) => ['parseFilterAnswer', m.encodeFilterAnswer({ ts: null, gone })] as const),
  fc.tuple(refArb, fc.string({ maxLength: 64 }), fc.constantFrom('renew' as const, 'narrow' as const, 'release' as const), tsArb)
    .map(([ref, readId, action, ts]) => ['parsePinReq', m.encodePinReq({ ref, readId, action, ts })] as const),
  fc.boolean().map((ok) => ['parsePinAnswer', m.encodePinAnswer(ok)] as const),
  fc.array(fc.record({ ref: refArb, readId: fc.string({ maxLength: 64 }) }), { minLength: 1, maxLength: 4 }).map((rs) => ['parseReleasesReq', m.encodeReleasesReq(rs)] as const),
);

/** Replaces, at a path chosen by `pick`, one value of a JSON tree (or drops it). */
function replaceSomewhere(j: unknown, pick: number, v: unknown, drop: boolean): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach((c, i) => { nodes.push({ parent: x, key: i }); walk(c); });
    else if (x && typeof x === 'object') for (const [k, c] of Object.entries(x)) { nodes.push({ parent: x as Record<string, unknown>, key: k }); walk(c); }
  };
  walk(j);
  const n = nodes[pick % Math.max(1, nodes.length)];
  if (!n) return v;
  if (drop && !Array.isArray(n.parent)) delete (n.parent as Record<string, unknown>)[n.key as string];
  else (n.parent as Record<string | number, unknown>)[n.key] = v;
  return j;
}

describe('node protocol decoders (fuzz)', () => {
  it('any JSON value: every decoder gives a value or a WireError', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (j) => {
      for (const decode of Object.values(DECODERS)) valueOrWireError(() => decode(j));
    }), { numRuns: runs(1500) });
  });

  it('round trip: what each encoder writes parses back to what was encoded', () => {
    fc.assert(fc.property(encodedArb, ([name, buf]) => {
      const decode = DECODERS[name]!;
      const once = decode(JSON.parse(buf.toString('utf8')));
      assert.deepEqual(decode(JSON.parse(JSON.stringify(encodeBack(name, once)))), once);
    }), { numRuns: runs(800) });
  });

  it('round trip from the source values: candidates, store commits (list pages: list-answer.fuzz.test.ts)', () => {
    fc.assert(fc.property(candArb, commitArb, (c, commit) => {
      assert.deepEqual(m.parseCandAnswer(JSON.parse(m.encodeCandAnswer(c).toString('utf8')), S), c);
      assert.deepEqual(m.parseCommit(JSON.parse(m.encodeCommit(commit).toString('utf8')), S), commit);
    }), { numRuns: runs(500) });
  });

  it('valid messages with a value replaced or a member dropped: a value or a WireError', () => {
    const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 1e300, 2 ** 53, 0.5, '', 'zz', 'A'.repeat(64), null, [], {}));
    fc.assert(fc.property(encodedArb, fc.nat(), junk, fc.boolean(), ([name, buf], pick, v, drop) => {
      const j = replaceSomewhere(JSON.parse(buf.toString('utf8')), pick, v, drop);
      for (const decode of [DECODERS[name]!, ...Object.values(DECODERS)]) valueOrWireError(() => decode(j));
    }), { numRuns: runs(1500) });
  });

  it('valid messages with their text mangled: not JSON, or a value or a WireError', () => {
    fc.assert(fc.property(encodedArb, fc.nat(), fc.nat({ max: 8 }), fc.string({ maxLength: 4 }), ([name, buf], at, del, ins) => {
      const s = buf.toString('utf8');
      const i = at % (s.length + 1);
      let j: unknown;
      try {
        j = JSON.parse(s.slice(0, i) + ins + s.slice(i + del));
      } catch {
        return; // the receiver's JSON.parse refuses it: WireError there
      }
      valueOrWireError(() => DECODERS[name]!(j));
    }), { numRuns: runs(1500) });
  });
});

/** The encoder of `name` applied to a decoded value (to check decode ∘ encode is the identity on decoded values). */
function encodeBack(name: string, v: unknown): unknown {
  const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown;
  switch (name) {
    case 'parseOpen': { const o = v as m.OpenMsg; return json(m.encodeOpen(o.ref, o.blockSize, o.from ? { from: o.from } : { hash: o.hash })); }
    case 'parseCommit': return json(m.encodeCommit(v as StoreCommit));
    case 'parseCompleteReq': { const o = v as { ref: m.EntryReq['ref']; c: Candidate }; return json(m.encodeCompleteReq(o.ref, o.c)); }
    case 'parseFilterReq': { const o = v as { ref: m.EntryReq['ref']; readId: string; C: Candidate[] }; return json(m.encodeFilterReq(o.ref, o.readId, o.C)); }
    case 'parseBlocksReq': return json(m.encodeBlocksReq(v as m.BlocksReq));
    case 'parseEntryReq': return json(m.encodeEntryReq(v as m.EntryReq));
    case 'parseEntryAnswer': return json(m.encodeEntryAnswer(v as StoreCommit | null));
    case 'parseTsAnswer': return json(m.encodeTsAnswer(v as Timestamp | null));
    case 'parseCandAnswer': return json(m.encodeCandAnswer(v as Candidate | null));
    case 'parseFilterAnswer': return json(m.encodeFilterAnswer(v as Parameters<typeof m.encodeFilterAnswer>[0]));
    case 'parsePinReq': return json(m.encodePinReq(v as m.PinReq));
    case 'parsePinAnswer': return json(m.encodePinAnswer(v as boolean));
    case 'parseReleasesReq': return json(m.encodeReleasesReq(v as m.PinRelease[]));
    default: throw new Error(name);
  }
}
