// Redis Sentinel and Redis Cluster URLs (`--redis redis-sentinel://…`,
// `redis-cluster://…`) against real servers: a redis-server master watched
// by a redis-server in Sentinel mode, and a three-master Redis Cluster made
// with `redis-cli --cluster create`. Through each, two gateways register
// (each lists both) and share clock hints: a write by gateway B to a key
// gateway A just wrote takes two rounds, which it can only do with the hint
// A left in Redis (B has no local one). The keys are then looked at in Redis
// itself, so the test fails if the gateways talked to anything else.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import type { HealthReport } from '../../gateway/src/admin/health.js';
import { adminGet, metric, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { startTestRedis, type TestRedis } from '../harness/redis.js';
import { until } from '@powerstore/shared/testing/until.js';

const KEYS = 5;


async function health(endpoint: string): Promise<HealthReport> {
  return (await adminGet(endpoint, '/_powerstore/health', { signal: AbortSignal.timeout(5000) })).json() as Promise<HealthReport>;
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')}: ${out}`))));
  });
}

/**
 * The shared checks: both gateways healthy on Redis and listing each other;
 * B's writes to keys A just wrote take two rounds each; every object reads
 * back. Returns the raw keys a caller then finds in Redis.
 */
/** Hint keys held by these Redis servers together (each a master). */
async function countHints(urls: readonly string[]): Promise<number> {
  let n = 0;
  for (const url of urls) {
    const raw = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      n += (await raw.keys('ps:hint:*')).length;
    } finally {
      raw.disconnect();
    }
  }
  return n;
}

function sharedChecks(ctx: () => TestCluster, name: string, masters: () => readonly string[]): void {
  it(`${name}: two gateways register and list each other`, async () => {
    const [a, b] = ctx().cluster.endpoints;
    // A health call that fails (a gateway still connecting) is a no.
    await until('both gateways listed with redis ok', async () => {
      const hs = await Promise.all([a!, b!].map(health)).catch(() => null);
      return hs !== null && hs.every((h) => h.redis === 'ok' && h.gateways.length === 2);
    });
  });

  it(`${name}: a write after another gateway's takes two rounds (the hint came through Redis)`, async () => {
    const [a, b] = ctx().cluster.endpoints as [string, string];
    const ca: S3Client = ctx().client({ endpoint: a });
    const cb: S3Client = ctx().client({ endpoint: b });
    const bucket = `topo-${name.toLowerCase()}`;
    const hints0 = await countHints(masters());
    await ca.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < KEYS; i++) await ca.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: 'from a' }));
    // A's hint puts are fire-and-forget: one for the bucket's record and one
    // an object, in Redis when B writes (a fixed wait could be short on a loaded machine).
    await until('A\'s hints in Redis', async () => (await countHints(masters())) >= hints0 + 1 + KEYS, 20_000);
    const rounds0 = await metric(b, 'powerstore_protocol_rounds_total', { op: 'write' });
    const ops0 = await metric(b, 'powerstore_protocol_operations_total', { op: 'write' });
    const bodies = Array.from({ length: KEYS }, () => randomBytes(3000));
    for (let i = 0; i < KEYS; i++) await cb.send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: bodies[i] }));
    const rounds = (await metric(b, 'powerstore_protocol_rounds_total', { op: 'write' })) - rounds0;
    const ops = (await metric(b, 'powerstore_protocol_operations_total', { op: 'write' })) - ops0;
    assert.equal(ops, KEYS);
    assert.equal(rounds, 2 * KEYS, `B's ${KEYS} writes took ${rounds} rounds`);
    for (let i = 0; i < KEYS; i++) {
      const got = await ca.send(new GetObjectCommand({ Bucket: bucket, Key: `k${i}` }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(bodies[i]!), `k${i} reads back B's bytes through A`);
    }
  });
}

describe('Redis Sentinel URL', () => {
  let master: TestRedis;
  let sentinel: TestRedis;
  let tc: TestCluster;
  before(async () => {
    master = await startTestRedis();
    sentinel = await startTestRedis(undefined, { conf: `sentinel monitor ps-master 127.0.0.1 ${master.port} 1\n`, args: ['--sentinel'] });
    tc = await startTestCluster({ t: 1, gateways: 2, redis: `redis-sentinel://127.0.0.1:${sentinel.port}/ps-master` });
  });
  after(async () => {
    await tc?.dispose();
    await sentinel?.dispose();
    await master?.dispose();
  });

  sharedChecks(() => tc, 'Sentinel', () => [master.url]);

  it('Sentinel: the records and hints are in the master the sentinel names', async () => {
    const raw = new Redis(master.url, { maxRetriesPerRequest: 1 });
    try {
      assert.equal((await raw.keys('{ps}:gw:*')).length, 2, 'two gateway records');
      assert.ok((await raw.keys('ps:hint:*')).length >= KEYS, 'hints');
    } finally {
      raw.disconnect();
    }
  });
});

describe('Redis Cluster URL', () => {
  const servers: TestRedis[] = [];
  let tc: TestCluster;
  before(async () => {
    for (let i = 0; i < 3; i++) {
      servers.push(await startTestRedis(undefined, { args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] }));
    }
    await redisCli(['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await until('cluster_state:ok on every master', async () => {
      const infos = await Promise.all(servers.map((s) => redisCli(['-p', String(s.port), 'cluster', 'info']))).catch(() => null);
      return infos !== null && infos.every((t) => t.includes('cluster_state:ok'));
    });
    tc = await startTestCluster({ t: 1, gateways: 2, redis: `redis-cluster://${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}` });
  });
  after(async () => {
    await tc?.dispose();
    for (const s of servers) await s.dispose();
  });

  sharedChecks(() => tc, 'Cluster', () => servers.map((x) => x.url));

  it('Cluster: the records share one slot, the hints spread over the masters', async () => {
    const raw = new Cluster(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));
    try {
      await new Promise((r) => raw.once('ready', r)); // the masters are known once the slots are
      assert.equal(raw.nodes('master').length, 3);
      const perMaster = await Promise.all(raw.nodes('master').map(async (n) => ({ gw: (await n.keys('{ps}:gw:*')).length, hints: (await n.keys('ps:hint:*')).length })));
      assert.equal(perMaster.reduce((x, m) => x + m.gw, 0), 2, 'two gateway records');
      assert.equal(perMaster.filter((m) => m.gw > 0).length, 1, 'on one master (the {ps} hash tag)');
      assert.ok(perMaster.reduce((x, m) => x + m.hints, 0) >= KEYS, 'hints');
      assert.ok(perMaster.filter((m) => m.hints > 0).length >= 2, `hints on several masters: ${JSON.stringify(perMaster)}`);
    } finally {
      raw.disconnect();
    }
  });
});
