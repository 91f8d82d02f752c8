// Write leases (DESIGN §4, §7): a history entry a write stored is kept from
// garbage collection until that write completes or is abandoned, even when
// it is already below lc. That matters for a write whose clock hint was
// stale: its first store lands below lc, and the write then stores again
// under a new ts from the same fragment (storeFrom), or has the fragment
// rebuilt from k nodes' copies of the first ts. Without the lease, the
// collector (which runs whenever lc moves) could drop the first entry in
// between, and the second store would find nothing to store from.
//
// A lease starts at every accepted store, ends with the complete of that ts
// (a write stored again ends its first entry's lease with its own), and
// otherwise expires (a gateway that died mid-write, a complete that came too
// late to this node). Leases live in memory:
// after a restart a re-store that finds nothing falls back to a rebuild or
// a full re-send.

import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';

type TsId = Pick<Timestamp, 'num' | 'writer' | 'op'>;

/**
 * A complete is sent to every node but waited for from q only: a node that
 * answers after the round's timeout never hears it, and keeps the entry
 * this long. A minute covers a store-again (one clock round, then stores
 * from the first entry, or a rebuild of up to a few GB); a longer rebuild
 * may find its sources collected, and the write then fails (503) for the
 * client to retry: never a wrong value.
 */
export const WRITE_LEASE_MS = 60_000;

const keyOf = (ts: TsId): string => `${ts.num}.${ts.writer}.${ts.op}`;

interface Lease {
  expires: number;
  /** Entries whose lease ends with this one (the first store of a write stored again). */
  readonly with: string[];
}

export class WriteLeases {
  private readonly byReg = new Map<string, Map<string, Lease>>();
  /**
   * Writes whose complete came before their store finished here (this node
   * was the slow one of the store round): no lease for them. Kept for a
   * lease's length, keyed "reg/ts".
   */
  private readonly completed = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now, private readonly leaseMs = WRITE_LEASE_MS) {}

  /** A store of `ts` was accepted; `from`: the entry it was stored from, held as long. */
  hold(reg: string, ts: TsId, from?: TsId): void {
    if (this.completed.has(`${reg}/${keyOf(ts)}`)) return;
    let m = this.byReg.get(reg);
    if (!m) this.byReg.set(reg, (m = new Map()));
    const k = keyOf(ts);
    const lease = m.get(k) ?? { expires: 0, with: [] };
    lease.expires = this.now() + this.leaseMs;
    if (from) {
      const f = keyOf(from);
      if (!lease.with.includes(f)) lease.with.push(f);
      const fl = m.get(f);
      if (fl) fl.expires = Math.max(fl.expires, lease.expires);
    }
    m.set(k, lease);
  }

  /** The write of `ts` completed (or its complete came here): its lease and those tied to it end. */
  release(reg: string, ts: TsId): void {
    const m = this.byReg.get(reg);
    const lease = m?.get(keyOf(ts));
    if (!m || !lease) {
      this.noteCompleted(`${reg}/${keyOf(ts)}`);
      return;
    }
    m.delete(keyOf(ts));
    for (const k of lease.with) m.delete(k);
    if (m.size === 0) this.byReg.delete(reg);
  }

  /** Whether the entry `ts` of `reg` is under a live lease (expired ones are dropped on the way). */
  covers(reg: string, ts: TsId): boolean {
    const m = this.byReg.get(reg);
    if (!m) return false;
    const now = this.now();
    for (const [k, l] of m) if (l.expires <= now) m.delete(k);
    if (m.size === 0) this.byReg.delete(reg);
    return m.get(keyOf(ts)) !== undefined;
  }

  private noteCompleted(k: string): void {
    const now = this.now();
    if (this.completed.size >= 4096) for (const [c, exp] of this.completed) if (exp <= now) this.completed.delete(c);
    this.completed.set(k, now + this.leaseMs);
  }

  /** Leases held (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const m of this.byReg.values()) n += m.size;
    return n;
  }
}
