// Keys with limited permissions (issue 13, item 8), tested as a user runs
// them: `npm start -- --credentials FILE` (start.js, a real launcher, nodes
// and gateway) and the AWS SDK. A read-only key reads but cannot write or
// delete; an append-only key uploads (also multipart) but cannot delete nor
// overwrite; a bucket-limited key sees only its buckets. Then the file is
// edited and the launcher gets SIGHUP: a new key works, a removed key fails,
// a changed permission applies, an upload in flight finishes, with the same
// gateway process. A bad file (or a bad gateway.json) on reload changes
// nothing; at start it is one line and exit code 2.

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  DeleteObjectsCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketAclCommand, PutBucketTaggingCommand,
  PutObjectCommand, S3Client, UploadPartCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { code } from '../harness/s3-error.js';
import { metric, TEST_ADMIN_TOKEN } from '../harness/cluster.js';
import { processesOf } from '../harness/processes.js';
import { until } from '@powerstore/shared/testing/until.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const START = resolve(here, '../../gateway/src/cli/start.js');
const ENV = { ...process.env, POWERSTORE_LOG_LEVEL: 'info', POWERSTORE_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
const MiB = 1024 * 1024;

interface Key { accessKey: string; secretKey: string; user: string; access?: string; buckets?: string[] }
const RW: Key = { accessKey: 'BOBRW0001', secretKey: 'bob-rw-secret', user: 'bob' };
const RO: Key = { accessKey: 'BOBRO0001', secretKey: 'bob-ro-secret', user: 'bob', access: 'read-only' };
const AO: Key = { accessKey: 'BOBAO0001', secretKey: 'bob-ao-secret', user: 'bob', access: 'append-only' };
const LIM: Key = { accessKey: 'BOBLIM0001', secretKey: 'bob-lim-secret', user: 'bob', buckets: ['bob-one'] };
const GONE: Key = { accessKey: 'BOBGONE0001', secretKey: 'bob-gone-secret', user: 'bob' };
const NEW: Key = { accessKey: 'BOBNEW0001', secretKey: 'bob-new-secret', user: 'bob', access: 'read-only' };

/** The gateway's pid: the process run with --config <dir>/gateway.json. */
function gatewayPid(dataDir: string): number {
  const config = join(dataDir, 'gateway.json');
  const pids = processesOf(config).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(config));
  assert.equal(pids.length, 1, `one gateway process, found ${pids.length}`);
  return pids[0]!;
}


/** The gateway log's lines with this msg. */
function logLines(dataDir: string, msg: string): Record<string, unknown>[] {
  return readFileSync(join(dataDir, 'logs', 'gateway.log'), 'utf8').split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
}

describe('keys with limited permissions, reloaded on SIGHUP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-perm-'));
  const dataDir = join(dir, 'data');
  const credsFile = join(dir, 'keys.json');
  let launcher: ChildProcess;
  let out = '';
  let err = '';
  let endpoint = '';
  const clients: S3Client[] = [];
  const as = (k: Key): S3Client => {
    const c = new S3Client({
      endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: k.accessKey, secretAccessKey: k.secretKey },
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    writeFileSync(credsFile, JSON.stringify([RW, RO, AO, LIM, GONE]));
    launcher = spawn(process.execPath, [START, '--data', dataDir, '--port', '0', '--credentials', credsFile], { env: ENV });
    launcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await until('the banner', () => out.includes('Ctrl-C'), 90_000);
    endpoint = /endpoint:\s+(\S+)/.exec(out)![1]!;
    const rw = as(RW);
    await rw.send(new CreateBucketCommand({ Bucket: 'bob-one' }));
    await rw.send(new CreateBucketCommand({ Bucket: 'bob-two' }));
    await rw.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'existing', Body: 'first version' }));
  });

  after(() => {
    for (const c of clients) c.destroy();
    for (const pid of processesOf(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a read-only key reads and lists, and every write, delete and configuration change is AccessDenied', async () => {
    const ro = as(RO);
    const got = await ro.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }));
    assert.equal(await got.Body!.transformToString(), 'first version');
    assert.deepEqual((await ro.send(new ListObjectsV2Command({ Bucket: 'bob-one' }))).Contents?.map((o) => o.Key), ['existing']);
    assert.deepEqual((await ro.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['bob-one', 'bob-two']);
    assert.equal(await code(ro.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'new', Body: 'x' }))), 'AccessDenied');
    assert.equal(await code(ro.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'existing', Body: 'x' }))), 'AccessDenied');
    assert.equal(await code(ro.send(new DeleteObjectCommand({ Bucket: 'bob-one', Key: 'existing' }))), 'AccessDenied');
    assert.equal(await code(ro.send(new DeleteObjectsCommand({ Bucket: 'bob-one', Delete: { Objects: [{ Key: 'existing' }] } }))), 'AccessDenied');
    assert.equal(await code(ro.send(new CreateMultipartUploadCommand({ Bucket: 'bob-one', Key: 'mp' }))), 'AccessDenied');
    assert.equal(await code(ro.send(new CreateBucketCommand({ Bucket: 'bob-three' }))), 'AccessDenied');
    assert.equal(await code(ro.send(new PutBucketTaggingCommand({ Bucket: 'bob-one', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }))), 'AccessDenied');
    assert.equal(await code(ro.send(new PutBucketAclCommand({ Bucket: 'bob-one', ACL: 'public-read' }))), 'AccessDenied');
    // Nothing changed.
    const still = await as(RW).send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }));
    assert.equal(await still.Body!.transformToString(), 'first version');
  });

  it('an append-only key uploads (also multipart) but cannot delete nor overwrite', async () => {
    const ao = as(AO);
    await ao.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'data/pack-1', Body: 'backup pack 1' }));
    // Multipart: a 5 MiB part and a small last one.
    const { UploadId } = await ao.send(new CreateMultipartUploadCommand({ Bucket: 'bob-one', Key: 'data/pack-2' }));
    const parts: CompletedPart[] = [];
    for (const [n, body] of [[1, Buffer.alloc(5 * MiB, 7)], [2, Buffer.from('tail')]] as const) {
      const { ETag } = await ao.send(new UploadPartCommand({ Bucket: 'bob-one', Key: 'data/pack-2', UploadId, PartNumber: n, Body: body }));
      parts.push({ ETag, PartNumber: n });
    }
    await ao.send(new CompleteMultipartUploadCommand({ Bucket: 'bob-one', Key: 'data/pack-2', UploadId, MultipartUpload: { Parts: parts } }));
    const got = await ao.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'data/pack-2' }));
    assert.equal((await got.Body!.transformToByteArray()).length, 5 * MiB + 4);

    // No overwrite, by PUT or by a Complete over an existing key.
    assert.equal(await code(ao.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'data/pack-1', Body: 'overwritten' }))), 'AccessDenied');
    const second = await ao.send(new CreateMultipartUploadCommand({ Bucket: 'bob-one', Key: 'existing' }));
    const p = await ao.send(new UploadPartCommand({ Bucket: 'bob-one', Key: 'existing', UploadId: second.UploadId, PartNumber: 1, Body: 'x' }));
    assert.equal(await code(ao.send(new CompleteMultipartUploadCommand({
      Bucket: 'bob-one', Key: 'existing', UploadId: second.UploadId, MultipartUpload: { Parts: [{ ETag: p.ETag, PartNumber: 1 }] },
    }))), 'AccessDenied');
    // Its own unfinished upload it may drop.
    await ao.send(new AbortMultipartUploadCommand({ Bucket: 'bob-one', Key: 'existing', UploadId: second.UploadId }));

    // No delete: DeleteObject 403, DeleteObjects answers AccessDenied for each key.
    assert.equal(await code(ao.send(new DeleteObjectCommand({ Bucket: 'bob-one', Key: 'data/pack-1' }))), 'AccessDenied');
    const del = await ao.send(new DeleteObjectsCommand({ Bucket: 'bob-one', Delete: { Objects: [{ Key: 'data/pack-1' }, { Key: 'existing' }] } }));
    assert.deepEqual((del.Errors ?? []).map((e) => [e.Key, e.Code]), [['data/pack-1', 'AccessDenied'], ['existing', 'AccessDenied']]);
    assert.equal(del.Deleted, undefined);
    // No configuration change.
    assert.equal(await code(ao.send(new PutBucketAclCommand({ Bucket: 'bob-one', ACL: 'public-read' }))), 'AccessDenied');

    const rw = as(RW);
    assert.equal(await (await rw.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'data/pack-1' }))).Body!.transformToString(), 'backup pack 1');
    assert.equal(await (await rw.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }))).Body!.transformToString(), 'first version');
  });

  it('rclone with the append-only key: copies new files; a changed file is not overwritten, a delete removes nothing', async () => {
    const src = mkdtempSync(join(dir, 'rclone-src-'));
    writeFileSync(join(src, 'a.txt'), 'snapshot a');
    writeFileSync(join(src, 'b.txt'), 'snapshot b');
    const conf = join(dir, 'rclone.conf');
    writeFileSync(conf, [
      '[ps]', 'type = s3', 'provider = Other', `access_key_id = ${AO.accessKey}`, `secret_access_key = ${AO.secretKey}`,
      `endpoint = ${endpoint}`, 'region = us-east-1', 'force_path_style = true', '',
    ].join('\n'));
    const rclone = (args: string[]) => run('rclone', ['--config', conf, '--retries', '1', '--low-level-retries', '1', ...args], { PATH: process.env.PATH, HOME: dir });
    const first = await rclone(['copy', src, 'ps:bob-one/rcl']);
    assert.equal(first.code, 0, first.stderr);
    writeFileSync(join(src, 'a.txt'), 'a ransomware-encrypted a');
    const over = await rclone(['copy', src, 'ps:bob-one/rcl']);
    assert.notEqual(over.code, 0, 'the overwrite is refused');
    assert.match(over.stderr, /AccessDenied|403/);
    const del = await rclone(['delete', 'ps:bob-one/rcl']);
    assert.notEqual(del.code, 0, 'the deletes are refused');
    const got = await as(RW).send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'rcl/a.txt' }));
    assert.equal(await got.Body!.transformToString(), 'snapshot a');
    assert.deepEqual((await as(RW).send(new ListObjectsV2Command({ Bucket: 'bob-one', Prefix: 'rcl/' }))).Contents?.map((o) => o.Key), ['rcl/a.txt', 'rcl/b.txt']);
  });

  it('a key with a bucket list sees and touches only those buckets', async () => {
    const lim = as(LIM);
    assert.deepEqual((await lim.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['bob-one']);
    await lim.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'lim', Body: 'ok' }));
    assert.equal(await code(lim.send(new ListObjectsV2Command({ Bucket: 'bob-two' }))), 'AccessDenied');
    assert.equal(await code(lim.send(new PutObjectCommand({ Bucket: 'bob-two', Key: 'x', Body: 'x' }))), 'AccessDenied');
    assert.equal(await code(lim.send(new CreateBucketCommand({ Bucket: 'bob-three' }))), 'AccessDenied');
    // A missing bucket outside the list is refused too, not reported missing.
    assert.equal(await code(lim.send(new GetObjectCommand({ Bucket: 'nobody-has-it', Key: 'x' }))), 'AccessDenied');
  });

  it('SIGHUP to the launcher: a new key works, a removed key fails, a changed permission applies; same gateway, upload in flight finishes', async () => {
    const pid = gatewayPid(dataDir);
    const reloadsBefore = logLines(dataDir, 'credentials reloaded').length;
    const gone = as(GONE);
    // An upload by the key about to be removed, in flight across the reload.
    let i = 0;
    let sent3!: () => void;
    const atChunk3 = new Promise<void>((r) => (sent3 = r));
    const body = new Readable({
      read() {
        if (i === 16) return void this.push(null);
        if (++i === 3) sent3();
        setTimeout(() => this.push(Buffer.alloc(MiB, i)), 250);
      },
    });
    const put = gone.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'in-flight', Body: body, ContentLength: 16 * MiB }));
    let putDone = false;
    void put.then(() => (putDone = true), () => (putDone = true));
    await atChunk3;

    writeFileSync(credsFile, JSON.stringify([RW, AO, { ...LIM, buckets: ['bob-two'] }, NEW]));
    launcher.kill('SIGHUP');
    await until('the gateway logs the reload', () => logLines(dataDir, 'credentials reloaded').length > reloadsBefore, 30_000);
    const line = logLines(dataDir, 'credentials reloaded').at(-1)!;
    assert.equal(line.keys, 1 + 4, 'the cluster key and the four of the file');
    assert.match(out, /credentials reloaded: 4 keys from /);
    assert.equal(putDone, false, 'the upload was still in flight when the new keys came into force');
    assert.equal(await metric(endpoint, 'powerstore_credential_reloads_total', { result: 'ok' }), 1);

    assert.equal((await put).$metadata.httpStatusCode, 200, 'the upload in flight finished');
    const uploaded = await as(RW).send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'in-flight' }));
    assert.equal((await uploaded.Body!.transformToByteArray()).length, 16 * MiB);

    const fresh = as(NEW);
    assert.equal(await (await fresh.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }))).Body!.transformToString(), 'first version');
    assert.equal(await code(fresh.send(new PutObjectCommand({ Bucket: 'bob-one', Key: 'n', Body: 'x' }))), 'AccessDenied');
    assert.equal(await code(gone.send(new ListBucketsCommand({}))), 'InvalidAccessKeyId');
    assert.equal(await code(as(RO).send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }))), 'InvalidAccessKeyId');
    const lim = as(LIM);
    assert.deepEqual((await lim.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['bob-two']);
    assert.equal(await code(lim.send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'lim' }))), 'AccessDenied');
    assert.equal(gatewayPid(dataDir), pid, 'no restart');
  });

  it('a bad file on reload keeps the old keys: the launcher says so in one line, the gateway logs one error line', async () => {
    const pid = gatewayPid(dataDir);
    writeFileSync(credsFile, JSON.stringify([RW, { ...NEW, access: 'write-only' }]));
    const errBefore = err.length;
    launcher.kill('SIGHUP');
    await until('the launcher refuses the file', () => err.length > errBefore && err.slice(errBefore).includes('\n'), 30_000);
    assert.match(err.slice(errBefore), /^credentials not reloaded \(the previous ones stay\): credentials file .*: entry 1 \(BOBNEW0001\): "access" must be one of read-only, append-only, read-write \(got "write-only"\)\n$/);
    // gateway.json itself made bad by hand, the gateway signalled directly.
    const configPath = join(dataDir, 'gateway.json');
    const good = readFileSync(configPath, 'utf8');
    const cfg = JSON.parse(good) as { credentials: Key[] };
    writeFileSync(configPath, JSON.stringify({ ...cfg, credentials: [...cfg.credentials, { ...GONE, buckets: 'bob-one' }] }));
    const failsBefore = logLines(dataDir, 'credentials reload failed: the previous credentials stay in force').length;
    process.kill(pid, 'SIGHUP');
    await until('the gateway logs the failure', () => logLines(dataDir, 'credentials reload failed: the previous credentials stay in force').length > failsBefore, 30_000);
    const fail = logLines(dataDir, 'credentials reload failed: the previous credentials stay in force').at(-1)!;
    assert.equal(fail.level, 50);
    assert.match(String(fail.reason), /"buckets" must be an array of bucket names/);
    assert.equal(await metric(endpoint, 'powerstore_credential_reloads_total', { result: 'failed' }), 1);
    writeFileSync(configPath, good);
    // The previous keys are in force, in the same process.
    assert.equal(await (await as(NEW).send(new GetObjectCommand({ Bucket: 'bob-one', Key: 'existing' }))).Body!.transformToString(), 'first version');
    assert.equal(await code(as(GONE).send(new ListBucketsCommand({}))), 'InvalidAccessKeyId');
    assert.equal(gatewayPid(dataDir), pid);
  });

  it('at start, a bad access, a non-array buckets or a bad bucket name is one line and exit code 2', async () => {
    const bad: [unknown, RegExp][] = [
      [{ access: 'write-only' }, /"access" must be one of read-only, append-only, read-write/],
      [{ buckets: 'bob-one' }, /"buckets" must be an array of bucket names/],
      [{ buckets: ['bob-one', 'Not_A_Bucket'] }, /"buckets" holds "Not_A_Bucket", which is not a valid bucket name/],
    ];
    for (const [extra, why] of bad) {
      const d = mkdtempSync(join(dir, 'bad-'));
      writeFileSync(join(d, 'keys.json'), JSON.stringify([{ ...RW, ...(extra as object) }]));
      const r = await run(process.execPath, [START, '--data', join(d, 'data'), '--port', '0', '--credentials', join(d, 'keys.json')], { PATH: process.env.PATH });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: credentials file .*: entry 0 \(BOBRW0001\): /);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
