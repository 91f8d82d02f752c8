// Garbage collection on real nodes (DESIGN §4, §6): a key overwritten 1,000
// times keeps each node's fragment files within a small constant of one
// version's; a slow GET overlapping many overwrites still streams the
// version it chose, whole (its pins keep that version's fragments); an
// aborted multipart upload's parts leave the disks, and a completed one's
// stay exactly as long as the object made of them.

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const MiB = 1024 * 1024;

/**
 * A node's fragment files' bytes. The node's collector removes files while
 * this runs: one listed and gone before its stat counts nothing (a CI run
 * failed on that race, ENOENT).
 */
function fragBytes(tc: TestCluster, node: number): number {
  const root = join(tc.dir, `node-${node}`, 'store', 'frags');
  let total = 0;
  for (const sub of readdirSync(root)) {
    for (const f of readdirSync(join(root, sub))) total += statSync(join(root, sub, f), { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/**
 * Waits for `check`. The default outlasts a node's write lease (60 s): an
 * entry whose complete reached its node too late (a slow node under load)
 * is collected only once its lease expires.
 */
async function settle(check: () => boolean, ms = 90_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

/**
 * Every node's fragment bytes once collection has finished what earlier
 * tests left: no change for 6.5 s, longer than a node waits before looking
 * again at entries a read had pinned (storage-node/src/gc/gc.ts, 5 s).
 */
async function quiet(tc: TestCluster): Promise<number[]> {
  let last = [0, 1, 2, 3].map((n) => fragBytes(tc, n));
  let same = 0;
  for (const until = Date.now() + 60_000; same < 13 && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = [0, 1, 2, 3].map((n) => fragBytes(tc, n));
    same = now.every((b, i) => b === last[i]) ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** A multipart upload of `parts` parts of 5 MiB; returns its id and the parts' ETags. */
async function uploadParts(s3: S3Client, key: string, parts: number): Promise<{ uploadId: string; etags: string[]; body: Buffer }> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'gcb', Key: key }));
  const bodies = Array.from({ length: parts }, () => randomBytes(5 * MiB));
  const etags: string[] = [];
  for (const [i, b] of bodies.entries()) {
    etags.push((await s3.send(new UploadPartCommand({ Bucket: 'gcb', Key: key, UploadId: UploadId!, PartNumber: i + 1, Body: b }))).ETag!);
  }
  return { uploadId: UploadId!, etags, body: Buffer.concat(bodies) };
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

  it('an aborted upload\'s parts leave every node\'s disk', async () => {
    const before = await quiet(tc);
    const { uploadId } = await uploadParts(tc.s3, 'aborted', 3);
    const grown = [0, 1, 2, 3].map((n) => fragBytes(tc, n) - before[n]!);
    assert.ok(grown.filter((g) => g >= 7 * MiB).length >= 3, `the parts were stored (${grown})`);
    await tc.s3.send(new AbortMultipartUploadCommand({ Bucket: 'gcb', Key: 'aborted', UploadId: uploadId }));
    for (let n = 0; n < 4; n++) {
      assert.ok(await settle(() => fragBytes(tc, n) <= before[n]! + MiB / 2), `node ${n} still holds ${fragBytes(tc, n) - before[n]!} bytes more`);
    }
  });

  it('a completed upload\'s parts stay while the object lives, and go when it is overwritten', async () => {
    const before = await quiet(tc);
    const { uploadId, etags, body } = await uploadParts(tc.s3, 'assembled', 3);
    await tc.s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'gcb', Key: 'assembled', UploadId: uploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }));
    await new Promise((r) => setTimeout(r, 1500)); // collection had its chance
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: 'gcb', Key: 'assembled' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body), 'the object reads back whole');
    await tc.s3.send(new PutObjectCommand({ Bucket: 'gcb', Key: 'assembled', Body: 'small' }));
    for (let n = 0; n < 4; n++) {
      assert.ok(await settle(() => fragBytes(tc, n) <= before[n]! + MiB / 2), `node ${n} still holds ${fragBytes(tc, n) - before[n]!} bytes more`);
    }
  });
});
