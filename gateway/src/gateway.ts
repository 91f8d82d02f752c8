// Assembles a gateway from its configuration: keys, node clients, coder,
// protocol context, S3 services, metrics and the HTTP app. main.ts runs it
// as a process; tests can run it in-process.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { ConfigError } from '../../shared/src/errors.js';
import type { IncomingMessage } from 'node:http';
import { createCoder } from '../../shared/src/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '../../shared/src/keys.js';
import type { Logger } from '../../shared/src/log.js';
import { newWriterId } from '../../shared/src/protocol/timestamp.js';
import { createApp } from './app.js';
import { BucketRegistry } from './buckets.js';
import type { GatewayConfig } from './config.js';
import { GatewayMetrics, NodeTally, protocolObserver } from './metrics.js';
import { RemoteNode } from './nodes/remote-node.js';
import { ObjectStore } from './objects.js';
import { MultipartStore } from './multipart-store.js';
import { DEFAULT_TIMEOUTS, type ProtocolContext } from './protocol/context.js';
import { StaticCredentialStore } from './s3/auth/credentials.js';
import type { AuthResult } from './s3/auth/types.js';
import type { RequestBody } from './s3/context.js';
import { openBody } from './s3/body/verified-body.js';
import { DigestPool, InlineDigester } from './s3/body/digest-worker.js';

export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Bodies up to this size hash on the main thread. */
const INLINE_DIGEST_MAX = 256 * 1024;

export interface RunningGateway {
  readonly server: Server;
  readonly ctx: ProtocolContext;
  close(): Promise<void>;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function buildGateway(cfg: GatewayConfig, log: Logger): RunningGateway {
  const keys = new SecretWriterKeyring(cfg.secrets, cfg.currentEpoch);
  const { params } = cfg;
  const nodes = cfg.nodes.map((url, index) => new RemoteNode({ index, url, keys, S: params.S, requestTimeoutMs: 120_000 }));
  const metrics = new GatewayMetrics();
  const tally = new NodeTally();
  let op = 0;
  const ctx: ProtocolContext = {
    params, keys, nodes,
    coder: createCoder(params.k, params.S - params.k),
    writerId: newWriterId(),
    nextOp: () => ++op,
    blockSize: cfg.blockSize,
    maxPendingBytes: 4 * cfg.blockSize,
    timeouts: DEFAULT_TIMEOUTS,
    observer: protocolObserver(metrics, tally, log),
  };
  const digester = new DigestPool();
  const inline = new InlineDigester();
  const creds = new StaticCredentialStore(cfg.credentials);
  const now = (): number => Date.now();
  const s3 = {
    config: { region: cfg.region, ...(cfg.domain ? { domain: cfg.domain } : {}), maxObjectBytes: MAX_OBJECT_BYTES },
    objects: new ObjectStore(ctx),
    multipart: new MultipartStore(ctx),
    buckets: new BucketRegistry(ctx),
    log, creds, now,
  };
  const app = createApp({
    s3,
    edge: {
      creds,
      now,
      metrics,
      // Small bodies hash inline: a round trip to the worker costs more than MD5 of a few KiB.
      openBody: (req: IncomingMessage, auth: AuthResult, maxBytes: number): RequestBody => {
        const len = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? NaN);
        return openBody(req, auth, { maxBytes, digester: len <= INLINE_DIGEST_MAX ? inline : digester });
      },
    },
    params, nodes, tally, metrics, writerId: ctx.writerId,
  });
  const serverOpts = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: 16 * 1024 };
  const server = cfg.tls
    ? createHttpsServer({ ...serverOpts, cert: readPem(cfg.tls.cert, 'TLS certificate'), key: readPem(cfg.tls.key, 'TLS key') }, app)
    : createServer(serverOpts, app);
  return {
    server, ctx,
    async close() {
      server.close();
      server.closeAllConnections();
      await Promise.all(nodes.map((n) => n.close()));
      await digester.close();
    },
  };
}
