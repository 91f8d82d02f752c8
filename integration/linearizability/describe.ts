// One-line descriptions of operations for violation explanations.

import type { Observed, Operation } from './history.js';
import type { RegisterOp } from './project.js';

export function fmtTime(t: number): string {
  if (t === Infinity) return 'unknown';
  return Number.isInteger(t) ? String(t) : t.toFixed(3);
}

export function fmtValue(v: Observed): string {
  return v === null ? 'absent' : JSON.stringify(v);
}

/** E.g. `put "v3" by client "c1" [12, 15]`, with the original (untightened) times. */
export function describeOp(history: readonly Operation[], op: RegisterOp): string {
  const src = history[op.origin]!;
  const when = `[${fmtTime(src.invoke)}, ${fmtTime(src.complete ?? Infinity)}]`;
  const who = `by client ${JSON.stringify(src.client)}`;
  switch (src.kind) {
    case 'put':
      return `put ${fmtValue(src.value)} ${who} ${when}`;
    case 'delete':
      return `delete ${who} ${when}`;
    case 'get':
    case 'head':
      return `${src.kind} ${who} ${when} returned ${fmtValue(op.value)}`;
    case 'list':
      return `list ${who} ${when} ${op.value === null ? 'did not show the key' : `showed ${fmtValue(op.value)}`}`;
  }
}
