// The gateway's Redis cache in-process, against a real redis-server: the key
// ring is sealed in Redis (the raw values reveal no secret), a wrong KEK or
// another cluster's ring refuses the start, new epochs and a new current
// epoch reach running gateways, a Redis restarted empty is refilled (key
// ring and registrations), a Redis absent at start is caught up with, and
// gateways starting at once register distinct writers.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ConfigError } from '@powerstore/shared/errors.js';
import { createLogger } from '@powerstore/shared/log.js';
import { freePort, startTestRedis, type TestRedis } from '../../../integration/harness/redis.js';
import { openRedisCache, type GatewayCache } from './cache.js';
import { WRONG_KEK } from './key-ring.js';
import { CURRENT_FIELD, EPOCH_FIELD, RedisKeys } from './schema.js';
import { ringKey, seal } from './sealed.js';
import { until } from '@powerstore/shared/testing/until.js';

const log = createLogger('t', 'silent');
const rk = new RedisKeys();


/** A plain client for the test's own look at Redis. */
async function rawClient(url: string): Promise<Redis> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  await r.connect();
  return r;
}

describe('key ring and writers in Redis', () => {
  let redis: TestRedis;
  let raw: Redis;
  const caches: GatewayCache[] = [];
  const kek = randomBytes(32);
  const s0 = randomBytes(32);
  const open = async (o: { kek?: Buffer; secrets?: Map<number, Buffer>; current?: number; url?: string } = {}): Promise<GatewayCache> => {
    const c = await openRedisCache({
      url: o.url ?? redis.url, kek: o.kek ?? kek, secrets: o.secrets ?? new Map([[0, s0]]), currentEpoch: o.current ?? 0, log,
      connectWaitMs: 1500,
    });
    caches.push(c);
    return c;
  };

  before(async () => {
    redis = await startTestRedis();
    raw = await rawClient(redis.url);
  });
  after(async () => {
    await Promise.all(caches.map((c) => c.close()));
    raw.disconnect();
    await redis.dispose();
  });

  it('seals the key ring: the raw Redis values reveal no secret', async () => {
    const a = await open();
    assert.equal(a.status(), 'ok');
    const ring = await raw.hgetall(rk.keyring);
    assert.deepEqual(Object.keys(ring).sort(), [CURRENT_FIELD, EPOCH_FIELD(0)]);
    const rawBytes = await raw.hgetallBuffer(rk.keyring);
    for (const v of [...Object.values(ring), ...Object.values(rawBytes).map((b) => b.toString('latin1'))]) {
      assert.ok(!v.includes(s0.toString('hex')) && !v.includes(s0.toString('base64')) && !v.includes(s0.toString('latin1')), 'no secret bytes');
    }
    const dump = (await raw.hgetallBuffer(rk.keyring))[EPOCH_FIELD(0)]!;
    assert.ok(!Buffer.from(dump.toString().slice(3), 'base64').includes(s0), 'not in the decoded ciphertext either');
  });

  it('refuses to start with a wrong KEK (one line), or with another cluster\'s secret', async () => {
    await assert.rejects(open({ kek: randomBytes(32) }), (e: unknown) => e instanceof ConfigError && e.message === WRONG_KEK);
    await assert.rejects(open({ secrets: new Map([[0, randomBytes(32)]]) }), (e: unknown) => e instanceof ConfigError && /different secret for epoch 0/.test(e.message));
  });

  it('a gateway started with only the KEK loads every epoch from Redis', async () => {
    const fresh = await open({ secrets: new Map([[0, s0]]) });
    assert.deepEqual(fresh.epochs(), [0]);
    assert.ok(fresh.keys.writerKey(0));
  });

  it('running gateways load a new epoch, then switch to it when `current` moves', async () => {
    const a = await open();
    const s1 = randomBytes(32);
    await raw.hset(rk.keyring, EPOCH_FIELD(1), seal(ringKey(kek), EPOCH_FIELD(1), s1));
    await until('epoch 1 loaded', () => a.epochs().includes(1));
    assert.equal(a.keys.currentEpoch, 0, 'holding an epoch does not switch writes to it');
    await until('heartbeat reports epoch 1', async () => (await a.gateways()).find((g) => g.writer === a.writerId)?.epochs.includes(1) ?? false);
    await raw.hset(rk.keyring, CURRENT_FIELD, seal(ringKey(kek), CURRENT_FIELD, Buffer.from('1')));
    await until('current epoch 1', () => a.keys.currentEpoch === 1);
    // A current epoch pointing back, or at an epoch not held, never moves it.
    await raw.hset(rk.keyring, CURRENT_FIELD, seal(ringKey(kek), CURRENT_FIELD, Buffer.from('0')));
    await raw.hset(rk.keyring, EPOCH_FIELD(2), 'v1.garbage');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(a.keys.currentEpoch, 1);
    assert.deepEqual(a.epochs(), [0, 1], 'a tampered entry is ignored');
    assert.equal(a.status(), 'ok', 'some entries open: the KEK is right');
    await raw.hset(rk.keyring, CURRENT_FIELD, seal(ringKey(kek), CURRENT_FIELD, Buffer.from('1')));
    await raw.hdel(rk.keyring, EPOCH_FIELD(2));
  });

  it('many gateways starting at once register distinct writers; a stopped one leaves the list', async () => {
    const many = await Promise.all(Array.from({ length: 6 }, () => open()));
    many.forEach((c, i) => c.listening(`http://127.0.0.1:${10_000 + i}`));
    const ids = new Set(many.map((c) => c.writerId));
    assert.equal(ids.size, 6);
    await until('all six listed with endpoints', async () => {
      const gws = await many[0]!.gateways();
      return many.every((c, i) => gws.some((g) => g.writer === c.writerId && g.endpoint === `http://127.0.0.1:${10_000 + i}`));
    });
    const ttl = await raw.pttl(rk.gateway(many[0]!.writerId));
    assert.ok(ttl > 0 && ttl <= 15_000, `record TTL ${ttl}`);
    const gone = many[5]!;
    await gone.close();
    caches.splice(caches.indexOf(gone), 1);
    assert.ok(!(await many[0]!.gateways()).some((g) => g.writer === gone.writerId));
  });

  it('a Redis restarted empty is refilled: key ring and registrations', async () => {
    const a = await open();
    a.listening('http://127.0.0.1:1');
    await redis.kill();
    await until('degraded', () => a.status() === 'degraded');
    assert.deepEqual((await a.gateways()).map((g) => g.writer), [a.writerId], 'only itself while Redis is down');
    assert.ok(a.keys.writerKey(1), 'keys stay in memory');
    await redis.start();
    raw.disconnect();
    raw = await rawClient(redis.url);
    await until('ring re-seeded', async () => (await raw.hlen(rk.keyring)) === 3);
    await until('registered again', async () => (await raw.exists(rk.gateway(a.writerId))) === 1);
    await until('ok', () => a.status() === 'ok');
    // A gateway starting now, with only epoch 0 in its config, gets epoch 1 and current 1 from the re-seeded ring.
    const b = await open();
    assert.deepEqual(b.epochs(), [0, 1]);
    assert.equal(b.keys.currentEpoch, 1);
  });

  it('starts without Redis, serving from the config, and catches up when Redis appears', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const c = await open({ url: `redis://127.0.0.1:${port}` });
    assert.ok(performance.now() - t0 < 4000, 'start waits a bounded time');
    assert.equal(c.status(), 'degraded');
    assert.equal(c.keys.currentEpoch, 0);
    c.listening('http://127.0.0.1:2');
    const late = await startTestRedis(port);
    try {
      const r2 = await rawClient(late.url);
      await until('registered once Redis is up', async () => (await r2.exists(rk.gateway(c.writerId))) === 1, 15_000);
      await until('ring seeded', async () => (await r2.hexists(rk.keyring, EPOCH_FIELD(0))) === 1, 15_000);
      await until('ok', () => c.status() === 'ok');
      r2.disconnect();
    } finally {
      await c.close();
      caches.splice(caches.indexOf(c), 1);
      await late.dispose();
    }
  });
});
