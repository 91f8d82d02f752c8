// The nemesis suite (issue "Prove it", DESIGN §12): for t = 1 and t = 2,
// three or more concurrent clients through two gateways on three keys, with
// every fault mode on t nodes (and mixes), SIGKILL of t nodes during writes,
// node restarts, and SIGKILL of a gateway mid-write; with and without Redis
// clock hints. Checked for every run: no linearizability violation (which
// also means no acknowledged write lost: final reads close each history), no
// torn object (a read's bytes always match the value it names), evidence only
// against faulty nodes, and, with silent nodes, every operation completes.
// Wait-freedom measured: no completed operation of a run with faults takes
// longer than the fault-free run's p99 (same t, same workload) plus one node
// timeout (the protocol's round timeout).
// `npm run soak` runs the same for longer (integration/nemesis/soak.ts).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DEFAULT_TIMEOUTS } from '../../gateway/src/protocol/context.js';
import { runNemesis, type Latency, type NemesisOptions } from '../nemesis/run.js';

/** One node timeout: the longest a round may wait for a node before going on without it. */
const NODE_TIMEOUT_MS = DEFAULT_TIMEOUTS.rpcMs;

interface Case extends Omit<NemesisOptions, 'ops'> {
  readonly name: string;
  readonly ops: number;
  /**
   * Every operation must complete (no failed requests): by default unless a
   * gateway is killed (its clients' requests in flight then fail, as they
   * must: nothing but the client can retry them).
   */
  readonly allComplete?: boolean;
  /** The fault-free run whose p99 bounds the latency of this t's runs with faults (it runs first). */
  readonly baseline?: boolean;
}

// Operations per run with a fault: 250, and 150 where the fault makes every
// operation wait out a grace (withholding, trickling, dripping nodes), so the
// suite stays within its time while every run still checks hundreds of
// operations (over 6,000 in all); the soak (npm run soak) goes deeper.
const OPS = 250;
const SLOW_OPS = 150;
const SLOW_MODES = new Set(['drip', 'withhold', 'trickle']);

const MODES = ['silent', 'slow', 'corrupt', 'wrong-cc', 'stale', 'replay', 'forge', 'equivocate', 'garbage', 'list-lie', 'drip', 'withhold', 'false-missing', 'trickle'];

export const CASES: readonly Case[] = [
  { name: 't=1 honest, clock hints', t: 1, gateways: 2, clients: 3, keys: 3, ops: 300, redis: true, baseline: true },
  { name: 't=2 honest', t: 2, gateways: 2, clients: 3, keys: 3, ops: 300, baseline: true },
  ...MODES.map((m): Case => ({
    name: `t=1 node 1 ${m}`, t: 1, gateways: 2, clients: 3, keys: 3, ops: SLOW_MODES.has(m) ? SLOW_OPS : OPS, faulty: new Map([[1, [m]]]),
  })),
  { name: 't=1 node 0 amnesia, restarted during the run', t: 1, gateways: 2, clients: 3, keys: 3, ops: OPS, faulty: new Map([[0, ['amnesia']]]), events: ['restart-faulty'] },
  { name: 't=1 SIGKILL of a node during writes, and of a gateway mid-write', t: 1, gateways: 2, clients: 4, keys: 3, ops: 500, events: ['kill-nodes', 'kill-gateway'] },
  { name: 't=1 node 2 forge + corrupt, clock hints', t: 1, gateways: 2, clients: 3, keys: 3, ops: OPS, redis: true, faulty: new Map([[2, ['forge', 'corrupt']]]) },
  { name: 't=2 nodes 1 stale and 5 equivocate', t: 2, gateways: 2, clients: 3, keys: 3, ops: OPS, faulty: new Map([[1, ['stale']], [5, ['equivocate']]]) },
  { name: 't=2 nodes 0 silent and 4 garbage', t: 2, gateways: 2, clients: 3, keys: 3, ops: OPS, faulty: new Map([[0, ['silent']], [4, ['garbage']]]) },
  { name: 't=1 node 0 drip + withhold', t: 1, gateways: 2, clients: 3, keys: 3, ops: SLOW_OPS, faulty: new Map([[0, ['drip', 'withhold']]]) },
  { name: 't=2 nodes 0 withhold and 3 trickle', t: 2, gateways: 2, clients: 3, keys: 3, ops: SLOW_OPS, faulty: new Map([[0, ['withhold']], [3, ['trickle']]]) },
  { name: 't=2 nodes 1 false-missing and 2 drip', t: 2, gateways: 2, clients: 3, keys: 3, ops: SLOW_OPS, faulty: new Map([[1, ['false-missing']], [2, ['drip']]]) },
  { name: 't=2 nodes 1 drip and 4 equivocate', t: 2, gateways: 2, clients: 3, keys: 3, ops: SLOW_OPS, faulty: new Map([[1, ['drip']], [4, ['equivocate']]]) },
  { name: 't=2 SIGKILL of two nodes during writes', t: 2, gateways: 2, clients: 3, keys: 3, ops: OPS, events: ['kill-nodes'] },
];

describe('nemesis: linearizability and durability under faults', () => {
  let total = 0;
  let multipart = 0;
  const baselines = new Map<number, Latency>();
  for (const c of CASES) {
    it(c.name, async (t) => {
      const r = await runNemesis({ ...c, seed: c.name.length * 31 + c.t });
      total += r.ops;
      multipart += r.stats.multipart;
      t.diagnostic(`latency ms: p50 ${r.latency.p50.toFixed(0)}, p99 ${r.latency.p99.toFixed(0)}, max ${r.latency.max.toFixed(0)}; multipart puts completed: ${r.stats.multipart}`);
      if (c.baseline) baselines.set(c.t, r.latency);
      const base = baselines.get(c.t);
      if (!c.baseline && base) {
        assert.ok(r.latency.max <= base.p99 + NODE_TIMEOUT_MS,
          `slowest operation ${r.latency.max.toFixed(0)} ms > fault-free p99 ${base.p99.toFixed(0)} ms + one node timeout ${NODE_TIMEOUT_MS} ms`);
      }
      const info = `events: ${r.events.join('; ') || 'none'}; errors: ${[...r.stats.errors].map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}`;
      assert.equal(r.unknown, false, `the checker decided (${info})`);
      assert.deepEqual(r.violations, [], info);
      assert.equal(r.stats.torn, 0, 'no read returned torn or mixed bytes');
      assert.ok(r.stats.completed >= c.ops * 0.5, `most operations completed (${r.stats.completed} of ${c.ops}; ${info})`);
      if (c.allComplete ?? !(c.events ?? []).includes('kill-gateway')) assert.equal(r.stats.failed, 0, `every operation completed (${info})`);
    });
  }
  it('ran at least 5,000 operations in all', (t) => {
    t.diagnostic(`nemesis: ${total} operations checked, ${multipart} of them completed multipart puts`);
    assert.ok(total >= 5000, `${total} operations`);
    assert.ok(multipart > 0, 'the op mix includes multipart puts');
  });
});
