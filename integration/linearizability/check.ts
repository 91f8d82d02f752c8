// checkHistory: the entry point. Validates, projects per key, checks each
// key's register independently and explains every key that fails.

import type { Operation, ValueId } from './history.js';
import { explainViolation, type Writer } from './explain.js';
import { isolateCulprit } from './culprit.js';
import { projectByKey } from './project.js';
import { checkRegister } from './register.js';
import { validateHistory } from './validate.js';

export interface CheckOptions {
  /** Search steps allowed per key (each also bounds memo entries). Default 10,000,000. */
  readonly maxStepsPerKey?: number;
  /**
   * Wall-clock budget for deciding the whole history, in ms. Default 10,000.
   * Telling apart reads that fail only jointly may run up to 1 s beyond it.
   */
  readonly timeLimitMs?: number;
}

export interface Violation {
  readonly key: string;
  /** The read that cannot be placed, why, and the writes/reads around it. */
  readonly explanation: string;
}

export interface CheckResult {
  /** True only if every key was shown linearizable. */
  readonly ok: boolean;
  /** True if some key exhausted its budget undecided (then `ok` is false). */
  readonly unknown: boolean;
  /** One entry per non-linearizable key, in key order. */
  readonly violations: Violation[];
  /** The keys left undecided, in key order. */
  readonly unknownKeys: string[];
}

export const DEFAULT_MAX_STEPS_PER_KEY = 10_000_000;
export const DEFAULT_TIME_LIMIT_MS = 10_000;
const EXPLAIN_GRACE_MS = 1_000;

/**
 * Checks a history of put/delete/get/head/list operations for
 * linearizability, each key as an independent atomic register (initially
 * absent). Throws RangeError on a malformed history (see validateHistory).
 * `ok` is never true for an undecided key: a budget overrun reports
 * `unknown`.
 */
export function checkHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  validateHistory(ops);
  const maxSteps = options.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY;
  const deadline = performance.now() + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  const byKey = projectByKey(ops);

  const writerOf = new Map<ValueId, Writer>();
  for (const [key, regOps] of byKey) {
    for (const op of regOps) if (op.kind === 'write' && op.value !== null) writerOf.set(op.value, { key, write: op });
  }

  const violations: Violation[] = [];
  const unknownKeys: string[] = [];
  for (const [key, regOps] of byKey) {
    const { outcome, failed } = checkRegister(regOps, { maxSteps, deadline });
    if (outcome === 'unknown') unknownKeys.push(key);
    if (outcome !== 'violation') continue;
    const explainBudget = { maxSteps, deadline: Math.max(deadline, performance.now() + EXPLAIN_GRACE_MS) };
    const culprit = failed && isolateCulprit(regOps, failed, explainBudget);
    violations.push({ key, explanation: explainViolation({ key, history: ops, culprit, writerOf }) });
  }
  return { ok: violations.length === 0 && unknownKeys.length === 0, unknown: unknownKeys.length > 0, violations, unknownKeys };
}
