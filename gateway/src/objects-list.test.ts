// An S3 listing page of 1,000 keys is one round of q list requests: the
// nodes are asked for 1,001 entries (MAX_LIST_LIMIT), the one past the page
// telling whether it is the last. Asked for 1,000, every full page took a
// second round for that one key.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { MAX_LIST_LIMIT } from '@powerstore/shared/protocol/wire/node-messages.js';
import type { BucketNs } from './buckets.js';
import { ObjectStore } from './objects.js';
import { override } from './protocol/testing/byzantine.js';
import { put } from './protocol/testing/ops.js';
import { simCluster } from './protocol/testing/sim-cluster.js';

const signal = new AbortController().signal;
const key = (i: number): string => `k${String(i).padStart(5, '0')}`;

describe('an S3 listing page', () => {
  it('of 1,000 keys with more after it is one round of q list requests, and says it is truncated', async () => {
    assert.equal(MAX_LIST_LIMIT, 1001);
    const cl = simCluster(1);
    const gw = cl.gateway();
    const KEYS = 1002;
    for (let i = 0; i < KEYS; i++) await put(gw, key(i), Buffer.from('x'));
    const limits: number[] = [];
    for (let i = 0; i < cl.nodes.length; i++) {
      cl.wrap(i, (n: NodeApi) => override(n, { list: (req, s, parsed) => (limits.push(req.limit), n.list(req, s, parsed)) }));
    }
    const objects = new ObjectStore(cl.gateway());
    const opts = { prefix: '', delimiter: '', after: null, skipPrefix: false, maxKeys: 1000 };
    const first = await objects.list('bucket' as BucketNs, opts, signal);
    assert.equal(first.contents.length, 1000);
    assert.equal(first.truncated, true);
    assert.deepEqual(first.next, { after: key(999), skipPrefix: false });
    assert.deepEqual(limits, Array(cl.params.q).fill(1001), 'one round, each node asked for 1,001');
    limits.length = 0;
    const second = await objects.list('bucket' as BucketNs, { ...opts, after: key(999) }, signal);
    assert.deepEqual(second.contents.map((o) => o.key), [key(1000), key(1001)]);
    assert.equal(second.truncated, false);
    assert.equal(limits.length, cl.params.q);
  });
});
