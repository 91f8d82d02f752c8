// What a gateway gets from Redis, assembled: the key ring (a WriterKeyring
// whose current epoch advances at run time), its writer registration, clock
// hints, and the status health reports. Without Redis, `localCache` gives
// the same shape with the config file's keys, no hints, and only itself as
// the cluster's gateways.
//
// Start-up contract (openRedisCache): waits up to `connectWaitMs` for Redis.
// If Redis answers, a wrong KEK or another cluster's key ring refuses the
// start (ConfigError, one line). If it does not, the gateway starts anyway
// from its config file and catches up when Redis comes back (ioredis
// reconnects by itself; heartbeats and the ring sync re-publish everything
// this gateway holds, so a Redis restarted empty is refilled).

import { hostname } from 'node:os';
import type { Logger } from '@powerstore/shared/log.js';
import type { WriterKeyring } from '@powerstore/shared/keys.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import { LocalClockHints, RedisClockHints, type ClockHints, type HintResult } from './hints.js';
import { RedisKeyRing } from './key-ring.js';
import { RedisLink, type RedisStatus } from './link.js';
import { RedisKeys, type GatewayRecord } from './schema.js';
import { listGateways, WriterRegistry } from './writers.js';

export interface GatewayCache {
  readonly keys: WriterKeyring;
  readonly writerId: string;
  readonly hints: ClockHints;
  /** Every key epoch held, ascending. */
  epochs(): readonly number[];
  /** Reads the key ring from Redis now (a no-op without Redis); never rejects. */
  refreshKeys(): Promise<void>;
  /** 'absent' without Redis; 'degraded' while Redis is unreachable, slow or its key ring does not open. */
  status(): RedisStatus;
  /** Every live gateway, this one included; only this one without Redis or while Redis fails. */
  gateways(): Promise<GatewayRecord[]>;
  /** This gateway serves at `endpoint`: publish it (heartbeats start). */
  listening(endpoint: string): void;
  close(): Promise<void>;
}

export interface RedisCacheHooks {
  onKeyChange?(keys: { currentEpoch: number; epochs: readonly number[] }): void;
  onUnknownEpoch?(epoch: number): void;
  onRedisFailure?(what: string): void;
  onHint?(r: HintResult): void;
}

export interface RedisCacheOptions {
  readonly url: string;
  readonly kek: Buffer;
  readonly secrets: ReadonlyMap<number, Buffer>;
  readonly currentEpoch: number;
  readonly log: Logger;
  /** The config file this gateway runs from (absolute): published in its registry record for `keys rotate`. */
  readonly configPath?: string;
  readonly prefix?: string;
  /** How long start waits for Redis before serving without it (default 2000 ms). */
  readonly connectWaitMs?: number;
  readonly commandTimeoutMs?: number;
  readonly hooks?: RedisCacheHooks;
}

/** The gateway's record when Redis does not tell us: what we know about ourselves. */
function selfRecord(writer: string, endpoint: string, startedAt: string, keys: WriterKeyring, epochs: readonly number[]): GatewayRecord {
  return {
    writer, endpoint, host: hostname(), pid: process.pid, startedAt, heartbeatAt: new Date().toISOString(),
    keyEpoch: keys.currentEpoch, epochs,
  };
}

export function localCache(keys: WriterKeyring, epochs: readonly number[], writerId = newWriterId()): GatewayCache {
  const startedAt = new Date().toISOString();
  let endpoint = '';
  const hints = new LocalClockHints();
  return {
    keys, writerId, hints,
    epochs: () => epochs,
    refreshKeys: () => Promise.resolve(),
    status: () => 'absent',
    gateways: () => Promise.resolve([selfRecord(writerId, endpoint, startedAt, keys, epochs)]),
    listening: (e) => {
      endpoint = e;
    },
    close: () => Promise.resolve(),
  };
}

export async function openRedisCache(o: RedisCacheOptions): Promise<GatewayCache> {
  const link = new RedisLink(o.url, o.log, { ...(o.commandTimeoutMs ? { commandTimeoutMs: o.commandTimeoutMs } : {}) });
  if (o.hooks?.onRedisFailure) link.onFailure = o.hooks.onRedisFailure;
  const rk = new RedisKeys(o.prefix);
  const up = await link.connect(o.connectWaitMs ?? 2000);
  if (!up) o.log.warn('redis not reachable at start: serving from the config file\'s keys; it will catch up when Redis answers');
  let registry: WriterRegistry | null = null;
  let ring: RedisKeyRing;
  try {
    ring = await RedisKeyRing.open({
      link, rk, kek: o.kek, secrets: o.secrets, currentEpoch: o.currentEpoch, log: o.log,
      onChange: (r) => {
        o.hooks?.onKeyChange?.({ currentEpoch: r.currentEpoch, epochs: r.epochs });
        // Tell the others (and a running rotation) at once, not at the next tick.
        void registry?.heartbeat();
      },
      ...(o.hooks?.onUnknownEpoch ? { onUnknownEpoch: o.hooks.onUnknownEpoch } : {}),
    });
  } catch (e) {
    await link.close();
    throw e;
  }
  const keyInfo = (): { keyEpoch: number; epochs: readonly number[] } => ({ keyEpoch: ring.ring.currentEpoch, epochs: ring.ring.epochs });
  // A writer id a live gateway already holds (2^-64 per pair) is drawn again.
  let writerId = newWriterId();
  registry = new WriterRegistry(link, rk, writerId, keyInfo, o.configPath);
  for (let i = 0; link.ready && i < 3; i++) {
    const ok = await registry.claim().catch(() => true);
    if (ok) break;
    writerId = newWriterId();
    registry = new WriterRegistry(link, rk, writerId, keyInfo, o.configPath);
  }
  const reg = registry;
  ring.start();
  const hints = new RedisClockHints(link, rk, { ...(o.hooks?.onHint ? { onResult: o.hooks.onHint } : {}) });
  return {
    keys: ring.ring, writerId, hints,
    epochs: () => ring.ring.epochs,
    refreshKeys: () => ring.sync(),
    status: () => (ring.kekProblem ? 'degraded' : link.status),
    async gateways() {
      const self = reg.record();
      try {
        const all = await listGateways(link, rk);
        // Just after a Redis restart our own record may not be back yet.
        return all.some((g) => g.writer === writerId) ? all : [...all, self];
      } catch {
        return [self];
      }
    },
    listening: (endpoint) => reg.start(endpoint),
    async close() {
      ring.stop();
      await reg.stop();
      await link.close();
    },
  };
}
