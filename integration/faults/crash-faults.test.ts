// Crashes on a real cluster: SIGKILL of t nodes before, during and after
// writes; a node restarted with an empty disk; a t=2 cluster with two nodes
// down. Every read is checked byte for byte.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

async function getBytes(tc: TestCluster, Bucket: string, Key: string): Promise<Buffer> {
  const r = await tc.s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('t=1: SIGKILL before, during and after writes', () => {
  let tc: TestCluster;
  const B = 'crash';
  const written = new Map<string, Buffer>();

  const put = async (key: string, size: number): Promise<void> => {
    const body = randomBytes(size);
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: body }));
    written.set(key, body);
  };
  const checkAll = async (): Promise<void> => {
    for (const [k, v] of written) assert.ok((await getBytes(tc, B, k)).equals(v), `object ${k} reads back whole`);
  };

  before(async () => {
    tc = await startTestCluster({ t: 1, blockSize: 64 * 1024 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => tc?.dispose());

  it('writes and reads with a data-shard node killed before the writes (parity decoding)', async () => {
    await put('before-kill', 300_000);
    await tc.cluster.killNode(0);
    await put('while-0-down', 500_000);
    await put('small-while-0-down', 10);
    await checkAll();
  });

  it('reads everything after node 0 returns and a different node is killed', async () => {
    await tc.cluster.startNode(0);
    await tc.cluster.killNode(3);
    await checkAll();
    await tc.cluster.startNode(3);
  });

  it('completes a write during which a node is SIGKILLed, and reads it back', async () => {
    const body = randomBytes(40 * 1024 * 1024);
    const p = tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'during', Body: body }));
    await new Promise((r) => setTimeout(r, 150));
    await tc.cluster.killNode(1);
    await p;
    written.set('during', body);
    await checkAll();
    await tc.cluster.startNode(1);
  });

  it('reads what was written before a node is killed after the writes', async () => {
    await put('after-1', 100_000);
    await put('after-2', 2_000_000);
    await tc.cluster.killNode(2);
    await checkAll();
    await tc.cluster.startNode(2);
  });

  it('reads everything with a node restarted on an empty disk', async () => {
    await tc.cluster.killNode(1);
    rmSync(join(tc.dir, 'node-1', 'store'), { recursive: true, force: true });
    await tc.cluster.startNode(1);
    await checkAll();
    await put('after-amnesia', 123_456);
    await checkAll();
  });
});

describe('t=2: seven nodes, two of them down', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 2, blockSize: 64 * 1024 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'seven' }));
  });
  after(() => tc?.dispose());

  it('writes and reads with nodes 0 and 4 SIGKILLed', async () => {
    const early = randomBytes(1_000_000);
    await tc.s3.send(new PutObjectCommand({ Bucket: 'seven', Key: 'early', Body: early }));
    await tc.cluster.killNode(0);
    await tc.cluster.killNode(4);
    const late = randomBytes(777_777);
    await tc.s3.send(new PutObjectCommand({ Bucket: 'seven', Key: 'late', Body: late }));
    assert.ok((await getBytes(tc, 'seven', 'early')).equals(early));
    assert.ok((await getBytes(tc, 'seven', 'late')).equals(late));
  });
});
