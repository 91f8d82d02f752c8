// Turns a history into a non-linearizable one by changing what one read saw.
// Each mutation matches a pattern that on its own proves non-linearizability
// (values are unique, so a read of v must follow v's only write):
// - stale:     v's put w was followed by a completed write w2 that completed
//              before the read began (w < w2 < read).
// - absent:    absent after a put that completed before the read began, with
//              no delete that could come between them.
// - inversion: an earlier read (completed before this one began) saw v1,
//              whose put began after v's put completed (w < w1 < r1 < read).
// - future:    v's put was invoked after the read completed.
// - other-key: v was put to another key only.
// - ghost:     v was never written.

import { listedValue, type ListResult, type Observed, type Operation } from '../history.js';
import { pick, shuffle, type Rng } from './prng.js';

export type MutationPattern = 'stale' | 'absent' | 'inversion' | 'future' | 'other-key' | 'ghost';

export interface Mutation {
  readonly ops: Operation[];
  readonly key: string;
  readonly pattern: MutationPattern;
  /** Index of the mutated operation. */
  readonly index: number;
}

interface Read {
  readonly index: number;
  readonly key: string;
  readonly invoke: number;
  readonly complete: number;
  readonly value: Observed;
}

interface Write {
  readonly key: string;
  readonly value: Observed;
  readonly invoke: number;
  readonly complete: number; // Infinity: unknown outcome
}

/** Mutates one completed read; undefined if `ops` has none. `preferred` is tried first. */
export function mutateToViolation(rng: Rng, ops: readonly Operation[], preferred?: MutationPattern): Mutation | undefined {
  const writes: Write[] = [];
  const reads: Read[] = [];
  ops.forEach((op, index) => {
    const complete = op.complete ?? Infinity;
    if (op.kind === 'put') writes.push({ key: op.key, value: op.value, invoke: op.invoke, complete });
    else if (op.kind === 'delete') writes.push({ key: op.key, value: null, invoke: op.invoke, complete });
    else if (op.complete === undefined) return;
    else if (op.kind === 'list') {
      for (const key of op.keys) reads.push({ index, key, invoke: op.invoke, complete, value: listedValue(op.result!, key) });
    } else reads.push({ index, key: op.key, invoke: op.invoke, complete, value: op.result ?? null });
  });

  for (const read of shuffle(rng, reads)) {
    const options = candidates(read, reads, writes);
    if (options.length === 0) continue;
    const preferredOptions = options.filter((c) => c.pattern === preferred);
    const chosen = pick(rng, preferredOptions.length > 0 ? preferredOptions : options);
    const out = [...ops];
    out[read.index] = withResult(ops[read.index]!, read.key, chosen.value);
    return { ops: out, key: read.key, pattern: chosen.pattern, index: read.index };
  }
  return undefined;
}

function candidates(read: Read, reads: readonly Read[], writes: readonly Write[]): Array<{ pattern: MutationPattern; value: Observed }> {
  const out: Array<{ pattern: MutationPattern; value: Observed }> = [];
  const mine = writes.filter((w) => w.key === read.key);
  const add = (pattern: MutationPattern, value: Observed): void => {
    if (value !== read.value) out.push({ pattern, value });
  };
  const noDeleteBetween = (w: Write): boolean =>
    !mine.some((d) => d.value === null && !(d.complete < w.invoke) && d.invoke <= read.complete);

  for (const w of mine) {
    if (w.value === null) continue;
    if (mine.some((w2) => w.complete < w2.invoke && w2.complete < read.invoke)) add('stale', w.value);
    if (w.invoke > read.complete) add('future', w.value);
  }
  if (mine.some((w2) => w2.value !== null && w2.complete < read.invoke && noDeleteBetween(w2))) add('absent', null);
  for (const r1 of reads) {
    if (r1.key !== read.key || r1.value === null || !(r1.complete < read.invoke)) continue;
    const w1 = mine.find((w) => w.value === r1.value);
    if (w1 === undefined) continue;
    for (const w of mine) if (w.value !== null && w.complete < w1.invoke) add('inversion', w.value);
  }
  const other = writes.find((w) => w.key !== read.key && w.value !== null);
  if (other) add('other-key', other.value);
  add('ghost', `ghost-${read.index}-${read.key}`);
  return out;
}

function withResult(op: Operation, key: string, value: Observed): Operation {
  if (op.kind === 'get' || op.kind === 'head') return { ...op, result: value };
  if (op.kind !== 'list') throw new TypeError('not a read');
  const entries = new Map<string, Observed>();
  for (const k of op.keys) {
    const v = listedValue(op.result!, k);
    if (v !== null) entries.set(k, v);
  }
  if (value === null) entries.delete(key);
  else entries.set(key, value);
  const result: ListResult = Object.fromEntries(entries);
  return { ...op, result };
}
