// Bucket records with a configuration (CORS rules): written whole by update,
// read back by every gateway; records written before there were incarnation
// ids or configurations stay valid; a fresh read is one of its own, never a
// read that began before it.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BUCKETS_NS } from '@powerstore/shared/protocol/register.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { BucketRegistry } from './buckets.js';
import { encodeMeta, type CorsRule } from './object-meta.js';
import { simCluster } from './protocol/testing/sim-cluster.js';
import { writeRegister } from './protocol/writer.js';

const RULES: CorsRule[] = [{ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: ['ETag'], maxAgeSeconds: 5 }];
const signal = new AbortController().signal;

async function* empty(): AsyncIterable<Buffer> {}

/**
 * Node answers held back: a call made between hold and stopHolding reaches
 * the node at once (its answer reflects the node's state then) and is
 * delivered only on release.
 */
function holdingNodes(): { wrap: (n: NodeApi) => NodeApi; hold: () => void; stopHolding: () => void; release: () => void } {
  let held = false;
  let open!: () => void;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const wrap = (inner: NodeApi): NodeApi => new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (!held || !(r instanceof Promise)) return r;
        const g = gate;
        return r.then((x: unknown) => g.then(() => x));
      };
    },
  });
  return {
    wrap,
    hold: () => {
      held = true;
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    stopHolding: () => {
      held = false;
    },
    release: () => {
      held = false;
      open();
    },
  };
}

describe('bucket records', () => {
  it('update writes the configuration into the same incarnation; every gateway reads it; removing it leaves the rest', async () => {
    const cl = simCluster(1);
    const a = new BucketRegistry(cl.gateway());
    const b = new BucketRegistry(cl.gateway());
    const rec = await a.create('cfg', 'alice', 'us-east-1', signal);
    await a.update('cfg', (x) => ({ ...x, cors: RULES }), signal);
    const seen = await b.fresh('cfg', signal);
    assert.deepEqual(seen, { ...rec, cors: RULES });
    await b.update('cfg', ({ cors: _c, ...without }) => without, signal);
    const after = await a.fresh('cfg', signal);
    assert.deepEqual(after, rec);
    assert.equal(after?.cors, undefined);
  });

  it('a record written before incarnation ids and configurations reads as a bucket without CORS rules', async () => {
    const cl = simCluster(1);
    const ctx = cl.gateway();
    await writeRegister(ctx, { ns: BUCKETS_NS, key: 'old' }, {
      body: empty(),
      finalize: (_size, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: 1, bucket: { created: 1, region: 'us-east-1', owner: 'alice' } }),
    }, 'write', signal);
    const reg = new BucketRegistry(cl.gateway());
    const rec = await reg.get('old', signal);
    // (Private, as every record made before ACLs.)
    assert.deepEqual(rec, { name: 'old', created: 1, region: 'us-east-1', owner: 'alice', ns: 'old', acl: [{ id: 'alice', permission: 'FULL_CONTROL' }] });
    // Configured later, it keeps its bare-name namespace.
    await reg.update('old', (x) => ({ ...x, cors: RULES }), signal);
    assert.deepEqual(await new BucketRegistry(cl.gateway()).fresh('old', signal), { ...rec, cors: RULES });
  });

  it('fresh reads past a read already in flight (which may have begun before a write it must see)', async () => {
    const cl = simCluster(1);
    const h = holdingNodes();
    for (let i = 0; i < cl.params.S; i++) cl.wrap(i, h.wrap);
    const writer = new BucketRegistry(cl.gateway());
    const reader = new BucketRegistry(cl.gateway());
    const rec = await writer.create('inflight', 'alice', 'us-east-1', signal);
    h.hold();
    const inFlight = reader.get('inflight', signal); // asks the nodes before the update; their answers are held
    await new Promise((resolve) => setTimeout(resolve, 20));
    h.stopHolding();
    await writer.update(rec.name, (x) => ({ ...x, cors: RULES }), signal); // completes before fresh begins
    const fresh = reader.fresh('inflight', signal);
    h.release();
    assert.deepEqual((await fresh)?.cors, RULES);
    assert.equal((await inFlight)?.cors, undefined, 'the read in flight answers from before the update');
  });
});
