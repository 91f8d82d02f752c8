// Clock hints against a real redis-server: shared between gateways, newest
// wins in Redis and in memory, every key has its TTL, the LRU is bounded,
// and a dead or hanging Redis costs a bounded wait, a counted error and
// never an exception.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@powerstore/shared/log.js';
import type { TsWire } from '@powerstore/shared/protocol/wire/wire.js';
import { startTestRedis, type TestRedis } from '../../../integration/harness/redis.js';
import { until } from '@powerstore/shared/testing/until.js';
import { LocalClockHints, parseHint, RedisClockHints } from './hints.js';
import { RedisLink } from './link.js';
import { HINT_TTL_MS, RedisKeys } from './schema.js';

const reg = (): string => randomBytes(32).toString('hex');
const ts = (n: number, w = 'a'.repeat(16), o = 1): TsWire => ({ n, w, o, e: 0, g: 'f'.repeat(64) });
// Timeouts far above a Redis round trip on a loaded machine, where a test does not time the wait itself.
const SLACK_MS = 5_000;

describe('clock hints', () => {
  let redis: TestRedis;
  const links: RedisLink[] = [];
  const log = createLogger('t', 'silent');
  const rk = new RedisKeys();
  /** Puts are fire-and-forget: waits until Redis holds n for the register. */
  const inRedis = (l: RedisLink, r: string, n: number): Promise<void> =>
    until(`hint n=${n} in Redis`, async () => parseHint(await l.client.get(rk.hint(r)))?.n === n, 20_000, 10);
  const link = async (): Promise<RedisLink> => {
    const l = new RedisLink(redis.url, log, { commandTimeoutMs: SLACK_MS });
    links.push(l);
    assert.ok(await l.connect(3000));
    return l;
  };

  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await Promise.all(links.map((l) => l.close()));
    await redis.dispose();
  });

  it('a hint put by one gateway is read by another, with the TTL set', async () => {
    const a = new RedisClockHints(await link(), rk);
    const bLink = await link();
    const b = new RedisClockHints(bLink, rk, { lookupTimeoutMs: SLACK_MS });
    const r = reg();
    assert.equal(await b.get(r), null);
    assert.equal(b.stats.misses, 1);
    a.put(r, ts(7));
    await inRedis(bLink, r, 7);
    assert.deepEqual(await b.get(r), ts(7));
    assert.equal(b.stats.hitsRedis, 1);
    const pttl = await bLink.client.pttl(rk.hint(r));
    assert.ok(pttl > HINT_TTL_MS - 60_000 && pttl <= HINT_TTL_MS, `pttl ${pttl}`);
  });

  it('keeps the newest: an older put never overwrites a newer hint', async () => {
    const aLink = await link();
    const a = new RedisClockHints(aLink, rk);
    const b = new RedisClockHints(await link(), rk, { localFreshMs: 0, lookupTimeoutMs: SLACK_MS });
    const r = reg();
    a.put(r, ts(10));
    await inRedis(aLink, r, 10);
    b.put(r, ts(4, 'b'.repeat(16))); // b's get below follows on the same connection: Redis runs the put first
    assert.equal((await b.get(r))?.n, 10, 'Redis kept n=10; b answers the newest it knows');
    a.put(r, ts(3));
    assert.equal((await a.get(r))?.n, 10, 'the local LRU keeps the newest too');
  });

  it('answers recent own puts from memory, and refreshes older ones from Redis', async () => {
    const aLink = await link();
    const a = new RedisClockHints(aLink, rk, { localFreshMs: 60_000 });
    const r = reg();
    a.put(r, ts(1));
    await inRedis(aLink, r, 1);
    await aLink.client.set(rk.hint(r), JSON.stringify(ts(99)));
    assert.equal((await a.get(r))?.n, 1, 'fresh local entry: no Redis round trip');
    assert.equal(a.stats.hitsLocal, 1);
    const stale = new RedisClockHints(aLink, rk, { localFreshMs: 0, lookupTimeoutMs: SLACK_MS });
    stale.put(r, ts(2));
    assert.equal((await stale.get(r))?.n, 99, 'a newer hint from another gateway wins');
  });

  it('ignores malformed hints and bounds the LRU', async () => {
    const l = await link();
    const h = new RedisClockHints(l, rk, { lruSize: 3 });
    const r = reg();
    await l.client.set(rk.hint(r), '{"n":"x"}');
    assert.equal(await h.get(r), null);
    assert.equal(await h.get('not-hex'), null);
    for (let i = 0; i < 10; i++) h.put(reg(), ts(i + 1));
    assert.equal(h.size, 3);
  });

  it('a hanging Redis costs at most the lookup timeout, and is counted, never thrown', async () => {
    const l = await link();
    const h = new RedisClockHints(l, rk, { lookupTimeoutMs: 100, localFreshMs: 0 });
    const r = reg();
    h.put(r, ts(5));
    await inRedis(l, r, 5);
    redis.pause();
    try {
      const t0 = performance.now();
      const got = await h.get(r);
      const took = performance.now() - t0;
      // Bounded by the 100 ms lookup timeout, not the link's 5 s command timeout; the rest is slack for a loaded machine.
      assert.ok(took < 2_000, `took ${took} ms`);
      assert.equal(got?.n, 5, 'falls back to what this gateway last saw');
      assert.equal(h.stats.errors, 1);
      h.put(r, ts(6));
      assert.equal(await h.get(reg()), null);
      assert.equal(h.stats.errors, 2);
    } finally {
      redis.resume();
    }
  });

  it('a dead Redis: gets and puts return at once, errors counted; they work again after a restart', async () => {
    const l = await link();
    const h = new RedisClockHints(l, rk, { localFreshMs: 0, lookupTimeoutMs: SLACK_MS });
    await redis.kill();
    await until('the link sees Redis gone', () => !l.ready, 20_000, 20);
    try {
      const t0 = performance.now();
      assert.equal(await h.get(reg()), null);
      h.put(reg(), ts(1));
      // Far below the 5 s lookup and command timeouts: neither was waited for.
      assert.ok(performance.now() - t0 < 1_000, `took ${performance.now() - t0} ms`);
      assert.equal(h.stats.errors, 1);
      assert.equal(h.stats.putErrors, 1);
    } finally {
      await redis.start();
    }
    await until('the link reconnects', () => l.ready, 20_000, 50);
    assert.ok(l.ready, 'reconnected by itself');
    const r = reg();
    h.put(r, ts(8));
    await inRedis(l, r, 8);
    assert.equal((await new RedisClockHints(l, rk, { lookupTimeoutMs: SLACK_MS }).get(r))?.n, 8);
  });

  it('without Redis, hints are what this gateway saw: the newest per register, the last lruSize registers', async () => {
    const n = new LocalClockHints(2);
    const [a, b, c] = [reg(), reg(), reg()];
    assert.equal(await n.get(a), null);
    n.put(a, ts(5));
    n.put(a, ts(3));
    assert.equal((await n.get(a))?.n, 5, 'an older ts does not replace a newer one');
    n.put(b, ts(1));
    n.put(c, ts(1));
    assert.equal(await n.get(a), null, 'the least recently used register went');
    assert.equal((await n.get(c))?.n, 1);
    n.put('not-hex', ts(9));
    assert.equal(n.size, 2, 'a malformed register id is not kept');
  });
});
