// The gateway's connection to Redis (DESIGN §10: a cache only; nothing is
// ever correct *because of* Redis). One ioredis client per gateway, made so
// that a dead, slow or restarted Redis never stalls a request:
//   - no offline queue: a command issued while disconnected fails at once;
//   - a short command timeout (default 500 ms);
//   - reconnection forever, backing off to 2 s between attempts;
//   - every 'error' event is caught (ioredis would otherwise crash the
//     process on an unhandled one) and logged at most every 10 s.
// The link's status (ok / degraded) feeds /_powerstore/health: degraded
// while disconnected, and after a failed command until one succeeds.
//
// URL forms (ioredis understands the first two itself; the others are ours):
//   redis://[user:pass@]host:port[/db]       rediss://… (TLS)
//   redis-sentinel://[user:pass@]host:port[,host:port…]/masterName[/db]
//   redis-cluster://[user:pass@]host:port[,host:port…]  (rediss-… variants: TLS)

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from '@powerstore/shared/errors.js';
import type { Logger } from '@powerstore/shared/log.js';

export type RedisClient = Redis | Cluster;
export type RedisStatus = 'ok' | 'degraded' | 'absent';

export interface RedisLinkOptions {
  /** Per-command timeout in ms (default 500). */
  readonly commandTimeoutMs?: number;
  /** Connect timeout in ms (default 2000). */
  readonly connectTimeoutMs?: number;
}

interface ParsedRedisUrl {
  readonly kind: 'plain' | 'sentinel' | 'cluster';
  readonly tls: boolean;
  readonly hosts: { host: string; port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly master?: string;
}

const URL_RE = /^(redis|rediss|redis-sentinel|rediss-sentinel|redis-cluster|rediss-cluster|redis\+sentinel|redis\+cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/;

/** The value of a --redis flag, checked: undefined if not given, a ConfigError naming the flag if malformed. */
export function redisUrlFlag(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    parseRedisUrl(url);
  } catch (e) {
    throw new ConfigError(`--redis: ${(e as Error).message}`);
  }
  return url;
}

/** Parses a Redis URL; one-line ConfigError when malformed. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const m = URL_RE.exec(url);
  const bad = (what: string): never => {
    throw new ConfigError(`Redis URL "${redact(url)}": ${what}`);
  };
  if (!m) return bad('expected redis://host:port, rediss://…, redis-sentinel://h:p,h:p/master or redis-cluster://h:p,h:p');
  const scheme = m[1]!;
  const kind = scheme.includes('sentinel') ? 'sentinel' : scheme.includes('cluster') ? 'cluster' : 'plain';
  const tls = scheme.startsWith('rediss');
  let username: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const auth = decodeURIComponent(m[2]);
    const i = auth.indexOf(':');
    username = i < 0 ? auth : auth.slice(0, i) || undefined;
    password = i < 0 ? undefined : auth.slice(i + 1);
  }
  const hosts = m[3]!.split(',').map((hp) => {
    const hm = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hp);
    if (!hm) return bad(`bad host "${hp}"`);
    const port = Number(hm[2] ?? (kind === 'sentinel' ? 26379 : 6379));
    if (port < 1 || port > 65535) bad(`bad port in "${hp}"`);
    return { host: hm[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (kind === 'plain' && hosts.length !== 1) bad('a plain redis:// URL names one host (use redis-sentinel:// or redis-cluster:// for several)');
  const path = (m[4] ?? '').split('/').filter(Boolean);
  let master: string | undefined;
  if (kind === 'sentinel') {
    master = path.shift();
    if (!master) bad('redis-sentinel:// needs the master name as its path: redis-sentinel://h:p,h:p/mymaster');
  }
  let db: number | undefined;
  if (path.length > 0) {
    if (kind === 'cluster') bad('Redis Cluster has no databases: no path in a redis-cluster:// URL');
    if (path.length > 1 || !/^\d{1,2}$/.test(path[0]!)) bad('the database must be a number, e.g. /0');
    db = Number(path[0]);
  }
  return {
    kind, tls, hosts,
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
    ...(db !== undefined ? { db } : {}), ...(master !== undefined ? { master } : {}),
  };
}

/** The URL with any password replaced, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_all, auth: string) => `//${auth.includes(':') ? `${auth.slice(0, auth.indexOf(':'))}:***` : auth}@`);
}

/** An ioredis client for `url` with the no-stall options above; not yet connected. */
export function createRedisClient(url: string, o: RedisLinkOptions = {}): RedisClient {
  const p = parseRedisUrl(url);
  const base: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: o.commandTimeoutMs ?? 500,
    connectTimeout: o.connectTimeoutMs ?? 2000,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
    ...(p.username !== undefined ? { username: p.username } : {}),
    ...(p.password !== undefined ? { password: p.password } : {}),
    ...(p.tls ? { tls: {} } : {}),
  };
  if (p.kind === 'cluster') {
    const opts: ClusterOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
      redisOptions: base,
    };
    return new Cluster(p.hosts, opts);
  }
  if (p.kind === 'sentinel') {
    return new Redis({
      ...base, sentinels: p.hosts, name: p.master!,
      ...(p.db !== undefined ? { db: p.db } : {}),
      // The URL's user and password are the master's; sentinels are asked without auth.
      sentinelRetryStrategy: (times: number) => Math.min(100 * times, 2000),
    });
  }
  return new Redis({ ...base, host: p.hosts[0]!.host, port: p.hosts[0]!.port, ...(p.db !== undefined ? { db: p.db } : {}) });
}

/**
 * A Redis connection plus its health. `run` is how every user issues
 * commands: it records success or failure (so health can say degraded) and
 * never lets a Redis error escape unless asked to.
 */
export class RedisLink {
  readonly client: RedisClient;
  private lastOk = 0;
  private lastFail = 0;
  private lastLog = 0;
  private closed = false;
  /** Failed commands since start, by what they were for. */
  readonly failures = new Map<string, number>();
  /** Called after each failed command (metrics hang off this). */
  onFailure: ((what: string) => void) | null = null;

  constructor(readonly url: string, private readonly log: Logger, o: RedisLinkOptions = {}) {
    this.client = createRedisClient(url, o);
    this.client.on('error', (err: Error) => this.noteError('connection', err));
    this.client.on('ready', () => {
      this.lastOk = performance.now();
      this.log.info({ redis: redact(url) }, 'redis connected');
    });
  }

  /** Starts connecting; resolves true once ready, false after `waitMs` (it keeps trying in the background). */
  async connect(waitMs: number): Promise<boolean> {
    const ready = new Promise<boolean>((resolve) => {
      if (this.client.status === 'ready') return resolve(true);
      const timer = setTimeout(() => resolve(false), waitMs);
      timer.unref();
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    // Failure here is already reported through 'error'; ioredis keeps retrying.
    this.client.connect().catch(() => undefined);
    return ready;
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** ok: connected and the last command succeeded; degraded otherwise. */
  get status(): 'ok' | 'degraded' {
    return this.ready && this.lastOk >= this.lastFail ? 'ok' : 'degraded';
  }

  /** Runs one Redis interaction; records the outcome; rethrows (use `attempt` to swallow). */
  async run<T>(what: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
    try {
      const v = await fn(this.client);
      this.lastOk = performance.now();
      return v;
    } catch (err) {
      this.noteError(what, err as Error);
      throw err;
    }
  }

  /** Like run, but a failure yields `fallback` (counted and logged, never thrown). */
  async attempt<T, F>(what: string, fn: (c: RedisClient) => Promise<T>, fallback: F): Promise<T | F> {
    try {
      return await this.run(what, fn);
    } catch {
      return fallback;
    }
  }

  private noteError(what: string, err: Error): void {
    this.lastFail = performance.now();
    if (what !== 'connection') {
      this.failures.set(what, (this.failures.get(what) ?? 0) + 1);
      this.onFailure?.(what);
    }
    const now = Date.now();
    if (!this.closed && now - this.lastLog > 10_000) {
      this.lastLog = now;
      this.log.warn({ redis: redact(this.url), what, err: err.message }, 'redis unavailable: serving without it');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.ready) {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
