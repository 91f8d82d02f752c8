// Assembles a gateway from its configuration: keys, node clients, coder,
// protocol context, S3 services, metrics and the HTTP app. main.ts runs it
// as a process; tests can run it in-process. openGateway adds Redis when
// configured (key ring, writer registration, clock hints: redis/cache.ts);
// buildGateway alone runs without it.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ignoreUnknownExpectations } from './s3/expect.js';
import { createServer as createHttpsServer } from 'node:https';
import { ConfigError } from '@powerstore/shared/errors.js';
import type { IncomingMessage } from 'node:http';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import type { Logger } from '@powerstore/shared/log.js';
import type { Express } from 'express';
import type { Census } from './admin/health.js';
import { createApp } from './app.js';
import { BucketRegistry } from './buckets.js';
import type { GatewayConfig } from './config.js';
import { GatewayMetrics, NodeTally, protocolObserver } from './metrics.js';
import { RemoteNode } from './nodes/remote-node.js';
import { ObjectStore } from './objects.js';
import { MultipartStore } from './multipart/multipart-store.js';
import { DEFAULT_TIMEOUTS, type ProtocolContext } from './protocol/context.js';
import { ReloadableCredentialStore, type Credential } from './s3/auth/credentials.js';
import type { AuthResult } from './s3/auth/types.js';
import type { RequestBody } from './s3/context.js';
import { openBody } from './s3/body/verified-body.js';
import { releasing, UploadSlots } from './s3/body/upload-slots.js';
import { capConnectionsPerAddress } from './connection-cap.js';
import { DEFAULT_LIMITS, type GatewayLimits } from './limits.js';
import { DigestPool, InlineDigester } from './s3/body/digest-worker.js';
import { localCache, openRedisCache, type GatewayCache } from './redis/cache.js';
import { trackForDrain } from './drain.js';
import { DEFAULT_NODE_WATCH, NodeWatch } from './background/node-watch.js';
import { UsageWatch } from './background/usage.js';
import { Samples } from './admin/samples.js';
import { Scrubber } from './background/scrub.js';
import { NodeEpochWatch } from './background/key-epochs.js';
import { Agent } from 'undici';
import { ClockGuess } from './protocol/clock-guess.js';
import { AskOrder } from './protocol/ask-order.js';
import { StripePool } from './protocol/stripes/stripe-pool.js';

export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Bodies up to this size hash on the main thread. */
const INLINE_DIGEST_MAX = 256 * 1024;
/** Fragment checks the background scrub runs at once: low, so client traffic keeps the nodes. */
const SCRUB_CONCURRENCY = 2;

export interface RunningGateway {
  readonly server: Server;
  readonly ctx: ProtocolContext;
  /** Redis-backed parts (or their local stand-ins): key ring, hints, registration. */
  readonly cache: GatewayCache;
  readonly metrics: GatewayMetrics;
  /** Call once the server listens: publishes this gateway's endpoint (Redis registration). */
  listening(endpoint: string): void;
  /**
   * Swaps the S3 credentials (SIGHUP: main.ts) without a restart: requests
   * in flight keep the credential they were authenticated with, the next
   * request sees the new set. Throws, keeping the old set, on a bad one.
   */
  replaceCredentials(credentials: readonly Credential[]): void;
  /** Stops: lets requests in flight finish for up to graceMs (drain.ts), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A gateway with Redis when `cfg.redis` is set (then `cfg.kek` is required:
 * withRedisFlags checks it): reads the key ring from Redis, refusing to
 * start on a wrong KEK (ConfigError), and serves without Redis if it does
 * not answer. Without `cfg.redis`, the same as buildGateway.
 */
export async function openGateway(
  cfg: GatewayConfig, log: Logger, opts: { weakenedRead?: boolean; configPath?: string } = {},
): Promise<RunningGateway> {
  const metrics = new GatewayMetrics();
  const build = { metrics, ...(opts.weakenedRead ? { weakenedRead: true } : {}) };
  if (!cfg.redis) return buildGateway(cfg, log, build);
  if (!cfg.kek) throw new ConfigError('Redis needs a key-encryption key (--kek)');
  const cache = await openRedisCache({
    url: cfg.redis, kek: cfg.kek, secrets: cfg.secrets, currentEpoch: cfg.currentEpoch, log,
    ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
    hooks: {
      onKeyChange: (k) => {
        metrics.keyEpoch.set(k.currentEpoch);
        metrics.keyEpochsHeld.set(k.epochs.length);
      },
      onUnknownEpoch: () => metrics.unknownEpochs.inc(),
      onRedisFailure: (what) => metrics.redisErrors.inc({ what }),
      onHint: (result) => metrics.clockHints.inc({ result }),
    },
  });
  return buildGateway(cfg, log, { ...build, cache });
}

export function buildGateway(cfg: GatewayConfig, log: Logger, parts: { metrics?: GatewayMetrics; cache?: GatewayCache; weakenedRead?: boolean } = {}): RunningGateway {
  const cache = parts.cache ?? localCache(new SecretWriterKeyring(cfg.secrets, cfg.currentEpoch), [...cfg.secrets.keys()].sort((a, b) => a - b));
  const keys = cache.keys;
  const { params } = cfg;
  const { limits } = cfg;
  const nodes = cfg.nodes.map((url, index) => new RemoteNode({
    index, url, keys, S: params.S, requestTimeoutMs: 120_000, streamConnections: limits.nodeStreamConnections, ca: cfg.nodeCa,
  }));
  const metrics = parts.metrics ?? new GatewayMetrics();
  metrics.redisProbe = () => cache.status();
  metrics.keyEpoch.set(keys.currentEpoch);
  metrics.keyEpochsHeld.set(cache.epochs().length);
  const tally = new NodeTally();
  // Key epochs the nodes hold and this gateway lacks (key-epochs.ts, review finding 1).
  const statusAgent = cfg.nodeCa ? new Agent({ connect: { ca: cfg.nodeCa } }) : undefined;
  const epochs = new NodeEpochWatch({
    params, nodes: cfg.nodes, keys, epochs: () => cache.epochs(), refreshRing: () => cache.refreshKeys(),
    log: log.child({ component: 'key-epochs' }), ...(statusAgent ? { dispatcher: statusAgent } : {}),
  });
  epochs.start();
  let op = 0;
  const ctx: ProtocolContext = {
    params, keys, nodes,
    coder: createCoder(params.k, params.S - params.k),
    writerId: cache.writerId,
    nextOp: () => ++op,
    blockSize: cfg.blockSize,
    blockHash: cfg.blockHash,
    stripes: new StripePool(params, cfg.blockSize),
    maxPendingBytes: 4 * cfg.blockSize,
    timeouts: DEFAULT_TIMEOUTS,
    askOrder: new AskOrder(),
    guess: new ClockGuess(),
    observer: protocolObserver(metrics, tally, log),
    hints: cache.hints,
    epochs,
    ...(parts.weakenedRead ? { weakenedRead: true } : {}),
  };
  const usage = cfg.usageIntervalS > 0
    ? new UsageWatch(ctx, new BucketRegistry(ctx), {
      intervalMs: cfg.usageIntervalS * 1000, log: log.child({ component: 'usage' }),
      report: (u) => {
        // Buckets deleted since the last pass leave the gauges.
        metrics.bucketObjects.reset();
        metrics.bucketBytes.reset();
        for (const [bucket, b] of Object.entries(u.buckets)) {
          metrics.bucketObjects.set({ bucket }, b.objects);
          metrics.bucketBytes.set({ bucket }, b.bytes);
        }
      },
    })
    : null;
  // The status page's plots: sources read when a sample is taken (after start, below).
  let nodeWatch: NodeWatch | null = null;
  const samples = new Samples({
    recent: metrics.recent,
    nodesUp: () => nodeWatch?.upCount() ?? 0,
    bytesStored: () => {
      const u = usage?.snapshot();
      return u ? Object.values(u.buckets).reduce((sum, b) => sum + b.bytes, 0) : null;
    },
    minDiskFree: () => nodeWatch?.minDiskFree() ?? null,
  });
  const { app, creds, close: closeApp } = assembleApp(ctx, {
    samples,
    region: cfg.region, ...(cfg.domain ? { domain: cfg.domain } : {}), credentials: cfg.credentials,
    log, metrics, tally, limits,
    ...(cfg.adminToken !== undefined ? { adminToken: cfg.adminToken } : {}),
    // Listing first: its outcome (a timeout on a hung Redis) is part of the status.
    census: async () => {
      const gateways = await cache.gateways();
      return { redis: cache.status(), gateways, usage: usage?.snapshot() ?? null };
    },
  });
  // The optional background scrub (scrub.ts): off unless an interval is set.
  const scrubber = cfg.scrubIntervalS
    ? new Scrubber(ctx, { intervalMs: cfg.scrubIntervalS * 1000, concurrency: SCRUB_CONCURRENCY, log: log.child({ component: 'scrub' }), metrics })
    : null;
  scrubber?.start();
  // No total request time (a 5 GiB PUT takes long): bodies are timed by the
  // body layer instead (idle time and minimum rate, limits.ts). The head has
  // a deadline, which also ends a connection that never sends one; Node
  // checks it every connectionsCheckingInterval.
  const serverOpts = {
    keepAliveTimeout: limits.keepAliveTimeoutMs, requestTimeout: 0, headersTimeout: limits.headersTimeoutMs, maxHeaderSize: 16 * 1024,
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const server = cfg.tls
    ? createHttpsServer({
      ...serverOpts, handshakeTimeout: limits.headersTimeoutMs, cert: readPem(cfg.tls.cert, 'TLS certificate'), key: readPem(cfg.tls.key, 'TLS key'),
    }, app)
    : createServer(serverOpts, app);
  server.maxConnections = limits.maxConnections;
  ignoreUnknownExpectations(server);
  capConnectionsPerAddress(server, limits.maxConnectionsPerAddress);
  const drain = trackForDrain(server);
  const watch = new NodeWatch(nodes, {
    ...DEFAULT_NODE_WATCH, log: log.child({ component: 'nodes' }),
    report: (node, h) => {
      const label = { node: String(node) };
      metrics.nodeUp.set(label, h ? 1 : 0);
      if (!h) return;
      metrics.nodeBytes.set(label, h.bytes);
      metrics.nodeDiskFree.set(label, h.diskFreeBytes);
      metrics.nodeDiskTotal.set(label, h.diskTotalBytes);
    },
  });
  watch.start();
  nodeWatch = watch;
  usage?.start();
  samples.start();
  return {
    server, ctx, cache, metrics,
    listening: (endpoint) => cache.listening(endpoint),
    replaceCredentials: (credentials) => creds.replace(credentials),
    async close(graceMs = 0) {
      const cut = await drain.drain(graceMs);
      if (cut > 0) log.warn({ requests: cut, graceMs }, 'stopping: requests still running after the grace period were cut off');
      samples.stop();
      await watch.stop();
      await usage?.stop();
      await scrubber?.stop();
      epochs.stop();
      await statusAgent?.close();
      await cache.close();
      await Promise.all(nodes.map((n) => n.close()));
      await closeApp();
    },
  };
}

export interface AppOptions {
  readonly region: string;
  readonly domain?: string;
  readonly credentials: readonly Credential[];
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly tally: NodeTally;
  readonly census?: Census;
  readonly now?: () => number;
  /** Body pace, uploads per user, PostObject form budget (default: DEFAULT_LIMITS). */
  readonly limits?: GatewayLimits;
  /** Bearer token of /_powerstore/health and /metrics (config.ts adminToken); absent: they answer no one. */
  readonly adminToken?: string;
  /** The status page's plots (admin/samples.ts). */
  readonly samples?: Samples;
}

/**
 * The S3 services and HTTP app over a protocol context, whatever its nodes
 * are: remote ones here, simulated ones in the handler tests (app.test.ts).
 */
export function assembleApp(ctx: ProtocolContext, o: AppOptions): { app: Express; creds: ReloadableCredentialStore; close: () => Promise<void> } {
  const digester = new DigestPool();
  const inline = new InlineDigester();
  const creds = new ReloadableCredentialStore(o.credentials);
  const now = o.now ?? ((): number => Date.now());
  const limits = o.limits ?? DEFAULT_LIMITS;
  const slots = new UploadSlots(limits.maxUploadsPerUser);
  const pace = { idleMs: limits.bodyIdleMs, minBytesPerS: limits.bodyMinBytesPerS, graceMs: limits.bodyRateGraceMs };
  const s3 = {
    config: { region: o.region, ...(o.domain ? { domain: o.domain } : {}), maxObjectBytes: MAX_OBJECT_BYTES, postFormMs: limits.postFormMs },
    objects: new ObjectStore(ctx),
    multipart: new MultipartStore(ctx),
    buckets: new BucketRegistry(ctx),
    log: o.log, creds, now,
  };
  const app = createApp({
    s3,
    edge: {
      creds,
      now,
      metrics: o.metrics,
      // Small bodies hash inline: a round trip to the worker costs more than MD5 of a few KiB.
      // Each body holds one of its user's upload slots until it ends or the request closes.
      openBody: (req: IncomingMessage, auth: AuthResult, maxBytes: number, objectChecksums: boolean): RequestBody => {
        const release = slots.take(auth.accessKey ? `key:${auth.accessKey}` : `address:${req.socket.remoteAddress ?? ''}`);
        req.once('close', release);
        try {
          const len = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? NaN);
          const body = openBody(req, auth, { maxBytes, pace, digester: len <= INLINE_DIGEST_MAX ? inline : digester, objectChecksums });
          return { stream: releasing(body.stream, release), result: () => body.result(), ...(body.declaredSize !== undefined ? { declaredSize: body.declaredSize } : {}) };
        } catch (e) {
          release();
          throw e;
        }
      },
    },
    params: ctx.params, nodes: ctx.nodes, tally: o.tally, metrics: o.metrics, writerId: ctx.writerId,
    ...(o.census ? { census: o.census } : {}),
    ...(o.adminToken !== undefined ? { adminToken: o.adminToken } : {}),
    ...(o.samples ? { samples: o.samples } : {}),
  });
  return { app, creds, close: () => digester.close() };
}
