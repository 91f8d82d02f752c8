// Capacity (issue 13, item 6): objects and bytes per bucket, fragment bytes
// and disk free per node, in /_powerstore/health and the metrics; and
// `powerstore status` shows what each node stores and has free.

import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { adminGet, metric, startTestCluster, type TestCluster } from '../harness/cluster.js';

interface Health {
  nodes: { index: number; bytes?: number; diskFreeBytes?: number; diskTotalBytes?: number }[];
  usage: { at: string; buckets: Record<string, { objects: number; bytes: number }> } | null;
}

describe('capacity in health, metrics and status', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ usageIntervalS: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'cap-a' }));
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'cap-b' }));
    for (let i = 0; i < 3; i++) await tc.s3.send(new PutObjectCommand({ Bucket: 'cap-a', Key: `k${i}`, Body: Buffer.alloc(100_000, i) }));
    await tc.s3.send(new PutObjectCommand({ Bucket: 'cap-a', Key: 'gone', Body: Buffer.alloc(10) }));
    await tc.s3.send(new DeleteObjectCommand({ Bucket: 'cap-a', Key: 'gone' }));
    await tc.s3.send(new PutObjectCommand({ Bucket: 'cap-b', Key: 'one', Body: Buffer.alloc(5000) }));
  });
  after(() => tc.dispose());

  async function health(): Promise<Health> {
    return (await (await adminGet(tc.cluster.endpoint, '/_powerstore/health')).json()) as Health;
  }

  it('per bucket: objects and bytes (delete markers not counted), in health and metrics', { timeout: 60_000 }, async () => {
    const until = Date.now() + 30_000;
    let h = await health();
    while (h.usage?.buckets['cap-a']?.objects !== 3 || h.usage?.buckets['cap-b']?.objects !== 1) {
      if (Date.now() > until) assert.fail(`usage never showed the objects: ${JSON.stringify(h.usage)}`);
      await new Promise((r) => setTimeout(r, 300));
      h = await health();
    }
    assert.deepEqual(h.usage.buckets['cap-a'], { objects: 3, bytes: 300_000 });
    assert.deepEqual(h.usage.buckets['cap-b'], { objects: 1, bytes: 5000 });
    assert.equal(await metric(tc.cluster.endpoint, 'powerstore_bucket_objects', { bucket: 'cap-a' }), 3);
    assert.equal(await metric(tc.cluster.endpoint, 'powerstore_bucket_bytes', { bucket: 'cap-a' }), 300_000);
  });

  it('per node: fragment bytes held and disk free/total, in health, metrics and powerstore status', { timeout: 60_000 }, async () => {
    const h = await health();
    const disk = statfsSync(tc.dir);
    for (const n of h.nodes) {
      // Each node holds about a k-th of each object (t=1: k=2), more with the small objects' padding.
      assert.ok(n.bytes! >= 300_000 / 2 && n.bytes! < 2 * 305_010, `node ${n.index} holds ${n.bytes}`);
      assert.equal(n.diskTotalBytes, disk.blocks * disk.bsize);
      assert.ok(n.diskFreeBytes! > 0 && n.diskFreeBytes! <= n.diskTotalBytes!);
    }
    // The gateway's node watch polls every 5 s.
    const until = Date.now() + 15_000;
    while (await metric(tc.cluster.endpoint, 'powerstore_node_bytes', { node: '0' }) === 0) {
      if (Date.now() > until) assert.fail('powerstore_node_bytes never set');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(await metric(tc.cluster.endpoint, 'powerstore_node_disk_free_bytes', { node: '3' }) > 0);
    const cli = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../gateway/src/cli/powerstore.js');
    const status = await run(process.execPath, [cli, 'status', '--config', tc.cluster.gatewayConfigPath], { PATH: process.env.PATH });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /STORED\s+DISK FREE/);
    assert.match(status.stdout, /^0\s+\S+\s+up\s+.*KiB\s+[\d.]+ [GMT]iB$/m);
  });
});
