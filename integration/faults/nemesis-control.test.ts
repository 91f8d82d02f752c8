// The control (issue "Prove it", point 4): the same workload against
// gateways whose reads are deliberately weakened (believe the first node
// that answers: no quorum, no write-back) with one stale node must produce
// linearizability violations: the suite is known to be able to fail.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { runNemesis } from '../nemesis/run.js';

describe('nemesis control', () => {
  it('a weakened read with a stale node is caught as non-linearizable', async () => {
    const r = await runNemesis({
      t: 1, gateways: 2, clients: 3, keys: 2, ops: 300, weakenedRead: true, mix: 'head-reads',
      faulty: new Map([[3, ['stale']]]), seed: 7,
    });
    assert.ok(r.violations.length > 0, `the checker found ${r.violations.length} violations`);
    process.stdout.write(`# control: ${r.violations.length} violating key(s) in ${r.ops} operations\n`);
  });
});
