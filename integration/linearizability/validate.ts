// Shape checks on a history before it is checked. A malformed history is a
// bug in the recording, not a linearizability violation: it throws.

import { listedKeys, listedValue, type Operation } from './history.js';

/**
 * Throws RangeError naming the first offending operation when: a time is not
 * finite, `complete < invoke`, a field has the wrong type, two puts write the
 * same value id, a completed read or list has no result, or a list result
 * mentions a key outside its universe.
 */
export function validateHistory(ops: readonly Operation[]): void {
  const seen = new Map<string, number>();
  ops.forEach((op, i) => {
    const bad = (why: string): never => {
      throw new RangeError(`history[${i}] (${String(op.kind)} by ${String(op.client)}): ${why}`);
    };
    if (typeof op.client !== 'string') bad('client must be a string');
    if (!Number.isFinite(op.invoke)) bad('invoke must be a finite number');
    if (op.complete !== undefined && !(Number.isFinite(op.complete) && op.complete >= op.invoke)) {
      bad('complete must be a finite number >= invoke');
    }
    const done = op.complete !== undefined;
    switch (op.kind) {
      case 'put': {
        if (typeof op.key !== 'string') bad('key must be a string');
        if (typeof op.value !== 'string' || op.value === '') bad('value must be a non-empty string');
        const prev = seen.get(op.value);
        if (prev !== undefined) bad(`value id "${op.value}" already written by history[${prev}]`);
        seen.set(op.value, i);
        break;
      }
      case 'delete':
        if (typeof op.key !== 'string') bad('key must be a string');
        break;
      case 'get':
      case 'head':
        if (typeof op.key !== 'string') bad('key must be a string');
        if (done && op.result !== null && typeof op.result !== 'string') bad('a completed read needs a result (value id or null)');
        break;
      case 'list': {
        if (!Array.isArray(op.keys) || !op.keys.every((k) => typeof k === 'string')) bad('keys must be an array of strings');
        if (!done) break;
        if (op.result === undefined || op.result === null || typeof op.result !== 'object') bad('a completed list needs a result');
        const universe = new Set(op.keys);
        for (const k of listedKeys(op.result!)) {
          if (!universe.has(k)) bad(`result lists key "${k}" outside the key universe`);
          const v = listedValue(op.result!, k);
          if (v !== null && typeof v !== 'string') bad(`result for key "${k}" must be a value id or null`);
        }
        break;
      }
      default:
        bad('unknown kind');
    }
  });
}
