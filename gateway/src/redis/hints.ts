// Clock hints (DESIGN §7, "two-round writes"): the newest validly tagged
// timestamp any gateway saw per register, so a writer may skip the clock
// round. This module is only the cache; the protocol writer decides how to
// use it. For the writer's author, the contract:
//
// - `get(regHex)` resolves with a hint or null, never rejects, and never
//   takes longer than the lookup timeout (default 100 ms) even when Redis is
//   slow or dead. A hint is UNTRUSTED: it may be stale (another gateway wrote
//   since), from another epoch, or forged by whoever can write to Redis.
//   Verify its tag (verifyTag) before use, and rely on the store acks' lc
//   reports to catch staleness, exactly as DESIGN §7 says.
// - `put(regHex, ts)` returns at once and never throws; the Redis write
//   happens in the background. Put every validly tagged ts you learn (clock
//   answers, store acks, completed writes, reads).
// - `regHex` is the register id in lower-case hex (64 digits).
//
// RedisClockHints keeps a bounded in-memory LRU in front of Redis (a
// gateway's own recent writes hit it without a Redis round trip; an entry
// older than localFreshMs is refreshed from Redis, and is the answer when
// Redis is down or slow), keeps the entry
// with the highest `n` in both places (a Lua compare-and-set in Redis, so a
// slower gateway's older hint cannot overwrite a newer one), and gives each
// Redis key a TTL (HINT_TTL_MS, 10 minutes): hints for idle registers
// vanish, and nothing grows without bound. Every Redis failure is counted
// (`stats.errors` and the onResult hook) and swallowed.
// LocalClockHints is what a gateway without Redis uses: the same LRU, alone.

import type { TsWire } from '@powerstore/shared/protocol/wire/wire.js';
import type { RedisLink } from './link.js';
import { HINT_TTL_MS, type RedisKeys } from './schema.js';

export interface ClockHints {
  /** The newest hint known for the register, or null; never rejects. */
  get(regHex: string): Promise<TsWire | null>;
  /** Records a validly tagged ts seen for the register; returns at once. */
  put(regHex: string, ts: TsWire): void;
}

export type HintResult = 'hit_local' | 'hit_redis' | 'miss' | 'error' | 'put_error';

/** The newest hint seen per register, for the last `limit` registers used. */
class HintLru {
  private readonly map = new Map<string, { ts: TsWire; at: number }>();

  constructor(private readonly limit: number) {}

  get(regHex: string): { ts: TsWire; at: number } | undefined {
    return this.map.get(regHex);
  }

  get size(): number {
    return this.map.size;
  }

  /** Keeps `ts` if it is newer (by n, then writer, then op); true when it was. */
  offer(regHex: string, ts: TsWire): boolean {
    const cur = this.map.get(regHex)?.ts;
    const older = cur !== undefined && (cur.n > ts.n || (cur.n === ts.n && (cur.w > ts.w || (cur.w === ts.w && cur.o >= ts.o))));
    this.map.delete(regHex);
    this.map.set(regHex, { ts: older ? cur : ts, at: performance.now() });
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
    return !older;
  }
}

/**
 * The hint cache of a gateway without Redis: what this gateway itself saw,
 * the last `lruSize` registers (default 10 000). Its own overwrites and the
 * writes after its reads skip clock; other gateways' writes since make a
 * hint stale, which the store acks catch (DESIGN §7).
 */
export class LocalClockHints implements ClockHints {
  private readonly lru: HintLru;

  constructor(lruSize = 10_000) {
    this.lru = new HintLru(lruSize);
  }

  get(regHex: string): Promise<TsWire | null> {
    return Promise.resolve(this.lru.get(regHex)?.ts ?? null);
  }

  put(regHex: string, ts: TsWire): void {
    // Only this gateway's writer puts here, and only ts it verified (no text to check, as Redis's).
    if (REG_HEX.test(regHex)) this.lru.offer(regHex, ts);
  }

  get size(): number {
    return this.lru.size;
  }
}

/** Sets KEYS[1] to ARGV[1] unless it holds a hint with n >= ARGV[2]; TTL ARGV[3] ms either way. */
const PUT_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local n = tonumber(string.match(cur, '"n":(%d+)'))
  if n and n >= tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

export interface RedisClockHintsOptions {
  /** In-memory entries kept (LRU); default 10 000. */
  readonly lruSize?: number;
  readonly ttlMs?: number;
  /** Longest a get waits for Redis; default 100 ms. */
  readonly lookupTimeoutMs?: number;
  /**
   * A hint this gateway saw (put, or read from Redis) less than this long
   * ago is answered from memory without asking Redis; older ones are
   * refreshed from Redis (another gateway may have written since). Default 2 s.
   */
  readonly localFreshMs?: number;
  readonly onResult?: (r: HintResult) => void;
}

const REG_HEX = /^[0-9a-f]{64}$/;

/** A well-formed TsWire (shape only: the caller verifies the tag), or null. */
export function parseHint(text: string | null): TsWire | null {
  if (!text) return null;
  try {
    const x = JSON.parse(text) as Partial<TsWire>;
    const uint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!uint(x.n) || !uint(x.o) || !uint(x.e) || x.e > 0xffffffff || typeof x.w !== 'string' || !/^[0-9a-f]{16}$/.test(x.w) ||
      typeof x.g !== 'string' || !/^[0-9a-f]{64}$/.test(x.g)) return null;
    return { n: x.n, w: x.w, o: x.o, e: x.e, g: x.g };
  } catch {
    return null;
  }
}

export class RedisClockHints implements ClockHints {
  private readonly lru: HintLru;
  private readonly ttlMs: number;
  private readonly lookupMs: number;
  private readonly freshMs: number;
  readonly stats = { hitsLocal: 0, hitsRedis: 0, misses: 0, errors: 0, putErrors: 0 };

  constructor(private readonly link: RedisLink, private readonly rk: RedisKeys, private readonly o: RedisClockHintsOptions = {}) {
    this.lru = new HintLru(o.lruSize ?? 10_000);
    this.ttlMs = o.ttlMs ?? HINT_TTL_MS;
    this.lookupMs = o.lookupTimeoutMs ?? 100;
    this.freshMs = o.localFreshMs ?? 2000;
  }

  async get(regHex: string): Promise<TsWire | null> {
    if (!REG_HEX.test(regHex)) return null;
    const local = this.lru.get(regHex);
    if (local && performance.now() - local.at < this.freshMs) {
      this.count('hit_local');
      return local.ts;
    }
    const got = this.link.ready ? await this.lookup(regHex) : 'error';
    if (got === 'error') {
      // Redis down or slow: what this gateway last saw is better than nothing.
      this.count('error');
      return local?.ts ?? null;
    }
    const hint = parseHint(got);
    if (hint) this.lru.offer(regHex, hint);
    const best = this.lru.get(regHex)?.ts ?? null;
    this.count(hint ? 'hit_redis' : best ? 'hit_local' : 'miss');
    return best;
  }

  put(regHex: string, ts: TsWire): void {
    if (!REG_HEX.test(regHex) || !parseHint(JSON.stringify(ts))) return;
    if (!this.lru.offer(regHex, ts)) return;
    if (!this.link.ready) {
      this.count('put_error');
      return;
    }
    const text = JSON.stringify({ n: ts.n, w: ts.w, o: ts.o, e: ts.e, g: ts.g });
    void this.link.attempt('hint-put', (c) => c.eval(PUT_IF_NEWER, 1, this.rk.hint(regHex), text, ts.n, this.ttlMs), 'error' as const)
      .then((r) => {
        if (r === 'error') this.count('put_error');
      });
  }

  get size(): number {
    return this.lru.size;
  }

  /** Redis's text for the register, or 'error' (failure or slower than the lookup timeout). */
  private async lookup(regHex: string): Promise<string | null | 'error'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'error'>((resolve) => {
      timer = setTimeout(() => resolve('error'), this.lookupMs);
    });
    const got = this.link.attempt('hint-get', (c) => c.get(this.rk.hint(regHex)), 'error' as const);
    try {
      return await Promise.race([got, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private count(r: HintResult): void {
    if (r === 'hit_local') this.stats.hitsLocal++;
    else if (r === 'hit_redis') this.stats.hitsRedis++;
    else if (r === 'miss') this.stats.misses++;
    else if (r === 'error') this.stats.errors++;
    else this.stats.putErrors++;
    this.o.onResult?.(r);
  }
}
