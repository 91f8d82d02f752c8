// `npm run bench [-- --quick] [-- --big] [-- --redis] [-- --t N]`: puts, gets and overwrites objects
// of several sizes on a local cluster (the same launcher `npm start` uses),
// checks every body, and prints a table, then one JSON line (the last line).
// Exit codes: 0 done; 1 failed (an error or a wrong body: the phases done so
// far are printed, but no JSON line); 2 bad flags; 3 (with --big) the
// gateway went over its 256 MiB memory bound; 130/143 interrupted.

import { join } from 'node:path';
import type { TestCluster } from '../harness/cluster.js';
import { parseBenchArgs, UsageError, USAGE, type BenchArgs } from './args.js';
import { interrupted, logTail, withCluster } from './lifecycle.js';
import { planFor } from './plan.js';
import { bigCheck, summary } from './report.js';
import { RssWatch } from './rss.js';
import { runPlan, watched } from './run.js';

async function bench(args: BenchArgs, tc: TestCluster): Promise<number> {
  const procs = watched(tc);
  const rss = new RssWatch(procs);
  try {
    const { results, failed } = await runPlan(tc, planFor(args), rss, procs);
    if (failed) process.stderr.write(logTail(join(tc.dir, 'logs', 'gateway.log')));
    process.stdout.write(summary({ args, nodes: procs.length - 1, results, overall: rss.overall(), failed }).join('\n') + '\n');
    if (failed) return 1;
    const big = bigCheck(results);
    return big && !big.ok ? 3 : 0;
  } finally {
    rss.stop();
  }
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message} (${USAGE})\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write(`bench: starting a cluster with t=${args.t}${args.redis ? ' and Redis' : ''}\n`);
  return withCluster(args.t, (tc) => bench(args, tc), { redis: args.redis });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // After Ctrl-C the requests in flight fail; the signal handler is exiting already.
    if (interrupted()) return;
    process.stderr.write(`bench: failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
