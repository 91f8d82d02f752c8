// Concurrent clients through several gateways against simulated clusters
// with t Byzantine or silent nodes and random delays on every answer: the
// recorded history must be linearizable (checked by the checker in
// integration/linearizability), and every operation must complete.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory, HistoryRecorder } from '../../../integration/linearizability/index.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import * as byz from './testing/byzantine.js';
import { del, get, put } from './testing/ops.js';
import { MemoryHints, simCluster } from './testing/sim-cluster.js';

/** Small deterministic PRNG so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const BEHAVIOURS: Record<string, (n: NodeApi) => NodeApi> = {
  silent: byz.silent,
  corrupt: byz.corruptBlocks,
  'wrong-cc': byz.wrongCc,
  forge: byz.forge,
  stale: byz.stale,
  replay: byz.replay,
  garbage: byz.garbage,
  'corrupt-vec': (n) => byz.corruptVec(n, 'all'),
};

async function runHistory(t: number, faults: string[], seed: number): Promise<void> {
  const rand = prng(seed);
  const cl = simCluster(t);
  for (let i = 0; i < cl.params.S; i++) cl.wrap(i, (n) => byz.delayed(n, 3, rand));
  faults.forEach((f, i) => cl.wrap(cl.params.S - 1 - i, BEHAVIOURS[f]!));
  // Two gateways share clock hints (two-round writes, stale hints under
  // contention), the third writes without them.
  const hints = new MemoryHints();
  const gateways = [cl.gateway({ rpcMs: 300, hints }), cl.gateway({ rpcMs: 300, hints }), cl.gateway({ rpcMs: 300 })];
  const rec = new HistoryRecorder();
  const keys = ['a', 'b'];
  let next = 0;
  const client = async (c: number): Promise<void> => {
    const gw = gateways[c % gateways.length]!;
    for (let i = 0; i < 25; i++) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      const roll = rand();
      if (roll < 0.45) {
        const value = `v${next++}`;
        const h = rec.invoke(`c${c}`, 'put', key, value);
        await put(gw, key, Buffer.from(value));
        rec.complete(h);
      } else if (roll < 0.55) {
        const h = rec.invoke(`c${c}`, 'delete', key);
        await del(gw, key);
        rec.complete(h);
      } else {
        const h = rec.invoke(`c${c}`, 'get', key);
        const v = await get(gw, key);
        rec.complete(h, v === null ? null : v.toString());
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(client));
  const res = checkHistory(rec.ops());
  assert.equal(res.unknown, false, 'the checker decided');
  assert.deepEqual(res.violations, [], `seed ${seed}, faults ${faults.join(',')}`);
  assert.ok(res.ok);
}

describe('concurrent clients through three gateways stay linearizable', () => {
  for (const t of [1, 2]) {
    for (const f of Object.keys(BEHAVIOURS)) {
      const faults = Array.from({ length: t }, (_, i) => (i === 0 ? f : Object.keys(BEHAVIOURS)[(i * 3) % 8]!));
      it(`t=${t}, faulty nodes: ${faults.join(' + ')}`, () => runHistory(t, faults, 1000 * t + f.length));
    }
  }
});
