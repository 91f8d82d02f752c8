// Lists are checked by projection: one read per key of the universe.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import { get, list, put } from './testing/build.js';

describe('list projection', () => {
  it('catches a list omitting a key whose put completed before the list began', () => {
    const r = checkHistory([put('a', 'v1', [0, 1]), put('b', 'v2', [0, 1]), list(['a', 'b'], { a: 'v1' }, [2, 3])]);
    assert.equal(r.ok, false);
    assert.deepEqual(r.violations.map((v) => v.key), ['b']);
    assert.match(r.violations[0]!.explanation, /^list by client "c2" \[2, 3\] did not show the key/);
  });

  it('accepts a list showing every completed put', () =>
    assert.equal(checkHistory([put('a', 'v1', [0, 1]), put('b', 'v2', [0, 1]), list(['a', 'b'], { a: 'v1', b: 'v2' }, [2, 3])]).ok, true));

  it('accepts a list omitting a key whose put is concurrent with it', () =>
    assert.equal(checkHistory([put('a', 'v1', [0, 1]), put('b', 'v2', [1.5, 4]), list(['a', 'b'], { a: 'v1' }, [2, 3])]).ok, true));

  it('catches a list showing a stale value or a key never written', () => {
    assert.equal(checkHistory([put('a', 'v1', [0, 1]), put('a', 'v2', [2, 3]), list(['a'], { a: 'v1' }, [4, 5])]).ok, false);
    assert.equal(checkHistory([list(['a'], { a: 'v1' }, [4, 5])]).ok, false);
  });

  it('is consistent with reads of the same key', () => {
    const r = checkHistory([put('a', 'v1', [0, 10]), get('a', 'v1', [1, 2]), list(['a'], {}, [3, 4])]);
    assert.deepEqual(r.violations.map((v) => v.key), ['a']);
  });

  it('does not require lists to be atomic across keys', () => {
    // As snapshots these disagree on the order of the two puts; per key both are fine.
    const ops = [
      put('a', 'v1', [0, 10], 'wa'),
      put('b', 'v2', [0, 10], 'wb'),
      list(['a', 'b'], { a: 'v1' }, [1, 9], 'l1'),
      list(['a', 'b'], { b: 'v2' }, [2, 8], 'l2'),
    ];
    assert.equal(checkHistory(ops).ok, true);
  });

  it('accepts Map results and ignores lists with unknown outcome', () => {
    const ops = [
      put('a', 'v1', [0, 1]),
      { kind: 'list' as const, client: 'c', keys: ['a'], invoke: 2, complete: 3, result: new Map([['a', 'v1']]) },
      { kind: 'list' as const, client: 'c', keys: ['a'], invoke: 2 },
    ];
    assert.equal(checkHistory(ops).ok, true);
  });

  it('rejects a result naming a key outside the universe as malformed', () =>
    assert.throws(() => checkHistory([list(['a'], { b: 'v1' }, [0, 1])]), /outside the key universe/));
});
