// One listing's verdicts (list-merge.ts): q or more pages report the same
// candidate for most keys, and judging one costs 2 + S MACs and hashes. An
// entry seen before (the same object: pages' equal entries parse to one,
// list-entry-cache.ts) gets its verdict back whole. A
// candidate equal in every field to one already judged for the same key gets
// that verdict (judge is a function of the register and the candidate only);
// one differing anywhere, even in a single vec entry, is judged on its own,
// so a Byzantine page cannot borrow an honest page's verdict.

import { equalBytes } from '@powerstore/shared/bytes.js';
import { describesD, type Candidate, type Verdict } from '@powerstore/shared/protocol/candidate.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { ListEntry } from '@powerstore/shared/node-api.js';

/** An entry's verdict: authentic and described (lc normalised), evidence, or of an epoch beyond the ring. */
export type EntryVerdict =
  | { readonly ok: ListEntry & { readonly lc: Candidate } }
  | { readonly bad: string }
  | { readonly unknownEpoch: number };

interface Judged {
  readonly raw: Candidate;
  readonly verdict: Verdict;
  /** (cc, meta) pairs already found to hash to raw.d. */
  readonly described: Array<{ readonly cc: readonly Buffer[]; readonly meta: Buffer }>;
}

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => equalBytes(x, b[i]!));
}

function sameCandidate(a: Candidate, b: Candidate): boolean {
  // The same object: pages' equal entries parse to one (list-entry-cache.ts).
  if (a === b) return true;
  return a.ts.num === b.ts.num && a.ts.writer === b.ts.writer && a.ts.op === b.ts.op && a.ts.epoch === b.ts.epoch
    && equalBytes(a.ts.tag, b.ts.tag) && equalBytes(a.nonce, b.nonce) && equalBytes(a.d, b.d) && sameBuffers(a.vec, b.vec);
}

export class VerdictMemo {
  private readonly byKey = new Map<string, { readonly reg: Buffer; readonly judged: Judged[] }>();
  private readonly entries = new Map<ListEntry, EntryVerdict>();

  /** `judge`: the verdict on candidate `c` of register `reg`. */
  constructor(
    private readonly ns: string,
    private readonly judge: (reg: Buffer, c: Candidate) => Verdict,
  ) {}

  private judged(key: string, c: Candidate): Judged {
    let k = this.byKey.get(key);
    if (!k) {
      k = { reg: regId(this.ns, key), judged: [] };
      this.byKey.set(key, k);
    }
    let j = k.judged.find((x) => sameCandidate(x.raw, c));
    if (!j) {
      j = { raw: c, verdict: this.judge(k.reg, c), described: [] };
      k.judged.push(j);
    }
    return j;
  }

  /** Entry e's verdict: its candidate judged, its description (if any) checked against D. */
  entry(e: ListEntry): EntryVerdict {
    let v = this.entries.get(e);
    if (!v) {
      v = this.judgeEntry(e);
      this.entries.set(e, v);
    }
    return v;
  }

  private judgeEntry(e: ListEntry): EntryVerdict {
    const v = this.verdict(e.key, e.lc);
    if (v.kind === 'unknown-epoch') return { unknownEpoch: v.epoch };
    if (v.kind === 'forged') return { bad: `entry ${JSON.stringify(e.key)} is not authentic` };
    if (e.cc && e.meta && !this.describes(e.key, e.lc, e.cc, e.meta)) return { bad: 'cc/meta do not hash to D' };
    return { ok: { ...e, lc: v.c } };
  }

  verdict(key: string, c: Candidate): Verdict {
    return this.judged(key, c).verdict;
  }

  /** Whether cc and meta hash to c's D. */
  describes(key: string, c: Candidate, cc: readonly Buffer[], meta: Buffer): boolean {
    const j = this.judged(key, c);
    if (j.described.some((x) => (x.meta === meta && x.cc === cc) || (equalBytes(x.meta, meta) && sameBuffers(x.cc, cc)))) return true;
    if (!describesD(cc, meta, c.d)) return false;
    j.described.push({ cc, meta });
    return true;
  }
}
