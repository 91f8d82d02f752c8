// Protocol core against simulated clusters: honest, crashed and Byzantine
// nodes, for t = 1 and t = 2. Every test checks values end to end (bytes
// written = bytes read) and, where it applies, the evidence produced.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { simCluster } from './testing/sim-cluster.js';
import { del, get, put } from './testing/ops.js';
import * as byz from './testing/byzantine.js';

for (const t of [1, 2]) {
  describe(`protocol core, t=${t}`, () => {
    it('writes and reads objects of many sizes (0 B, 1 B, partial and many stripes)', async () => {
      const cl = simCluster(t);
      const gw = cl.gateway({ blockSize: 64 });
      for (const size of [0, 1, 7, 64, 64 * cl.params.k, 64 * cl.params.k + 1, 5000]) {
        const body = randomBytes(size);
        await put(gw, `k${size}`, body);
        assert.deepEqual(await get(gw, `k${size}`), body, `size ${size}`);
      }
      assert.equal(await get(gw, 'missing'), null);
      assert.deepEqual(cl.evidence, []);
    });

    it('a write takes 3 rounds and a read 2', async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      await put(gw, 'a', Buffer.from('x'));
      assert.equal(cl.rounds.get('write'), 3);
      await get(gw, 'a');
      assert.equal(cl.rounds.get('read'), 2);
    });

    it('overwrites and deletes: reads see the newest completed write', async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      await put(gw, 'a', Buffer.from('one'));
      await put(gw, 'a', Buffer.from('two'));
      assert.deepEqual(await get(gw, 'a'), Buffer.from('two'));
      await del(gw, 'a');
      assert.equal(await get(gw, 'a'), null);
      await put(gw, 'a', Buffer.from('three'));
      assert.deepEqual(await get(gw, 'a'), Buffer.from('three'));
    });

    it(`every operation completes with ${t} silent nodes`, async () => {
      const cl = simCluster(t);
      for (let i = 0; i < t; i++) cl.wrap(i, byz.silent); // data-shard nodes: reads must fall back to parity
      const gw = cl.gateway({ rpcMs: 100 });
      const body = randomBytes(1000);
      await put(gw, 'a', body);
      assert.deepEqual(await get(gw, 'a'), body);
      await del(gw, 'a');
      assert.equal(await get(gw, 'a'), null);
      assert.deepEqual(cl.evidence, [], 'silence is not evidence');
    });

    it(`reads survive ${t} nodes losing their disks`, async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      const body = randomBytes(3000);
      await put(gw, 'a', body);
      for (let i = 0; i < t; i++) cl.sims[i]!.wipe();
      assert.deepEqual(await get(gw, 'a'), body);
    });

    it('corrupt fragment blocks are caught, attributed, and read around', async () => {
      const cl = simCluster(t);
      for (let i = 0; i < t; i++) cl.wrap(i, byz.corruptBlocks);
      const gw = cl.gateway();
      const body = randomBytes(2000);
      await put(gw, 'a', body);
      assert.deepEqual(await get(gw, 'a'), body);
      const culprits = new Set(cl.evidence.filter((e) => e.kind === 'corrupt-block').map((e) => e.node));
      assert.deepEqual([...culprits].sort(), [...Array(t).keys()]);
    });

    it('a wrong cross-checksum in filter answers is evidence and ignored', async () => {
      const cl = simCluster(t);
      for (let i = 0; i < t; i++) cl.wrap(i, byz.wrongCc);
      const gw = cl.gateway();
      const body = randomBytes(500);
      await put(gw, 'a', body);
      assert.deepEqual(await get(gw, 'a'), body);
      assert.ok(cl.evidence.some((e) => e.kind === 'wrong-cc' && e.node < t));
      assert.ok(cl.evidence.every((e) => e.node < t));
    });

    it('forged timestamp tags are ignored (non-skipping clock) and reported', async () => {
      const cl = simCluster(t);
      for (let i = 0; i < t; i++) cl.wrap(i, byz.forge);
      const gw = cl.gateway();
      await put(gw, 'a', Buffer.from('one'));
      await put(gw, 'a', Buffer.from('two'));
      assert.deepEqual(await get(gw, 'a'), Buffer.from('two'));
      const honest = cl.sims[cl.params.S - 1]!.lcOf({ ns: 'bucket', key: 'a' });
      assert.equal(honest?.num, 2, 'num was not skipped by forged clock answers');
      assert.ok(cl.evidence.some((e) => e.kind === 'forged-ts'));
      assert.ok(cl.evidence.some((e) => e.kind === 'bad-mac'));
      assert.ok(cl.evidence.every((e) => e.node < t));
    });

    it('replayed older valid candidates and stale nodes never make a read go back', async () => {
      const cl = simCluster(t);
      const half = Math.ceil(t / 2);
      for (let i = 0; i < half; i++) cl.wrap(i, byz.replay);
      for (let i = half; i < t; i++) cl.wrap(i, byz.stale);
      const gw = cl.gateway();
      for (let v = 0; v < 5; v++) {
        await put(gw, 'a', Buffer.from(`v${v}`));
        assert.deepEqual(await get(gw, 'a'), Buffer.from(`v${v}`));
      }
      assert.deepEqual(cl.evidence, [], 'old valid candidates are lag, not evidence');
      for (let i = 0; i < t; i++) assert.ok((cl.lag.get(i) ?? 0) >= 4, `node ${i} counted as lagging (${cl.lag.get(i) ?? 0})`);
      for (let i = t; i < cl.params.S; i++) assert.equal(cl.lag.get(i) ?? 0, 0, `honest node ${i} never lags`);
    });

    it('candidates with t corrupted vec entries are re-signed; fully corrupted ones dropped', async () => {
      const cl = simCluster(t);
      // Node S-1 corrupts t entries (still authentic), nodes 0..t-2 corrupt all.
      cl.wrap(cl.params.S - 1, (n) => byz.corruptVec(n, [...Array(t).keys()]));
      const gw = cl.gateway();
      await put(gw, 'a', Buffer.from('payload'));
      for (let i = 0; i < t - 1; i++) cl.wrap(i, (n) => byz.corruptVec(n, 'all'));
      const before = cl.rounds.get('read') ?? 0;
      assert.deepEqual(await get(gw, 'a'), Buffer.from('payload'));
      assert.equal((cl.rounds.get('read') ?? 0) - before, 2, 'still two rounds under attack');
      // Correct nodes only ever hold fully valid vecs: check every honest lc.
      for (let i = t; i < cl.params.S - 1; i++) {
        const lc = await cl.sims[i]!.collect({ ns: 'bucket', key: 'a' }, 'test-read');
        assert.ok(lc && lc.vec.every((e) => e.length === 32 && !e.equals(Buffer.alloc(32, 7))));
      }
      assert.ok(cl.evidence.every((e) => e.kind === 'bad-mac' && e.node < t - 1));
    });

    it('a valid candidate of another register is not authentic here', async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      await put(gw, 'other', Buffer.from('other-value'));
      await put(gw, 'other', Buffer.from('other-value-2'));
      await put(gw, 'a', Buffer.from('mine'));
      for (let i = 0; i < t; i++) cl.wrap(i, (n) => byz.otherRegister(n, 'other'));
      assert.deepEqual(await get(gw, 'a'), Buffer.from('mine'));
      assert.ok(cl.evidence.some((e) => e.kind === 'bad-mac'));
    });

    it('garbage answers are evidence and the operation completes', async () => {
      const cl = simCluster(t);
      for (let i = 0; i < t; i++) cl.wrap(i, byz.garbage);
      const gw = cl.gateway();
      await put(gw, 'a', Buffer.from('v'));
      assert.deepEqual(await get(gw, 'a'), Buffer.from('v'));
      assert.ok(cl.evidence.filter((e) => e.kind === 'malformed').length > 0);
      assert.ok(cl.evidence.every((e) => e.node < t));
    });

    it('equivocating nodes (different answers to different readers) cannot split two gateways', async () => {
      const cl = simCluster(t);
      let flip = false;
      for (let i = 0; i < t; i++) cl.wrap(i, (n) => byz.equivocate(n, () => (flip = !flip)));
      const g1 = cl.gateway();
      const g2 = cl.gateway();
      for (let v = 0; v < 6; v++) {
        await put(v % 2 ? g1 : g2, 'a', Buffer.from(`v${v}`));
        assert.deepEqual(await get(g1, 'a'), Buffer.from(`v${v}`));
        assert.deepEqual(await get(g2, 'a'), Buffer.from(`v${v}`));
      }
    });

    it('a complete ack whose lc stays below the write does not count', async () => {
      const cl = simCluster(t);
      // t + 1 nodes ack complete without applying it (a violated assumption, e.g. a missing key epoch).
      for (let i = 0; i <= t; i++) cl.wrap(i, byz.hollowComplete);
      await assert.rejects(put(cl.gateway(), 'k', Buffer.from('x')), /complete/);
    });

    it('two concurrent writes of one gateway to one key get distinct timestamps; reads agree after', async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      await Promise.all([put(gw, 'a', Buffer.from('left')), put(gw, 'a', Buffer.from('right'))]);
      const r1 = await get(gw, 'a');
      assert.ok(r1 && ['left', 'right'].includes(r1.toString()));
      for (let i = 0; i < 3; i++) assert.deepEqual(await get(cl.gateway(), 'a'), r1);
    });
  });
}
