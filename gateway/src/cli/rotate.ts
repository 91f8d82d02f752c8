// `powerstore keys rotate`: a new key epoch for the whole cluster
// (DESIGN §3 "Key epochs"). Order matters; each step is safe to stop after,
// and running the command again resumes where it stopped:
//
//  1. Take the rotation lock in Redis (one rotation at a time).
//  2. Merge the key ring: the config file's secrets and Redis's (sealed
//     under the KEK). The current epoch is the higher of the two's.
//  3. If the ring holds an epoch above the current one, a rotation was
//     begun and not finished: resume it. Otherwise draw a fresh secret for
//     current+1, write it to the config file first (durably: Redis is only a
//     cache, the file is the lasting copy), then into the Redis ring (HSETNX).
//     Gateways load it within seconds; holding a key changes nothing yet,
//     since new writes use only the *current* epoch.
//  4. Deliver each node its own key for the new epoch (key-delivery.ts).
//     Every node must take it: a node without the key of the epoch gateways
//     sign with would refuse them all. If one cannot, stop here.
//  5. Wait until every live gateway (registry) reports holding the epoch, so
//     no gateway takes a candidate of the new epoch for a forgery.
//  6. Set `current` in Redis (gateways switch new writes within seconds),
//     then the config file's currentEpoch.
//  7. Every live gateway's config file (its registry record names it) gets
//     every secret of the ring and the new current epoch: a gateway that
//     restarts while Redis is down would otherwise lack the epoch and answer
//     503 SlowDown until it has it (protocol review finding 1). Files on this
//     host are written; every gateway whose file this run could not write
//     (another host, no path published, unwritable, another cluster's
//     secrets) is named in `unreached`: the CLI prints them and exits 1.
//     Gateways not running now are not in the registry: their config files
//     need the secrets too before they start without Redis.
//
// Old epochs stay everywhere (config, Redis, nodes): everything written
// under them still verifies.

import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { readJsonFile } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { KeyConflictError, MutableWriterKeyring, SECRET_BYTES } from '@powerstore/shared/keys.js';
import type { GatewayConfig } from '../config.js';
import { readRing, seedRing } from '../redis/key-ring.js';
import type { RedisLink } from '../redis/link.js';
import { CURRENT_FIELD, ROTATE_LOCK_MS, type GatewayRecord, type RedisKeys } from '../redis/schema.js';
import { ringKey, seal } from '../redis/sealed.js';
import { listGateways } from '../redis/writers.js';
import { writeFileDurable } from '@powerstore/shared/durable-file.js';
import { deliverNodeKeys, DeliveryError, type NodeKeyState } from './key-delivery.js';
import { Agent } from 'undici';

export interface RotateOptions {
  readonly cfg: GatewayConfig;
  readonly configPath: string;
  readonly link: RedisLink;
  readonly rk: RedisKeys;
  readonly kek: Buffer;
  /** How long step 5 waits for every live gateway (default 30 s). */
  readonly waitMs?: number;
  readonly say: (line: string) => void;
}

export interface RotateResult {
  readonly epoch: number;
  readonly resumed: boolean;
  readonly nodes: readonly NodeKeyState[];
  readonly gateways: number;
  /** Live gateways whose config file did not get the new epoch (step 7), one line each. */
  readonly unreached: readonly string[];
}

const UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export async function rotateKeys(o: RotateOptions): Promise<RotateResult> {
  const token = randomBytes(16).toString('hex');
  const who = `${process.pid}@${new Date().toISOString()}`;
  const got = await o.link.run('rotate-lock', (c) => c.set(o.rk.rotateLock, `${token} ${who}`, 'PX', ROTATE_LOCK_MS, 'NX'));
  if (got === null) {
    const holder = await o.link.attempt('rotate-lock', (c) => c.get(o.rk.rotateLock), null);
    throw new ConfigError(`another key rotation is running (${holder?.split(' ')[1] ?? 'unknown'}); wait for it, or retry once its lock expires (10 minutes)`);
  }
  try {
    return await rotateLocked(o);
  } finally {
    await o.link.attempt('rotate-unlock', (c) => c.eval(UNLOCK, 1, o.rk.rotateLock, `${token} ${who}`), 0);
  }
}

async function rotateLocked(o: RotateOptions): Promise<RotateResult> {
  const aes = ringKey(o.kek);
  const snap = await readRing(o.link, o.rk, aes);
  const ring = new MutableWriterKeyring(o.cfg.secrets, o.cfg.currentEpoch);
  for (const [e, s] of snap.secrets) {
    try {
      ring.add(e, s);
    } catch (err) {
      if (err instanceof KeyConflictError) throw new ConfigError(`the key ring in Redis holds a different secret for epoch ${e} than ${o.configPath} (another cluster's Redis?)`);
      throw err;
    }
  }
  if (snap.current !== null) ring.advance(snap.current);
  const current = ring.currentEpoch;
  const top = Math.max(...ring.epochs);
  const resumed = top > current;
  const target = resumed ? top : top + 1;
  if (resumed) o.say(`resuming the rotation to key epoch ${target} (current: ${current})`);
  else ring.add(target, randomBytes(SECRET_BYTES));
  // The config file is the lasting copy of every secret (Redis is a cache):
  // the new one goes there before anywhere else.
  const missing = ring.epochs.filter((e) => !o.cfg.secrets.get(e)?.equals(ring.secret(e)!));
  if (missing.length > 0) {
    updateConfigFile(o.configPath, (raw) => {
      raw.secrets = { ...(raw.secrets as Record<string, string>), ...Object.fromEntries(missing.map((e) => [String(e), ring.secret(e)!.toString('hex')])) };
    });
    o.say(`key epoch${missing.length > 1 ? 's' : ''} ${missing.join(', ')} written to ${o.configPath}`);
  }
  // The ring in Redis gets every epoch it lacks, the new one included.
  await seedRing(o.link, o.rk, aes, ring, snap);
  const check = await readRing(o.link, o.rk, aes);
  if (!check.secrets.get(target)?.equals(ring.secret(target)!)) {
    throw new ConfigError(`Redis holds another secret for key epoch ${target} (a concurrent rotation?); nothing was switched`);
  }

  const tls = o.cfg.nodeCa ? new Agent({ connect: { ca: o.cfg.nodeCa } }) : undefined; // https:// nodes: trust their CA
  const results = await Promise.allSettled(o.cfg.nodes.map((url, i) => deliverNodeKeys(url, i, ring, target, undefined, tls)));
  await tls?.close();
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`node ${i}: ${errorText(r.reason)}`] : []));
  if (failed.length > 0) {
    throw new ConfigError(`key epoch ${target} not delivered to every node (${failed.join('; ')}); nothing was switched: run \`keys rotate\` again once they answer (it resumes epoch ${target})`);
  }
  const nodes = results.map((r) => (r as PromiseFulfilledResult<NodeKeyState>).value);
  o.say(`key epoch ${target} delivered to all ${nodes.length} nodes`);

  const live = await waitForGateways(o, target);
  const gateways = live.length;
  await o.link.run('rotate-switch', (c) => c.hset(o.rk.keyring, CURRENT_FIELD, seal(aes, CURRENT_FIELD, Buffer.from(String(target)))));
  updateConfigFile(o.configPath, (raw) => {
    raw.currentEpoch = target;
  });
  const older = ring.epochs.filter((e) => e < target);
  o.say(`new writes now use key epoch ${target} (${gateways} live gateway${gateways === 1 ? '' : 's'} switch within seconds); ` +
    `what was written under epoch${older.length === 1 ? '' : 's'} ${older.join(', ')} still verifies`);
  const unreached = spreadToConfigs(o, live, ring, target);
  return { epoch: target, resumed, nodes, gateways, unreached };
}

/** Step 7: every live gateway's config file gets the ring's secrets and `target` as current. */
function spreadToConfigs(o: RotateOptions, live: readonly GatewayRecord[], ring: MutableWriterKeyring, target: number): string[] {
  const here = hostname();
  const own = realPath(o.configPath);
  const done = new Set<string>([own]);
  const unreached: string[] = [];
  for (const g of live) {
    const who = `gateway ${g.writer} (${g.endpoint || 'not listening'}, host ${g.host})`;
    if (g.config === undefined) {
      unreached.push(`${who}: its config file is not known (it publishes none): add key epoch ${target} to it`);
      continue;
    }
    if (g.host !== here) {
      unreached.push(`${who}: ${g.config} is on another host: copy key epoch ${target} into it from ${o.configPath}`);
      continue;
    }
    const path = realPath(g.config);
    if (done.has(path)) continue;
    done.add(path);
    try {
      updateConfigFile(path, (raw) => {
        const secrets = (raw.secrets ?? {}) as Record<string, string>;
        for (const e of ring.epochs) {
          const hex = ring.secret(e)!.toString('hex');
          if (secrets[String(e)] !== undefined && secrets[String(e)] !== hex) throw new ConfigError(`it holds another secret for key epoch ${e} (another cluster's file?)`);
          secrets[String(e)] = hex;
        }
        raw.secrets = secrets;
        if (typeof raw.currentEpoch !== 'number' || raw.currentEpoch < target) raw.currentEpoch = target;
      });
      o.say(`key epoch ${target} written to ${path} (${who})`);
    } catch (e) {
      unreached.push(`${who}: ${g.config}: ${(e as Error).message}`);
    }
  }
  return unreached;
}

/** The file's canonical path (symlinks resolved), or the path itself when it cannot be resolved. */
function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Waits until every live gateway holds `epoch`; returns their records. */
async function waitForGateways(o: RotateOptions, epoch: number): Promise<GatewayRecord[]> {
  const deadline = Date.now() + (o.waitMs ?? 30_000);
  for (;;) {
    const live = await listGateways(o.link, o.rk);
    const lagging = live.filter((g) => !g.epochs.includes(epoch));
    if (lagging.length === 0) return live;
    if (Date.now() > deadline) {
      throw new ConfigError(`gateway${lagging.length > 1 ? 's' : ''} ${lagging.map((g) => `${g.writer} (${g.endpoint || g.host})`).join(', ')} did not load key epoch ${epoch}; nothing was switched: check their Redis and KEK, then run \`keys rotate\` again`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function errorText(e: unknown): string {
  return e instanceof DeliveryError || e instanceof Error ? e.message : String(e);
}

/** Rewrites the gateway config file durably, changing only what `edit` changes. */
function updateConfigFile(path: string, edit: (raw: Record<string, unknown>) => void): void {
  const raw = readJsonFile(path, 'gateway config') as Record<string, unknown>;
  edit(raw);
  try {
    writeFileDurable(path, JSON.stringify(raw, null, 2));
  } catch (e) {
    throw new ConfigError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

