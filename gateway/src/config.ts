// The gateway's configuration file: the cluster's t, the key material (by
// epoch; gateways are the writers and hold the cluster secret), the nodes'
// URLs in index order, the S3 region and domain, and the credentials of S3
// users; optionally Redis (a cache: live writers, key ring, clock hints)
// and the key-encryption key (KEK) that seals the key ring kept there; the
// CA that https:// nodes' certificates chain to (nodeCa); the admin token of
// /_powerstore/health and /metrics.
// Every field is checked; a bad one is one line of error.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromHex } from '@powerstore/shared/bytes.js';
import { readJsonFile } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { DEFAULT_BLOCK_SIZE, validBlockSize } from '@powerstore/shared/erasure/layout.js';
import { WRITE_BLOCK_HASH, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import { clusterParams, MAX_T, type ClusterParams } from '@powerstore/shared/protocol/params.js';
import type { Credential } from './s3/auth/credentials.js';
import { parseKeyScope, type KeyScope } from './s3/access/key-scope.js';
import { parseRedisUrl, redact } from './redis/link.js';
import { DEFAULT_USAGE_INTERVAL_S } from './background/usage.js';
import { parseKek } from './redis/sealed.js';
import { parseLimits, type GatewayLimits } from './limits.js';

export const GATEWAY_CONFIG_FORMAT = 'powerstore-gateway-config-v1';

export interface GatewayConfigFile {
  format: typeof GATEWAY_CONFIG_FORMAT;
  t: number;
  region: string;
  domain?: string;
  secrets: Record<string, string>;
  currentEpoch: number;
  nodes: string[];
  credentials: Credential[];
  blockSize?: number;
  /**
   * What new writes hash their fragments' blocks with (block-hash.ts):
   * 'blake3' (the default) or 'sha256'. Storage nodes older than BLAKE3
   * lists refuse 'blake3' stores; set 'sha256' until every node runs this
   * version. Reads take either, whatever this says.
   */
  blockHash?: BlockHashAlg;
  /** PEM files: when both are given the gateway serves HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** PEM file of the CA that https:// node URLs' certificates chain to (otherwise the system's CAs). */
  nodeCa?: string;
  /** Redis URL (redis://, rediss://, redis-sentinel://, redis-cluster://): optional. */
  redis?: string;
  /** Key-encryption key for the key ring in Redis: 64 hex digits. Needed with redis. */
  kek?: string;
  /** Background scrub (scrub.ts): seconds between passes; 0 or absent: off. */
  scrubIntervalS?: number;
  /** Objects and bytes per bucket (usage.ts): seconds between passes; 0: off; absent: 300. */
  usageIntervalS?: number;
  /** Timeouts and caps against clients that hold the gateway (limits.ts); each optional. */
  limits?: Partial<GatewayLimits>;
  /** Bearer token of /_powerstore/health and /metrics (ADMIN_TOKEN_RULE); absent: they answer no one. */
  adminToken?: string;
}

export interface GatewayConfig {
  readonly params: ClusterParams;
  readonly region: string;
  readonly domain?: string;
  readonly secrets: ReadonlyMap<number, Buffer>;
  readonly currentEpoch: number;
  readonly nodes: readonly string[];
  readonly credentials: readonly Credential[];
  readonly blockSize: number;
  readonly blockHash: BlockHashAlg;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The file named by nodeCa, and its PEM (read by loadGatewayConfig). */
  readonly nodeCaFile?: string;
  readonly nodeCa?: Buffer;
  readonly redis?: string;
  readonly kek?: Buffer;
  /** Seconds between background scrub passes; 0 or absent: no background scrub (the default). */
  readonly scrubIntervalS?: number;
  /** Seconds between bucket usage passes (usage.ts); 0: off. */
  readonly usageIntervalS: number;
  /** Timeouts and caps (limits.ts): the defaults unless the file sets some. */
  readonly limits: GatewayLimits;
  /** Bearer token of the admin endpoints (/_powerstore/health, /metrics); absent: they answer no one. */
  readonly adminToken?: string;
}

/** An admin token: 16 to 256 visible ASCII characters (no spaces: it travels in `Authorization: Bearer`). */
const ADMIN_TOKEN_RULE = /^[\x21-\x7e]{16,256}$/;

export function checkAdminToken(token: string, where: string): string {
  if (!ADMIN_TOKEN_RULE.test(token)) throw new ConfigError(`${where}: the admin token must be 16 to 256 visible ASCII characters, no spaces`);
  return token;
}

/**
 * A secret kept in a file (--secret-key-file, --admin-token-file): its
 * content without the final line break. Secrets given this way (or by
 * environment variable) stay out of the command line, which every local
 * user can read with `ps`.
 */
export function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${what} file ${path} is empty`);
  return value;
}

/** Longest scrub interval accepted: a week. */
export const MAX_SCRUB_INTERVAL_S = 7 * 24 * 3600;

export function parseGatewayConfig(raw: unknown, where: string): GatewayConfig {
  const bad = (what: string): never => {
    throw new ConfigError(`gateway config ${where}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const c = raw as Partial<GatewayConfigFile>;
  if (c.format !== GATEWAY_CONFIG_FORMAT) bad(`format must be "${GATEWAY_CONFIG_FORMAT}"`);
  if (!Number.isInteger(c.t) || c.t! < 1 || c.t! > MAX_T) bad(`t must be an integer from 1 to ${MAX_T}`);
  const params = clusterParams(c.t!);
  if (typeof c.region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(c.region)) bad('region must be like "us-east-1"');
  if (c.domain !== undefined && (typeof c.domain !== 'string' || !/^[a-z0-9.-]+$/i.test(c.domain))) bad('domain must be a host name');
  if (typeof c.secrets !== 'object' || c.secrets === null) bad('secrets missing');
  const secrets = new Map<number, Buffer>();
  for (const [epoch, hex] of Object.entries(c.secrets!)) {
    const s = fromHex(hex, 32);
    if (!/^\d+$/.test(epoch) || !s) bad(`secret for epoch "${epoch}" must be 64 hex digits`);
    secrets.set(Number(epoch), s!);
  }
  if (!Number.isInteger(c.currentEpoch) || !secrets.has(c.currentEpoch!)) bad('currentEpoch has no secret');
  if (!Array.isArray(c.nodes) || c.nodes.length !== params.S) bad(`nodes must list ${params.S} URLs (3t+1 for t=${params.t})`);
  for (const u of c.nodes!) if (typeof u !== 'string' || !/^https?:\/\/[^/]+$/.test(u)) bad(`node URL "${String(u)}" must be like http://host:port`);
  if (!Array.isArray(c.credentials) || c.credentials.length === 0) bad('credentials must list at least one user');
  const credentials = c.credentials!.map((cr, i): Credential => {
    if (typeof cr?.accessKey !== 'string' || typeof cr.secretKey !== 'string' || typeof cr.user !== 'string' || !cr.accessKey || !cr.secretKey || !cr.user) {
      bad('each credential needs accessKey, secretKey and user');
    }
    // Per-key limits (key-scope.ts): checked here too, for a gateway.json written by hand.
    const scope = parseKeyScope(cr, `credential ${i} (${cr.accessKey})`);
    if (typeof scope === 'string') bad(scope);
    return { accessKey: cr.accessKey, secretKey: cr.secretKey, user: cr.user, ...(scope as KeyScope) };
  });
  const keys = new Set(credentials.map((cr) => cr.accessKey));
  if (keys.size !== credentials.length) bad('an access key appears twice in credentials');
  const blockSize = c.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!validBlockSize(blockSize)) bad('blockSize must be a multiple of 8 up to 16 MiB');
  const hashName: unknown = c.blockHash === undefined ? WRITE_BLOCK_HASH : c.blockHash;
  if (hashName !== 'blake3' && hashName !== 'sha256') bad('blockHash must be "blake3" or "sha256"');
  const blockHash = hashName as BlockHashAlg;
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) bad('give both tlsCert and tlsKey (or neither)');
  if (c.tlsCert !== undefined && (typeof c.tlsCert !== 'string' || typeof c.tlsKey !== 'string')) bad('tlsCert and tlsKey must be file paths');
  if (c.nodeCa !== undefined && (typeof c.nodeCa !== 'string' || !c.nodeCa)) bad('nodeCa must be a file path');
  if (c.redis !== undefined && typeof c.redis !== 'string') bad('redis must be a URL string');
  if (c.kek !== undefined && !parseKek(c.kek)) bad('kek must be 64 hex digits');
  if (c.redis !== undefined) checkRedisUrl(c.redis, `gateway config ${where}: `);
  if (c.adminToken !== undefined && (typeof c.adminToken !== 'string' || !ADMIN_TOKEN_RULE.test(c.adminToken))) {
    bad('adminToken must be 16 to 256 visible ASCII characters, no spaces');
  }
  const scrubIntervalS = c.scrubIntervalS ?? 0;
  if (!Number.isSafeInteger(scrubIntervalS) || scrubIntervalS < 0 || scrubIntervalS > MAX_SCRUB_INTERVAL_S) {
    bad(`scrubIntervalS must be an integer from 0 (off) to ${MAX_SCRUB_INTERVAL_S}`);
  }
  const usageIntervalS = c.usageIntervalS ?? DEFAULT_USAGE_INTERVAL_S;
  if (!Number.isSafeInteger(usageIntervalS) || usageIntervalS < 0 || usageIntervalS > MAX_SCRUB_INTERVAL_S) {
    bad(`usageIntervalS must be an integer from 0 (off) to ${MAX_SCRUB_INTERVAL_S}`);
  }
  const limits = parseLimits(c.limits, where);
  return {
    usageIntervalS,
    params, region: c.region!, limits, ...(c.domain ? { domain: c.domain } : {}), secrets, currentEpoch: c.currentEpoch!,
    nodes: c.nodes!, credentials, blockSize, blockHash, scrubIntervalS,
    ...(c.tlsCert && c.tlsKey ? { tls: { cert: c.tlsCert, key: c.tlsKey } } : {}),
    ...(c.nodeCa ? { nodeCaFile: c.nodeCa } : {}),
    ...(c.redis ? { redis: c.redis } : {}),
    ...(c.kek !== undefined ? { kek: parseKek(c.kek)! } : {}),
    ...(c.adminToken !== undefined ? { adminToken: c.adminToken } : {}),
  };
}

function checkRedisUrl(url: string, prefix: string): void {
  try {
    parseRedisUrl(url);
  } catch (e) {
    throw new ConfigError(`${prefix}${(e as Error).message}`);
  }
}

/**
 * The config with the --redis / --kek flags (or POWERSTORE_REDIS_URL /
 * POWERSTORE_KEK) applied over the file's fields; checks that Redis comes
 * with a KEK (the key ring is only ever kept in Redis sealed).
 */
export function withRedisFlags(cfg: GatewayConfig, flags: { redis?: string | undefined; kek?: string | undefined }): GatewayConfig {
  let out = cfg;
  if (flags.redis !== undefined) {
    checkRedisUrl(flags.redis, '--redis: ');
    out = { ...out, redis: flags.redis };
  }
  if (flags.kek !== undefined) {
    const kek = parseKek(flags.kek);
    if (!kek) throw new ConfigError('--kek must be 64 hex digits (32 bytes)');
    out = { ...out, kek };
  }
  if (out.redis && !out.kek) {
    throw new ConfigError(`Redis (${redact(out.redis)}) needs the key-encryption key that seals the key ring there: --kek HEX, POWERSTORE_KEK or the config's "kek" (64 hex digits)`);
  }
  return out;
}

/**
 * Reads and checks a gateway config file. Relative file names in it
 * (nodeCa, tlsCert, tlsKey) are taken from the config file's folder, not
 * the working directory: a `powerstore init` bundle works wherever it is
 * copied, and `powerstore heal --config DIR/gateway.json` works from anywhere.
 */
export function loadGatewayConfig(path: string): GatewayConfig {
  const parsed = parseGatewayConfig(readJsonFile(path, 'gateway config'), path);
  const beside = (file: string): string => resolve(dirname(path), file);
  const cfg: GatewayConfig = {
    ...parsed,
    ...(parsed.tls ? { tls: { cert: beside(parsed.tls.cert), key: beside(parsed.tls.key) } } : {}),
    ...(parsed.nodeCaFile ? { nodeCaFile: beside(parsed.nodeCaFile) } : {}),
  };
  if (!cfg.nodeCaFile) return cfg;
  try {
    return { ...cfg, nodeCa: readFileSync(cfg.nodeCaFile) };
  } catch (e) {
    throw new ConfigError(`gateway config ${path}: cannot read nodeCa ${cfg.nodeCaFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
