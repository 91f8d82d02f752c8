#!/usr/bin/env node
// The admin CLI: `node dist/gateway/src/cli/powerstore.js <command> [flags]`.
//
//   gateways      the cluster's live gateways, as registered in Redis
//   keys rotate   a new key epoch (rotate.ts): delivers every node its new
//                 key, then switches all gateways' new writes to it
//   heal          checks every node's copy of every stored write and
//                 restores missing or corrupt ones (heal.ts, scrub.ts);
//                 exit code 1 when something stays unhealthy
//
// Flags: --config FILE (a gateway config file: nodes, secrets, and its
// "redis"/"kek" fields; the local cluster writes data/gateway.json),
// --redis URL (POWERSTORE_REDIS_URL), --kek HEX (POWERSTORE_KEK), --json
// (gateways, heal), --wait-ms N (keys rotate), --dry-run and
// --concurrency N (heal). Errors are one line, exit code 2.

import { intFlag, parseFlags, runCli, stringFlag, type FlagValues } from '../../../shared/src/config.js';
import { ConfigError } from '../../../shared/src/errors.js';
import { createLogger } from '../../../shared/src/log.js';
import { loadGatewayConfig, type GatewayConfig } from '../config.js';
import { parseRedisUrl, redact, RedisLink } from '../redis/link.js';
import { RedisKeys, type GatewayRecord } from '../redis/schema.js';
import { parseKek } from '../redis/sealed.js';
import { listGateways } from '../redis/writers.js';
import { runHeal } from './heal.js';
import { rotateKeys } from './rotate.js';
import { parseDuration, runUploads } from './uploads.js';
import { packageVersion } from './version.js';

const USAGE = `usage: powerstore <command> [flags]

commands:
  gateways       list the cluster's live gateways (from Redis)
  keys rotate    start a new key epoch: deliver each node its new key, then
                 switch every gateway's new writes to it (old epochs still verify),
                 and write it into every live gateway's config file on this host;
                 exit code 1 (with a list) when some gateway's file was not reached
  heal           check every node's copy of every stored write (buckets, objects,
                 delete markers, multipart parts and uploads); rebuild missing or
                 corrupt copies from the other nodes. Prints a line per node;
                 exit code 0 when all is healthy or healed, 1 otherwise
  uploads list   incomplete multipart uploads, with their age (--bucket B, --older-than D)
  uploads abort  abort the incomplete multipart uploads begun more than D ago
                 (--older-than D is required; --bucket B; --dry-run lists them only);
                 their parts' data leaves the nodes. Exit code 1 if some abort failed

flags:
  --config FILE  gateway config file (nodes, secrets, "redis", "kek");
                 the local cluster's is data/gateway.json
  --redis URL    Redis URL (env POWERSTORE_REDIS_URL; default: the config's)
  --kek HEX      key-encryption key, 64 hex digits (env POWERSTORE_KEK; default: the config's)
  --json         gateways: one JSON array instead of a table; heal: the whole report as JSON
  --wait-ms N    keys rotate: how long to wait for every gateway to load the new epoch (default 30000)
  --dry-run      heal: only check and report, change nothing
  --concurrency N  heal: fragment checks and heals at once (default 4)
  --bucket B     uploads: only bucket B
  --older-than D uploads: only uploads begun more than D ago: 90s, 30m, 12h, 7d
  --version      the version of PoWerStore S3
`;

const FLAGS = {
  config: { type: 'string', env: 'POWERSTORE_GATEWAY_CONFIG', describe: 'gateway config file' },
  redis: { type: 'string', env: 'POWERSTORE_REDIS_URL', describe: 'Redis URL' },
  kek: { type: 'string', env: 'POWERSTORE_KEK', describe: 'key-encryption key (hex)' },
  json: { type: 'boolean', describe: 'JSON output' },
  'wait-ms': { type: 'string', describe: 'rotation wait for gateways' },
  'dry-run': { type: 'boolean', describe: 'heal: report only' },
  concurrency: { type: 'string', describe: 'heal: checks at once' },
  bucket: { type: 'string', describe: 'uploads: one bucket' },
  'older-than': { type: 'string', describe: 'uploads: age' },
  help: { type: 'boolean', describe: 'usage' },
  version: { type: 'boolean', describe: 'version' },
} as const;

interface Setup {
  readonly cfg: GatewayConfig | null;
  readonly configPath: string | undefined;
  readonly redis: string | undefined;
  readonly kek: Buffer | undefined;
}

function setup(f: FlagValues): Setup {
  const configPath = stringFlag(f.config);
  const cfg = configPath ? loadGatewayConfig(configPath) : null;
  const redis = stringFlag(f.redis) ?? cfg?.redis;
  if (redis !== undefined) parseRedisUrl(redis);
  const kekHex = stringFlag(f.kek);
  const kek = kekHex !== undefined ? parseKek(kekHex) : cfg?.kek;
  if (kekHex !== undefined && !kek) throw new ConfigError('--kek must be 64 hex digits (32 bytes)');
  return { cfg, configPath, redis, kek: kek ?? undefined };
}

async function connect(url: string): Promise<RedisLink> {
  const link = new RedisLink(url, createLogger('powerstore-cli', process.env.POWERSTORE_LOG_LEVEL ?? 'silent'), { commandTimeoutMs: 5000 });
  if (!(await link.connect(5000))) {
    await link.close();
    throw new ConfigError(`cannot reach Redis at ${redact(url)}`);
  }
  return link;
}

function table(gws: readonly GatewayRecord[]): string {
  if (gws.length === 0) return 'no live gateways registered in Redis\n';
  const rows = [['WRITER', 'ENDPOINT', 'HOST', 'PID', 'STARTED', 'HEARTBEAT', 'KEY EPOCH'],
    ...gws.map((g) => [g.writer, g.endpoint || '-', g.host, String(g.pid), g.startedAt, g.heartbeatAt, String(g.keyEpoch)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

async function gateways(s: Setup, json: boolean): Promise<void> {
  if (!s.redis) {
    throw new ConfigError('`gateways` lists what Redis knows: give --redis URL (or --config FILE with a "redis" field); without Redis, each gateway\'s /_powerstore/health (admin token) shows only itself');
  }
  const link = await connect(s.redis);
  try {
    const gws = await listGateways(link, new RedisKeys());
    process.stdout.write(json ? `${JSON.stringify(gws, null, 2)}\n` : table(gws));
  } finally {
    await link.close();
  }
}

/** Exit code 0, or 1 when some gateway's config file did not get the new epoch. */
async function rotate(s: Setup, waitMs: number): Promise<number> {
  if (!s.cfg || !s.configPath) throw new ConfigError('keys rotate needs --config FILE: the gateway config file with the nodes and the current secret (the new secret is added to it)');
  if (!s.redis) {
    throw new ConfigError('key rotation needs Redis (--redis URL, or "redis" in the config): gateways learn new key epochs from it. Without Redis, key epochs come only from the config files');
  }
  if (!s.kek) throw new ConfigError('keys rotate needs the key-encryption key: --kek HEX, POWERSTORE_KEK or the config\'s "kek"');
  const link = await connect(s.redis);
  try {
    const r = await rotateKeys({
      cfg: s.cfg, configPath: s.configPath, link, rk: new RedisKeys(), kek: s.kek, waitMs,
      say: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${r.resumed ? 'resumed and finished' : 'rotated'}: key epoch ${r.epoch} is current\n`);
    if (r.unreached.length === 0) return 0;
    // The rotation is done, but these gateways would lack the epoch after a restart without Redis.
    process.stderr.write(`key epoch ${r.epoch} did not reach the config file of ${r.unreached.length} gateway${r.unreached.length === 1 ? '' : 's'}:\n` +
      r.unreached.map((l) => `  ${l}\n`).join(''));
    return 1;
  } finally {
    await link.close();
  }
}

async function heal(s: Setup, f: FlagValues): Promise<number> {
  if (!s.cfg) throw new ConfigError('heal needs --config FILE: the gateway config file with the nodes and the keys (the local cluster\'s is data/gateway.json)');
  const concurrency = intFlag(f.concurrency, 'concurrency', 1, 64, 4);
  // Ctrl-C ends the pass early; the report then says it did not finish (exit code 1).
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort(new Error('interrupted')));
  return runHeal({
    cfg: s.cfg, dryRun: f['dry-run'] === true, concurrency, json: f.json === true, signal: ctl.signal,
    out: (text) => process.stdout.write(text),
  });
}

async function uploads(s: Setup, f: FlagValues, action: 'list' | 'abort'): Promise<number> {
  if (!s.cfg) throw new ConfigError(`uploads ${action} needs --config FILE: the gateway config file (the local cluster's is data/gateway.json)`);
  const older = stringFlag(f['older-than']);
  const bucket = stringFlag(f.bucket);
  return runUploads({
    cfg: s.cfg, action, dryRun: f['dry-run'] === true, json: f.json === true,
    ...(bucket !== undefined ? { bucket } : {}),
    ...(older !== undefined ? { olderThanMs: parseDuration(older, '--older-than') } : {}),
    log: createLogger('powerstore-uploads', process.env.POWERSTORE_LOG_LEVEL ?? 'warn'),
    out: (text) => process.stdout.write(text),
  });
}

runCli(async () => {
  const argv = process.argv.slice(2);
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const f = parseFlags(firstFlag < 0 ? [] : argv.slice(firstFlag), FLAGS);
  if (f.version) {
    process.stdout.write(`powerstore ${packageVersion()}\n`);
    return;
  }
  if (f.help || words.length === 0) {
    process.stdout.write(USAGE);
    if (!f.help) process.exit(2);
    return;
  }
  const command = words.join(' ');
  const s = setup(f);
  if (command === 'gateways') await gateways(s, f.json === true);
  else if (command === 'keys rotate') process.exit(await rotate(s, intFlag(f['wait-ms'], 'wait-ms', 0, 3_600_000, 30_000)));
  else if (command === 'heal') process.exit(await heal(s, f));
  else if (command === 'uploads list' || command === 'uploads abort') process.exit(await uploads(s, f, command === 'uploads list' ? 'list' : 'abort'));
  else throw new ConfigError(`unknown command "${command}" (commands: gateways, keys rotate, heal, uploads list, uploads abort; --help for usage)`);
  process.exit(0);
});
