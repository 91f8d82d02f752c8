// Runs `count` operations with at most `concurrency` in flight and times
// them. The first failure stops new operations from starting; the ones in
// flight finish, then that failure is thrown: numbers from a run with wrong
// or missing objects are not worth reporting.

export interface PoolRun {
  /** From the first operation's start to the last one's end. */
  readonly wallMs: number;
  /** What each operation reported as its own latency. */
  readonly latenciesMs: number[];
}

/** `op(i)` performs operation i and resolves with its latency in ms. */
export async function runPool(count: number, concurrency: number, op: (i: number) => Promise<number>): Promise<PoolRun> {
  const latenciesMs: number[] = [];
  let next = 0;
  // An array rather than a nullable variable, so narrowing does not assume
  // it is still null once the workers (closures) have run.
  const failures: unknown[] = [];

  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < count) {
      const i = next++;
      try {
        latenciesMs.push(await op(i));
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  if (failures.length > 0) throw failures[0];
  return { wallMs, latenciesMs };
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
