// `npm run bench:node [-- --quick] [-- --repeat N]`: one storage node's CPU a
// batch request, a message and a store, measured alone (workloads.ts). Each
// workload runs N times (default 3) in a row on one cluster; the table gives
// every run and the median, a JSON line the medians. Exit codes: 0 done, 1
// failed, 2 bad flags.

import { parseArgs } from 'node:util';
import { median } from '../ab/summary.js';
import { positiveInt } from '../args.js';
import { withCluster } from '../lifecycle.js';
import { nodePlan } from './plan.js';
import { NodeAlone, type WorkloadResult } from './workloads.js';

const USAGE = 'usage: npm run bench:node -- [--quick] [--repeat N], N from 1 to 20';

function flags(argv: readonly string[]): { quick: boolean; repeat: number } | string {
  try {
    const { values } = parseArgs({ args: [...argv], strict: true, options: { quick: { type: 'boolean' }, repeat: { type: 'string' } } });
    return { quick: values.quick ?? false, repeat: values.repeat === undefined ? 3 : positiveInt('repeat', values.repeat, 1, 20) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return msg.split(/\.\s/)[0] ?? msg;
  }
}

const fixed = (x: number, d = 1): string => x.toFixed(d);

async function main(): Promise<number> {
  const f = flags(process.argv.slice(2));
  if (typeof f === 'string') {
    process.stderr.write(`bench:node: ${f} (${USAGE})\n`);
    return 2;
  }
  const rows = await withCluster(1, async (tc) => {
    const alone = new NodeAlone(tc);
    try {
      const out: WorkloadResult[][] = [];
      for (const w of nodePlan(f.quick)) {
        const runs: WorkloadResult[] = [];
        for (let r = 0; r < f.repeat; r++) {
          process.stderr.write(`bench:node: ${w.name} x ${w.count} (run ${r + 1} of ${f.repeat})\n`);
          runs.push(await alone.measure(w));
        }
        out.push(runs);
      }
      return out;
    } finally {
      await alone.close();
    }
  });
  const lines = ['node 0 of a t=1 cluster, driven alone through the gateway\'s client; medians of the runs (each run in brackets)',
    'workload                                  ops/s  node µs/op                  batch req/op  driver µs/op'];
  const json = [];
  for (const runs of rows) {
    const m = (k: keyof WorkloadResult): number => median(runs.map((r) => r[k] as number));
    const w = runs[0]!;
    lines.push(`${w.name.padEnd(40)} ${fixed(m('opsPerS'), 0).padStart(6)}  ${fixed(m('nodeUsPerOp')).padStart(7)} [${runs.map((r) => fixed(r.nodeUsPerOp, 0)).join(' ')}]`.padEnd(86) +
      `${fixed(m('batchesPerOp'), 3).padStart(6)}  ${fixed(m('driverUsPerOp')).padStart(12)}`);
    json.push({ workload: w.name, count: w.count, concurrency: w.concurrency, ops_per_s: +fixed(m('opsPerS')), node_us_per_op: +fixed(m('nodeUsPerOp')), batches_per_op: +fixed(m('batchesPerOp'), 3), driver_us_per_op: +fixed(m('driverUsPerOp')) });
  }
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ bench: 'powerstore-node-alone', repeat: f.repeat, results: json })}\n`);
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`bench:node: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
