// The strict wire parsers fed every malformed field: a node's answer is
// untrusted, so each must throw WireError rather than return a bad value.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  candToWire, hashList, hexField, isObject, parseCand, parseCandOrNull, parseTs, parseTsOrNull, str, tsToWire, WireError,
} from './wire.js';
import { fixture, ts, write } from '../testing/fixture.js';

const f = fixture(1);
const w = write(f, ts(f, 3));
const good = tsToWire(w.c.ts);
const H = 'ab'.repeat(32);

function throwsWire(fn: () => unknown, what: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && e.name === 'WireError' && what.test(e.message));
}

describe('parseTs', () => {
  it('round-trips a ts', () => {
    assert.deepEqual(parseTs(good), w.c.ts);
    assert.deepEqual(parseTs(JSON.parse(JSON.stringify(good))), w.c.ts);
    assert.equal(parseTsOrNull(null), null);
    assert.deepEqual(parseTsOrNull(good), w.c.ts);
  });

  it('accepts the extreme counters', () => {
    const max = { ...good, n: Number.MAX_SAFE_INTEGER, o: 0, e: 0xffffffff };
    assert.deepEqual(parseTs(max), { num: Number.MAX_SAFE_INTEGER, writer: good.w, op: 0, epoch: 0xffffffff, tag: w.c.ts.tag });
  });

  it('throws for a non-object', () => {
    for (const x of [null, undefined, 3, 'ts', [good]]) throwsWire(() => parseTs(x), /^bad ts$/);
    throwsWire(() => parseTsOrNull(undefined), /^bad ts$/);
  });

  const bad: [string, unknown, RegExp][] = [
    ['n', -1, /ts num/], ['n', 1.5, /ts num/], ['n', '1', /ts num/], ['n', Number.MAX_SAFE_INTEGER + 1, /ts num/], ['n', undefined, /ts num/],
    ['o', -1, /ts op/], ['o', 2 ** 60, /ts op/], ['o', null, /ts op/],
    ['e', -1, /ts epoch/], ['e', 0x100000000, /ts epoch/], ['e', '0', /ts epoch/],
    ['w', 'abc', /ts writer/], ['w', '00000000000000aa0', /ts writer/], ['w', '00000000000000AA', /ts writer/],
    ['w', '00000000000000zz', /ts writer/], ['w', 'z00000000000000a', /ts writer/], ['w', 12, /ts writer/], ['w', '', /ts writer/],
    ['g', 'ab', /ts tag/], ['g', H.toUpperCase(), /ts tag/], ['g', null, /ts tag/],
  ];
  for (const [field, value, what] of bad) {
    it(`throws for ${field} = ${JSON.stringify(value)}`, () => throwsWire(() => parseTs({ ...good, [field]: value }), what));
  }
});

describe('parseCand', () => {
  const cw = candToWire(w.c);

  it('round-trips a candidate', () => {
    assert.deepEqual(parseCand(cw, 4), w.c);
    assert.equal(parseCandOrNull(null, 4), null);
    assert.deepEqual(parseCandOrNull(cw, 4), w.c);
  });

  it('keeps a malformed vec entry as an empty buffer (it fails verification later)', () => {
    const c = parseCand({ ...cw, vec: [cw.vec[0], 'zz', 7, cw.vec[3]] }, 4);
    assert.deepEqual(c.vec.map((e) => e.length), [32, 0, 0, 32]);
    assert.deepEqual(c.vec[0], w.c.vec[0]);
  });

  it('throws for a non-object or a vec of the wrong length or type', () => {
    for (const x of [null, 'c', [cw]]) throwsWire(() => parseCand(x, 4), /^bad candidate$/);
    throwsWire(() => parseCandOrNull(undefined, 4), /^bad candidate$/);
    throwsWire(() => parseCand({ ...cw, vec: cw.vec.slice(1) }, 4), /bad candidate vec/);
    throwsWire(() => parseCand({ ...cw, vec: [...cw.vec, H] }, 4), /bad candidate vec/);
    throwsWire(() => parseCand({ ...cw, vec: 'abcd' }, 4), /bad candidate vec/);
    throwsWire(() => parseCand({ ...cw, vec: undefined }, 4), /bad candidate vec/);
  });

  it('throws for a bad ts, nonce or D', () => {
    throwsWire(() => parseCand({ ...cw, ts: { ...cw.ts, n: -1 } }, 4), /ts num/);
    throwsWire(() => parseCand({ ...cw, N: cw.N.slice(2) }, 4), /candidate nonce/);
    throwsWire(() => parseCand({ ...cw, N: undefined }, 4), /candidate nonce/);
    throwsWire(() => parseCand({ ...cw, D: cw.D + '00' }, 4), /candidate D/);
  });
});

describe('hashList, hexField, str, isObject', () => {
  it('hashList parses exactly len 32-byte hashes', () => {
    assert.deepEqual(hashList([H, H], 2, 'cc'), [Buffer.from(H, 'hex'), Buffer.from(H, 'hex')]);
    throwsWire(() => hashList([H], 2, 'cc'), /^bad cc$/);
    throwsWire(() => hashList([H, H, H], 2, 'cc'), /^bad cc$/);
    throwsWire(() => hashList({ 0: H, 1: H, length: 2 }, 2, 'cc'), /^bad cc$/);
    throwsWire(() => hashList([H, 'ab'], 2, 'cc'), /^bad cc$/);
  });

  it('hexField', () => {
    assert.deepEqual(hexField('00ff', 2, 'x'), Buffer.from([0, 255]));
    throwsWire(() => hexField('00ff', 3, 'x'), /^bad x$/);
  });

  it('str takes strings up to maxLen', () => {
    assert.equal(str('abc', 's', 3), 'abc');
    assert.equal(str('a'.repeat(1 << 20), 's').length, 1 << 20);
    throwsWire(() => str('a'.repeat((1 << 20) + 1), 's'), /^bad s$/);
    throwsWire(() => str('abcd', 's', 3), /^bad s$/);
    throwsWire(() => str(3, 's'), /^bad s$/);
  });

  it('isObject: plain objects only', () => {
    assert.equal(isObject({}), true);
    assert.equal(isObject(null), false);
    assert.equal(isObject([]), false);
    assert.equal(isObject('x'), false);
    assert.equal(isObject(undefined), false);
  });
});
