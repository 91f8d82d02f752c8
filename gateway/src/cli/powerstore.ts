#!/usr/bin/env node
// `powerstore <command> [flags]`: every command of PoWerStore S3 in one tool
// (installed as the `powerstore` bin; from a checkout, `npm run powerstore --`).
// Servers: start (a local cluster), node, gateway; init writes the
// configuration of a cluster on many hosts. Admin, from a gateway
// config file, talking to the nodes directly: status, heal, scrub, uploads,
// keys rotate, gateways (Redis). Every command takes --help and --version;
// bad input is one line on stderr and exit code 2.

import { CliDone, intFlag, parseCommand, runCli, stringFlag, type CommandSpec, type FlagSpec, type FlagValues } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { createLogger } from '@powerstore/shared/log.js';
import { loadGatewayConfig, type GatewayConfig } from '../config.js';
import { parseRedisUrl, redact, RedisLink } from '../redis/link.js';
import { RedisKeys, type GatewayRecord } from '../redis/schema.js';
import { parseKek } from '../redis/sealed.js';
import { listGateways } from '../redis/writers.js';
import { runHeal } from './heal.js';
import { rotateKeys } from './rotate.js';
import { parseDuration, runUploads } from './uploads.js';
import { packageVersion } from '@powerstore/shared/version.js';
import { clusterStatus, statusLines, verdictOf } from './status.js';

const F = {
  config: { type: 'string', env: 'POWERSTORE_GATEWAY_CONFIG', describe: 'gateway config file: nodes, secrets, "redis", "kek" (the local cluster\'s is data/gateway.json)' },
  redis: { type: 'string', env: 'POWERSTORE_REDIS_URL', describe: 'Redis URL (default: the config\'s)' },
  kek: { type: 'string', env: 'POWERSTORE_KEK', describe: 'key-encryption key, 64 hex digits (default: the config\'s)' },
  json: { type: 'boolean', describe: 'JSON output' },
  'wait-ms': { type: 'string', describe: 'how long to wait for every gateway to load the new epoch (default 30000)' },
  'dry-run': { type: 'boolean', describe: 'only check and report, change nothing' },
  concurrency: { type: 'string', describe: 'fragment checks and heals at once (default 4)' },
  bucket: { type: 'string', describe: 'only this bucket' },
  'older-than': { type: 'string', describe: 'only uploads begun more than this long ago: 90s, 30m, 12h, 7d' },
} as const satisfies Record<string, FlagSpec>;

interface Verb extends CommandSpec {
  /** Resolves with the exit code, or nothing for a server (it runs until stopped). */
  readonly run: (argv: readonly string[]) => Promise<number | void>;
}

/** A verb over a gateway config file: parses its flags (and --help, --version), then runs. */
function admin(name: string, summary: string, flags: Record<string, FlagSpec>, body: (s: Setup, f: FlagValues) => Promise<number>): Verb {
  const spec: CommandSpec = { name: `powerstore ${name}`, summary, flags };
  return { ...spec, run: async (argv) => {
    const f = parseCommand(argv, spec);
    return body(setup(f), f);
  } };
}

const VERBS: readonly Verb[] = [
  {
    name: 'powerstore start', summary: 'a local cluster: 3t+1 storage nodes and gateways on this machine, data in one folder', flags: {},
    run: async (argv) => (await import('./start.js')).startMain(argv),
  },
  {
    name: 'powerstore init', summary: 'the configuration of a cluster on named hosts: a folder per node and gateway (config, keys, TLS files, start command)', flags: {},
    run: async (argv) => (await import('./init.js')).initMain(argv),
  },
  {
    name: 'powerstore node', summary: 'one storage node, from its own config file', flags: {},
    run: async (argv) => (await import('../../../storage-node/src/main.js')).nodeMain(argv),
  },
  {
    name: 'powerstore gateway', summary: 'one gateway (the S3 API), from its own config file', flags: {},
    run: async (argv) => (await import('../main.js')).gatewayMain(argv),
  },
  admin('status', 'whether every storage node answers, and whether the cluster can serve; exit code 0 only when all answer',
    { config: F.config, json: F.json }, (s, f) => status(s, f.json === true)),
  admin('heal', 'check every node\'s copy of every stored write and rebuild missing or corrupt ones; exit code 0 when all is healthy or healed',
    { config: F.config, 'dry-run': F['dry-run'], concurrency: F.concurrency, json: F.json }, (s, f) => heal(s, f, f['dry-run'] === true)),
  admin('scrub', 'check every node\'s copy of every stored write and report, changing nothing (heal --dry-run); exit code 0 when nothing needs healing',
    { config: F.config, concurrency: F.concurrency, json: F.json }, (s, f) => heal(s, f, true)),
  admin('uploads list', 'incomplete multipart uploads, with their age',
    { config: F.config, bucket: F.bucket, 'older-than': F['older-than'], json: F.json }, (s, f) => uploads(s, f, 'list')),
  admin('uploads abort', 'abort the incomplete multipart uploads begun more than --older-than ago (their parts\' data leaves the nodes)',
    { config: F.config, bucket: F.bucket, 'older-than': F['older-than'], 'dry-run': F['dry-run'], json: F.json }, (s, f) => uploads(s, f, 'abort')),
  admin('keys rotate', 'start a new key epoch: deliver each node its key, switch every gateway\'s new writes to it, write it into every live gateway\'s config file on this host (exit code 1, with a list, for those not reached)',
    { config: F.config, redis: F.redis, kek: F.kek, 'wait-ms': F['wait-ms'] }, (s, f) => rotate(s, intFlag(f['wait-ms'], 'wait-ms', 0, 3_600_000, 30_000))),
  admin('gateways', 'the cluster\'s live gateways, as registered in Redis',
    { config: F.config, redis: F.redis, json: F.json }, async (s, f) => (await gateways(s, f.json === true), 0)),
];

function usage(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length)) - 'powerstore '.length;
  return `usage: powerstore <command> [flags]     (powerstore <command> --help: its flags)\n\ncommands:\n` +
    VERBS.map((v) => `  ${v.name.slice('powerstore '.length).padEnd(w)}  ${v.summary}`).join('\n') +
    '\n\n  --help, --version on every command. Bad input: one line, exit code 2.\n';
}

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

async function heal(s: Setup, f: FlagValues, dryRun: boolean): Promise<number> {
  if (!s.cfg) throw new ConfigError('heal needs --config FILE: the gateway config file with the nodes and the keys (the local cluster\'s is data/gateway.json)');
  const concurrency = intFlag(f.concurrency, 'concurrency', 1, 64, 4);
  // Ctrl-C ends the pass early; the report then says it did not finish (exit code 1).
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort(new Error('interrupted')));
  return runHeal({
    cfg: s.cfg, dryRun, concurrency, json: f.json === true, signal: ctl.signal,
    out: (text) => process.stdout.write(text),
    progress: (line) => process.stderr.write(`${line}\n`),
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

async function status(s: Setup, json: boolean): Promise<number> {
  if (!s.cfg) throw new ConfigError('status needs --config FILE: the gateway config file (the local cluster\'s is data/gateway.json)');
  const nodes = await clusterStatus(s.cfg);
  process.stdout.write(json ? `${JSON.stringify({ t: s.cfg.params.t, verdict: verdictOf(nodes, s.cfg.params.t), nodes }, null, 2)}\n` : `${statusLines(nodes, s.cfg.params.t).join('\n')}\n`);
  return verdictOf(nodes, s.cfg.params.t) === 'healthy' ? 0 : 1;
}

runCli(async () => {
  const argv = process.argv.slice(2);
  // The longest command name that the words begin with: `uploads list` before `uploads`.
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const verb = [...VERBS].sort((a, b) => b.name.length - a.name.length)
    .find((v) => v.name.split(' ').slice(1).every((w, i) => words[i] === w));
  if (!verb) {
    if (argv.includes('--version')) throw new CliDone(`powerstore ${packageVersion()}\n`);
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') throw new CliDone(usage(), argv.length === 0 ? 2 : 0);
    throw new ConfigError(`unknown command "${words.join(' ')}" (commands: ${VERBS.map((v) => v.name.slice('powerstore '.length)).join(', ')}; --help for usage)`);
  }
  const code = await verb.run(argv.slice(verb.name.split(' ').length - 1));
  if (code !== undefined) process.exit(code);
});
