// Explanations of a key's violation: the read that cannot be placed, the
// simple pattern it matches if any (each pattern is itself a proof of
// non-linearizability), and the operations around it that a reader needs to
// see why: the last writes before it, the writes concurrent with it, and the
// latest earlier and concurrent reads of each value.

import type { Operation, ValueId } from './history.js';
import { describeOp, fmtValue } from './describe.js';
import type { Culprit } from './culprit.js';
import type { RegisterOp } from './project.js';

export interface Writer {
  readonly key: string;
  readonly write: RegisterOp;
}

const MAX_LISTED = 5;

export interface ExplainInput {
  readonly key: string;
  readonly history: readonly Operation[];
  /** The failing read and its cut, or undefined if it could not be isolated. */
  readonly culprit: Culprit | undefined;
  /** For every put value id, its key and its write. */
  readonly writerOf: ReadonlyMap<ValueId, Writer>;
}

export function explainViolation({ key, history, culprit, writerOf }: ExplainInput): string {
  if (culprit === undefined) {
    return `the history of key ${JSON.stringify(key)} is not linearizable (the failing read could not be isolated within the search budget)`;
  }
  const { read, cut, partners } = culprit;
  const d = (op: RegisterOp): string => describeOp(history, op);
  const lines = [`${d(read)}, which no order of the operations on key ${JSON.stringify(key)} up to its completion explains`];
  if (partners.length > 0) lines.push(`  together with the reads completing at the same time: ${list(partners, d)}`);
  lines.push(`  reason: ${partners.length > 0 ? 'no simple pattern' : reason(read, cut, writerOf, key, d)}`);

  const writes = cut.filter((op) => op.kind === 'write');
  const before = writes.filter((w) => w.complete < read.invoke);
  const latest = before.filter((w) => !before.some((w2) => w.complete < w2.invoke));
  const concurrent = writes.filter((w) => w.complete >= read.invoke && w.invoke <= read.complete);
  const olderReads = latestPerValue(cut.filter((r) => r.kind === 'read' && r.complete < read.invoke));
  lines.push(`  last writes completed before it began: ${list(latest, d)}`);
  lines.push(`  writes concurrent with it: ${list(concurrent, d)}`);
  const concurrentReads = latestPerValue(cut.filter((r) => r.kind === 'read' && r !== read && r.complete >= read.invoke && !partners.includes(r)));
  lines.push(`  latest earlier read of each value: ${list(olderReads, d)}`);
  lines.push(`  reads concurrent with it, latest of each value: ${list(concurrentReads, d)}`);
  return lines.join('\n');
}

/** For each value seen, the read of it that completed last; latest first. */
function latestPerValue(reads: RegisterOp[]): RegisterOp[] {
  const latest = new Map<string | null, RegisterOp>();
  for (const r of reads) {
    const prev = latest.get(r.value);
    if (prev === undefined || r.complete > prev.complete) latest.set(r.value, r);
  }
  return [...latest.values()].sort((a, b) => b.complete - a.complete);
}

function list(ops: RegisterOp[], d: (op: RegisterOp) => string): string {
  if (ops.length === 0) return '(none)';
  const shown = ops.slice(0, MAX_LISTED).map(d).join('; ');
  return ops.length > MAX_LISTED ? `${shown}; (+${ops.length - MAX_LISTED} more)` : shown;
}

/** The most specific pattern the failing read matches. */
function reason(
  read: RegisterOp,
  cut: readonly RegisterOp[],
  writerOf: ReadonlyMap<ValueId, Writer>,
  key: string,
  d: (op: RegisterOp) => string,
): string {
  const writes = cut.filter((op) => op.kind === 'write');
  const v = read.value;
  if (v !== null) {
    const writer = writerOf.get(v);
    if (writer === undefined) return `${fmtValue(v)} was never written`;
    if (writer.key !== key) return `${fmtValue(v)} was written to key ${JSON.stringify(writer.key)} by ${d(writer.write)}, not to this key`;
    const w = writes.find((op) => op.value === v);
    if (w === undefined) return `read from the future: ${d(writer.write)} was invoked after this read completed`;
    const over = writes.find((w2) => w2 !== w && w.complete < w2.invoke && w2.complete < read.invoke);
    if (over) return `stale read: ${d(w)} was overwritten by ${d(over)}, which completed before this read began`;
    const newer = newerEarlierRead(read, cut, (w1) => w.complete < w1.invoke);
    if (newer) {
      return `new-old inversion: the earlier ${d(newer.read)}, complete before this read began, saw ${d(newer.write)}, which began after ${d(w)} completed`;
    }
  } else {
    // Absent is written initially and by deletes; after a put it needs a delete that may follow that put.
    const noDeleteAfter = (w1: RegisterOp): boolean =>
      !writes.some((del) => del.value === null && !(del.complete < w1.invoke) && del.invoke <= read.complete);
    const over = writes.find((w2) => w2.value !== null && w2.complete < read.invoke && noDeleteAfter(w2));
    if (over) return `stale read: ${d(over)} completed before this read began, and no delete could have followed it`;
    const newer = newerEarlierRead(read, cut, noDeleteAfter);
    if (newer) {
      return `new-old inversion: the earlier ${d(newer.read)}, complete before this read began, saw ${d(newer.write)}, and no delete could have followed it before this read`;
    }
  }
  return 'no simple pattern: every order of the overlapping writes and earlier reads contradicts it';
}

/** An earlier read whose observed write `hides` the value this read returned. */
function newerEarlierRead(
  read: RegisterOp,
  cut: readonly RegisterOp[],
  hides: (write: RegisterOp) => boolean,
): { read: RegisterOp; write: RegisterOp } | undefined {
  const earlier = cut
    .filter((r) => r.kind === 'read' && r.complete < read.invoke && r.value !== null && r.value !== read.value)
    .sort((a, b) => b.complete - a.complete);
  for (const r of earlier) {
    const w1 = cut.find((op) => op.kind === 'write' && op.value === r.value);
    if (w1 && hides(w1)) return { read: r, write: w1 };
  }
  return undefined;
}
