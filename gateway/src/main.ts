// Gateway process: `node dist/gateway/src/main.js --config FILE [--port P] [--host H]
// [--redis URL --kek HEX] [--scrub-interval-s N] [--drain-grace-s N] [--admin-token-file F]`. Logs one JSON line {"msg":"listening","port":...} once it serves.
// SIGTERM/SIGINT: drain and stop; SIGHUP: reload the S3 credentials from the config file.

import { intFlag, isMainModule, parseCommand, runCli, stringFlag, type CommandSpec } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { announceListening, createLogger } from '@powerstore/shared/log.js';
import { checkAdminToken, loadGatewayConfig, MAX_SCRUB_INTERVAL_S, readSecretFile, withRedisFlags } from './config.js';
import { openGateway } from './gateway.js';
import { reloadCredentials } from './credentials-reload.js';
import { stopWithLauncher } from '@powerstore/shared/lifeline.js';
import { DEFAULT_DRAIN_GRACE_S } from './drain.js';
import { GATEWAY_HEAP_GROWTH, governHeapGrowth, PROCESS_HEAP } from '@powerstore/shared/heap-governor.js';

export const GATEWAY_COMMAND: CommandSpec = {
  name: 'powerstore gateway',
  summary: 'One gateway: the S3 API over the storage nodes named in its config file (each gateway starts from its own config alone).',
  flags: {
    config: { type: 'string', env: 'POWERSTORE_GATEWAY_CONFIG', describe: 'gateway config file' },
    port: { type: 'string', env: 'POWERSTORE_PORT', describe: 'listen port (0: any free port)' },
    host: { type: 'string', env: 'POWERSTORE_HOST', describe: 'listen address' },
    redis: { type: 'string', env: 'POWERSTORE_REDIS_URL', describe: 'Redis URL (optional cache; overrides the config\'s "redis")' },
    kek: { type: 'string', env: 'POWERSTORE_KEK', describe: 'key-encryption key of the key ring in Redis, 64 hex digits' },
    'admin-token-file': { type: 'string', env: 'POWERSTORE_ADMIN_TOKEN_FILE', describe: 'file holding the admin token of /_powerstore/health and /metrics (overrides the config\'s "adminToken")' },
    'drain-grace-s': { type: 'string', env: 'POWERSTORE_DRAIN_GRACE_S', describe: 'on SIGTERM: seconds requests in flight get to finish before the rest are cut off (default 30)' },
    'scrub-interval-s': { type: 'string', env: 'POWERSTORE_SCRUB_INTERVAL_S', describe: 'background scrub: seconds between passes (0: off; overrides the config\'s "scrubIntervalS")' },
    'unsafe-weakened-read': { type: 'boolean', describe: 'TESTS ONLY: deliberately non-linearizable reads (the nemesis suite\'s control)' },
  },
};

/** `powerstore gateway` (or `node dist/gateway/src/main.js`): runs until SIGTERM. */
export async function gatewayMain(argv: readonly string[]): Promise<void> {
  const f = parseCommand(argv, GATEWAY_COMMAND);
  const path = stringFlag(f.config);
  if (!path) throw new ConfigError('--config is required');
  const port = intFlag(f.port, 'port', 0, 65535, 9000);
  const host = stringFlag(f.host) ?? '127.0.0.1';
  const drainGraceMs = intFlag(f['drain-grace-s'], 'drain-grace-s', 0, 3600, DEFAULT_DRAIN_GRACE_S) * 1000;
  const loaded = withRedisFlags(loadGatewayConfig(path), { redis: stringFlag(f.redis), kek: stringFlag(f.kek) });
  // The admin token by file or environment (never a flag: `ps` shows flags to every local user).
  const tokenFile = stringFlag(f['admin-token-file']);
  const adminToken = tokenFile !== undefined ? checkAdminToken(readSecretFile(tokenFile, 'admin token'), `--admin-token-file ${tokenFile}`)
    : process.env.POWERSTORE_ADMIN_TOKEN ? checkAdminToken(process.env.POWERSTORE_ADMIN_TOKEN, 'POWERSTORE_ADMIN_TOKEN') : loaded.adminToken;
  const cfg = {
    ...loaded, scrubIntervalS: intFlag(f['scrub-interval-s'], 'scrub-interval-s', 0, MAX_SCRUB_INTERVAL_S, loaded.scrubIntervalS ?? 0),
    ...(adminToken !== undefined ? { adminToken } : {}),
  };
  const log = createLogger('gateway');
  // Near its memory bound, V8's heap may grow less between full collections, and closer still
  // everything collectable is collected at once (heap-governor.ts).
  governHeapGrowth(GATEWAY_HEAP_GROWTH, {
    ...PROCESS_HEAP,
    onChange: (tight, rss) => log.info({ rssMiB: Math.round(rss / 2 ** 20), heapGrowingPercent: tight ? GATEWAY_HEAP_GROWTH.tightPercent : 'V8 default' },
      tight ? 'memory near its bound: heap growth held tight' : 'memory well under its bound: heap growth back to V8 default'),
    onReclaim: (before, after, ms) => log.info({ rssMiB: Math.round(before / 2 ** 20), afterMiB: Math.round(after / 2 ** 20), ms: Math.round(ms) },
      'memory near its bound: collected all that could go'),
  });
  if (adminToken === undefined) log.warn('no admin token: /_powerstore/health and /_powerstore/metrics answer 401 to everyone (set "adminToken", POWERSTORE_ADMIN_TOKEN or --admin-token-file)');
  const weakenedRead = f['unsafe-weakened-read'] === true;
  if (weakenedRead) log.warn('--unsafe-weakened-read: reads are deliberately NOT linearizable (test control)');
  const gw = await openGateway(cfg, log, { weakenedRead, configPath: resolve(path) });
  await new Promise<void>((resolve, reject) => {
    gw.server.once('error', (e: NodeJS.ErrnoException) => reject(new ConfigError(`cannot listen on ${host}:${port}: ${e.code}`)));
    gw.server.listen(port, host, resolve);
  });
  const addr = gw.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
  gw.listening(`${cfg.tls ? 'https' : 'http'}://${shownHost}:${boundPort}`);
  announceListening(boundPort, { writer: gw.ctx.writerId, t: cfg.params.t, redis: gw.cache.status() });
  let stopping = false;
  const stop = (graceMs: number): void => {
    if (stopping) return;
    stopping = true;
    log.info({ graceMs }, 'stopping: no new connections; requests in flight may finish');
    void gw.close(graceMs).finally(() => process.exit(0));
    // Closing Redis and node clients after the drain should take a moment; never hang on it.
    setTimeout(() => process.exit(0), graceMs + 5000).unref();
  };
  // SIGHUP: new S3 credentials from the config file, without a restart (credentials-reload.ts).
  const configPath = resolve(path);
  process.on('SIGHUP', () => {
    const ok = reloadCredentials(configPath, (c) => gw.replaceCredentials(c), log);
    gw.metrics.credentialReloads.inc({ result: ok ? 'ok' : 'failed' });
  });
  process.once('SIGTERM', () => stop(drainGraceMs));
  process.once('SIGINT', () => stop(drainGraceMs));
  // The launcher is gone (killed): its nodes are stopping too, so nothing in flight can finish. No drain.
  stopWithLauncher(() => stop(0));
}

if (isMainModule(import.meta.url)) runCli(() => gatewayMain(process.argv.slice(2)));
