// The local cluster's persistent state in its data folder: cluster.json
// (t, region, the cluster secret by epoch, S3 credentials, the key-encryption
// key that seals the key ring in Redis, the admin token) created on first start and reused
// afterwards, so restarting on the same folder keeps every object readable.
// Key epochs added by `powerstore keys rotate` (which writes them into
// gateway.json) are taken into cluster.json at the next start. A node's
// config file holds only that node's keys.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '@powerstore/shared/bytes.js';
import { readJsonFile } from '@powerstore/shared/config.js';
import { writeFileDurable } from '@powerstore/shared/durable-file.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { deriveNodeKey } from '@powerstore/shared/keys.js';
import { MAX_T } from '@powerstore/shared/protocol/params.js';
import { NODE_CONFIG_FORMAT, type NodeConfigFile } from '../../../storage-node/src/config.js';
import type { Credential } from '../s3/auth/credentials.js';
import { GATEWAY_CONFIG_FORMAT, type GatewayConfigFile } from '../config.js';
import type { GatewayLimits } from '../limits.js';

export const CLUSTER_STATE_FORMAT = 'powerstore-local-cluster-v1';

export interface ClusterState {
  format: typeof CLUSTER_STATE_FORMAT;
  t: number;
  region: string;
  secrets: Record<string, string>;
  currentEpoch: number;
  credentials: Credential[];
  /** Key-encryption key (64 hex digits) of the key ring in Redis; generated when missing. */
  kek?: string;
  /** Bearer token of the gateways' /_powerstore/health and /metrics; generated when missing. */
  adminToken?: string;
}


export function loadOrCreateState(dataDir: string, want: { t?: number; accessKey?: string; secretKey?: string; adminToken?: string; region: string }): ClusterState {
  const path = join(dataDir, 'cluster.json');
  let state: ClusterState;
  if (existsSync(path)) {
    const raw = readJsonFile(path, 'cluster state') as Partial<ClusterState>;
    if (raw.format !== CLUSTER_STATE_FORMAT || !Number.isInteger(raw.t) || raw.t! < 1 || raw.t! > MAX_T ||
      typeof raw.secrets !== 'object' || raw.secrets === null || !Array.isArray(raw.credentials) || typeof raw.region !== 'string' ||
      !Number.isInteger(raw.currentEpoch) || Object.values(raw.secrets).some((s) => !fromHex(s, 32)) ||
      (raw.kek !== undefined && !fromHex(raw.kek, 32)) || (raw.adminToken !== undefined && typeof raw.adminToken !== 'string')) {
      throw new ConfigError(`${path} is corrupt (expected format ${CLUSTER_STATE_FORMAT}); move it away to start a new cluster`);
    }
    state = raw as ClusterState;
    if (want.t !== undefined && want.t !== state.t) {
      throw new ConfigError(`the data folder ${dataDir} holds a t=${state.t} cluster; start with --t ${state.t} or use another --data folder`);
    }
  } else {
    state = newClusterState(want.t ?? 1, want.region);
  }
  absorbRotatedEpochs(state, join(dataDir, 'gateway.json'));
  applyGiven(state, want);
  writeFileDurable(path, JSON.stringify(state, null, 2));
  return state;
}

/** A new cluster's state: a random secret for key epoch 0, an admin S3 user, a KEK and an admin token. */
export function newClusterState(t: number, region: string): ClusterState {
  return {
    format: CLUSTER_STATE_FORMAT,
    t,
    region,
    secrets: { 0: randomBytes(32).toString('hex') },
    currentEpoch: 0,
    credentials: [{ accessKey: `PS${randomBytes(9).toString('hex').toUpperCase()}`, secretKey: randomBytes(30).toString('base64url'), user: 'admin' }],
  };
}

/**
 * Fills in what an older state lacks (KEK, admin token) and puts in the
 * S3 keys and admin token the operator gave, which are kept from then on.
 */
export function applyGiven(state: ClusterState, want: { accessKey?: string; secretKey?: string; adminToken?: string }): void {
  state.kek ??= randomBytes(32).toString('hex');
  // Given (POWERSTORE_ADMIN_TOKEN, --admin-token-file): kept from then on, like given S3 keys.
  if (want.adminToken !== undefined) state.adminToken = want.adminToken;
  state.adminToken ??= randomBytes(24).toString('base64url');
  if (want.accessKey || want.secretKey) {
    if (!want.accessKey || !want.secretKey) throw new ConfigError('give both --access-key and --secret-key (or neither)');
    const rest = state.credentials.slice(1).filter((c) => c.accessKey !== want.accessKey);
    state.credentials = [{ accessKey: want.accessKey, secretKey: want.secretKey, user: 'admin' }, ...rest];
  }
}

/**
 * Takes into `state` the key epochs `powerstore keys rotate` added to the
 * local cluster's gateway config file (the durable copy of a rotated
 * secret), and its current epoch if newer. A different secret for an epoch
 * state already holds is refused: the files are of two different clusters.
 */
export function absorbRotatedEpochs(state: ClusterState, gatewayConfigPath: string): void {
  if (!existsSync(gatewayConfigPath)) return;
  const raw = readJsonFile(gatewayConfigPath, 'gateway config') as { secrets?: unknown; currentEpoch?: unknown };
  if (typeof raw.secrets !== 'object' || raw.secrets === null) return;
  for (const [epoch, hex] of Object.entries(raw.secrets as Record<string, unknown>)) {
    if (!/^\d+$/.test(epoch) || !fromHex(hex, 32)) throw new ConfigError(`${gatewayConfigPath}: secret for epoch "${epoch}" must be 64 hex digits`);
    const have = state.secrets[epoch];
    if (have !== undefined && have !== hex) throw new ConfigError(`${gatewayConfigPath} holds another secret for key epoch ${epoch} than cluster.json (files of two clusters?)`);
    state.secrets[epoch] = hex as string;
  }
  const cur = raw.currentEpoch;
  if (typeof cur === 'number' && Number.isInteger(cur) && state.secrets[String(cur)] !== undefined && cur > state.currentEpoch) state.currentEpoch = cur;
}

/** The config file of node i: only its own key, for every epoch. */
export function nodeConfigFor(state: ClusterState, index: number): NodeConfigFile {
  const keys: Record<string, string> = {};
  for (const [epoch, hex] of Object.entries(state.secrets)) {
    keys[epoch] = deriveNodeKey(Buffer.from(hex, 'hex'), Number(epoch), index).toString('hex');
  }
  return { format: NODE_CONFIG_FORMAT, index, t: state.t, keys, currentEpoch: state.currentEpoch };
}

/** What a gateway config file holds beside the cluster state: where the nodes are, and how to reach them and be reached. */
export interface GatewayFileOptions {
  /** Node URLs in index order (https:// when the nodes serve TLS). */
  readonly nodes: readonly string[];
  /** More S3 users beside the cluster's own. */
  readonly users?: readonly Credential[];
  readonly blockSize?: number;
  /** The PEM pair the gateway serves HTTPS with. */
  readonly tls?: { readonly cert: string; readonly key: string } | null;
  /** The CA file https:// nodes' certificates chain to (relative: to the config file's folder). */
  readonly nodeCa?: string;
  readonly domain?: string;
  readonly redis?: string;
  readonly limits?: Partial<GatewayLimits>;
  readonly usageIntervalS?: number;
}

/** The cluster's own credentials, then the credentials file's users (an access key the cluster holds is the cluster's). */
export function credentialsWith(state: ClusterState, users: readonly Credential[]): Credential[] {
  return [...state.credentials, ...users.filter((u) => !state.credentials.some((c) => c.accessKey === u.accessKey))];
}

/** A gateway's config file: the cluster's secrets, users, KEK and admin token, and the options. One writer for the launcher and `powerstore init`. */
export function gatewayConfigFor(state: ClusterState, o: GatewayFileOptions): GatewayConfigFile {
  return {
    format: GATEWAY_CONFIG_FORMAT,
    t: state.t,
    region: state.region,
    secrets: state.secrets,
    currentEpoch: state.currentEpoch,
    nodes: [...o.nodes],
    credentials: credentialsWith(state, o.users ?? []),
    ...(o.blockSize ? { blockSize: o.blockSize } : {}),
    ...(o.tls ? { tlsCert: o.tls.cert, tlsKey: o.tls.key } : {}),
    ...(o.nodeCa ? { nodeCa: o.nodeCa } : {}),
    ...(o.domain ? { domain: o.domain } : {}),
    ...(o.redis ? { redis: o.redis } : {}),
    ...(state.kek ? { kek: state.kek } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.usageIntervalS !== undefined ? { usageIntervalS: o.usageIntervalS } : {}),
    ...(state.adminToken ? { adminToken: state.adminToken } : {}),
  };
}
