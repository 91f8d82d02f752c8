// Key epochs fail closed (protocol review finding 1, DESIGN §3 "Key epochs"):
// a gateway that meets a timestamp or candidate of an epoch above every
// epoch it holds cannot judge it. It must not call it forged (no evidence),
// must not read past it (no NoSuchKey, no older value) and must not order a
// write below it: the operation fails with UnknownEpochError instead.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { UnknownEpochError } from '@powerstore/shared/errors.js';
import { MutableWriterKeyring, SecretWriterKeyring } from '@powerstore/shared/keys.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { EpochCheck, ProtocolContext } from './context.js';
import { override } from './testing/byzantine.js';
import { simCluster } from './testing/sim-cluster.js';
import { get, put } from './testing/ops.js';
import { listMerged } from './list/list-merge.js';

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

/** The review's cluster: nodes and gateway A hold epochs {0, 1} (current 1); gateway B only {0}. */
function twoGateways(t: number, epochs?: (ring: MutableWriterKeyring, e1: Buffer) => EpochCheck): {
  A: ProtocolContext; B: ProtocolContext; cl: ReturnType<typeof simCluster>;
} {
  const e0 = randomBytes(32);
  const e1 = randomBytes(32);
  const cl = simCluster(t, new SecretWriterKeyring(new Map([[0, e0], [1, e1]]), 1));
  const A = cl.gateway();
  const ring = new MutableWriterKeyring(new Map([[0, e0]]), 0);
  const B = { ...cl.gateway(), keys: ring, ...(epochs ? { epochs: epochs(ring, e1) } : {}) };
  return { A, B, cl };
}

/** Answers clock and collect `ms` milliseconds late. */
function slowRounds(inner: ProtocolContext['nodes'][number], ms: number): ProtocolContext['nodes'][number] {
  const later = (): Promise<void> => new Promise((r) => setTimeout(r, ms * 5));
  return override(inner, {
    clock: async (r, s) => {
      await later();
      return inner.clock(r, s);
    },
    collect: async (r, id, s) => {
      await later();
      return inner.collect(r, id, s);
    },
  });
}

const isUnknownEpoch = (e: unknown): boolean => e instanceof UnknownEpochError && e.epoch === 1;

/** A node that answers clock and collect with a made-up timestamp of key epoch 7 (no one holds it). */
function epochSeven(inner: ProtocolContext['nodes'][number]): ProtocolContext['nodes'][number] {
  const seven = (ts: Timestamp): Timestamp => ({ ...ts, num: ts.num + 1, epoch: 7, tag: Buffer.alloc(32, 7) });
  return override(inner, {
    clock: async (r, s) => {
      const ts = await inner.clock(r, s);
      return ts && seven(ts);
    },
    collect: async (r, id, s) => {
      const c = await inner.collect(r, id, s);
      return c && { ...c, ts: seven(c.ts) };
    },
  });
}

for (const t of [1, 2]) {
  describe(`key epochs fail closed, t=${t}`, () => {
    it('a read of a register written under an unknown epoch fails, never returns null or an older value', async () => {
      const { A, B } = twoGateways(t);
      await put(B, 'k', Buffer.from('old'));
      await put(A, 'k', Buffer.from('new'));
      const seen = await get(B, 'k').then(text, (e: unknown) => e);
      assert.ok(seen === 'new' || seen instanceof Error, `B's read returned ${String(seen)}`);
      assert.ok(isUnknownEpoch(seen), 'the failure is UnknownEpochError for epoch 1');
    });

    it('a write that meets an unknown epoch fails instead of being ordered below a completed write', async () => {
      const { A, B } = twoGateways(t);
      await put(B, 'k', Buffer.from('old'));
      await put(A, 'k', Buffer.from('new'));
      const wrote = await put(B, 'k', Buffer.from('newest')).then(() => true, (e: unknown) => e);
      assert.equal(text(await get(A, 'k')), wrote === true ? 'newest' : 'new', 'a completed write was ordered below');
      assert.ok(isUnknownEpoch(wrote), 'the failure is UnknownEpochError for epoch 1');
    });

    it('no node is blamed for a key epoch the gateway lacks', async () => {
      const { A, B, cl } = twoGateways(t);
      await put(B, 'k', Buffer.from('old'));
      await put(A, 'k', Buffer.from('new'));
      await get(B, 'k').catch(() => null);
      await put(B, 'k', Buffer.from('newest')).catch(() => null);
      assert.deepEqual(cl.evidence, []);
    });

    it('once the ring is fetched (recheck), the read returns the newest value and the write is ordered above it', async () => {
      let rechecks = 0;
      const { A, B, cl } = twoGateways(t, (ring, e1) => ({
        recheck: () => {
          rechecks++;
          ring.add(1, e1); // what Redis's ring gives
          return Promise.resolve(1);
        },
        behind: () => null,
      }));
      await put(B, 'k', Buffer.from('old'));
      await put(A, 'k', Buffer.from('new'));
      assert.equal(text(await get(B, 'k')), 'new');
      assert.equal(rechecks, 1);
      await put(B, 'k', Buffer.from('newest'));
      assert.equal(text(await get(A, 'k')), 'newest');
      assert.deepEqual(cl.evidence, []);
    });

    it('an epoch t+1 nodes do not hold, asked after the answer came, is a forgery: evidence, and the operation goes on', async () => {
      const { A, cl } = twoGateways(t);
      const checked = { ...A, epochs: { recheck: () => Promise.resolve(1), behind: () => null } };
      await put(A, 'k', Buffer.from('v1'));
      // Node 0 lies about the epoch and answers first, so its answer is among the q counted.
      cl.wrap(0, epochSeven);
      for (let i = 1; i < cl.params.S; i++) cl.wrap(i, (n) => slowRounds(n, i));
      const blamed = (): string[] => [...new Set(cl.evidence.map((e) => `${e.node} ${e.kind}`))].sort();
      // Without a recheck it cannot tell: it fails closed, and blames no one.
      await assert.rejects(get(A, 'k'), (e: unknown) => e instanceof UnknownEpochError && e.epoch === 7);
      assert.deepEqual(blamed(), []);
      assert.equal(text(await get(checked, 'k')), 'v1');
      await put(checked, 'k', Buffer.from('v2'));
      assert.equal(text(await get(checked, 'k')), 'v2');
      assert.deepEqual(blamed(), ['0 bad-mac', '0 forged-ts']);
    });

    it('a listing whose pages name an unknown epoch fails closed, blaming no node', async () => {
      const { A, B, cl } = twoGateways(t);
      await put(B, 'a', Buffer.from('old'));
      await put(A, 'b', Buffer.from('new'));
      const req = { ns: 'bucket', prefix: '', after: null, skipPrefix: false, limit: 10 };
      await assert.rejects(listMerged(B, req, new AbortController().signal), isUnknownEpoch);
      assert.deepEqual(cl.evidence, []);
      assert.deepEqual((await listMerged(A, req, new AbortController().signal)).entries.map((e) => e.key), ['a', 'b']);
    });

    it('while t+1 nodes hold an epoch the gateway lacks (behind), writes fail closed before anything is stored', async () => {
      const { A, B } = twoGateways(t);
      const lagging = { ...B, epochs: { recheck: () => Promise.resolve(1), behind: () => 1 } };
      await put(A, 'k', Buffer.from('new'));
      await assert.rejects(put(lagging, 'fresh', Buffer.from('x')), isUnknownEpoch);
      assert.equal(await get(A, 'fresh'), null, 'nothing was written');
    });
  });
}
