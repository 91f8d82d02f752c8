// Command-line flags of the bench. Anything unexpected is a UsageError whose
// message is one line, so bench.ts can print it and exit 2.

import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_T } from '@powerstore/shared/protocol/params.js';

export interface BenchArgs {
  /** Tolerated Byzantine nodes; the cluster has 3t+1 storage nodes. */
  readonly t: number;
  /** Smaller counts, same sizes: under a minute on a 2-core machine. */
  readonly quick: boolean;
  /** Adds a 2 GiB put and get, checking the gateway's 256 MiB memory bound. */
  readonly big: boolean;
  /** Runs with a local redis-server shared by the gateways (clock hints: two-round writes). */
  readonly redis: boolean;
  /** An absolute folder for one CPU profile per cluster process (`gateway.cpuprofile`, `node-0.cpuprofile`, …), or null. */
  readonly profile: string | null;
  /** The growth measurements (scale.ts): null without --scale. */
  readonly scale: ScaleArgs | null;
  readonly help: boolean;
}

export interface ScaleArgs {
  /** Objects stored before 4 KiB PUT and GET are measured again (the 200,000). */
  readonly objects: number;
  /** Keys the ListObjectsV2 walk reads (the 100,000; at most `objects`). */
  readonly listKeys: number;
}

export const USAGE = 'usage: npm run bench -- [--quick] [--big] [--redis] [--t N] [--profile DIR] ' +
  '[--scale [--scale-objects N] [--list-keys N]], t from 1 to ' + MAX_T;

export class UsageError extends Error {}

const DEFAULT_SCALE: ScaleArgs = { objects: 200_000, listKeys: 100_000 };

/** `v`, a flag's value, as an integer from min to max; a UsageError naming the flag otherwise. */
export function positiveInt(flag: string, v: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got '${v}'`);
  }
  return Number(v);
}

export function parseBenchArgs(argv: readonly string[], cwd = process.cwd()): BenchArgs {
  let values: {
    t?: string; quick?: boolean; big?: boolean; redis?: boolean; help?: boolean;
    profile?: string; scale?: boolean; 'scale-objects'?: string; 'list-keys'?: string;
  };
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
        profile: { type: 'string' },
        scale: { type: 'boolean' },
        'scale-objects': { type: 'string' },
        'list-keys': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    // Node's messages can run on with advice about '--'; the first sentence is the point.
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(msg.split(/\.\s/)[0] ?? msg);
  }
  const t = values.t === undefined ? 1 : positiveInt('t', values.t, 1, MAX_T);
  if (values.profile === '') throw new UsageError('--profile needs a folder');
  if (!values.scale && (values['scale-objects'] !== undefined || values['list-keys'] !== undefined)) {
    throw new UsageError('--scale-objects and --list-keys go with --scale');
  }
  let scale: ScaleArgs | null = null;
  if (values.scale) {
    const objects = values['scale-objects'] === undefined ? DEFAULT_SCALE.objects : positiveInt('scale-objects', values['scale-objects'], 1, 10_000_000);
    const listKeys = values['list-keys'] === undefined ? Math.min(DEFAULT_SCALE.listKeys, objects) : positiveInt('list-keys', values['list-keys'], 1, objects);
    scale = { objects, listKeys };
  }
  return {
    t, quick: values.quick ?? false, big: values.big ?? false, redis: values.redis ?? false,
    // Absolute: the children write it from their own working folder.
    profile: values.profile === undefined ? null : isAbsolute(values.profile) ? values.profile : resolve(cwd, values.profile),
    scale,
    help: values.help ?? false,
  };
}
