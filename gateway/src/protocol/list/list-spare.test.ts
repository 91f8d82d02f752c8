// A listing asks q nodes for each page (ask-order.ts), and a spare only when
// one of them fails, breaks the rules or is late: every node asked reads,
// sends and has parsed a whole page, so the fourth page of every round was
// work for nothing. A node that is silent is passed over after one grace and
// then asked last, so it costs one grace, not one a page.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { override } from '../testing/byzantine.js';
import { listAll, put } from '../testing/ops.js';
import { simCluster, type SimCluster } from '../testing/sim-cluster.js';

const KEYS = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);

async function populated(t: number): Promise<SimCluster> {
  const cl = simCluster(t);
  const gw = cl.gateway();
  for (const k of KEYS) await put(gw, k, Buffer.from(k));
  return cl;
}

/** Counts each node's list calls; `silent` nodes never answer one (until the round's timeout). */
function counting(cl: SimCluster, silent: readonly number[] = []): number[] {
  const calls = cl.nodes.map(() => 0);
  for (let i = 0; i < cl.nodes.length; i++) {
    cl.wrap(i, (n: NodeApi) => override(n, {
      list: (req, s, parsed) => {
        calls[i]!++;
        if (!silent.includes(i)) return n.list(req, s, parsed);
        return new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      },
    }));
  }
  return calls;
}

describe('listing asks q nodes a page', () => {
  for (const t of [1, 2]) {
    it(`t = ${t}: q list calls a page`, async () => {
      const cl = await populated(t);
      const calls = counting(cl);
      const pages = KEYS.length / 3; // the last page is full and not truncated: nodes look one key past it
      assert.deepEqual(await listAll(cl.gateway(), '', 3), KEYS);
      assert.equal(calls.reduce((a, b) => a + b, 0), pages * cl.params.q, calls.join(','));
      assert.deepEqual(cl.evidence, []);
    });
  }

  it('a silent node is asked at most once, then passed over: the listing pays one grace at most', async () => {
    const cl = await populated(1);
    const calls = counting(cl, [0]);
    const started = Date.now();
    // rpcMs 2 s (not the sims' 200 ms): a loaded machine's four pages of work stay well inside the bound.
    assert.deepEqual(await listAll(cl.gateway({ rpcMs: 2_000 }), '', 3), KEYS);
    const took = Date.now() - started;
    assert.ok(calls[0]! <= 1, `asked ${calls[0]} times: ${calls.join(',')}`);
    // One grace (rpcMs / 20 = 100 ms here), not a timeout (2 s); not one grace a page is the count above.
    assert.ok(took < 1_000, `${took} ms`);
  });
});
