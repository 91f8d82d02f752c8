// The binary answers (binary-answers.ts) say what their JSON forms say, for
// every shape a node sends; their parsers refuse every malformation with
// WireError (evidence), and what they return never shares memory with the
// answer it was read from.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  encodeCandAnswerAs, encodeCandAnswerBinary, encodeFilterAnswerAs, encodeFilterAnswerBinary, encodeTsAnswerAs, encodeTsAnswerBinary, MAX_BLOCKS_BYTES,
  parseCandAnswerBinary, parseFilterAnswerBinary, parseTsAnswerBinary,
} from './binary-answers.js';
import { encodeCandAnswer, encodeFilterAnswer, encodeTsAnswer, MAX_FILTER_FRAGMENT, MAX_PIN_ID, parseCandAnswer, parseFilterAnswer, parseTsAnswer } from './node-messages.js';
import { WireError } from './wire.js';
import { fixture, keepEntries, ts, write } from '../testing/fixture.js';
import type { FilterAnswer } from '../client.js';
import type { Candidate } from '../candidate.js';

const j = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

function wire(fn: () => unknown, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && (!msg || msg.test(e.message)));
}

/** Every answer shape a node sends, for a cluster of tolerance t. */
function shapes(t: number): { S: number; c: Candidate; filters: FilterAnswer[] } {
  const f = fixture(t);
  const w = write(f, ts(f, 3));
  const described = { ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: Buffer.concat([w.blocks[0]!, w.blocks[1]!]) };
  return {
    S: f.params.S,
    c: w.c,
    filters: [
      { ts: null },
      { ts: w.c.ts },
      { ts: null, pin: 'p1' },
      { ts: w.c.ts, pin: '0123456789abcdef' },
      described,
      { ...described, ts: null },
      { ...described, blocks: Buffer.alloc(0) },
      { ...described, pin: 'p' },
      { ...described, fragment: Buffer.alloc(MAX_FILTER_FRAGMENT, 1) },
      { ...described, fragment: Buffer.alloc(0), pin: 'p'.repeat(MAX_PIN_ID) },
      { ts: null, gone: w.c },
      { ts: null, gone: w.c, pin: 'p1' },
      { ts: null, lapsed: true },
    ],
  };
}

describe('binary answers say what the JSON answers say', () => {
  for (const t of [1, 2, 3]) {
    it(`ts, lc and filter answers at t = ${t}`, () => {
      const { S, c, filters } = shapes(t);
      for (const x of [null, c.ts]) {
        assert.deepEqual(parseTsAnswerBinary(encodeTsAnswerBinary(x)), x);
        assert.deepEqual(parseTsAnswerBinary(encodeTsAnswerBinary(x)), parseTsAnswer(j(encodeTsAnswer(x))));
      }
      // A vec whose entries for other nodes are not hashes (a Byzantine writer's) travels as the JSON one does: empty entries.
      const odd = { ...c, vec: c.vec.map((e, i) => (i === 0 ? e : Buffer.alloc(0))) };
      for (const x of [null, c, keepEntries(c, [0]), odd]) {
        assert.deepEqual(parseCandAnswerBinary(encodeCandAnswerBinary(x), S), x);
        assert.deepEqual(parseCandAnswerBinary(encodeCandAnswerBinary(x), S), parseCandAnswer(j(encodeCandAnswer(x)), S));
      }
      for (const a of filters) {
        assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary(a), S), parseFilterAnswer(j(encodeFilterAnswer(a)), S), JSON.stringify(Object.keys(a)));
      }
    });
  }

  it('cc without meta is no description, and lapsed says nothing else', () => {
    const { S, c, filters } = shapes(1);
    const d = filters[4]!;
    assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary({ ts: c.ts, cc: d.cc }), S), { ts: c.ts });
    assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary({ ...d, gone: c, pin: 'p', lapsed: true }), S), { ts: null, lapsed: true });
    assert.deepEqual(encodeFilterAnswerBinary({ ts: null, lapsed: true }), Buffer.from([8]));
  });

  it('a node encodes JSON unless asked for binary', () => {
    const { c, filters } = shapes(1);
    assert.deepEqual(encodeTsAnswerAs('json', c.ts), encodeTsAnswer(c.ts));
    assert.deepEqual(encodeTsAnswerAs('binary', c.ts), encodeTsAnswerBinary(c.ts));
    assert.deepEqual(encodeCandAnswerAs('json', c), encodeCandAnswer(c));
    assert.deepEqual(encodeCandAnswerAs('binary', c), encodeCandAnswerBinary(c));
    assert.deepEqual(encodeFilterAnswerAs('json', filters[8]!), encodeFilterAnswer(filters[8]!));
    assert.deepEqual(encodeFilterAnswerAs('binary', filters[8]!), encodeFilterAnswerBinary(filters[8]!));
  });

  it('is smaller: a described filter answer with a 2 KiB fragment', () => {
    const { filters } = shapes(1);
    const a = { ...filters[4]!, fragment: Buffer.alloc(2048, 3) };
    assert.ok(encodeFilterAnswerBinary(a).length < encodeFilterAnswer(a).length * 0.75);
  });
});

describe('binary answers: what a parse returns is its own, but a fragment', () => {
  it('no returned byte changes when the answer it came from is overwritten; a fragment is a view of it', () => {
    const { S, c, filters } = shapes(1);
    const check = <T>(bytes: Buffer, parse: (b: Buffer) => T): void => {
      const before = parse(Buffer.from(bytes));
      const b = Buffer.from(bytes);
      const parsed = parse(b);
      b.fill(0x5a);
      const { fragment, ...rest } = parsed as { fragment?: Buffer };
      const { fragment: was, ...restBefore } = before as { fragment?: Buffer };
      assert.deepEqual(rest, restBefore);
      if (was && was.length > 0) {
        assert.equal(fragment!.buffer, b.buffer, 'the fragment is a view of the answer');
        assert.ok(fragment!.every((x) => x === 0x5a));
      }
    };
    check(encodeTsAnswerBinary(c.ts), parseTsAnswerBinary);
    check(encodeCandAnswerBinary(c), (b) => parseCandAnswerBinary(b, S));
    for (const a of filters) check(encodeFilterAnswerBinary(a), (b) => parseFilterAnswerBinary(b, S));
  });
});

describe('binary answers: malformed', () => {
  const { S, c, filters } = shapes(1);
  const all: [string, Buffer, (b: Buffer) => unknown][] = [
    ['ts', encodeTsAnswerBinary(c.ts), parseTsAnswerBinary],
    ['lc', encodeCandAnswerBinary(c), (b) => parseCandAnswerBinary(b, S)],
    ...filters.map((a, i): [string, Buffer, (b: Buffer) => unknown] => [`filter ${i}`, encodeFilterAnswerBinary(a), (b) => parseFilterAnswerBinary(b, S)]),
  ];

  it('every cut, and every byte more, is refused', () => {
    for (const [what, bytes, parse] of all) {
      // Cuts inside the 64 KiB fragment are as good as any: every 97th, and the last ones.
      for (let n = 0; n < bytes.length; n += n < bytes.length - 300 ? 97 : 1) wire(() => parse(bytes.subarray(0, n)), /^answer ends inside /);
      wire(() => parse(Buffer.concat([bytes, Buffer.from([0])])), /^bytes after the answer$/);
      assert.doesNotThrow(() => parse(bytes), what);
    }
  });

  it('presence bytes, flags and their combinations', () => {
    wire(() => parseTsAnswerBinary(Buffer.from([2])), /^bad answer$/);
    wire(() => parseCandAnswerBinary(Buffer.from([7]), S), /^bad answer$/);
    wire(() => parseFilterAnswerBinary(Buffer.from([64]), S), /^bad filter flags$/);
    wire(() => parseFilterAnswerBinary(Buffer.from([128]), S), /^bad filter flags$/);
    wire(() => parseFilterAnswerBinary(Buffer.from([8 | 1]), S), /carries nothing else/);
    // gone with a ts, or with a description
    const gone = encodeFilterAnswerBinary({ ts: null, gone: c });
    wire(() => parseFilterAnswerBinary(Buffer.concat([Buffer.from([2 | 1]), gone.subarray(1)]), S), /no ts or description/);
    wire(() => parseFilterAnswerBinary(Buffer.concat([Buffer.from([2 | 16]), gone.subarray(1)]), S), /no ts or description/);
    wire(() => parseFilterAnswerBinary(Buffer.from([32]), S), /fragment without a description/);
    // The JSON answer is not a binary one.
    wire(() => parseTsAnswerBinary(encodeTsAnswer(c.ts)), undefined);
    wire(() => parseFilterAnswerBinary(encodeFilterAnswer(filters[4]!), S), undefined);
  });

  it('numbers above 2^53, vec entries that are neither empty nor a hash', () => {
    const t = encodeTsAnswerBinary(c.ts);
    const big = Buffer.from(t);
    big.writeUInt32BE(0x20_0000, 1); // num's high half: 2^53
    wire(() => parseTsAnswerBinary(big), /^bad ts num$/);
    const op = Buffer.from(t);
    op.writeUInt32BE(0xffff_ffff, 1 + 16);
    wire(() => parseTsAnswerBinary(op), /^bad ts op$/);
    const max = Buffer.from(t);
    max.writeUInt32BE(0x1f_ffff, 1);
    max.writeUInt32BE(0xffff_ffff, 5);
    assert.equal(parseTsAnswerBinary(max)!.num, Number.MAX_SAFE_INTEGER);
    const lc = encodeCandAnswerBinary(c);
    const entry = Buffer.from(lc);
    entry[1 + 60 + 64] = 31;
    wire(() => parseCandAnswerBinary(entry, S), /^bad candidate vec$/);
  });

  it('lengths above their limits', () => {
    const d = filters[4]!;
    const frag = encodeFilterAnswerBinary({ ...d, fragment: Buffer.alloc(1) });
    const fragLenAt = frag.length - 1 - 4;
    const tooBig = Buffer.from(frag);
    tooBig.writeUInt32BE(MAX_FILTER_FRAGMENT + 1, fragLenAt);
    wire(() => parseFilterAnswerBinary(tooBig, S), /^fragment too large$/);
    const plain = encodeFilterAnswerBinary({ ...d, blocks: Buffer.alloc(0) });
    const blocksLenAt = plain.length - 4;
    const blocks = Buffer.from(plain);
    blocks.writeUInt32BE(MAX_BLOCKS_BYTES + 32, blocksLenAt);
    wire(() => parseFilterAnswerBinary(blocks, S), /^blocks too large$/);
    const odd = encodeFilterAnswerBinary({ ...d, blocks: Buffer.alloc(31) });
    wire(() => parseFilterAnswerBinary(odd, S), /^bad blocks$/);
    const pin = Buffer.from([4, MAX_PIN_ID + 1, ...Buffer.alloc(MAX_PIN_ID + 1, 0x61)]);
    wire(() => parseFilterAnswerBinary(pin, S), /^bad pin$/);
    assert.deepEqual(parseFilterAnswerBinary(Buffer.from([4, 2, 0x61, 0x62]), S), { ts: null, pin: 'ab' });
  });

  it('what the JSON encoder leaves out, the binary one does too', () => {
    const d = filters[4]!;
    // A GONE answer carries no description, whatever else was set.
    assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary({ ts: c.ts, gone: c, cc: d.cc, meta: d.meta, blocks: d.blocks }), S), { ts: null, gone: c });
    // meta without cc is no description either.
    assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary({ ts: c.ts, meta: d.meta }), S), { ts: c.ts });
    // A description without a block list (no node sends one) reads as an empty list.
    assert.deepEqual(parseFilterAnswerBinary(encodeFilterAnswerBinary({ ts: c.ts, cc: d.cc, meta: d.meta }), S), { ts: c.ts, cc: d.cc, meta: d.meta, blocks: Buffer.alloc(0) });
    // The cut messages name the field.
    wire(() => parseTsAnswerBinary(Buffer.from([1, 0, 0])), /^answer ends inside ts num$/);
    wire(() => parseFilterAnswerBinary(Buffer.from([4, 3, 0x61]), S), /^answer ends inside pin$/);
    wire(() => parseFilterAnswerBinary(Buffer.from([16]), S), /^answer ends inside cc$/);
  });

  it('a node never encodes what it could not have: wrong-sized hashes, a long pin id', () => {
    // One field too long and another as much too short: the total is right, each field is not.
    assert.throws(() => encodeCandAnswerBinary({ ...c, ts: { ...c.ts, tag: Buffer.alloc(33) }, nonce: Buffer.alloc(31) }), /ts tag is 33 bytes, not 32/);
    assert.throws(() => encodeCandAnswerBinary({ ...c, nonce: Buffer.alloc(33), d: Buffer.alloc(31) }), /nonce is 33 bytes/);
    assert.throws(() => encodeTsAnswerBinary({ ...c.ts, writer: 'zz'.repeat(8) }), /ts writer is not hex/);
    const d = filters[4]!;
    assert.throws(() => encodeTsAnswerBinary({ ...c.ts, tag: Buffer.alloc(31) }), RangeError);
    assert.throws(() => encodeCandAnswerBinary({ ...c, vec: [Buffer.alloc(5), ...c.vec.slice(1)] }), RangeError);
    assert.throws(() => encodeFilterAnswerBinary({ ...d, cc: [Buffer.alloc(1), ...d.cc!.slice(1)] }), RangeError);
    assert.throws(() => encodeFilterAnswerBinary({ ts: null, pin: 'p'.repeat(MAX_PIN_ID + 1) }), RangeError);
  });
});

describe('binary answers: numbers as V8 keeps them', () => {
  // A ts's num and op must come back as small integers, not heap numbers:
  // one heap number in a timestamp field turns that field into a boxed
  // double in every timestamp and deoptimizes the write path (binary-answers.ts, u64).
  it('a small num and op parse to Smis; a large one keeps its value', () => {
    const module = new URL('./binary-answers.js', import.meta.url).href;
    const script = `
      const { encodeTsAnswerBinary, parseTsAnswerBinary } = await import(${JSON.stringify(module)});
      const ts = (num, op) => ({ num, writer: 'a'.repeat(16), op, epoch: 2, tag: Buffer.alloc(32, 1) });
      const small = parseTsAnswerBinary(encodeTsAnswerBinary(ts(3, 7)));
      // Looked at before a large value turns the fields of this process's timestamps into doubles.
      const smis = { num: %IsSmi(small.num), op: %IsSmi(small.op) };
      const large = parseTsAnswerBinary(encodeTsAnswerBinary(ts(2 ** 40 + 5, 2 ** 32)));
      console.log(JSON.stringify({ ...smis, large: [large.num, large.op] }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { num: true, op: true, large: [2 ** 40 + 5, 2 ** 32] });
  });
});
