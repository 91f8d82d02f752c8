// Read pins end with the read unless the caller holds them (security review
// F12): a read that finds the register empty, or fails (too few answers,
// aborted), releases the pins the nodes took at first contact at once,
// instead of leaving them for their 60 s lease (where they keep every newer
// history entry of the register from garbage collection).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi } from '../../../shared/src/node-api.js';
import { QuorumError } from '../../../shared/src/errors.js';
import { put, ref } from './testing/ops.js';
import { readRegister, releasePins } from './reader.js';
import { simCluster, type SimCluster } from './testing/sim-cluster.js';

const pins = (cl: SimCluster): number => cl.sims.reduce((n, s) => n + s.pins.size, 0);
const never = new AbortController().signal;

/** Node n with one method replaced (the rest delegated). */
function replacing<K extends keyof NodeApi>(n: NodeApi, name: K, f: NodeApi[K]): NodeApi {
  return new Proxy(n, {
    get(target, p) {
      if (p === name) return f;
      const v = Reflect.get(target, p) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('read pins end with the read', () => {
  it('control: a held read keeps its pins until released', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await put(gw, 'k', Buffer.from('v'));
    const r = await readRegister(gw, ref('k'), 'read', never, true);
    assert.ok(r);
    assert.ok(pins(cl) >= gw.params.q);
    releasePins(gw, r.ref, r.readId);
    assert.equal(pins(cl), 0);
  });

  it('a read of an empty register (every 404, every CreateBucket check) leaves no pin', async () => {
    const cl = simCluster(1);
    assert.equal(await readRegister(cl.gateway(), ref('never-written'), 'read', never), null);
    assert.equal(pins(cl), 0);
  });

  it('a read that fails for too few answers leaves no pin on the nodes that did answer', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ rpcMs: 100 });
    await put(gw, 'k', Buffer.from('v'));
    for (const i of [2, 3]) cl.wrap(i, (n) => replacing(n, 'collect', () => Promise.reject(new Error('down'))));
    await assert.rejects(readRegister(gw, ref('k'), 'read', never), QuorumError);
    assert.equal(pins(cl), 0);
  });

  it('a read aborted between its rounds (the client went away) leaves no pin', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ rpcMs: 5000 });
    await put(gw, 'k', Buffer.from('v'));
    const ac = new AbortController();
    for (let i = 0; i < cl.params.S; i++) {
      cl.wrap(i, (n) => replacing(n, 'filter', (...a: Parameters<NodeApi['filter']>) => {
        ac.abort(new Error('client went away'));
        return n.filter(...a);
      }));
    }
    await assert.rejects(readRegister(gw, ref('k'), 'read', ac.signal));
    assert.equal(pins(cl), 0);
  });
});
