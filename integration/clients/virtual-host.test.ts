// Virtual-hosted style (bucket.<domain>) with --domain: the SDK with
// forcePathStyle off, every name resolved to 127.0.0.1. Bucket operations,
// objects, listings; /_powerstore/ under a bucket host is just a key there.

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { strict as assert } from 'node:assert';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const DOMAIN = 's3.test';

describe('virtual-hosted style requests', () => {
  let tc: TestCluster;
  let s3: S3Client;
  before(async () => {
    tc = await startTestCluster({ t: 1, domain: DOMAIN });
    const port = new URL(tc.cluster.endpoint).port;
    // Every host name (bucket.s3.test) goes to the local gateway.
    const lookup = ((_host: string, opts: unknown, cb: (e: null, a: string | Array<{ address: string; family: number }>, f?: number) => void) =>
      (opts as { all?: boolean }).all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as LookupFunction;
    s3 = new S3Client({
      endpoint: `http://${DOMAIN}:${port}`,
      region: tc.cluster.region,
      forcePathStyle: false,
      credentials: { accessKeyId: tc.cluster.credentials.accessKey, secretAccessKey: tc.cluster.credentials.secretKey },
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup }) }),
    });
  });
  after(async () => {
    s3?.destroy();
    await tc?.dispose();
  });

  it('creates a bucket, writes, reads and lists through bucket host names', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vhost' }));
    await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'dir/a b.txt', Body: 'virtual' }));
    await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: '_powerstore/health', Body: 'just a key' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/a b.txt' }));
    assert.equal(await got.Body!.transformToString(), 'virtual');
    const admin = await s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: '_powerstore/health' }));
    assert.equal(await admin.Body!.transformToString(), 'just a key');
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'vhost' }));
    assert.deepEqual(list.Contents?.map((c) => c.Key), ['_powerstore/health', 'dir/a b.txt']);
    // The same object through path style on the plain endpoint.
    const path = await tc.s3.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/a b.txt' }));
    assert.equal(await path.Body!.transformToString(), 'virtual');
  });
});
