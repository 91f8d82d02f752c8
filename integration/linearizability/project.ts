// Per-key projection: a history over many keys becomes one register history
// per key, checked independently. Linearizability is local (P-compositional,
// Herlihy & Wing): a history is linearizable iff every per-object
// subhistory is, so this loses nothing for single-key operations.
//
// A list becomes one read per key of its universe, each with the list's
// invoke/complete. For an operation spanning several keys this per-key
// check is a necessary, not sufficient, condition for linearizability of the
// multi-key operation as one atomic snapshot. S3 does not promise that a list
// is atomic across keys, so the per-key model is the right one here: each key
// the list reports must be consistent with that key's register.

import { listedValue, type Observed, type Operation } from './history.js';

/** One operation on one key's register. */
export interface RegisterOp {
  readonly kind: 'write' | 'read';
  /** Value written (null: delete), or value the read saw (null: absent). */
  readonly value: Observed;
  readonly invoke: number;
  /** Infinity for a write whose outcome is unknown. */
  readonly complete: number;
  /** Index of the operation this came from in the input history. */
  readonly origin: number;
}

/**
 * Splits a (validated) history by key. Reads and lists with unknown outcome
 * are dropped: they constrain nothing. Writes with unknown outcome are kept
 * with `complete = Infinity`. Keys appear in sorted order.
 */
export function projectByKey(ops: readonly Operation[]): Map<string, RegisterOp[]> {
  const byKey = new Map<string, RegisterOp[]>();
  const add = (key: string, op: RegisterOp): void => {
    const list = byKey.get(key);
    if (list) list.push(op);
    else byKey.set(key, [op]);
  };
  ops.forEach((op, origin) => {
    const complete = op.complete ?? Infinity;
    switch (op.kind) {
      case 'put':
        add(op.key, { kind: 'write', value: op.value, invoke: op.invoke, complete, origin });
        break;
      case 'delete':
        add(op.key, { kind: 'write', value: null, invoke: op.invoke, complete, origin });
        break;
      case 'get':
      case 'head':
        if (op.complete !== undefined) add(op.key, { kind: 'read', value: op.result ?? null, invoke: op.invoke, complete, origin });
        break;
      case 'list':
        if (op.complete === undefined || op.result === undefined) break;
        for (const key of new Set(op.keys)) {
          add(key, { kind: 'read', value: listedValue(op.result, key), invoke: op.invoke, complete, origin });
        }
        break;
    }
  });
  return new Map([...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
