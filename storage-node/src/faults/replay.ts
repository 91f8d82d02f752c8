// replay: the node answers collect (and listing entries) with the oldest
// valid candidate it has seen for the register since it started, instead of
// its lc. "Valid" is not taken on trust: a candidate is remembered only when
// this node itself found it valid, i.e. it
// - reported it as its own lc (collect answer, listing entry), or
// - accepted it in complete / a write-back (its lc became that candidate), or
// - picked it as chv in filter (the highest candidate of C valid here).
// So the replayed candidate was really written and revealed (its nonce
// verified), just old: exactly what a gateway cannot tell from lag.
// Memory only (a restart forgets), bounded; nothing is stored on disk.

import { PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { CandWire } from '@powerstore/shared/protocol/wire/wire.js';
import { compareTsWire, type CandAnswer, type FilterWire, type ListWire, type TsAnswer } from './answers.js';

/** Registers remembered at most (then new registers are answered honestly). */
const MAX_REMEMBERED = 100_000;

interface RegRequest { ns: string; key: string }

export class FirstSeen {
  private readonly first = new Map<string, CandWire>();

  /** Records the candidates this exchange proves valid here (before any rewrite). */
  observe(route: string, req: unknown, answer: unknown): void {
    const r = req as Partial<RegRequest> & { cand?: CandWire; C?: CandWire[] };
    if (route === PATHS.list) {
      for (const e of (answer as ListWire).entries) this.remember(r.ns!, e.key, e.lc);
      return;
    }
    if (typeof r.ns !== 'string' || typeof r.key !== 'string') return;
    if (route === PATHS.collect) {
      const lc = (answer as CandAnswer).lc;
      if (lc) this.remember(r.ns, r.key, lc);
    } else if (route === PATHS.complete) {
      const lc = (answer as TsAnswer).lc;
      if (lc && r.cand && compareTsWire(lc, r.cand.ts) === 0) this.remember(r.ns, r.key, r.cand);
    } else if (route === PATHS.filter) {
      const ts = (answer as FilterWire).ts;
      const chv = ts ? r.C?.find((c) => compareTsWire(c.ts, ts) === 0) : undefined;
      if (chv) this.remember(r.ns, r.key, chv);
    }
  }

  /** The candidate to answer instead of `lc`: the remembered one when it is older. */
  replay(ns: string, key: string, lc: CandWire): CandWire {
    const old = this.first.get(regId(ns, key).toString('hex'));
    return old && compareTsWire(old.ts, lc.ts) < 0 ? old : lc;
  }

  private remember(ns: string, key: string, c: CandWire): void {
    const id = regId(ns, key).toString('hex');
    const had = this.first.get(id);
    if (had ? compareTsWire(c.ts, had.ts) < 0 : this.first.size < MAX_REMEMBERED) this.first.set(id, c);
  }
}
