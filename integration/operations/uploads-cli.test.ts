// `powerstore uploads list|abort` (issue 13, item 6): incomplete multipart
// uploads listed with their age, and those older than a given age aborted
// (their parts' data leaves the nodes), from the gateway config file alone.

import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const CLI = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../gateway/src/cli/powerstore.js');
const ENV = { PATH: process.env.PATH, POWERSTORE_LOG_LEVEL: 'warn' };

describe('powerstore uploads', () => {
  let tc: TestCluster;
  let oldId = '';
  let newId = '';
  let oldAt = 0;
  /**
   * An age between the two uploads' when the CLI looks: the old one's age now, in whole seconds. A fixed 2s
   * was passed by the new upload too on a loaded machine (a CLI run there took 1-2 s); this way the CLI
   * may take up to 4 s (the 5 s between the uploads, less a second of rounding).
   */
  const between = (): string => `${Math.floor((Date.now() - oldAt) / 1000)}s`;
  before(async () => {
    tc = await startTestCluster();
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'up-a' }));
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'up-b' }));
    oldId = (await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: 'up-a', Key: 'old/file' }))).UploadId!;
    oldAt = Date.now();
    await tc.s3.send(new UploadPartCommand({ Bucket: 'up-a', Key: 'old/file', UploadId: oldId, PartNumber: 1, Body: Buffer.alloc(1000, 7) }));
    await new Promise((r) => setTimeout(r, 5000));
    newId = (await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: 'up-b', Key: 'new/file' }))).UploadId!;
  });
  after(() => tc.dispose());

  const cli = (...args: string[]): ReturnType<typeof run> => run(process.execPath, [CLI, ...args, '--config', tc.cluster.gatewayConfigPath], ENV, 60_000);

  it('list: every incomplete upload with its bucket, key, id and age; --older-than and --bucket narrow it', { timeout: 60_000 }, async () => {
    const all = await cli('uploads', 'list');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^BUCKET\s+KEY\s+UPLOAD ID\s+INITIATED\s+AGE\s+OWNER/);
    assert.ok(all.stdout.includes(oldId) && all.stdout.includes(newId));
    assert.match(all.stdout, new RegExp(`up-a\\s+old/file\\s+${oldId}`));
    const older = await cli('uploads', 'list', '--older-than', between(), '--json');
    assert.equal(older.code, 0);
    const listed = JSON.parse(older.stdout) as { bucket: string; key: string; uploadId: string }[];
    assert.deepEqual(listed.map((u) => u.uploadId), [oldId]);
    const b = JSON.parse((await cli('uploads', 'list', '--bucket', 'up-b', '--json')).stdout) as { uploadId: string }[];
    assert.deepEqual(b.map((u) => u.uploadId), [newId]);
  });

  it('abort --older-than: a dry run changes nothing; the real one aborts only the old upload', { timeout: 90_000 }, async () => {
    const dry = await cli('uploads', 'abort', '--older-than', between(), '--dry-run');
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /dry run: 1 upload would be aborted/);
    const before = await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: 'up-a' }));
    assert.equal(before.Uploads?.length, 1);

    const real = await cli('uploads', 'abort', '--older-than', between());
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.match(real.stdout, new RegExp(`aborted up-a/old/file ${oldId}`));
    assert.match(real.stdout, /1 of 1 uploads aborted/);
    assert.equal((await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: 'up-a' }))).Uploads?.length ?? 0, 0);
    await assert.rejects(tc.s3.send(new ListPartsCommand({ Bucket: 'up-a', Key: 'old/file', UploadId: oldId })), /NoSuchUpload/);
    assert.equal((await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: 'up-b' }))).Uploads?.[0]?.UploadId, newId);
  });

  it('bad input is one line and exit code 2; --version prints the package version', { timeout: 60_000 }, async () => {
    const noAge = await cli('uploads', 'abort');
    assert.equal(noAge.code, 2);
    assert.match(noAge.stderr, /^error: uploads abort needs --older-than D/);
    assert.equal(noAge.stderr.trim().split('\n').length, 1);
    const badAge = await cli('uploads', 'list', '--older-than', '7 days');
    assert.equal(badAge.code, 2);
    assert.match(badAge.stderr, /^error: --older-than must be a number and a unit/);
    const noBucket = await cli('uploads', 'list', '--bucket', 'nope-bucket');
    assert.equal(noBucket.code, 2);
    assert.match(noBucket.stderr, /^error: no bucket named "nope-bucket"/);
    const version = await run(process.execPath, [CLI, '--version'], ENV);
    const pkg = JSON.parse(readFileSync(resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout, `powerstore ${pkg.version}\n`);
  });
});
