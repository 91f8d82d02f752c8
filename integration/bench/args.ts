// Command-line flags of the bench. Anything unexpected is a UsageError whose
// message is one line, so bench.ts can print it and exit 2.

import { parseArgs } from 'node:util';
import { MAX_T } from '../../shared/src/protocol/params.js';

export interface BenchArgs {
  /** Tolerated Byzantine nodes; the cluster has 3t+1 storage nodes. */
  readonly t: number;
  /** Smaller counts, same sizes: under a minute on a 2-core machine. */
  readonly quick: boolean;
  /** Adds a 2 GiB put and get, checking the gateway's 256 MiB memory bound. */
  readonly big: boolean;
  /** Runs with a local redis-server shared by the gateways (clock hints: two-round writes). */
  readonly redis: boolean;
  readonly help: boolean;
}

export const USAGE = 'usage: npm run bench -- [--quick] [--big] [--redis] [--t N], N from 1 to ' + MAX_T;

export class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values: { t?: string; quick?: boolean; big?: boolean; redis?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        t: { type: 'string' },
        quick: { type: 'boolean' },
        big: { type: 'boolean' },
        redis: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    // Node's messages can run on with advice about '--'; the first sentence is the point.
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(msg.split(/\.\s/)[0] ?? msg);
  }
  let t = 1;
  if (values.t !== undefined) {
    if (!/^[0-9]+$/.test(values.t) || Number(values.t) < 1 || Number(values.t) > MAX_T) {
      throw new UsageError(`--t must be an integer from 1 to ${MAX_T}, got '${values.t}'`);
    }
    t = Number(values.t);
  }
  return { t, quick: values.quick ?? false, big: values.big ?? false, redis: values.redis ?? false, help: values.help ?? false };
}
