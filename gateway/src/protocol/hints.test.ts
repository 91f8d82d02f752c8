// Clock hints (DESIGN §7): two-round writes with a fresh hint, four rounds
// (and still correct) with a stale one, three with none or a forged one.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NodeRefusedError } from '@powerstore/shared/errors.js';
import { MISSING_FRAGMENT } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { get, put } from './testing/ops.js';
import { MemoryHints, simCluster } from './testing/sim-cluster.js';

describe('clock hints', () => {
  it('a fresh hint makes a write two rounds', async () => {
    const cl = simCluster(1);
    const hints = new MemoryHints();
    const gw = cl.gateway({ hints });
    await put(gw, 'k', Buffer.from('first')); // no hint yet: 3 rounds, and it leaves one
    const before = cl.rounds.get('write') ?? 0;
    for (let i = 0; i < 5; i++) await put(gw, 'k', Buffer.from(`v${i}`));
    assert.equal(((cl.rounds.get('write') ?? 0) - before) / 5, 2);
    assert.deepEqual(await get(gw, 'k'), Buffer.from('v4'));
  });

  it('a stale hint costs four rounds and the write still lands on top', async () => {
    const cl = simCluster(1);
    const shared = new MemoryHints();
    const a = cl.gateway({ hints: shared });
    const b = cl.gateway(); // writes without telling the hint cache
    await put(a, 'k', Buffer.from('a1'));
    await put(b, 'k', Buffer.from('b1'));
    await put(b, 'k', Buffer.from('b2'));
    const before = cl.rounds.get('write') ?? 0;
    await put(a, 'k', Buffer.from('a2'));
    assert.equal((cl.rounds.get('write') ?? 0) - before, 4);
    assert.deepEqual(await get(b, 'k'), Buffer.from('a2'), 'the later write wins');
    // Big values take the rebuild-free path too (nodes store again from their first fragment).
    await put(b, 'big', Buffer.alloc(10_000, 1));
    await put(a, 'big', Buffer.alloc(20_000, 2));
    await put(b, 'big', Buffer.alloc(10_000, 3));
    await put(a, 'big', Buffer.alloc(30_000, 4));
    assert.deepEqual(await get(b, 'big'), Buffer.alloc(30_000, 4));
  });

  it('a stale hint whose first store was collected meanwhile: the fragment is sent or rebuilt again', async () => {
    const cl = simCluster(1);
    const shared = new MemoryHints();
    // Rebuilding a fragment stripe by stripe takes longer than the sim's default 200 ms round under load.
    const a = cl.gateway({ hints: shared, rpcMs: 10_000 });
    const b = cl.gateway({ rpcMs: 10_000 });
    // Every node refuses to store from the first entry (as one that restarted and collected it would).
    let refused = 0;
    for (let i = 0; i < cl.params.S; i++) {
      const storeFrom = async (): Promise<never> => {
        refused++;
        throw new NodeRefusedError(i, 409, MISSING_FRAGMENT);
      };
      cl.wrap(i, (inner) => new Proxy(inner, { get: (t, p) => (p === 'storeFrom' ? storeFrom : (Reflect.get(t, p) as unknown)) }));
    }
    for (const [key, size] of [['small', 100], ['big', 30_000]] as const) {
      await put(a, key, Buffer.alloc(size, 1));
      // Two writes a does not hear of: its hint is now stale whatever the writer ids' order.
      await put(b, key, Buffer.alloc(size, 2));
      await put(b, key, Buffer.alloc(size, 2));
      await put(a, key, Buffer.alloc(size, 3));
      assert.deepEqual(await get(b, key), Buffer.alloc(size, 3), `${key}: the later write landed whole`);
    }
    assert.ok(refused >= 2 * cl.params.q, `every node was asked to store from the first entry (${refused})`);
  });

  it('a hint with a bad tag is ignored', async () => {
    const cl = simCluster(1);
    const hints = new MemoryHints();
    const gw = cl.gateway({ hints });
    await put(gw, 'k', Buffer.from('one'));
    const reg = regId('bucket', 'k').toString('hex');
    hints.map.set(reg, { ...hints.map.get(reg)!, n: 1000, g: '00'.repeat(32) });
    const before = cl.rounds.get('write') ?? 0;
    await put(gw, 'k', Buffer.from('two'));
    assert.equal((cl.rounds.get('write') ?? 0) - before, 3, 'clock ran');
    assert.deepEqual(await get(gw, 'k'), Buffer.from('two'));
    const lc = cl.sims[0]!.lcOf({ ns: 'bucket', key: 'k' });
    assert.equal(lc?.num, 2, 'num did not jump to the forged hint');
  });
});
