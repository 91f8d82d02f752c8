// Redis with a real local cluster (4 nodes, 3 gateways, one redis-server):
// distinct writers registered and listed (health, CLI), a restarted gateway
// under a new writer id, a wrong KEK refused at start in one line, the key
// ring sealed in Redis, a key rotation end to end (old and new objects
// readable, new writes under the new epoch, node keys durable, unauthenticated
// deliveries refused), and a Redis that dies, returns empty or hangs while
// PUT/GET keep working and health says degraded, then ok.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { KEY_DELIVERY_PATH, sealNodeKey, SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest } from '@powerstore/shared/node-auth.js';
import { RemoteNode } from '../../gateway/src/nodes/remote-node.js';
import type { HealthReport } from '../../gateway/src/admin/health.js';
import type { GatewayRecord } from '../../gateway/src/redis/schema.js';
import { RedisKeys } from '../../gateway/src/redis/schema.js';
import { bucketNamespaceIn, bucketRecordQuery } from '../harness/bucket-ns.js';
import { run } from '../harness/cli.js';
import { adminGet, metric, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { startTestRedis, type TestRedis } from '../harness/redis.js';
import { until } from '@powerstore/shared/testing/until.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = resolve(here, '../../gateway/src/cli/powerstore.js');
const GATEWAY = resolve(here, '../../gateway/src/main.js');
const rk = new RedisKeys();


async function health(endpoint: string): Promise<HealthReport> {
  return (await adminGet(endpoint, '/_powerstore/health', { signal: AbortSignal.timeout(5000) })).json() as Promise<HealthReport>;
}

describe('Redis with a local cluster of 3 gateways', () => {
  let redis: TestRedis;
  let tc: TestCluster;
  let raw: Redis;
  const B = 'redis-it';
  const clients = new Map<string, S3Client>();
  const client = (endpoint: string): S3Client => {
    let c = clients.get(endpoint);
    if (!c) clients.set(endpoint, (c = tc.client({ endpoint })));
    return c;
  };
  const written = new Map<string, Buffer>();
  const put = async (endpoint: string, key: string): Promise<void> => {
    const body = randomBytes(1000 + Math.floor(Math.random() * 200_000));
    await client(endpoint).send(new PutObjectCommand({ Bucket: B, Key: key, Body: body }));
    written.set(key, body);
  };
  const get = async (endpoint: string, key: string): Promise<Buffer> => {
    const r = await client(endpoint).send(new GetObjectCommand({ Bucket: B, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  };
  const gatewayConfig = (): { secrets: Record<string, string>; currentEpoch: number; kek: string } =>
    JSON.parse(readFileSync(tc.cluster.gatewayConfigPath, 'utf8')) as { secrets: Record<string, string>; currentEpoch: number; kek: string };
  const cli = (args: string[]) => run(process.execPath, [CLI, ...args], { PATH: process.env.PATH }, 120_000);

  before(async () => {
    redis = await startTestRedis();
    tc = await startTestCluster({ t: 1, redis: redis.url, gateways: 3, blockSize: 64 * 1024 });
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => undefined);
    await raw.connect();
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(async () => {
    clients.forEach((c) => c.destroy());
    raw?.disconnect();
    await tc?.dispose();
    await redis?.dispose();
  });

  it('every gateway registers a distinct writer; each one\'s health and the CLI list all three', async () => {
    const endpoints = tc.cluster.endpoints;
    assert.equal(endpoints.length, 3);
    await until('three gateways listed everywhere', async () => (await Promise.all(endpoints.map(health))).every((h) => h.gateways.length === 3));
    const reports = await Promise.all(endpoints.map(health));
    const writers = reports.map((h) => h.writer);
    assert.equal(new Set(writers).size, 3, 'distinct writer ids');
    for (const h of reports) {
      assert.equal(h.redis, 'ok');
      assert.deepEqual(h.gateways.map((g) => g.writer).sort(), [...writers].sort());
      assert.deepEqual(h.gateways.map((g) => g.endpoint).sort(), [...endpoints].sort());
    }
    const r = await cli(['gateways', '--config', tc.cluster.gatewayConfigPath, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as GatewayRecord[]).map((g) => g.writer).sort(), [...writers].sort());
    const table = await cli(['gateways', '--redis', redis.url]);
    assert.equal(table.stdout.trim().split('\n').length, 4, `header and 3 rows:\n${table.stdout}`);
  });

  it('a restarted gateway registers again under a new writer id', async () => {
    const before1 = (await health(tc.cluster.endpointOf(1))).writer;
    await tc.cluster.killGateway(1, 'SIGTERM');
    await tc.cluster.startGateway(1);
    const after1 = (await health(tc.cluster.endpointOf(1))).writer;
    assert.notEqual(after1, before1);
    await until('new id listed, old one gone', async () => {
      const ids = (await health(tc.cluster.endpoint)).gateways.map((g) => g.writer);
      return ids.length === 3 && ids.includes(after1) && !ids.includes(before1);
    });
  });

  it('keeps the key ring sealed in Redis: no secret in the raw values', async () => {
    const secret = Buffer.from(gatewayConfig().secrets['0']!, 'hex');
    const ring = await raw.hgetallBuffer(rk.keyring);
    assert.ok(Object.keys(ring).includes('epoch:0'));
    for (const v of Object.values(ring)) {
      const text = v.toString('latin1');
      assert.ok(!text.includes(secret.toString('hex')) && !text.includes(secret.toString('base64')) && !v.includes(secret));
      assert.ok(!Buffer.from(v.toString().slice(3), 'base64').includes(secret));
    }
  });

  it('a gateway given a wrong KEK fails at start with one clear line', async () => {
    const r = await run(process.execPath, [GATEWAY, '--config', tc.cluster.gatewayConfigPath, '--port', '0', '--kek', randomBytes(32).toString('hex')],
      { PATH: process.env.PATH, POWERSTORE_LOG_LEVEL: 'warn' }, 30_000);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'error: the key-encryption key does not open the key ring in Redis\n');
    const noKek = await run(process.execPath, [GATEWAY, '--config', tc.cluster.gatewayConfigPath, '--port', '0', '--kek', 'abc'], { PATH: process.env.PATH }, 30_000);
    assert.equal(noKek.code, 2);
    assert.match(noKek.stderr, /^error: --kek must be 64 hex digits/);
  });

  it('the CLI says in one line that rotation and listing need Redis', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-cli-'));
    try {
      const noRedis = join(dir, 'gateway.json');
      const cfg = JSON.parse(readFileSync(tc.cluster.gatewayConfigPath, 'utf8')) as Record<string, unknown>;
      delete cfg.redis;
      writeFileSync(noRedis, JSON.stringify(cfg));
      const r = await cli(['keys', 'rotate', '--config', noRedis]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: key rotation needs Redis \(--redis URL/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      const g = await cli(['gateways', '--config', noRedis]);
      assert.equal(g.code, 2);
      assert.match(g.stderr, /^error: `gateways` lists what Redis knows: give --redis URL/);
      const noKek = await cli(['keys', 'rotate', '--config', noRedis, '--redis', redis.url, '--kek', 'zz']);
      assert.match(noKek.stderr, /^error: --kek must be 64 hex digits/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys rotate: objects before and after all read back, new writes use the new epoch, nodes keep their new keys', async () => {
    const endpoints = tc.cluster.endpoints;
    for (let i = 0; i < 3; i++) await put(endpoints[i]!, `before-${i}`);
    assert.equal(await metric(endpoints[0]!, 'powerstore_key_epoch'), 0);

    const r = await cli(['keys', 'rotate', '--config', tc.cluster.gatewayConfigPath]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /key epoch 1 delivered to all 4 nodes/);
    assert.match(r.stdout, /rotated: key epoch 1 is current/);
    const cfg = gatewayConfig();
    assert.equal(cfg.currentEpoch, 1, 'the config file is the durable copy');
    assert.ok(cfg.secrets['1'] && cfg.secrets['1'] !== cfg.secrets['0']);
    for (const e of endpoints) await until(`${e} on epoch 1`, async () => (await metric(e, 'powerstore_key_epoch')) === 1);

    for (let i = 0; i < 3; i++) await put(endpoints[i]!, `after-${i}`);
    for (const e of endpoints) {
      for (const [k, v] of written) assert.ok((await get(e, k)).equals(v), `${k} reads back whole through ${e}`);
    }

    // The epoch each object's lc was written under, as node 0 reports it.
    const ring = new SecretWriterKeyring(new Map(Object.entries(cfg.secrets).map(([e, s]) => [Number(e), Buffer.from(s, 'hex')])), 1);
    const S = tc.cluster.params.S;
    const epochAt = async (node: number, key: string): Promise<number | undefined> => {
      const n = new RemoteNode({ index: node, url: tc.cluster.nodes[node]!.url, keys: ring, S, requestTimeoutMs: 10_000 });
      try {
        const ns = bucketNamespaceIn(await n.list(bucketRecordQuery(B), AbortSignal.timeout(10_000)), B);
        return (await n.collect({ ns, key }, randomBytes(8).toString('hex'), AbortSignal.timeout(10_000)))?.ts.epoch;
      } finally {
        await n.close();
      }
    };
    assert.equal(await epochAt(0, 'before-0'), 0);
    assert.equal(await epochAt(0, 'after-0'), 1);

    // Nodes refuse deliveries not sealed under their current key (now epoch 1).
    const deliver = async (node: number, wrap: Buffer, wrapEpoch: number, epoch: number, signKey: Buffer, signEpoch: number) => {
      const body = Buffer.from(JSON.stringify({ op: 'install', ...sealNodeKey(wrap, node, wrapEpoch, epoch, randomBytes(32)) }));
      const hash = createHash('sha256').update(body).digest('hex');
      const res = await request(`${tc.cluster.nodes[node]!.url}${KEY_DELIVERY_PATH}`, {
        method: 'POST', body, headers: { [AUTH_HEADER]: signRequest(signKey, signEpoch, 'POST', KEY_DELIVERY_PATH, hash), [BODY_HASH_HEADER]: hash },
      });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const stale = await deliver(2, ring.nodeKey(0, 2)!, 0, 2, ring.nodeKey(0, 2)!, 0);
    assert.equal(stale.status, 409, `sealed under superseded epoch 0: ${stale.body}`);
    const forged = await deliver(2, randomBytes(32), 1, 2, ring.nodeKey(1, 2)!, 1);
    assert.equal(forged.status, 401, forged.body);
    const otherNodes = await deliver(2, ring.nodeKey(1, 3)!, 1, 2, ring.nodeKey(1, 2)!, 1);
    assert.equal(otherNodes.status, 401, `sealed under node 3's key: ${otherNodes.body}`);

    // A restarted node kept its delivered key: it accepts epoch-1 requests and serves both epochs.
    await tc.cluster.killNode(0);
    await tc.cluster.startNode(0);
    assert.equal(await epochAt(0, 'after-1'), 1);
    assert.equal(await epochAt(0, 'before-1'), 0);
    await put(endpoints[0]!, 'after-node-restart');
    assert.equal(await epochAt(0, 'after-node-restart'), 1);

    // Running it again starts epoch 2 (nothing left half-done).
    const again = await cli(['keys', 'rotate', '--config', tc.cluster.gatewayConfigPath]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /key epoch 2 is current/);
    await until('epoch 2 everywhere', async () => (await Promise.all(endpoints.map((e) => metric(e, 'powerstore_key_epoch')))).every((v) => v === 2));
    await put(endpoints[2]!, 'epoch-2');
    for (const [k, v] of written) assert.ok((await get(endpoints[1]!, k)).equals(v), k);
  });

  it('a rotation that cannot reach a node switches nothing, and resumes when run again', async () => {
    const endpoints = tc.cluster.endpoints;
    await tc.cluster.killNode(3);
    try {
      const r = await cli(['keys', 'rotate', '--config', tc.cluster.gatewayConfigPath]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, /^error: key epoch 3 not delivered to every node \(node 3: .*nothing was switched/);
      assert.equal(gatewayConfig().currentEpoch, 2);
      assert.ok(gatewayConfig().secrets['3'], 'the new secret is kept for the resumption');
      await new Promise((res) => setTimeout(res, 2500));
      for (const e of endpoints) assert.equal(await metric(e, 'powerstore_key_epoch'), 2, 'writes stay on epoch 2');
      await put(endpoints[1]!, 'during-half-rotation');
    } finally {
      await tc.cluster.startNode(3);
    }
    const again = await cli(['keys', 'rotate', '--config', tc.cluster.gatewayConfigPath]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /resuming the rotation to key epoch 3/);
    assert.match(again.stdout, /key epoch 3 is current/);
    await until('epoch 3 everywhere', async () => (await Promise.all(endpoints.map((e) => metric(e, 'powerstore_key_epoch')))).every((v) => v === 3));
    await put(endpoints[0]!, 'epoch-3');
    for (const [k, v] of written) assert.ok((await get(endpoints[2]!, k)).equals(v), k);
  });

  it('Redis killed mid-run and restarted empty: PUT/GET keep working; health says degraded, then ok', async () => {
    const endpoints = tc.cluster.endpoints;
    let stop = false;
    let ops = 0;
    const failures: string[] = [];
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const e = endpoints[i % endpoints.length]!;
        const key = `load-${i}`;
        try {
          await put(e, key);
          if (!(await get(endpoints[(i + 1) % endpoints.length]!, key)).equals(written.get(key)!)) failures.push(`${key}: wrong bytes`);
          ops++;
        } catch (err) {
          failures.push(`${key}: ${(err as Error).message}`);
        }
      }
    })();
    try {
      await until('some load', () => ops >= 3);
      await redis.kill();
      await until('degraded everywhere', async () => (await Promise.all(endpoints.map(health))).every((h) => h.redis === 'degraded'));
      const opsDown = ops;
      await until('PUT/GET while Redis is down', () => ops >= opsDown + 5);
      await redis.start();
      raw.disconnect();
      raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      raw.on('error', () => undefined);
      await raw.connect();
      await until('ok everywhere, all gateways back', async () =>
        (await Promise.all(endpoints.map(health))).every((h) => h.redis === 'ok' && h.gateways.length === 3));
      await until('key ring re-seeded', async () => (await raw.hlen(rk.keyring)) === 5, 10_000);
      const opsUp = ops;
      await until('PUT/GET after', () => ops >= opsUp + 3);
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(failures, []);
    // The re-seeded ring is the whole ring: a new gateway loads it from Redis.
    const gws = await cli(['gateways', '--redis', redis.url, '--json']);
    assert.equal((JSON.parse(gws.stdout) as GatewayRecord[]).every((g) => g.keyEpoch === 3), true);
  });

  it('a hanging Redis never stalls a request; health says degraded', async () => {
    const e = tc.cluster.endpoint;
    redis.pause();
    try {
      const t0 = performance.now();
      await put(e, 'while-hung');
      assert.ok((await get(e, 'while-hung')).equals(written.get('while-hung')!));
      let h = await health(e);
      assert.ok(performance.now() - t0 < 5000, `took ${performance.now() - t0} ms`);
      // A health report is shared for a second (admin/cached.ts): the next one tells.
      await until('health says degraded', async () => (h = await health(e)).redis === 'degraded', 5000);
      assert.equal(h.status, 'ok', 'Redis does not count against the cluster status');
    } finally {
      redis.resume();
    }
    await until('ok again', async () => (await health(e)).redis === 'ok');
  });
});
