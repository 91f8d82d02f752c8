// Test support for the property-based ("fuzz") tests of the request parsers:
// the one outcome rule they all check, and the run budget.
//
// Rule: a parser given hostile input either returns a value or throws the
// project's typed client error (an S3Error whose status is below 500). A
// TypeError, a RangeError (stack overflow), any other exception or a 5xx
// is a bug: at the HTTP edge it would become a 500 InternalError.

import { strict as assert } from 'node:assert';
import { S3Error } from '../errors.js';

/**
 * numRuns for one property: `base` times FUZZ_SCALE (default 1), so that a
 * deeper search can be run by hand (`FUZZ_SCALE=20 node --test …`) while CI
 * stays within its time budget. fast-check draws a fresh seed every run and
 * prints it, with the shrunk counterexample, when a property fails.
 */
export function runs(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Asserts `e` is an S3Error with a 4xx (or 304/412-style) status: a refusal, not a fault. */
export function assertClientError(e: unknown): asserts e is S3Error {
  assert.ok(e instanceof S3Error, `expected an S3Error, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  // NotImplemented (501) is S3's typed answer for a feature this gateway does not offer, not a fault.
  assert.ok(e.status < 500 || e.code === 'NotImplemented', `expected a client error, got ${e.status} ${e.code}: ${e.message}`);
}

/** Runs `fn`: its value, or undefined when it threw a client S3Error; anything else fails the property. */
export function valueOrClientError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assertClientError(e);
    return undefined;
  }
}

/** The async form of valueOrClientError. */
export async function valueOrClientErrorAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    assertClientError(e);
    return undefined;
  }
}
