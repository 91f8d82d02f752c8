// Bounded concurrency over a list: the one helper every fan-out uses
// (listing write-backs, DeleteObjects, retiring an upload's parts).

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, results in
 * input order. Stops starting new calls once `signal` is aborted (and then
 * rejects with its reason) or a call of `fn` rejected (and then rejects
 * with that); calls already in flight are not interrupted.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, signal: AbortSignal | undefined, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        signal?.throwIfAborted();
        out[i] = await fn(items[i]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
