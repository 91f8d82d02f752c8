// Several users (a credentials file): each sees and uses only the buckets it
// owns; a name another user holds cannot be taken; a bad credentials file is
// one line of error.

import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';

describe('several users', () => {
  let tc: TestCluster;
  const bob = { accessKey: 'BOBKEY0001', secretKey: 'bob-secret-key', user: 'bob' };
  before(async () => {
    tc = await startTestCluster({ t: 1, users: [bob] });
  });
  after(() => tc?.dispose());

  it('keeps each user to its own buckets', async () => {
    const admin = tc.s3;
    const asBob = tc.client({ credentials: { accessKeyId: bob.accessKey, secretAccessKey: bob.secretKey } });
    await admin.send(new CreateBucketCommand({ Bucket: 'admins' }));
    await admin.send(new PutObjectCommand({ Bucket: 'admins', Key: 'secret', Body: 'for admin only' }));
    await asBob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
    await asBob.send(new PutObjectCommand({ Bucket: 'bobs', Key: 'mine', Body: 'bob' }));

    assert.equal(await code(asBob.send(new GetObjectCommand({ Bucket: 'admins', Key: 'secret' }))), 'AccessDenied');
    assert.equal(await code(asBob.send(new PutObjectCommand({ Bucket: 'admins', Key: 'x', Body: 'x' }))), 'AccessDenied');
    assert.equal(await code(asBob.send(new ListObjectsV2Command({ Bucket: 'admins' }))), 'AccessDenied');
    assert.equal(await code(admin.send(new CreateBucketCommand({ Bucket: 'bobs' }))), 'BucketAlreadyExists');
    assert.deepEqual((await asBob.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['bobs']);
    assert.deepEqual((await admin.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['admins']);
    const mine = await asBob.send(new GetObjectCommand({ Bucket: 'bobs', Key: 'mine' }));
    assert.equal(await mine.Body!.transformToString(), 'bob');
    asBob.destroy();
  });

  it('refuses a bad credentials file with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-creds-'));
    writeFileSync(join(dir, 'users.json'), JSON.stringify([{ accessKey: 'A1', secretKey: 'short', user: 'x' }]));
    const start = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../gateway/src/cli/start.js');
    const r = await run(process.execPath, [start, '--data', join(dir, 'data'), '--port', '0', '--credentials', join(dir, 'users.json')], { PATH: process.env.PATH });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: credentials file .* entry 0 needs/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
