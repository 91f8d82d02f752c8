// The gateway's protocol counters for one operation kind ("write" for PUTs,
// "read" for GETs), read before and after a phase: their deltas give rounds
// per protocol operation, and whether each S3 request was one operation.

import { metric } from '../harness/cluster.js';

export type ProtocolOp = 'write' | 'read';

export interface ProtocolCounters {
  readonly rounds: number;
  /** Operations of any outcome. */
  readonly operations: number;
  readonly failed: number;
}

export async function readCounters(endpoint: string, op: ProtocolOp): Promise<ProtocolCounters> {
  const [rounds, operations, failed] = await Promise.all([
    metric(endpoint, 'powerstore_protocol_rounds_total', { op }),
    metric(endpoint, 'powerstore_protocol_operations_total', { op }),
    metric(endpoint, 'powerstore_protocol_operations_total', { op, outcome: 'error' }),
  ]);
  return { rounds, operations, failed };
}

export function counterDelta(before: ProtocolCounters, after: ProtocolCounters): ProtocolCounters {
  return {
    rounds: after.rounds - before.rounds,
    operations: after.operations - before.operations,
    failed: after.failed - before.failed,
  };
}
