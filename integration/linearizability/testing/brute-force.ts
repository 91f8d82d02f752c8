// A deliberately naive reference checker, for differential tests on small
// histories: straight from the definition, with none of the checker's
// memoisation, tightening or pruning. A key's history is linearizable iff
// some sequence containing every completed operation (and any subset of the
// unknown-outcome writes) respects real time (a before b when a.complete <
// b.invoke) and is legal for a register starting absent. Exponential.

import type { Operation } from '../history.js';
import { projectByKey, type RegisterOp } from '../project.js';

export function bruteForceLinearizable(ops: readonly Operation[]): boolean {
  for (const regOps of projectByKey(ops).values()) if (!registerLinearizable(regOps)) return false;
  return true;
}

function registerLinearizable(ops: readonly RegisterOp[]): boolean {
  const placed = ops.map(() => false);
  const mustPlace = ops.filter((op) => op.complete !== Infinity).length;
  const extend = (state: string | null, done: number): boolean => {
    if (done === mustPlace) return true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (placed[i]) continue;
      if (ops.some((other, j) => !placed[j] && j !== i && other.complete < op.invoke)) continue;
      if (op.kind === 'read' && op.value !== state) continue;
      placed[i] = true;
      const ok = extend(op.kind === 'write' ? op.value : state, done + (op.complete !== Infinity ? 1 : 0));
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return extend(null, 0);
}
