// A storage node's configuration file: its index, the cluster's t, and its
// own key for each key epoch (never another node's). Written by the local
// cluster launcher (or an operator); validated field by field.

import { ConfigError } from '@powerstore/shared/errors.js';
import { readJsonFile } from '@powerstore/shared/config.js';
import { fromHex } from '@powerstore/shared/bytes.js';
import { StaticNodeKeyring, type NodeKeyring } from '@powerstore/shared/keys.js';
import { clusterParams, MAX_T, type ClusterParams } from '@powerstore/shared/protocol/params.js';

export const NODE_CONFIG_FORMAT = 'powerstore-node-config-v1';

export interface NodeConfigFile {
  format: typeof NODE_CONFIG_FORMAT;
  index: number;
  t: number;
  /** Hex key of this node, by key epoch. */
  keys: Record<string, string>;
  currentEpoch: number;
}

export interface NodeConfig {
  readonly params: ClusterParams;
  readonly index: number;
  readonly keys: NodeKeyring;
  /** The config file's keys by epoch (the node's key store adds delivered ones: key-store.ts). */
  readonly keyEntries: ReadonlyMap<number, Buffer>;
}

export function loadNodeConfig(path: string): NodeConfig {
  const raw = readJsonFile(path, 'node config');
  const bad = (what: string): never => {
    throw new ConfigError(`node config ${path}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const c = raw as Partial<NodeConfigFile>;
  if (c.format !== NODE_CONFIG_FORMAT) bad(`format must be "${NODE_CONFIG_FORMAT}"`);
  if (!Number.isInteger(c.t) || c.t! < 1 || c.t! > MAX_T) bad(`t must be an integer from 1 to ${MAX_T}`);
  const params = clusterParams(c.t!);
  if (!Number.isInteger(c.index) || c.index! < 0 || c.index! >= params.S) bad(`index must be an integer from 0 to ${params.S - 1}`);
  if (typeof c.keys !== 'object' || c.keys === null) bad('keys missing');
  const keys = new Map<number, Buffer>();
  for (const [epoch, hex] of Object.entries(c.keys!)) {
    const k = fromHex(hex, 32);
    if (!/^\d+$/.test(epoch) || !k) bad(`key for epoch "${epoch}" must be 64 hex digits`);
    keys.set(Number(epoch), k!);
  }
  if (!Number.isInteger(c.currentEpoch) || !keys.has(c.currentEpoch!)) bad('currentEpoch has no key');
  return { params, index: c.index!, keys: new StaticNodeKeyring(c.index!, keys, c.currentEpoch!), keyEntries: keys };
}
