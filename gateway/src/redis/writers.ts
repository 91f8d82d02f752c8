// Live writers (DESIGN §3, §10): every gateway process keeps its record
// ({ps}:gw:<writer>, schema.ts) alive in Redis with a heartbeat, so health
// and `powerstore gateways` can list the cluster's gateways.
//
// The writer id itself is never handed out by Redis: each process draws 64
// random bits at start (timestamp.ts newWriterId). `claim` only makes the
// (astronomically unlikely) collision with a live gateway visible at start,
// with SET NX, so the caller can draw again. Heartbeats overwrite the
// record (plain SET with a TTL), so a Redis restarted empty has every live
// gateway back within one heartbeat. No heartbeat ever throws or blocks a
// request; a failure is counted by the link and retried at the next tick.

import { hostname } from 'node:os';
import type { RedisLink } from './link.js';
import { HEARTBEAT_MS, parseGatewayRecord, WRITER_TTL_MS, type GatewayRecord, type RedisKeys } from './schema.js';

/** Removes index entries older than this even if never listed (bounds the index). */
const INDEX_GC_MS = 60 * 60 * 1000;

export class WriterRegistry {
  private endpoint = '';
  private readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly rk: RedisKeys,
    readonly writer: string,
    private readonly keyInfo: () => { keyEpoch: number; epochs: readonly number[] },
    /** The config file this gateway runs from (absolute), published for `keys rotate`. */
    private readonly config?: string,
  ) {}

  /** This gateway's record as of now. */
  record(): GatewayRecord {
    const { keyEpoch, epochs } = this.keyInfo();
    return {
      writer: this.writer, endpoint: this.endpoint, host: hostname(), pid: process.pid,
      startedAt: this.startedAt, heartbeatAt: new Date().toISOString(), keyEpoch, epochs: [...epochs],
      ...(this.config !== undefined ? { config: this.config } : {}),
    };
  }

  /** Registers the id if no live gateway holds it: false on a collision (draw another id). */
  async claim(): Promise<boolean> {
    const r = this.record();
    const ok = await this.link.run('writer-claim', (c) => c.set(this.rk.gateway(this.writer), JSON.stringify(r), 'PX', WRITER_TTL_MS, 'NX'));
    if (ok === null) return false;
    await this.link.run('writer-claim', (c) => c.zadd(this.rk.gateways, Date.now(), this.writer));
    return true;
  }

  /** Sets the advertised endpoint and starts the heartbeat (an immediate one first). */
  start(endpoint: string): void {
    this.endpoint = endpoint;
    void this.heartbeat();
    if (this.timer) return;
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Publishes the record now (also after a key change); never throws. */
  heartbeat(): Promise<void> {
    if (this.beating) return this.beating;
    this.beating = (async () => {
      if (!this.link.ready) return;
      const now = Date.now();
      await this.link.attempt('writer-heartbeat', (c) => c.multi()
        .set(this.rk.gateway(this.writer), JSON.stringify(this.record()), 'PX', WRITER_TTL_MS)
        .zadd(this.rk.gateways, now, this.writer)
        .zremrangebyscore(this.rk.gateways, 0, now - INDEX_GC_MS)
        .exec(), null);
    })().finally(() => {
      this.beating = null;
    });
    return this.beating;
  }

  /** Stops the heartbeat and removes the record (a clean stop disappears at once). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.link.ready) return;
    await this.link.attempt('writer-remove', (c) => c.multi().del(this.rk.gateway(this.writer)).zrem(this.rk.gateways, this.writer).exec(), null);
  }
}

/**
 * Every live gateway's record, sorted by start time; drops index entries
 * whose record has expired. Redis errors propagate (callers decide).
 */
export async function listGateways(link: RedisLink, rk: RedisKeys): Promise<GatewayRecord[]> {
  const ids = await link.run('writer-list', (c) => c.zrange(rk.gateways, 0, -1));
  if (ids.length === 0) return [];
  const texts = await link.run('writer-list', (c) => c.mget(...ids.map((id) => rk.gateway(id))));
  const out: GatewayRecord[] = [];
  const gone: string[] = [];
  ids.forEach((id, i) => {
    const r = parseGatewayRecord(texts[i] ?? null);
    if (r && r.writer === id) out.push(r);
    else gone.push(id);
  });
  if (gone.length > 0) await link.attempt('writer-list', (c) => c.zrem(rk.gateways, ...gone), 0);
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.writer.localeCompare(b.writer));
}
