// The linearizability search for one register: Wing & Gong's algorithm with
// Lowe's memoisation, structured as in Porcupine (Athalye). Operations'
// call and return events sit in one list sorted by time. Walking it from the
// front, a call may be linearized next if the register allows it; a return
// reached while its operation is still unlinearized means the current prefix
// is wrong, so the last choice is undone (backtracking). Every (set of
// linearized operations, register state) pair reached is cached: reaching
// one again cannot succeed where the first visit failed, so it is pruned.
//
// Fast when the history is linearizable (the first real-time-compatible
// order usually works), but proving a violation means exhausting every
// configuration of the prefix before the failing read, and each
// unknown-outcome delete doubles them: register.ts therefore caps this
// engine's budget and falls back to sweep.ts.

import { DEADLINE_CHECK_MASK, type SearchBudget, type SearchOp, type SearchResult } from './search-types.js';

interface Entry {
  readonly op: number;
  readonly call: boolean;
  readonly time: number;
  prev: Entry | null;
  next: Entry | null;
  /** The call's return entry (null for an optional write); unused on returns. */
  match: Entry | null;
}

/**
 * Decides whether `ops` is linearizable for a register, within `budget`.
 * Equal call and return times count as concurrent (calls sort first).
 */
export function dfsRegister(input: readonly SearchOp[], budget: SearchBudget): SearchResult {
  // Numbered in invoke order, the linearized set is a run of ones followed by
  // a short mixed window: what VisitedSet's trimming relies on.
  const ops = [...input].sort((a, b) => a.invoke - b.invoke);
  const n = ops.length;
  const head = buildEventList(ops);
  let remaining = 0; // completed operations not yet linearized
  for (const op of ops) if (op.complete !== Infinity) remaining++;
  if (remaining === 0) return { outcome: 'ok', steps: 0 };

  const linearized = new Bitset(n);
  const zobrist = zobristTable(n);
  const cache = new VisitedSet(linearized);
  const stack: Array<{ entry: Entry; prevState: number }> = [];
  let hash = 0;
  let state = 0;
  let entry = head.next;
  let steps = 0;

  for (;;) {
    steps++;
    if (steps > budget.maxSteps) return { outcome: 'unknown', steps };
    if ((steps & DEADLINE_CHECK_MASK) === 0 && performance.now() > budget.deadline) return { outcome: 'unknown', steps };

    if (entry !== null && entry.call) {
      const i = entry.op;
      const op = ops[i]!;
      if (op.isWrite || op.value === state) {
        const next = op.isWrite ? op.value : state;
        const h = (hash ^ zobrist[i]!) >>> 0;
        linearized.set(i);
        if (cache.add(h, next)) {
          stack.push({ entry, prevState: state });
          state = next;
          hash = h;
          lift(entry);
          if (op.complete !== Infinity && --remaining === 0) return { outcome: 'ok', steps };
          entry = head.next;
          continue;
        }
        linearized.clear(i);
      }
      entry = entry.next;
      continue;
    }

    // A return of an unlinearized operation (or, defensively, the end of the
    // list): undo the most recent choice and try the next call after it.
    const top = stack.pop();
    if (top === undefined) return { outcome: 'violation', steps };
    const i = top.entry.op;
    linearized.clear(i);
    hash = (hash ^ zobrist[i]!) >>> 0;
    state = top.prevState;
    unlift(top.entry);
    if (ops[i]!.complete !== Infinity) remaining++;
    entry = top.entry.next;
  }
}

/** Sentinel-headed, doubly-linked list of call and return events in time order. */
function buildEventList(ops: readonly SearchOp[]): Entry {
  const events: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { op: i, call: true, time: op.invoke, prev: null, next: null, match: null };
    events.push(call);
    if (op.complete !== Infinity) {
      const ret: Entry = { op: i, call: false, time: op.complete, prev: null, next: null, match: null };
      call.match = ret;
      events.push(ret);
    }
  });
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? a.op - b.op : a.call ? -1 : 1));
  const head: Entry = { op: -1, call: false, time: -Infinity, prev: null, next: null, match: null };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

/** Unlinks a call and its return; `unlift` must undo lifts in LIFO order. */
function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

function unlink(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

/** Deterministic random 32-bit words, one per operation (Zobrist hashing). */
function zobristTable(n: number): Uint32Array {
  const table = new Uint32Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
}

/**
 * A bitset that tracks its trimmed extent: words [lo, hi) hold everything
 * but a leading run of all-ones words and a trailing run of zero words.
 */
class Bitset {
  readonly words: Uint32Array;
  /** First word that is not all ones. */
  lo = 0;
  /** One past the last non-zero word (at least lo). */
  hi = 0;

  constructor(n: number) {
    this.words = new Uint32Array((n + 31) >>> 5);
  }

  set(i: number): void {
    const w = i >>> 5;
    this.words[w]! |= 1 << (i & 31);
    if (w >= this.hi) this.hi = w + 1;
    while (this.lo < this.words.length && this.words[this.lo] === 0xffffffff) this.lo++;
    if (this.hi < this.lo) this.hi = this.lo;
  }

  clear(i: number): void {
    const w = i >>> 5;
    this.words[w]! &= ~(1 << (i & 31));
    if (w < this.lo) this.lo = w;
    while (this.hi > this.lo && this.words[this.hi - 1] === 0) this.hi--;
  }
}

/**
 * The memo: (linearized set, state) pairs already visited. Sets are stored
 * trimmed (see Bitset), which in practice is the short window of concurrent
 * operations, so memory and comparisons stay small for long histories.
 */
class VisitedSet {
  private readonly buckets = new Map<number, Array<{ state: number; lo: number; words: Uint32Array }>>();

  constructor(private readonly bits: Bitset) {}

  /** Adds the current set with `state`; false if it was already present. */
  add(hash: number, state: number): boolean {
    const key = (hash ^ Math.imul(state + 1, 0x85ebca6b)) >>> 0;
    const bucket = this.buckets.get(key);
    const { words, lo, hi } = this.bits;
    if (bucket) {
      for (const e of bucket) if (e.state === state && e.lo === lo && this.sameWindow(e.words)) return false;
    }
    const e = { state, lo, words: words.slice(lo, hi) };
    if (bucket) bucket.push(e);
    else this.buckets.set(key, [e]);
    return true;
  }

  private sameWindow(stored: Uint32Array): boolean {
    const { words, lo, hi } = this.bits;
    if (stored.length !== hi - lo) return false;
    for (let i = 0; i < stored.length; i++) if (words[lo + i] !== stored[i]) return false;
    return true;
  }
}
