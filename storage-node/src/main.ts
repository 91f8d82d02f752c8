// Storage node process: `node dist/storage-node/src/main.js --config FILE --data DIR [--port P] [--host H]`.
// Prints one JSON log line {"msg":"listening","port":...} once it serves.

import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intFlag, isMainModule, parseCommand, runCli, stringFlag, type CommandSpec } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { announceListening, createLogger } from '@powerstore/shared/log.js';
import { LOCK_FILES, lockFolder } from '@powerstore/shared/folder-lock.js';
import { stopWithLauncher } from '@powerstore/shared/lifeline.js';
import { governHeapGrowth, NODE_HEAP_GROWTH, PROCESS_HEAP } from '@powerstore/shared/heap-governor.js';
import { loadNodeConfig } from './config.js';
import { DiskStore } from './store/disk-store.js';
import { DEFAULT_FAULT_DELAY_MS, Faults } from './faults.js';
import { NODE_KEYS_FILE, NodeKeyStore } from './store/key-store.js';
import { NodeMetrics } from './metrics.js';
import { createNodeServer, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS } from './server.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { GarbageCollector } from './gc/gc.js';
import { WriteLeases } from './store/write-leases.js';
import { WRITE_BATCH } from './store/staging.js';

// Everything this process creates is its account's alone (review F8: the
// data is every user's objects); the data folders are also made 0700 explicitly.
process.umask(0o077);

export const NODE_COMMAND: CommandSpec = {
  name: 'powerstore node',
  summary: 'One storage node: keeps register history and fragments under its data folder (starts from its own config alone).',
  flags: {
    config: { type: 'string', env: 'POWERSTORE_NODE_CONFIG', describe: 'node config file' },
    data: { type: 'string', env: 'POWERSTORE_NODE_DATA', describe: 'data folder' },
    port: { type: 'string', env: 'POWERSTORE_NODE_PORT', describe: 'listen port (0: any free port)' },
    host: { type: 'string', env: 'POWERSTORE_NODE_HOST', describe: 'listen address' },
    fault: { type: 'string', multiple: true, describe: 'fault mode for tests (needs --allow-faults)' },
    'allow-faults': { type: 'boolean', describe: 'permit --fault' },
    'fault-delay-ms': { type: 'string', env: 'POWERSTORE_NODE_FAULT_DELAY_MS', describe: `delay of fault mode slow (default ${DEFAULT_FAULT_DELAY_MS})` },
    'idle-timeout-s': { type: 'string', env: 'POWERSTORE_NODE_IDLE_TIMEOUT_S', describe: `close a connection silent this long (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000})` },
    'tls-cert': { type: 'string', env: 'POWERSTORE_NODE_TLS_CERT', describe: 'serve HTTPS with this PEM certificate (gateways trust its CA: nodeCa)' },
    'tls-key': { type: 'string', env: 'POWERSTORE_NODE_TLS_KEY', describe: 'private key of --tls-cert' },
    'max-connections': { type: 'string', env: 'POWERSTORE_NODE_MAX_CONNECTIONS', describe: `refuse connections beyond this many (default ${DEFAULT_MAX_CONNECTIONS})` },
  },
};

/** `powerstore node` (or `node dist/storage-node/src/main.js`): runs until SIGTERM. */
export async function nodeMain(argv: readonly string[]): Promise<void> {
  const f = parseCommand(argv, NODE_COMMAND);
  const configPath = stringFlag(f.config);
  const data = stringFlag(f.data);
  if (!configPath) throw new ConfigError('--config is required');
  if (!data) throw new ConfigError('--data is required');
  const port = intFlag(f.port, 'port', 0, 65535, 0);
  const host = stringFlag(f.host) ?? '127.0.0.1';
  const idleTimeoutMs = intFlag(f['idle-timeout-s'], 'idle-timeout-s', 1, 3600, DEFAULT_IDLE_TIMEOUT_MS / 1000) * 1000;
  const maxConnections = intFlag(f['max-connections'], 'max-connections', 1, 1_000_000, DEFAULT_MAX_CONNECTIONS);
  const tls = loadTls(stringFlag(f['tls-cert']), stringFlag(f['tls-key']));
  const cfg = loadNodeConfig(configPath);
  // At most a minute: the delay comes before authentication, whose replay window is two.
  const faultDelay = intFlag(f['fault-delay-ms'], 'fault-delay-ms', 0, 60_000, DEFAULT_FAULT_DELAY_MS);
  const faults = Faults.parse((f.fault as string[] | undefined) ?? [], f['allow-faults'] === true, cfg.index, cfg.params.S, cfg.params.t, faultDelay);
  const log = createLogger(`node-${cfg.index}`);
  // A fixed heap growth while well under the memory bound, tight near it (heap-governor.ts).
  governHeapGrowth(NODE_HEAP_GROWTH, {
    ...PROCESS_HEAP,
    onChange: (tight, rss) => log.info({ rssMiB: Math.round(rss / 2 ** 20), heapGrowingPercent: tight ? NODE_HEAP_GROWTH.tightPercent : NODE_HEAP_GROWTH.relaxedPercent },
      tight ? 'memory near its bound: heap growth held tight' : 'memory well under its bound: heap growth relaxed'),
  });
  if (faults.any) log.warn({ faults: [...faults.modes] }, 'fault modes on: this node misbehaves on purpose');
  try {
    mkdirSync(data, { recursive: true, mode: 0o700 });
    accessSync(data, constants.W_OK);
  } catch (e) {
    throw new ConfigError(`cannot use ${data} as the data folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Before anything reads or sweeps the store: one node per store (folder-lock.ts).
  lockFolder(data, 'storage node');
  faults.atStart(data, [NODE_KEYS_FILE, ...LOCK_FILES]); // amnesia: forget all but the node's keys (and its lock)
  // Keys delivered by key rotations live beside the data (key-store.ts).
  const keyStore = NodeKeyStore.open(join(data, NODE_KEYS_FILE), cfg.index, cfg.keyEntries);
  const store = faults.wrapStore(DiskStore.open(data, cfg.params.S));
  const pins = new PinTable();
  const leases = new WriteLeases();
  const gc = new GarbageCollector(store, pins, log, leases);
  const server = createNodeServer({
    pins, gc, leases,
    index: cfg.index,
    S: cfg.params.S,
    keys: keyStore,
    keyStore,
    store,
    log,
    metrics: new NodeMetrics(cfg.index),
    inlineMax: 64 * 1024,
    // Larger fragments that fit one staging batch go into segment files (segments.ts).
    segmentMax: WRITE_BATCH,
    maxFragmentBytes: 6 * 1024 * 1024 * 1024,
    faults,
  }, { idleTimeoutMs, bodyDeadlineMs: idleTimeoutMs, maxConnections, ...(tls ? { tls } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new ConfigError(`cannot listen on ${host}:${port}: ${e.code}`)));
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  announceListening(typeof addr === 'object' && addr ? addr.port : port, { node: cfg.index });
  // What a previous run left below lc; collected only after one pin lease
  // (gc.ts), since reads in progress held pins in the old process.
  gc.scheduleAll();
  const stop = (): void => {
    log.info('stopping');
    server.close();
    server.closeAllConnections();
    store.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  stopWithLauncher(stop);
}

/** The PEM pair to serve HTTPS with (review F7: fragments and reads cross the network), or null for plain HTTP. */
function loadTls(cert: string | undefined, key: string | undefined): { cert: Buffer; key: Buffer } | null {
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('give both --tls-cert and --tls-key (or neither)');
  if (cert === undefined || key === undefined) return null;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: read(cert, 'TLS certificate'), key: read(key, 'TLS key') };
}

if (isMainModule(import.meta.url)) runCli(() => nodeMain(process.argv.slice(2)));
