// Checks one key's register history: encodes values as integers, tightens
// and prunes what the search does not need, then runs the search engines.
//
// Reductions, each exact because put value ids are unique:
// - A read of a value no write of this key wrote can never be linearized
//   (it gets value -1); neither can a read of a value whose write was
//   invoked after the read completed.
// - A write of value v must take effect before every read that saw v, so its
//   return time is lowered to the earliest completion of such a read (not
//   below its invoke). This turns unknown-outcome puts that were observed
//   into ordinary operations.
// - An unknown-outcome put nobody read is dropped: placing it anywhere can
//   only make later reads fail until the next write, and none read it.
// - An unknown-outcome delete is dropped when no read of "absent" completes
//   at or after its invoke, by the same argument.
//
// Engines ('auto'): the depth-first search (dfs.ts) first, with a budget
// proportional to the history, as it usually finds a linearization fastest;
// if it has not found one, the sweep (sweep.ts), whose cost does not blow up
// on violations or unknown-outcome deletes and which names the first read
// that cannot be linearized.

import { dfsRegister } from './dfs.js';
import type { RegisterOp } from './project.js';
import type { SearchBudget, SearchOp, SearchOutcome } from './search-types.js';
import { sweepRegister } from './sweep.js';

export type Engine = 'auto' | 'dfs' | 'sweep';

export interface RegisterVerdict {
  readonly outcome: SearchOutcome;
  readonly steps: number;
  /**
   * For a violation, when known: a read that no linearization of the
   * operations completed up to its completion explains. From the sweep it is
   * the first such read.
   */
  readonly failed?: RegisterOp;
}

/** The depth-first engine's share in 'auto': this many steps per operation, plus a constant. */
const DFS_STEPS_PER_OP = 100;
const DFS_BASE_STEPS = 10_000;

export function checkRegister(ops: readonly RegisterOp[], budget: SearchBudget, engine: Engine = 'auto'): RegisterVerdict {
  const prepared = prepare(ops);
  if (prepared === 'trivial') return { outcome: 'ok', steps: 0 };
  const { search, origin, anomaly } = prepared;

  let dfsSteps = 0;
  let dfsOutcome: SearchOutcome = 'unknown';
  if (engine === 'dfs' || (engine === 'auto' && anomaly === undefined)) {
    const cap = engine === 'dfs' ? budget.maxSteps : Math.min(budget.maxSteps, DFS_STEPS_PER_OP * search.length + DFS_BASE_STEPS);
    const r = dfsRegister(search, { ...budget, maxSteps: cap });
    if (engine === 'dfs' || r.outcome === 'ok') return r;
    dfsSteps = r.steps;
    dfsOutcome = r.outcome;
  }

  const r = sweepRegister(search, { ...budget, maxSteps: budget.maxSteps - dfsSteps });
  const steps = dfsSteps + r.steps;
  if (r.outcome === 'violation') return { outcome: 'violation', steps, failed: origin[r.failed!]! };
  if (r.outcome === 'ok') return { outcome: 'ok', steps };
  // Sweep undecided: a violation is still certain if the DFS or an anomaly proved one.
  if (anomaly !== undefined) return { outcome: 'violation', steps, failed: anomaly };
  return { outcome: dfsOutcome, steps };
}

interface Prepared {
  readonly search: SearchOp[];
  /** search[i] came from origin[i]. */
  readonly origin: RegisterOp[];
  /** The earliest-completing read that can never be linearized on its own, if any. */
  readonly anomaly: RegisterOp | undefined;
}

function prepare(ops: readonly RegisterOp[]): Prepared | 'trivial' {
  const code = new Map<string, number>(); // value id -> state (0 is null)
  const writeOf = new Map<string, RegisterOp>();
  for (const op of ops) {
    if (op.kind === 'write' && op.value !== null) {
      code.set(op.value, code.size + 1);
      writeOf.set(op.value, op);
    }
  }

  const firstReadDone = new Map<string, number>(); // value id -> earliest completion of a possible read of it
  let lastNullRead = -Infinity; // latest completion of a read of null
  let anomaly: RegisterOp | undefined;
  let reads = 0;
  for (const op of ops) {
    if (op.kind !== 'read') continue;
    reads++;
    if (op.value === null) {
      lastNullRead = Math.max(lastNullRead, op.complete);
      continue;
    }
    const w = writeOf.get(op.value);
    if (w === undefined || op.complete < w.invoke) {
      if (anomaly === undefined || op.complete < anomaly.complete) anomaly = op;
      continue;
    }
    firstReadDone.set(op.value, Math.min(firstReadDone.get(op.value) ?? Infinity, op.complete));
  }
  if (reads === 0) return 'trivial';

  const search: SearchOp[] = [];
  const origin: RegisterOp[] = [];
  const add = (op: RegisterOp, s: SearchOp): void => {
    search.push(s);
    origin.push(op);
  };
  for (const op of ops) {
    if (op.kind === 'read') {
      const value = op.value === null ? 0 : (code.get(op.value) ?? -1);
      add(op, { invoke: op.invoke, complete: op.complete, isWrite: false, value });
    } else if (op.value === null) {
      if (op.complete === Infinity && lastNullRead < op.invoke) continue;
      add(op, { invoke: op.invoke, complete: op.complete, isWrite: true, value: 0 });
    } else {
      const complete = Math.min(op.complete, firstReadDone.get(op.value) ?? Infinity);
      if (complete === Infinity) continue; // unknown outcome, never read
      add(op, { invoke: op.invoke, complete, isWrite: true, value: code.get(op.value)! });
    }
  }
  return { search, origin, anomaly };
}
