// Random histories that are linearizable by construction: clients issue
// operations back to back with random durations against a simulated atomic
// store, each taking effect at a random point of its interval. Some outcomes
// are unknown: such a write takes effect (at a random time after its
// invoke, possibly after its client moved on) or not, at random.

import type { Observed, Operation, ValueId } from '../history.js';
import { mulberry32, pick, shuffle, type Rng } from './prng.js';

export interface RandomHistoryOptions {
  readonly seed: number;
  /** Clients, each with one operation in flight at a time: the concurrency. */
  readonly clients: number;
  readonly keys: number;
  readonly ops: number;
  /** Probability an operation's outcome is unknown. Default 0.05. */
  readonly pendingRate?: number;
  /** Probability of a list over all keys. Default 0.1. */
  readonly listRate?: number;
  /** Probability of a delete. Default 0.1. */
  readonly deleteRate?: number;
  /** Probability of a put. Default 0.35. */
  readonly putRate?: number;
}

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

interface Planned {
  op: Mutable<Operation>;
  /** When it takes effect; null: never. */
  at: number | null;
}

export function keyName(i: number): string {
  return `k${i}`;
}

/** A linearizable history, in shuffled order (the checker must not rely on order). */
export function randomLinearizableHistory(o: RandomHistoryOptions): Operation[] {
  const rng = mulberry32(o.seed);
  const keys = Array.from({ length: o.keys }, (_, i) => keyName(i));
  const cursor = Array.from({ length: o.clients }, () => rng() * 2);
  const planned: Planned[] = [];
  let nextValue = 0;

  for (let n = 0; n < o.ops; n++) {
    let c = 0;
    for (let i = 1; i < cursor.length; i++) if (cursor[i]! < cursor[c]!) c = i;
    const invoke = cursor[c]!;
    const duration = rng() < 0.1 ? 5 + rng() * 30 : 0.1 + rng() * 4;
    const complete = invoke + duration;
    cursor[c] = complete + rng();
    const pending = rng() < (o.pendingRate ?? 0.05);
    const client = `c${c}`;
    const op = randomOp(rng, o, keys, client, invoke, () => `v${o.seed}.${nextValue++}`);
    let at: number | null = invoke + rng() * duration;
    if (pending) {
      const isWrite = op.kind === 'put' || op.kind === 'delete';
      at = isWrite && rng() < 0.5 ? invoke + rng() * duration * 3 : null;
    } else {
      op.complete = complete;
    }
    planned.push({ op, at });
  }

  const state = new Map<string, ValueId>();
  for (const p of [...planned].filter((p) => p.at !== null).sort((a, b) => a.at! - b.at!)) {
    const op = p.op;
    switch (op.kind) {
      case 'put':
        state.set(op.key, op.value);
        break;
      case 'delete':
        state.delete(op.key);
        break;
      case 'get':
      case 'head':
        op.result = state.get(op.key) ?? null;
        break;
      case 'list': {
        const shown: Record<string, Observed> = {};
        for (const k of op.keys) {
          const v = state.get(k);
          if (v !== undefined) shown[k] = v;
        }
        op.result = shown;
        break;
      }
    }
  }
  return shuffle(rng, planned.map((p) => p.op as Operation));
}

function randomOp(
  rng: Rng,
  o: RandomHistoryOptions,
  keys: readonly string[],
  client: string,
  invoke: number,
  freshValue: () => ValueId,
): Mutable<Operation> {
  const r = rng();
  const listRate = o.listRate ?? 0.1;
  const deleteRate = o.deleteRate ?? 0.1;
  const putRate = o.putRate ?? 0.35;
  const key = pick(rng, keys);
  if (r < listRate) return { kind: 'list', client, invoke, keys: [...keys] };
  if (r < listRate + deleteRate) return { kind: 'delete', client, invoke, key };
  if (r < listRate + deleteRate + putRate) return { kind: 'put', client, invoke, key, value: freshValue() };
  return { kind: rng() < 0.5 ? 'get' : 'head', client, invoke, key };
}
