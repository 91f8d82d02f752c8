// The bench's cluster: started in a fresh temporary folder, then stopped and
// the folder removed however the bench ends: normally, on an error, or on
// Ctrl-C / SIGTERM (the bench's own handler, since Node's default would exit
// at once and leave the processes and their data behind).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { startTestRedis } from '../harness/redis.js';

let interruptedBy: NodeJS.Signals | null = null;

/** Set once a signal has begun stopping the bench: its errors after that are expected. */
export function interrupted(): boolean {
  return interruptedBy !== null;
}

export interface ClusterOptions {
  readonly redis?: boolean;
  /** Extra environment for the cluster's processes (--profile passes node flags this way). */
  readonly env?: NodeJS.ProcessEnv;
}

export async function withCluster<T>(t: number, body: (tc: TestCluster) => Promise<T>, opts: ClusterOptions = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-bench-'));
  // With --redis: a local redis-server the gateway shares (clock hints).
  const redis = opts.redis ? await startTestRedis() : null;
  // No usage passes (usageIntervalS 0): a pass lists every object, 15-30 s of
  // both cores over --scale's 100,000, and one may fall due in any phase
  // (two runs listed at 6,243 and 2,519 keys/s). The bench
  // measures S3 requests alone.
  const starting = startTestCluster({ t, dataDir: dir, usageIntervalS: 0, ...(redis ? { redis: redis.url } : {}), ...(opts.env ? { env: opts.env } : {}) });
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> => (cleaned ??= (async () => {
    // A signal may come while the cluster is still starting: wait for it, so
    // no process outlives the bench.
    const tc = await starting.catch(() => null);
    await tc?.dispose();
    await redis?.dispose();
    rmSync(dir, { recursive: true, force: true });
  })());

  const onSignal = (sig: NodeJS.Signals): void => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (interruptedBy !== null) process.exit(code); // a second one: stop waiting
    interruptedBy = sig;
    process.stderr.write(`bench: ${sig}, stopping the cluster and removing ${dir}\n`);
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(await starting);
  } catch (e) {
    if (!interrupted()) process.stderr.write(logTail(join(dir, 'logs', 'gateway.log')));
    throw e;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A log's last lines, for stderr: the folder is about to go, and they often say why a request failed. */
export function logTail(path: string, lines = 20): string {
  if (!existsSync(path)) return '';
  const tail = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines);
  if (tail.length === 0 || tail[0] === '') return '';
  return `bench: last lines of the gateway log:\n${tail.join('\n')}\n`;
}
