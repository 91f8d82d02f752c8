import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../../harness/cluster.js';
import { nodePlan } from './plan.js';
import { NodeAlone } from './workloads.js';

let tc: TestCluster;
let alone: NodeAlone;
before(async () => {
  tc = await startTestCluster({ usageIntervalS: 0 });
  alone = new NodeAlone(tc);
});
after(async () => {
  await alone.close();
  await tc.dispose();
});

test('bench:node plan: the four workloads, --quick a fifth of each', () => {
  const full = nodePlan(false);
  assert.deepEqual(full.map((w) => [w.kind, w.concurrency, w.fragmentBytes ?? 0]), [['collect', 1, 0], ['collect', 16, 0], ['store', 8, 2048], ['store', 8, 512 * 1024]]);
  assert.deepEqual(nodePlan(true).map((w) => w.count), full.map((w) => Math.ceil(w.count / 5)));
});

test('bench:node: one collect a batch request alone, several once sixteen are in flight; node 0\'s CPU counted', async () => {
  const one = await alone.measure({ name: 'one', kind: 'collect', concurrency: 1, count: 400 });
  // Each collect in a batch request of its own; the releases ride them, but for the last ones, which may go alone.
  assert.ok(one.batchesPerOp >= 1 && one.batchesPerOp <= 1 + 2 / one.count, `a batch request a lone collect: ${one.batchesPerOp}`);
  assert.ok(one.nodeUsPerOp > 0 && one.driverUsPerOp > 0, JSON.stringify(one));
  const many = await alone.measure({ name: 'many', kind: 'collect', concurrency: 16, count: 1600 });
  assert.ok(many.batchesPerOp < 0.9, `collects batched: ${many.batchesPerOp} batch requests a collect`);
});

test('bench:node: stores node 0 takes (its lc after each complete is the write), counted in batch requests and CPU', async () => {
  // measure() throws unless every complete leaves the write as node 0's lc.
  const small = await alone.measure({ name: 'small', kind: 'store', concurrency: 8, count: 200, fragmentBytes: 2048 });
  assert.ok(small.batchesPerOp <= 2, `a store and a complete: at most two batch requests, got ${small.batchesPerOp}`);
  const large = await alone.measure({ name: 'large', kind: 'store', concurrency: 8, count: 100, fragmentBytes: 512 * 1024 });
  // The complete rides a batch; the 512 KiB store is a request of its own (not a batch).
  assert.ok(large.batchesPerOp <= 1, `only completes in batches: ${large.batchesPerOp} a store`);
  assert.ok(large.nodeUsPerOp > small.nodeUsPerOp, `512 KiB ${large.nodeUsPerOp} µs against 2 KiB ${small.nodeUsPerOp}`);
});
