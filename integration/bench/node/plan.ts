// What `npm run bench:node` measures, and how many of each.

import type { Workload } from './workloads.js';

const KiB = 1024;

/**
 * One collect a batch request (nothing to batch it with) gives a batch
 * request's own cost; sixteen in flight, what a message costs once batched.
 * A 2 KiB fragment (a 4 KiB object's) rides in a batch and goes inline into
 * the database; a 512 KiB one (a 1 MiB object's) goes in a request of its
 * own and is appended to a segment file. Each store is followed by its
 * complete, the write's second round.
 */
export function nodePlan(quick: boolean): Workload[] {
  const n = (full: number): number => (quick ? Math.ceil(full / 5) : full);
  return [
    { name: 'collect, 1 in flight', kind: 'collect', concurrency: 1, count: n(5000) },
    { name: 'collect, 16 in flight', kind: 'collect', concurrency: 16, count: n(20000) },
    { name: 'store 2 KiB + complete, 8 in flight', kind: 'store', concurrency: 8, count: n(4000), fragmentBytes: 2 * KiB },
    { name: 'store 512 KiB + complete, 8 in flight', kind: 'store', concurrency: 8, count: n(1000), fragmentBytes: 512 * KiB },
  ];
}
