// `npm run bench:ab -- --base REV [--pairs N] [bench flags]`: runs the bench
// on this working tree ("head", as built by the npm script) and on revision
// REV ("base", checked out and built in a temporary git worktree), in pairs
// that alternate which build goes first, and prints per phase and figure the
// median of each build, the change and every run's value; then one JSON line.
// This machine's speed drifts 10-30% between runs (README, "Where the time
// goes"): one run of each build decides nothing, medians of several
// alternating pairs do. Exit codes: 0 done; 1 a run failed; 2 bad flags.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../args.js';
import { AB_USAGE, parseAbArgs, type AbArgs } from './args.js';
import { abTable, compare, pairOrder, parseBenchLine, type BenchLine } from './summary.js';
import { prepareBaseTree, resolveCommit } from './tree.js';

const log = (line: string): void => void process.stderr.write(`bench:ab: ${line}\n`);

/** One bench run of the build in `dir`; its JSON line, or an error with the end of its output. */
function runBench(dir: string, benchArgs: readonly string[]): Promise<BenchLine> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'dist/integration/bench/bench.js'), ...benchArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the bench in ${dir} exited with ${code}:\n${err}${out.slice(-2000)}`));
      try {
        resolve(parseBenchLine(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function ab(args: AbArgs, root: string): Promise<number> {
  const baseCommit = resolveCommit(root, args.base);
  const headCommit = resolveCommit(root, 'HEAD');
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
  const headName = `${headCommit.slice(0, 12)}${dirty ? ' with uncommitted changes' : ''}`;
  const parent = mkdtempSync(join(tmpdir(), 'powerstore-ab-'));
  const tree = prepareBaseTree(root, baseCommit, join(parent, 'base'), log);
  // Interrupted (the bench runs get the terminal's signal too): the worktree goes all the same.
  const cleanUp = (): void => {
    tree.remove();
    rmSync(parent, { recursive: true, force: true });
  };
  const onSignal = (code: number) => (): void => {
    cleanUp();
    process.exit(code);
  };
  const onInt = onSignal(130);
  const onTerm = onSignal(143);
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    const runs: Record<'base' | 'head', BenchLine[]> = { base: [], head: [] };
    for (let i = 0; i < args.pairs; i++) {
      for (const side of pairOrder(i)) {
        log(`pair ${i + 1} of ${args.pairs}: ${side}`);
        runs[side].push(await runBench(side === 'base' ? tree.dir : root, args.benchArgs));
      }
    }
    const cs = compare(runs.base, runs.head);
    process.stdout.write([
      `PoWerStore S3 bench, A/B: base ${baseCommit.slice(0, 12)} (${args.base}) against head ${headName}, ` +
        `${args.pairs} alternating pairs of \`npm run bench${args.benchArgs.length ? ` -- ${args.benchArgs.join(' ')}` : ''}\``,
      'Medians of each build\'s runs; change = head against base; the runs in the order they ran.',
      '',
      ...abTable(cs),
      '',
      JSON.stringify({ bench: 'powerstore-ab', base: baseCommit, head: headCommit, dirty, pairs: args.pairs, bench_args: args.benchArgs, comparisons: cs }),
    ].join('\n') + '\n');
    return 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    cleanUp();
  }
}

async function main(): Promise<number> {
  let args: AbArgs;
  try {
    args = parseAbArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench:ab: ${e.message} (${AB_USAGE})\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${AB_USAGE}\n`);
    return 0;
  }
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
  return ab(args, root);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:ab: failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
