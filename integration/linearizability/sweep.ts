// Breadth-first, just-in-time linearization (Lowe's JIT linearization,
// explored breadth-first, with memoised configurations). Events are swept in
// time order, keeping the frontier: the configurations (which operations in
// flight are linearized, register state) reached by linearizing everything
// returned so far. Operations in flight are linearized only just before a
// returning one that they precede: one not needed yet can still be
// linearized later, so leaving it out loses nothing. The frontier is
// deduplicated, which is the memoisation. A return that leaves it empty is
// a read that no order of the operations up to then explains.
//
// Compared with a depth-first search over whole-history bitsets this costs
// the same whether the history is linearizable or not (no backtracking over
// the whole prefix), and unknown-outcome deletes cost a counter rather than
// a bit each: any two such deletes already invoked are interchangeable, so a
// configuration only records how many have been used.

import { DEADLINE_CHECK_MASK, type SearchBudget, type SearchOp, type SearchResult } from './search-types.js';

/** At most this many operations with a known return may be in flight at once. */
export const MAX_IN_FLIGHT = 31;

/** States must stay below this to pack into a configuration key. */
export const MAX_STATES = 1 << 22;

export interface SweepResult extends SearchResult {
  /** For 'violation': index in the input of the first read that cannot be linearized. */
  readonly failed?: number;
}

/**
 * Decides linearizability of a register history. Optional operations
 * (complete = Infinity) must all be writes of the same value: they are
 * treated as interchangeable.
 */
export function sweepRegister(ops: readonly SearchOp[], budget: SearchBudget): SweepResult {
  const optional = ops.filter((op) => op.complete === Infinity);
  if (optional.some((op) => !op.isWrite || op.value !== optional[0]!.value)) {
    throw new RangeError('optional operations must be writes of one value');
  }
  const optionalValue = optional[0]?.value ?? 0;
  if (ops.some((op) => op.value >= MAX_STATES)) return { outcome: 'unknown', steps: 0 };

  // Events: [time, isCall, op]; calls first at equal times (concurrent).
  const events: Array<{ time: number; call: boolean; op: number }> = [];
  ops.forEach((op, i) => {
    events.push({ time: op.invoke, call: true, op: i });
    if (op.complete !== Infinity) events.push({ time: op.complete, call: false, op: i });
  });
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? a.op - b.op : a.call ? -1 : 1));

  const slotOf = new Int32Array(ops.length).fill(-1);
  const inFlight: number[] = []; // slot -> op index, -1 when free
  let invokedOptional = 0;
  let frontier = new Configs();
  frontier.admit(0, 0, 0);
  let steps = 0;

  for (const ev of events) {
    const op = ops[ev.op]!;
    if (ev.call) {
      if (op.complete === Infinity) {
        invokedOptional++;
        continue;
      }
      let slot = inFlight.indexOf(-1);
      if (slot < 0) {
        if (inFlight.length >= MAX_IN_FLIGHT) return { outcome: 'unknown', steps };
        slot = inFlight.length;
        inFlight.push(-1);
      }
      inFlight[slot] = ev.op;
      slotOf[ev.op] = slot;
      continue;
    }

    // Return of `op`: from each configuration where it is not linearized yet,
    // linearize any other operations in flight, then `op`; keep the results
    // (operations linearized before it stay marked in the mask).
    const slot = slotOf[ev.op]!;
    const bit = 1 << slot;
    const visited = new Configs();
    const next = new Configs();
    const stack: number[] = []; // mask, state, used triples
    frontier.forEach((mask, state, used) => {
      if (visited.admit(mask, state, used)) stack.push(mask, state, used);
    });
    while (stack.length > 0) {
      const used = stack.pop()!;
      const state = stack.pop()!;
      const mask = stack.pop()!;
      steps++;
      if (steps > budget.maxSteps || ((steps & DEADLINE_CHECK_MASK) === 0 && performance.now() > budget.deadline)) {
        return { outcome: 'unknown', steps };
      }
      if ((mask & bit) !== 0) {
        next.admit(mask & ~bit, state, used); // linearized earlier, to make way for another return
        continue;
      }
      if (op.isWrite) next.admit(mask, op.value, used);
      else if (op.value === state) next.admit(mask, state, used);
      for (let s = 0; s < inFlight.length; s++) {
        const j = inFlight[s]!;
        if (s === slot || j < 0 || (mask & (1 << s)) !== 0) continue;
        const other = ops[j]!;
        if (!other.isWrite && other.value !== state) continue;
        const m = mask | (1 << s);
        const st = other.isWrite ? other.value : state;
        if (visited.admit(m, st, used)) stack.push(m, st, used);
      }
      if (used < invokedOptional && visited.admit(mask, optionalValue, used + 1)) stack.push(mask, optionalValue, used + 1);
    }
    inFlight[slot] = -1;
    frontier = next;
    if (frontier.size === 0) return { outcome: 'violation', steps, failed: ev.op };
  }
  return { outcome: 'ok', steps };
}

/**
 * A set of configurations (mask, state, used), keeping for each
 * (mask, state) the fewest optional writes used: fewer used can do
 * everything more used can. Masks are unsigned 31-bit, states below 2^22.
 */
class Configs {
  private readonly best = new Map<number, number>();

  get size(): number {
    return this.best.size;
  }

  /** Adds the configuration; false if one that dominates it is present. */
  admit(mask: number, state: number, used: number): boolean {
    const key = state * 0x80000000 + mask;
    const prev = this.best.get(key);
    if (prev !== undefined && prev <= used) return false;
    this.best.set(key, used);
    return true;
  }

  forEach(f: (mask: number, state: number, used: number) => void): void {
    for (const [key, used] of this.best) f(key % 0x80000000, Math.floor(key / 0x80000000), used);
  }
}
