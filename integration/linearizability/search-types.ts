// The input and budget shared by the two register search engines (dfs.ts,
// sweep.ts). Register model: integer states, 0 the initial value; a write
// sets the state to its value, a read must see the current state.

/** One operation of a search's input. */
export interface SearchOp {
  readonly invoke: number;
  /**
   * Return time, >= invoke. Infinity marks an optional write: it may be
   * linearized at any point after `invoke`, or never. Reads have a finite return.
   */
  readonly complete: number;
  readonly isWrite: boolean;
  /** Value written, or value the read must see (-1: a value never written). */
  readonly value: number;
}

export interface SearchBudget {
  /** Search steps allowed before giving up. Also bounds memo entries. */
  readonly maxSteps: number;
  /** performance.now() value after which the search gives up. */
  readonly deadline: number;
}

export type SearchOutcome = 'ok' | 'violation' | 'unknown';

export interface SearchResult {
  readonly outcome: SearchOutcome;
  readonly steps: number;
}

/** Checked every this many + 1 steps: performance.now() is not free. */
export const DEADLINE_CHECK_MASK = 1023;
