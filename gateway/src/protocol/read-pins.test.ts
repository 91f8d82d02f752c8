// Read pins end with the read unless the caller holds them (security review
// F12): a read that finds the register empty, or fails (too few answers,
// aborted), releases the pins the nodes took at first contact at once,
// instead of leaving them for their 60 s lease (where they keep every newer
// history entry of the register from garbage collection).

import { strict as assert } from 'node:assert';
import { describe, it, mock } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { QuorumError } from '@powerstore/shared/errors.js';
import { put, ref } from './testing/ops.js';
import { PIN_LEASE_MS } from '@powerstore/shared/protocol/pins.js';
import { holdPins, readRegister, releasePins, storedValue } from './reader.js';
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
    releasePins(gw, r.ref, r.readId, r.contacted);
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

// Protocol review finding 9 (b): renew answers were ignored and nothing
// renewed during collect and filter. A node whose pin lapsed (here: a
// restart) says so when renewed; it leaves the read and is no data source,
// since it may collect the entry at any time.
describe('renewal notices lapsed pins', () => {
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('during the rounds: a node whose pin lapsed before filter leaves the read', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ rpcMs: 5000 });
    await put(gw, 'k', Buffer.from('v'));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let waiting = 0;
    for (let i = 0; i < cl.params.S; i++) {
      cl.wrap(i, (n) => replacing(n, 'filter', async (...a: Parameters<NodeApi['filter']>) => (waiting++, await gate, n.filter(...a))));
    }
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const read = readRegister(gw, ref('k'), 'read', never, true);
      while (waiting < cl.params.S) await settle();
      cl.sims[0]!.restart();
      mock.timers.tick(PIN_LEASE_MS / 3); // the read renews its pins
      await settle();
      open();
      const r = await read;
      assert.ok(r);
      assert.deepEqual([...r.state.lapsed], [0]);
      assert.ok(!r.state.holdersOf(r.c).some((h) => h.node === 0), 'node 0 is no data source');
      assert.deepEqual(cl.evidence, []);
      releasePins(gw, r.ref, r.readId, r.contacted);
    } finally {
      mock.timers.reset();
    }
  });

  // DESIGN §6: a node whose pin lapsed leaves the read; when the read then
  // cannot finish, it starts again from collect (under a new read id).
  it('a read that falls short because a pin lapsed starts again from collect and completes', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ rpcMs: 300 });
    await put(gw, 'k', Buffer.from('v'));
    let first: string | undefined;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let waiting = 0;
    for (let i = 0; i < cl.params.S; i++) {
      cl.wrap(i, (n) => replacing(n, 'filter', async (...a: Parameters<NodeApi['filter']>) => {
        first ??= a[1];
        if (a[1] !== first) return n.filter(...a);
        waiting++;
        await gate;
        // Node 3 is silent in the first attempt only.
        return i === 3 ? new Promise<never>(() => undefined) : n.filter(...a);
      }));
    }
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const read = readRegister(gw, ref('k'), 'read', never);
      while (waiting < cl.params.S) await settle();
      cl.sims[0]!.restart();
      mock.timers.tick(PIN_LEASE_MS / 3);
      await settle();
      open();
      const r = await read;
      assert.ok(r);
      assert.notEqual(r.readId, first, 'a second attempt');
      assert.equal(cl.rounds.get('read'), 4, 'collect and filter, twice');
      assert.deepEqual(cl.evidence, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('while streaming: narrow and renew answers that the pin lapsed take the node out of the sources', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await put(gw, 'k', Buffer.from('v'));
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const r = await readRegister(gw, ref('k'), 'read', never, true);
      assert.ok(r);
      const holders = (): number[] => [...storedValue(r).proven().keys()].sort();
      const before = holders();
      assert.ok(before.includes(0) && before.includes(1), `holders ${before.join()}`);
      cl.sims[0]!.restart(); // before the narrow
      const done = holdPins(gw, r);
      await settle();
      assert.ok(!holders().includes(0), 'narrow said lapsed');
      cl.sims[1]!.restart(); // during the stream
      mock.timers.tick(PIN_LEASE_MS / 3);
      await settle();
      assert.deepEqual(holders(), before.filter((n) => n !== 0 && n !== 1), 'renew said lapsed');
      done();
    } finally {
      mock.timers.reset();
    }
  });
});
