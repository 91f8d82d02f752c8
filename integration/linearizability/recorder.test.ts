// The recorder produces the history format the checker reads.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import { HistoryRecorder } from './recorder.js';

function fakeClock(): () => number {
  let t = 0;
  return () => ++t;
}

describe('HistoryRecorder', () => {
  it('records invoke and completion times, results, and unknown outcomes', () => {
    const rec = new HistoryRecorder(fakeClock());
    const p = rec.invoke('c1', 'put', 'a', 'v1'); // t=1
    const g = rec.invoke('c2', 'get', 'a'); // t=2
    rec.complete(p); // t=3
    rec.complete(g, 'v1'); // t=4
    const l = rec.invoke('c2', 'list', ['a', 'b']); // t=5
    const d = rec.invoke('c1', 'delete', 'a'); // t=6
    rec.fail(d);
    rec.complete(l, { a: 'v1' }); // t=7
    const h = rec.invoke('c3', 'head', 'b'); // t=8, still in flight
    assert.equal(h.kind, 'head');
    assert.deepEqual(rec.ops(), [
      { kind: 'put', client: 'c1', invoke: 1, key: 'a', value: 'v1', complete: 3 },
      { kind: 'get', client: 'c2', invoke: 2, key: 'a', result: 'v1', complete: 4 },
      { kind: 'list', client: 'c2', invoke: 5, keys: ['a', 'b'], result: { a: 'v1' }, complete: 7 },
      { kind: 'delete', client: 'c1', invoke: 6, key: 'a' },
      { kind: 'head', client: 'c3', invoke: 8, key: 'b' },
    ]);
    assert.equal(checkHistory(rec.ops()).ok, true);
  });

  it('feeds violations through to the checker', () => {
    const rec = new HistoryRecorder(fakeClock());
    rec.complete(rec.invoke('c1', 'put', 'a', 'v1'));
    rec.complete(rec.invoke('c1', 'put', 'a', 'v2'));
    rec.complete(rec.invoke('c2', 'get', 'a'), 'v1');
    assert.deepEqual(checkHistory(rec.ops()).violations.map((v) => v.key), ['a']);
  });

  it('settles each operation once', () => {
    const rec = new HistoryRecorder(fakeClock());
    const p = rec.invoke('c1', 'put', 'a', 'v1');
    rec.complete(p);
    assert.throws(() => rec.complete(p), /already completed or failed/);
    assert.throws(() => rec.fail(p), /already completed or failed/);
    assert.throws(() => rec.fail({ id: 7, kind: 'get' }), /unknown handle/);
  });

  it('rejects a read completion without a result and leaves the operation open', () => {
    const rec = new HistoryRecorder(fakeClock());
    const g = rec.invoke('c1', 'get', 'a');
    assert.throws(() => (rec.complete as (h: unknown) => void)(g), TypeError);
    rec.complete(g, null);
    assert.deepEqual(rec.ops()[0], { kind: 'get', client: 'c1', invoke: 1, key: 'a', result: null, complete: 3 });
  });

  it('snapshots: later calls and caller mutation do not change returned ops', () => {
    const rec = new HistoryRecorder(fakeClock());
    const keys = ['a'];
    const shown: Record<string, string> = { a: 'v1' };
    const l = rec.invoke('c1', 'list', keys);
    const before = rec.ops();
    rec.complete(l, shown);
    keys.push('b');
    shown.a = 'changed';
    assert.equal(before[0]!.complete, undefined);
    assert.deepEqual(rec.ops()[0], { kind: 'list', client: 'c1', invoke: 1, keys: ['a'], result: { a: 'v1' }, complete: 2 });
  });

  it('uses a monotonic clock by default', () => {
    const rec = new HistoryRecorder();
    for (let i = 0; i < 100; i++) rec.complete(rec.invoke('c', 'get', 'a'), null);
    const ops = rec.ops();
    for (let i = 0; i < ops.length; i++) {
      assert.ok(ops[i]!.complete! >= ops[i]!.invoke);
      if (i > 0) assert.ok(ops[i]!.invoke >= ops[i - 1]!.complete!);
    }
  });
});
