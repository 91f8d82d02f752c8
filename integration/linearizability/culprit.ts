// The witness of a key's violation: the failing read, the cut of the history
// at its completion, and any reads completing at the same instant that fail
// only together with it.
//
// The cut of a history at time T keeps the operations invoked at or before
// T; those still running at T lose their outcome (reads are dropped, writes
// become unknown-outcome). Cuts are monotone: if the cut at T is not
// linearizable, no later cut is. The sweep's failing read completes at the
// earliest failing cut.

import type { RegisterOp } from './project.js';
import { checkRegister } from './register.js';
import type { SearchBudget } from './search-types.js';

export interface Culprit {
  readonly read: RegisterOp;
  /** The operations of the cut at `read`'s completion, `read` among them. */
  readonly cut: RegisterOp[];
  /** Reads completing at the same time that fail only together with `read`. */
  readonly partners: RegisterOp[];
}

/** The cut at `time`; of the reads completing exactly then, only `only` is kept if given. */
export function cutAt(ops: readonly RegisterOp[], time: number, only?: RegisterOp): RegisterOp[] {
  const out: RegisterOp[] = [];
  for (const op of ops) {
    if (op.invoke > time) continue;
    if (op.complete <= time) {
      if (only && op !== only && op.kind === 'read' && op.complete === time) continue;
      out.push(op);
    } else if (op.kind === 'write') {
      out.push({ ...op, complete: Infinity });
    }
  }
  return out;
}

/** Builds the witness for `read`, a failing read of `ops` as reported by checkRegister. */
export function isolateCulprit(ops: readonly RegisterOp[], read: RegisterOp, budget: SearchBudget): Culprit {
  const time = read.complete;
  const cut = cutAt(ops, time);
  const together = cut.filter((op) => op.kind === 'read' && op.complete === time && op !== read);
  if (together.length === 0 || checkRegister(cutAt(ops, time, read), budget, 'sweep').outcome === 'violation') {
    return { read, cut, partners: [] };
  }
  return { read, cut, partners: together };
}
