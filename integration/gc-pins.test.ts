// Garbage collection on real nodes (DESIGN §4, §6): a key overwritten 1,000
// times keeps each node's fragment files within a small constant of one
// version's; a slow GET overlapping many overwrites still streams the
// version it chose, whole (its pins keep that version's fragments).

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './harness/cluster.js';

const MiB = 1024 * 1024;

function fragBytes(tc: TestCluster, node: number): number {
  const root = join(tc.dir, `node-${node}`, 'store', 'frags');
  let total = 0;
  for (const sub of readdirSync(root)) for (const f of readdirSync(join(root, sub))) total += statSync(join(root, sub, f)).size;
  return total;
}

async function settle(check: () => boolean, ms = 30_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

describe('garbage collection with read pins', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'gcb' }));
  });
  after(() => tc?.dispose());

  it('keeps disk use near one version however often a key is overwritten (1,000 x 1 MiB)', async () => {
    const body = randomBytes(MiB);
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < 1000) {
        next++;
        body.writeUInt32BE(next, 0);
        await tc.s3.send(new PutObjectCommand({ Bucket: 'gcb', Key: 'hot', Body: Buffer.from(body) }));
      }
    }));
    const oneFragment = MiB / 2; // k = 2 at t = 1
    for (let n = 0; n < 4; n++) {
      const ok = await settle(() => fragBytes(tc, n) <= 4 * oneFragment);
      assert.ok(ok, `node ${n} holds ${fragBytes(tc, n)} bytes of fragments`);
    }
  });

  it('a slow GET overlapping many overwrites still streams its version whole', async () => {
    const original = randomBytes(24 * MiB);
    const want = createHash('sha256').update(original).digest('hex');
    await tc.s3.send(new PutObjectCommand({ Bucket: 'gcb', Key: 'slow', Body: original }));
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: 'gcb', Key: 'slow' }));
    const stream = got.Body as Readable;
    const h = createHash('sha256');
    let n = 0;
    let overwritten = false;
    for await (const chunk of stream) {
      h.update(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (!overwritten && n > MiB) {
        overwritten = true;
        stream.pause();
        for (let i = 0; i < 10; i++) await tc.s3.send(new PutObjectCommand({ Bucket: 'gcb', Key: 'slow', Body: randomBytes(2 * MiB) }));
        await new Promise((r) => setTimeout(r, 1500)); // let collection run
        stream.resume();
      }
    }
    assert.equal(n, original.length);
    assert.equal(h.digest('hex'), want, 'the version the GET chose, not a mix');
  });
});
