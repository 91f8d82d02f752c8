// Runs the plan on a started cluster: for each size a fresh bucket, its put
// phase, its get phase, then its overwrite phase (the same keys again: with
// Redis, the writes clock hints make two rounds). Stops at the first phase that fails and hands
// back what completed before it.

import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { TestCluster } from '../harness/cluster.js';
import { interrupted } from './lifecycle.js';
import { PhaseError, runPhase, type BenchOp, type PhaseEnv, type PhaseResult } from './phase.js';
import { BIG, sizeLabel, warmUpFor, type SizeSpec } from './plan.js';
import type { RssWatch, Watched } from './rss.js';

export interface PlanRun {
  readonly results: PhaseResult[];
  readonly failed: PhaseError | null;
}

const progress = (line: string): boolean => process.stderr.write(`bench: ${line}\n`);

export function watched(tc: TestCluster): Watched[] {
  const pidOf = (name: string, pid: number | undefined): Watched => {
    if (pid === undefined) throw new Error(`${name} has no process id`);
    return { name, pid };
  };
  return [
    pidOf('gateway', tc.cluster.gateway?.proc.pid),
    ...tc.cluster.nodes.map((n) => pidOf(`node-${n.index}`, n.child?.proc.pid)),
  ];
}

export async function runPlan(tc: TestCluster, plan: readonly SizeSpec[], rss: RssWatch, procs: readonly Watched[]): Promise<PlanRun> {
  const env: PhaseEnv = { s3: tc.s3, endpoint: tc.cluster.endpoint, rss, procs };
  const results: PhaseResult[] = [];
  // Untimed: the processes' first few hundred requests run while V8 is
  // still compiling, and the first phase measured them (put 4 KiB, CPU per
  // operation: 5.8 ms warm; 6.3 and 8.6 ms cold in two runs the same day).
  // Each size up to 8 MiB gets its own (plan.ts, warmUpFor), in a bucket
  // of its own: no key is overwritten, so no old version is left for the
  // nodes' collector to drop during the phases.
  for (const w of warmUpFor(plan)) {
    const bucket = `bench-warm-up-${w.size}`;
    progress(`warm-up: put and get ${sizeLabel(w.size)} x ${w.count}`);
    await tc.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await runPhase(env, 'put', w, bucket);
    await runPhase(env, 'get', w, bucket);
  }
  for (const spec of plan) {
    const bucket = `bench-${spec.size}`;
    await tc.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // The 2 GiB object (--big) is there for memory: put and got once.
    const ops: readonly BenchOp[] = spec.size === BIG.size ? ['put', 'get'] : ['put', 'get', 'overwrite'];
    for (const op of ops) {
      progress(`${op} ${sizeLabel(spec.size)} x ${spec.count} at concurrency ${spec.concurrency}`);
      try {
        results.push(await runPhase(env, op, spec, bucket));
      } catch (e) {
        if (!(e instanceof PhaseError) || interrupted()) throw e;
        return { results, failed: e };
      }
    }
  }
  return { results, failed: null };
}
