// Every key PoWerStore keeps in Redis, in one place. Redis is a cache
// (DESIGN §10): everything here can vanish at any moment (a flush, a restart
// without persistence) and gateways rebuild it from what they hold.
//
//   {ps}:gw:<writer>   string, JSON GatewayRecord, PX WRITER_TTL_MS; rewritten
//                      by the gateway every HEARTBEAT_MS, so a dead gateway
//                      disappears within WRITER_TTL_MS, and a Redis that
//                      restarted empty has every live gateway back within
//                      HEARTBEAT_MS.
//   {ps}:gateways      sorted set: member writer id, score the heartbeat time
//                      (ms); the index used to enumerate the gw keys. A member
//                      whose gw key has expired is removed when listed.
//   {ps}:keyring       hash, no TTL: field "epoch:<n>" = sealed cluster secret
//                      of epoch n (32 bytes); field "current" = sealed decimal
//                      epoch new writes use. Sealed = AES-256-GCM under the
//                      key-encryption key (sealed.ts): Redis alone reveals
//                      nothing, and an entry cannot be moved to another field
//                      (the field name is the AAD). Entries are only ever
//                      added (HSETNX); a gateway that finds one missing (Redis
//                      restarted empty) puts back what it holds.
//   {ps}:rotating      string, PX ROTATE_LOCK_MS: held by a running
//                      `powerstore keys rotate` (one rotation at a time).
//   ps:hint:<reg hex>  string, JSON TsWire, PX HINT_TTL_MS: clock hints
//                      (hints.ts); untrusted, only ever a shortcut.
//
// `{ps}` is a Redis Cluster hash tag: the gateway and key-ring keys share one
// slot, so the multi-key reads of a listing work on a cluster; hints carry no
// tag and spread over the slots. The prefix is a parameter (default "ps") so
// two clusters may share one Redis.

export const HEARTBEAT_MS = 3000;
export const WRITER_TTL_MS = 15_000;
export const KEYRING_POLL_MS = 2000;
export const HINT_TTL_MS = 10 * 60 * 1000;
export const ROTATE_LOCK_MS = 10 * 60 * 1000;

export class RedisKeys {
  constructor(readonly prefix = 'ps') {
    if (!/^[a-z0-9_-]{1,32}$/i.test(prefix)) throw new RangeError(`bad Redis key prefix "${prefix}"`);
  }

  gateway(writer: string): string {
    return `{${this.prefix}}:gw:${writer}`;
  }

  get gateways(): string {
    return `{${this.prefix}}:gateways`;
  }

  get keyring(): string {
    return `{${this.prefix}}:keyring`;
  }

  get rotateLock(): string {
    return `{${this.prefix}}:rotating`;
  }

  hint(regHex: string): string {
    return `${this.prefix}:hint:${regHex}`;
  }
}

export const EPOCH_FIELD = (epoch: number): string => `epoch:${epoch}`;
export const CURRENT_FIELD = 'current';

/** What a gateway publishes about itself ({ps}:gw:<writer>). */
export interface GatewayRecord {
  /** The gateway process's 64-bit random writer id (hex), DESIGN §3. */
  readonly writer: string;
  /** Where it serves S3, e.g. http://10.0.0.5:9000 ("" until it listens). */
  readonly endpoint: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly heartbeatAt: string;
  /** The key epoch its new writes use. */
  readonly keyEpoch: number;
  /** Every key epoch it holds (key rotation waits until all gateways hold the new one). */
  readonly epochs: readonly number[];
  /**
   * The absolute path of the config file it runs from, on `host`: where
   * `keys rotate` must put a new epoch's secret (absent from older gateways).
   */
  readonly config?: string;
}

/** Parses a record read from Redis (untrusted text); null when malformed. */
export function parseGatewayRecord(text: string | null): GatewayRecord | null {
  if (!text) return null;
  try {
    const r = JSON.parse(text) as Partial<GatewayRecord>;
    if (typeof r.writer !== 'string' || !/^[0-9a-f]{16}$/.test(r.writer) || typeof r.endpoint !== 'string' ||
      typeof r.host !== 'string' || typeof r.pid !== 'number' || typeof r.startedAt !== 'string' ||
      typeof r.heartbeatAt !== 'string' || typeof r.keyEpoch !== 'number' || !Array.isArray(r.epochs) ||
      !r.epochs.every((e) => Number.isSafeInteger(e)) || (r.config !== undefined && typeof r.config !== 'string')) return null;
    return r as GatewayRecord;
  } catch {
    return null;
  }
}
