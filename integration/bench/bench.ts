// `npm run bench [-- --quick] [-- --big] [-- --redis] [-- --t N] [-- --profile DIR] [-- --scale]`:
// puts, gets and overwrites objects of several sizes on a local cluster (the
// same launcher `npm start` uses), checks every body, and prints a table, then
// one JSON line (the last line). --scale adds the growth measurements (scale.ts).
// Exit codes: 0 done; 1 failed (an error or a wrong body: the phases done so
// far are printed, but no JSON line); 2 bad flags; 3 (with --big) the
// gateway went over its 256 MiB memory bound; 130/143 interrupted.

import { join } from 'node:path';
import type { TestCluster } from '../harness/cluster.js';
import { parseBenchArgs, UsageError, USAGE, type BenchArgs } from './args.js';
import { interrupted, logTail, withCluster } from './lifecycle.js';
import { planFor } from './plan.js';
import { nameProfiles, profileEnv } from './profile.js';
import { bigCheck, summary } from './report.js';
import { RssWatch, type Watched } from './rss.js';
import { runPlan, watched } from './run.js';
import { runScale } from './scale.js';

async function bench(args: BenchArgs, tc: TestCluster, procs: readonly Watched[]): Promise<number> {
  const rss = new RssWatch(procs);
  try {
    const { results, failed } = await runPlan(tc, planFor(args), rss, procs);
    if (failed) process.stderr.write(logTail(join(tc.dir, 'logs', 'gateway.log')));
    const scale = !failed && args.scale ? await runScale(tc, args.scale) : null;
    process.stdout.write(summary({ args, nodes: procs.length - 1, results, overall: rss.overall(), failed, scale }).join('\n') + '\n');
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
    if (args.scale && args.t !== 1) throw new UsageError('--scale measures at t=1 and t=2 itself: leave out --t');
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
  let procs: readonly Watched[] = [];
  const code = await withCluster(args.t, (tc) => bench(args, tc, (procs = watched(tc))), {
    redis: args.redis,
    ...(args.profile ? { env: profileEnv(args.profile) } : {}),
  });
  if (args.profile) {
    // The cluster has stopped: every profile is written.
    const { named, missing, others } = nameProfiles(args.profile, procs);
    process.stderr.write(`bench: CPU profiles in ${args.profile}: ${named.join(', ')}` +
      (missing.length ? `; none from ${missing.join(', ')}` : '') +
      (others.length ? `; also ${others.length} from other processes (${others.join(', ')})` : '') + '\n');
  }
  return code;
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
