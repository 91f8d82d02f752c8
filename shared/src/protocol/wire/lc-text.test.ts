// readCanonicalLc (lc-text.ts) reads candToWire's text to exactly what
// JSON.parse and parseCand make of it, and gives null for any other text,
// never a different candidate: random candidates, texts with one byte
// changed, cut or added, and texts JSON reads the same but written
// differently (spaces, field order, upper-case hex, leading zeros).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Candidate } from '../candidate.js';
import { candArb as candArbOf, mangled, manglingArb } from '../testing/arbitraries.js';
import { readCanonicalLc } from './lc-text.js';
import { candToWire, parseCand } from './wire.js';

const S = 4;
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));
const candArb = candArbOf(S);

const text = (c: Candidate): Buffer => Buffer.from(JSON.stringify(candToWire(c)));
const read = (b: Buffer, s = S): Candidate | null => readCanonicalLc(b, 0, b.length, s);

/** What JSON.parse and parseCand make of the text: a candidate, or null where they throw. */
function lenient(b: Buffer, s = S): Candidate | null {
  try {
    return parseCand(JSON.parse(b.toString('utf8')), s);
  } catch {
    return null;
  }
}

describe('lc text read in place', () => {
  it('candToWire text: the candidate parseCand makes of it', () => {
    fc.assert(fc.property(candArb, (c) => {
      assert.deepEqual(read(text(c)), c);
      assert.deepEqual(read(text(c)), lenient(text(c)));
    }), { numRuns: 300 * RUNS });
  });

  it('reads a text inside a larger buffer by its bounds only', () => {
    fc.assert(fc.property(candArb, (c) => {
      const t = text(c);
      const b = Buffer.concat([Buffer.from('xx'), t, Buffer.from('}]')]);
      assert.deepEqual(readCanonicalLc(b, 2, 2 + t.length, S), c);
      assert.equal(readCanonicalLc(b, 2, 2 + t.length + 1, S), null);
      assert.equal(readCanonicalLc(b, 2, 2 + t.length - 1, S), null);
    }), { numRuns: 100 * RUNS });
  });

  it('any byte changed, cut or added: null, or what parseCand makes of it', () => {
    fc.assert(fc.property(candArb, manglingArb, (c, how) => {
      const m = mangled(text(c), how);
      const fast = read(m);
      if (fast !== null) assert.deepEqual(fast, lenient(m));
    }), { numRuns: 2000 * RUNS });
  });

  it('texts JSON reads alike but candToWire never writes: null (parseCand decides them)', () => {
    const c: Candidate = { ts: { num: 7, writer: 'ab'.repeat(8), op: 3, epoch: 0, tag: Buffer.alloc(32, 1) }, nonce: Buffer.alloc(32, 2), d: Buffer.alloc(32, 3), vec: [0, 1, 2, 3].map((i) => Buffer.alloc(32, 4 + i)) };
    const t = text(c).toString();
    assert.deepEqual(read(Buffer.from(t)), c);
    const variants = [
      t.replace('{"ts":', '{ "ts":'),
      t.replace('"n":7', '"n":07'),
      t.replace('"n":7', '"n":7.0'),
      t.replace('"o":3', '"o":3e0'),
      t.replace('"ab', '"AB'),
      t.replace(/"N":"02/, '"N":"0'),
      JSON.stringify({ N: candToWire(c).N, D: candToWire(c).D, ts: candToWire(c).ts, vec: candToWire(c).vec }),
      JSON.stringify({ ...candToWire(c), extra: 1 }),
      t + ' ',
    ];
    for (const v of variants) assert.equal(read(Buffer.from(v)), null, v);
    // A vec entry that is not hex: parseCand keeps the candidate (the entry fails verification); the reader leaves it to it.
    const oddVec = JSON.stringify({ ...candToWire(c), vec: ['zz', ...candToWire(c).vec.slice(1)] });
    assert.equal(read(Buffer.from(oddVec)), null);
    assert.ok(lenient(Buffer.from(oddVec)));
  });

  it('S entries exactly; numbers up to their caps', () => {
    fc.assert(fc.property(candArb, (c) => {
      assert.equal(read(text(c), S + 1), null);
      assert.equal(read(text(c), S - 1), null);
    }), { numRuns: 50 * RUNS });
    const c: Candidate = { ts: { num: Number.MAX_SAFE_INTEGER, writer: '00'.repeat(8), op: 0, epoch: 0xffffffff, tag: Buffer.alloc(32) }, nonce: Buffer.alloc(32), d: Buffer.alloc(32), vec: Array.from({ length: S }, () => Buffer.alloc(32)) };
    assert.deepEqual(read(text(c)), c);
    const over = (field: string, v: string) => Buffer.from(text(c).toString().replace(new RegExp(`"${field}":\\d+`), `"${field}":${v}`));
    assert.equal(read(over('n', '9007199254740992')), null);
    assert.equal(read(over('o', '12345678901234567')), null);
    assert.equal(read(over('e', '4294967296')), null);
    for (const f of ['n', 'o', 'e']) assert.equal(lenient(over(f, '99999999999999999')), null, `parseCand refuses ${f} past its cap too`);
  });
});
