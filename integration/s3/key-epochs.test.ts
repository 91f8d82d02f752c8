// Key epochs fail closed (protocol review finding 1), end to end: gateway A
// rotates to key epoch 1 and writes under it; Redis dies; gateway B starts
// from a config file that still holds only epoch 0. B must never answer a
// wrong value or NoSuchKey for A's write (503 SlowDown is the answer: it
// cannot learn the secret without Redis), must refuse writes with 503
// rather than order them below A's, and must blame no node.
// And `keys rotate` reaches every live gateway's config file it can (this
// host's) and names, with exit code 1, every gateway whose file it cannot.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { GATEWAY_SCRIPT } from '../../gateway/src/cli/launcher.js';
import { spawnChild, stopChild } from '../../gateway/src/cli/child.js';
import { RedisKeys, WRITER_TTL_MS } from '../../gateway/src/redis/schema.js';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { metric, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { startTestRedis, type TestRedis } from '../harness/redis.js';
import { code } from '../harness/s3-error.js';
import { until } from '@powerstore/shared/testing/until.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = resolve(here, '../../gateway/src/cli/powerstore.js');


describe('a gateway without the newest key epoch, Redis down', { timeout: 300_000 }, () => {
  let redis: TestRedis;
  let tc: TestCluster;
  const Bucket = 'epochs-it';
  // One attempt: the SDK would retry 503 SlowDown, which only hides what B answered.
  const client = (endpoint: string): S3Client => tc.client({ endpoint, maxAttempts: 1 });
  const text = async (c: S3Client, Key: string): Promise<string> =>
    (await (await c.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString());

  before(async () => {
    redis = await startTestRedis();
    tc = await startTestCluster({ t: 1, redis: redis.url, gateways: 2 });
    await tc.s3.send(new CreateBucketCommand({ Bucket }));
  });
  after(async () => {
    await tc?.dispose();
    await redis?.stop();
  });

  it('B answers 503 SlowDown (never NoSuchKey or the old value), refuses writes, and blames no node', async () => {
    const path = tc.cluster.gatewayConfigPath;
    const A = client(tc.cluster.endpointOf(0));
    // B is not running during the rotation, and its host keeps the pre-rotation config.
    await tc.cluster.killGateway(1, 'SIGTERM');
    const staleConfig = readFileSync(path, 'utf8');
    await A.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'old' }));

    const r = await run(process.execPath, [CLI, 'keys', 'rotate', '--config', path], { PATH: process.env.PATH }, 120_000);
    assert.equal(r.code, 0, r.stderr);
    await until('A writes under epoch 1', async () => (await metric(tc.cluster.endpointOf(0), 'powerstore_key_epoch')) === 1, 30_000);
    await A.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'new' }));

    await redis.kill();
    writeFileSync(path, staleConfig);
    await tc.cluster.startGateway(1);
    const bEndpoint = tc.cluster.endpointOf(1);
    const B = client(bEndpoint);

    const got = await text(B, 'k').then((v) => `value ${v}`, (e: Error) => e.name);
    assert.ok(got === 'SlowDown' || got === 'value new', `B's GET answered ${got}`);
    assert.equal(await code(B.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'newest' }))), 'SlowDown');
    assert.equal(await code(B.send(new PutObjectCommand({ Bucket, Key: 'fresh', Body: 'x' }))), 'SlowDown', 'writes wait while t+1 nodes hold a newer epoch');
    assert.equal(await text(A, 'k'), 'new', 'nothing was ordered below A\'s write');
    assert.equal(await metric(bEndpoint, 'powerstore_node_evidence_total'), 0, 'no node is blamed');
    assert.equal(await metric(tc.cluster.endpointOf(0), 'powerstore_node_evidence_total'), 0, 'no node is blamed');
  });
});

describe('keys rotate and the gateways\' config files', { timeout: 300_000 }, () => {
  let redis: TestRedis;
  let tc: TestCluster;
  before(async () => {
    redis = await startTestRedis();
    tc = await startTestCluster({ t: 1, redis: redis.url, gateways: 1 });
  });
  after(async () => {
    await tc?.dispose();
    await redis?.stop();
  });

  it('writes the new epoch into every live gateway\'s config file on this host, and names (exit 1) those it cannot', async () => {
    const path = tc.cluster.gatewayConfigPath;
    // A second gateway on this host, running from its own copy of the config file.
    const other = join(tc.dir, 'other-gateway.json');
    writeFileSync(other, readFileSync(path));
    const child = await spawnChild('other-gateway', GATEWAY_SCRIPT, ['--config', other, '--port', '0'], join(tc.dir, 'logs', 'other-gateway.log'),
      { ...process.env, POWERSTORE_LOG_LEVEL: 'warn' });
    // And one on another host (its record as it would publish it; it already holds epoch 1).
    const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const rk = new RedisKeys();
    const far = {
      writer: 'abababababababab', endpoint: 'http://10.9.9.9:9000', host: 'far-away-host', pid: 1, startedAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(), keyEpoch: 0, epochs: [0, 1], config: '/etc/powerstore/gateway.json',
    };
    try {
      await raw.set(rk.gateway(far.writer), JSON.stringify(far), 'PX', WRITER_TTL_MS);
      await raw.zadd(rk.gateways, Date.now(), far.writer);
      const r = await run(process.execPath, [CLI, 'keys', 'rotate', '--config', path], { PATH: process.env.PATH }, 120_000);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /rotated: key epoch 1 is current/);
      assert.match(r.stderr, /did not reach the config file of 1 gateway:\n {2}gateway abababababababab \(http:\/\/10\.9\.9\.9:9000, host far-away-host\): \/etc\/powerstore\/gateway\.json is on another host/);
      const mine = JSON.parse(readFileSync(path, 'utf8')) as { secrets: Record<string, string>; currentEpoch: number };
      const theirs = JSON.parse(readFileSync(other, 'utf8')) as { secrets: Record<string, string>; currentEpoch: number };
      assert.equal(mine.currentEpoch, 1);
      assert.ok(mine.secrets['1']);
      assert.deepEqual(theirs.secrets, mine.secrets, 'the other gateway\'s file holds every epoch');
      assert.equal(theirs.currentEpoch, 1);
    } finally {
      raw.disconnect();
      await stopChild(child);
    }
  });
});
