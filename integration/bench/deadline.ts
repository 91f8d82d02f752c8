// A request still running after its deadline is reported as a failure
// rather than left to hang the bench: 30 s, plus the object's size at a
// floor of 5 MB/s (a 2 GiB object gets about 7.7 minutes).

const deadlineMs = (size: number): number => Math.ceil(30_000 + size / 5e3);

/** Runs `f` with an abort signal that fires at the deadline; says which object it was if it does. */
export async function withDeadline<T>(size: number, what: string, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ms = deadlineMs(size);
  const signal = AbortSignal.timeout(ms);
  try {
    return await f(signal);
  } catch (e) {
    throw signal.aborted ? new Error(`${what}: no complete answer within ${(ms / 1000).toFixed(0)} s`) : e;
  }
}
