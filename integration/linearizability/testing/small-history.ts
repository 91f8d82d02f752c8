// Small arbitrary histories (mostly not linearizable) for differential tests
// against the brute-force checker: integer times so that ties occur, read
// results drawn from absent, the key's own values (earlier or later) and,
// rarely, another key's value.

import type { Observed, Operation } from '../history.js';
import { randInt, type Rng } from './prng.js';

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

export function randomSmallHistory(rng: Rng, maxOps: number): Operation[] {
  const keys = rng() < 0.5 ? ['a'] : ['a', 'b'];
  const n = 2 + randInt(rng, maxOps - 1);
  const ops: Array<Mutable<Operation>> = [];
  for (let i = 0; i < n; i++) {
    const invoke = randInt(rng, 12);
    const complete = rng() < 0.15 ? undefined : invoke + randInt(rng, 6);
    const client = `c${randInt(rng, 3)}`;
    const key = keys[randInt(rng, keys.length)]!;
    const r = rng();
    if (r < 0.35) ops.push({ kind: 'put', client, invoke, complete, key, value: `v${i}` });
    else if (r < 0.45) ops.push({ kind: 'delete', client, invoke, complete, key });
    else if (r < 0.85) ops.push({ kind: 'get', client, invoke, complete, key });
    else ops.push({ kind: 'list', client, invoke, complete, keys });
  }
  const valuesOf = (key: string): string[] => ops.flatMap((op) => (op.kind === 'put' && op.key === key ? [op.value] : []));
  const observe = (key: string): Observed => {
    const own = valuesOf(key);
    const r = rng();
    if (r < 0.3 || own.length === 0) return null;
    if (r < 0.95) return own[randInt(rng, own.length)]!;
    const other = keys.filter((k) => k !== key).flatMap(valuesOf);
    return other.length > 0 ? other[randInt(rng, other.length)]! : null;
  };
  for (const op of ops) {
    if (op.complete === undefined) continue;
    if (op.kind === 'get') op.result = observe(op.key);
    if (op.kind === 'list') {
      const shown: Record<string, Observed> = {};
      for (const k of op.keys) {
        const v = observe(k);
        if (v !== null) shown[k] = v;
      }
      op.result = shown;
    }
  }
  return ops as Operation[];
}
