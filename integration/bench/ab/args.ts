// Command-line flags of `npm run bench:ab`: the build to compare against,
// how many pairs of runs, and the bench's own flags, passed to both runs.
// Anything unexpected is a UsageError whose message is one line.

import { parseBenchArgs, positiveInt, UsageError } from '../args.js';

export interface AbArgs {
  /** A git revision (commit, branch, tag) of this repository: the "before" build. */
  readonly base: string;
  /** Pairs of runs, one of each build per pair. */
  readonly pairs: number;
  /** The bench flags both builds run with (validated by the bench's own parser). */
  readonly benchArgs: readonly string[];
  readonly help: boolean;
}

export const AB_USAGE = 'usage: npm run bench:ab -- --base REV [--pairs N] [--quick] [--big] [--redis] [--t N]';

export const DEFAULT_PAIRS = 5;
const MAX_PAIRS = 50;

/** The value of a flag given as `--flag value` or `--flag=value`; advances past it. */
function valueOf(argv: readonly string[], i: number, flag: string): { value: string; next: number } {
  const arg = argv[i]!;
  if (arg.startsWith(`${flag}=`)) return { value: arg.slice(flag.length + 1), next: i + 1 };
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return { value, next: i + 2 };
}

export function parseAbArgs(argv: readonly string[]): AbArgs {
  let base: string | null = null;
  let pairs = DEFAULT_PAIRS;
  let help = false;
  const benchArgs: string[] = [];
  for (let i = 0; i < argv.length;) {
    const arg = argv[i]!;
    if (arg === '--base' || arg.startsWith('--base=')) {
      const v = valueOf(argv, i, '--base');
      base = v.value;
      i = v.next;
    } else if (arg === '--pairs' || arg.startsWith('--pairs=')) {
      const v = valueOf(argv, i, '--pairs');
      pairs = positiveInt('pairs', v.value, 1, MAX_PAIRS);
      i = v.next;
    } else if (arg === '--help' || arg === '-h') {
      help = true;
      i++;
    } else {
      benchArgs.push(arg);
      i++;
    }
  }
  const bench = parseBenchArgs(benchArgs);
  // Both would be runs of their own: a profile folder each, growth phases of several minutes.
  if (bench.profile !== null) throw new UsageError('--profile is for one run: use npm run bench');
  if (bench.scale !== null) throw new UsageError('--scale is for one run: use npm run bench');
  if (help) return { base: base ?? '', pairs, benchArgs, help };
  if (base === null || base === '') throw new UsageError('--base names the build to compare with (a commit, branch or tag)');
  return { base, pairs, benchArgs, help };
}
