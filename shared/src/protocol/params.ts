// Quorum arithmetic of M-PoWerStore (DESIGN §2). Pure and tiny on purpose:
// every round and predicate derives its thresholds from here.

export interface ClusterParams {
  /** Tolerated Byzantine nodes. */
  readonly t: number;
  /** Number of storage nodes, 3t+1. */
  readonly S: number;
  /** Quorum, S - t = 2t+1. */
  readonly q: number;
  /** Erasure-code data shards, t+1: any k fragments rebuild the value. */
  readonly k: number;
}

export const MAX_T = 4;

export function clusterParams(t: number): ClusterParams {
  if (!Number.isInteger(t) || t < 1 || t > MAX_T) {
    throw new RangeError(`t must be an integer from 1 to ${MAX_T}, got ${t}`);
  }
  const S = 3 * t + 1;
  return { t, S, q: S - t, k: t + 1 };
}
