// BucketRegistry.update (bucket tagging): a record written again keeps the
// fields this gateway does not know (another feature's configuration) and
// a record made before incarnation ids existed; a missing bucket is null.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BUCKETS_NS } from '@powerstore/shared/protocol/register.js';
import { BucketRegistry } from './buckets.js';
import { decodeMeta, encodeMeta } from './object-meta.js';
import { readRegister } from './protocol/reader.js';
import { simCluster } from './protocol/testing/sim-cluster.js';
import { writeRegister } from './protocol/writer.js';

const signal = new AbortController().signal;

describe('BucketRegistry.update', () => {
  it('keeps unknown fields and an old record without an id, and caches the result', async () => {
    const ctx = simCluster(1).gateway();
    // A record as an older gateway (no id) with a field from a newer one wrote it.
    const bucket = { created: 5, region: 'us-east-1', owner: 'alice', future: [{ origin: '*' }] };
    await writeRegister(ctx, { ns: BUCKETS_NS, key: 'old' }, {
      body: (async function* () {})(),
      finalize: (_s, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: 5, bucket }),
    }, 'write', signal);
    const reg = new BucketRegistry(ctx);
    const rec = await reg.update('old', (b) => ({ ...b, tags: [['a', '1']] }), signal);
    assert.deepEqual(rec?.tags, [['a', '1']]);
    assert.equal(rec?.ns, 'old', 'still the namespace of a record without an id');
    const raw = decodeMeta((await readRegister(ctx, { ns: BUCKETS_NS, key: 'old' }, 'read', signal))!.meta);
    assert.deepEqual(raw.bucket, { ...bucket, tags: [['a', '1']] });
    assert.deepEqual((await new BucketRegistry(ctx).get('old', signal))?.tags, [['a', '1']], 'another gateway reads it');
    assert.equal(await reg.update('absent', (b) => b, signal), null);
  });
});
