// Hand-written histories with known answers, and what violations explain.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import type { Operation } from './history.js';
import { del, get, head, put } from './testing/build.js';

function accepts(ops: Operation[]): void {
  const r = checkHistory(ops);
  assert.deepEqual(r.violations, []);
  assert.equal(r.unknown, false);
  assert.equal(r.ok, true);
}

function rejects(ops: Operation[], key = 'a'): string {
  const r = checkHistory(ops);
  assert.equal(r.ok, false);
  assert.equal(r.unknown, false);
  assert.deepEqual(r.violations.map((v) => v.key), [key]);
  return r.violations[0]!.explanation;
}

describe('checkHistory accepts linearizable histories', () => {
  it('the empty history', () => accepts([]));

  it('a sequential history', () =>
    accepts([
      get('a', null, [0, 1]),
      put('a', 'v1', [2, 3]),
      get('a', 'v1', [4, 5]),
      put('a', 'v2', [6, 7]),
      head('a', 'v2', [8, 9]),
      del('a', [10, 11]),
      get('a', null, [12, 13]),
      head('a', null, [14, 15]),
    ]));

  it('overlapping writes, later reads seeing either one', () => {
    for (const seen of ['v1', 'v2']) {
      accepts([put('a', 'v1', [0, 10], 'w1'), put('a', 'v2', [1, 9], 'w2'), get('a', seen, [11, 12]), get('a', seen, [13, 14])]);
    }
  });

  it('reads during overlapping writes may see them in either order', () =>
    accepts([
      put('a', 'v1', [0, 10], 'w1'),
      put('a', 'v2', [0, 10], 'w2'),
      get('a', 'v2', [1, 3], 'r1'),
      get('a', 'v1', [4, 6], 'r1'),
      get('a', 'v1', [7, 12], 'r2'),
    ]));

  it('a read concurrent with a write sees the old or the new value', () => {
    for (const seen of [null, 'v1']) accepts([put('a', 'v1', [0, 10]), get('a', seen, [2, 4])]);
  });

  it('equal times do not order operations', () => accepts([get('a', 'v1', [0, 5]), put('a', 'v1', [5, 6])]));

  it('an unknown-outcome put that took effect, even long after its invoke', () =>
    accepts([put('a', 'v1', [0]), get('a', null, [5, 6]), get('a', 'v1', [50, 51]), get('a', 'v1', [60, 61])]));

  it('an unknown-outcome put that never took effect', () =>
    accepts([put('a', 'v1', [0, 1]), put('a', 'v2', [2]), get('a', 'v1', [5, 6]), get('a', 'v1', [60, 61])]));

  it('an unknown-outcome delete, taking effect or not', () => {
    accepts([put('a', 'v1', [0, 1]), del('a', [2]), get('a', 'v1', [3, 4]), get('a', null, [5, 6])]);
    accepts([put('a', 'v1', [0, 1]), del('a', [2]), get('a', 'v1', [3, 4]), get('a', 'v1', [5, 6])]);
  });

  it('delete then put', () =>
    accepts([put('a', 'v1', [0, 1]), del('a', [2, 3]), get('a', null, [4, 5]), put('a', 'v2', [6, 7]), get('a', 'v2', [8, 9])]));

  it('reads with unknown outcome impose nothing', () =>
    accepts([put('a', 'v1', [0, 1]), { kind: 'get', client: 'c1', key: 'a', invoke: 2, result: 'nonsense' }]));

  it('keys are independent registers', () =>
    accepts([put('a', 'v1', [0, 1]), put('b', 'v2', [0, 1]), get('a', 'v1', [2, 3]), get('b', 'v2', [2, 3]), get('c', null, [2, 3])]));
});

describe('checkHistory rejects non-linearizable histories', () => {
  it('a stale read after a completed overwrite', () => {
    const why = rejects([put('a', 'v1', [0, 1]), put('a', 'v2', [2, 3]), get('a', 'v1', [4, 5])]);
    assert.match(why, /^get by client "c1" \[4, 5\] returned "v1"/);
    assert.match(why, /stale read: put "v1" .* was overwritten by put "v2" by client "c0" \[2, 3\]/);
  });

  it('a stale absent read after a completed put', () => {
    const why = rejects([put('a', 'v1', [0, 1]), get('a', null, [2, 3])]);
    assert.match(why, /stale read: put "v1" .* completed before this read began, and no delete could have followed it/);
  });

  it('a read of a value never written', () => {
    assert.match(rejects([put('a', 'v1', [0, 1]), get('a', 'ghost', [2, 3])]), /"ghost" was never written/);
  });

  it('a new-old inversion between two sequential reads', () => {
    const why = rejects([
      put('a', 'v1', [0, 1]),
      put('a', 'v2', [2, 10]),
      get('a', 'v2', [3, 4], 'r1'),
      get('a', 'v1', [5, 6], 'r2'),
    ]);
    assert.match(why, /^get by client "r2" \[5, 6\] returned "v1"/);
    assert.match(why, /new-old inversion: the earlier get by client "r1" \[3, 4\] returned "v2", complete before this read began, saw put "v2"/);
  });

  it('a new-old inversion back to absent', () =>
    void rejects([put('a', 'v1', [0, 10]), get('a', 'v1', [1, 2], 'r1'), get('a', null, [3, 4], 'r2')]));

  it('a read of a value written to another key', () => {
    const why = rejects([put('b', 'v1', [0, 1]), get('a', 'v1', [2, 3])]);
    assert.match(why, /"v1" was written to key "b" by put "v1"/);
  });

  it('a read seeing a write invoked after the read completed', () => {
    const why = rejects([get('a', 'v1', [0, 1]), put('a', 'v1', [2, 3])]);
    assert.match(why, /read from the future: put "v1" by client "c0" \[2, 3\]/);
  });

  it('an unknown-outcome put that was seen cannot be unseen', () =>
    void rejects([put('a', 'v1', [0]), get('a', 'v1', [5, 6], 'r1'), get('a', null, [7, 8], 'r2')]));

  it('names the first failing read and the writes around it, not a later symptom', () => {
    const why = rejects([
      put('a', 'v1', [0, 1]),
      put('a', 'v2', [2, 3]),
      put('a', 'v3', [4, 8], 'w3'),
      get('a', 'v1', [5, 6], 'early'),
      get('a', 'v1', [20, 21], 'late'),
    ]);
    assert.match(why, /^get by client "early"/);
    assert.match(why, /last writes completed before it began: put "v2" by client "c0" \[2, 3\]\n/);
    assert.match(why, /writes concurrent with it: put "v3" by client "w3" \[4, 8\]\n/);
  });

  it('reports each failing key once, in key order', () => {
    const r = checkHistory([get('b', 'x', [0, 1]), get('a', 'y', [0, 1]), get('a', 'z', [2, 3]), get('c', null, [0, 1])]);
    assert.deepEqual(
      r.violations.map((v) => v.key),
      ['a', 'b'],
    );
  });

  it('a general violation with no simple pattern is still found', () => {
    // Client r1 needs v1 before v2, client r2 needs v2 before v1.
    const why = rejects([
      put('a', 'v1', [0, 10], 'w1'),
      put('a', 'v2', [0, 10], 'w2'),
      get('a', 'v1', [1, 2], 'r1'),
      get('a', 'v2', [1, 3], 'r2'),
      get('a', 'v2', [4, 5], 'r1'),
      get('a', 'v1', [4, 6], 'r2'),
    ]);
    assert.match(why, /^get by client "r2" \[4, 6\] returned "v1"/);
    assert.match(why, /reason: no simple pattern/);
    assert.match(why, /latest earlier read of each value: get by client "r2" \[1, 3\] returned "v2"; get by client "r1" \[1, 2\] returned "v1"\n/);
    assert.match(why, /reads concurrent with it, latest of each value: get by client "r1" \[4, 5\] returned "v2"$/);
  });

  it('reads completing together that fail only jointly are named together', () => {
    const why = rejects([
      put('a', 'v1', [0, 10], 'w1'),
      put('a', 'v2', [0, 10], 'w2'),
      get('a', 'v1', [1, 2], 'r1'),
      get('a', 'v2', [3, 4], 'r1'),
      get('a', 'v2', [1, 2], 'r2'),
      get('a', 'v1', [3, 4], 'r2'),
    ]);
    const named = [...why.matchAll(/get by client "(r\d)" \[3, 4\] returned "(v\d)"/g)].slice(0, 2).map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(named.sort(), ['r1:v2', 'r2:v1']);
    assert.match(why, /\n {2}together with the reads completing at the same time: get by client/);
  });
});

describe('checkHistory input contract', () => {
  it('rejects malformed histories with RangeError', () => {
    assert.throws(() => checkHistory([put('a', 'v1', [0, 1]), put('b', 'v1', [2, 3])]), /already written by history\[0\]/);
    assert.throws(() => checkHistory([put('a', 'v1', [5, 1])]), RangeError);
    assert.throws(() => checkHistory([put('a', 'v1', [NaN, 1])]), RangeError);
    assert.throws(() => checkHistory([{ kind: 'get', client: 'c', key: 'a', invoke: 0, complete: 1 }]), /needs a result/);
  });

  it('does not depend on the order of the input', () => {
    const ops = [put('a', 'v1', [0, 1]), put('a', 'v2', [2, 3]), get('a', 'v2', [4, 5]), get('a', 'v1', [6, 7])];
    assert.equal(checkHistory(ops).ok, false);
    assert.equal(checkHistory([...ops].reverse()).ok, false);
    assert.equal(checkHistory([...ops.slice(0, 3)].reverse()).ok, true);
  });
});
