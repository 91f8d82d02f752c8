// Read pins (DESIGN §6, "Pins and GONE"): garbage collection must not take a
// history entry from under a read that may still need it. At a node's first
// contact with a read, the node pins the register from its lc.ts at that
// moment upward (entries stored later included) plus every entry it answers
// with; the pin lives under a lease the gateway renews while the read runs,
// is narrowed to the chosen write once filter has picked it, and released
// when the read ends. A lost gateway's pins expire; a restarted node has
// none (a read that relied on one then fails over or aborts).

import { compareTs, tsKey, type Timestamp } from './timestamp.js';

export const PIN_LEASE_MS = 60_000;

interface Pin {
  readonly reg: string;
  /** Entries at or above this ts are covered (null: none: narrowed). */
  floor: Timestamp | null;
  readonly entries: Set<string>;
  expires: number;
}

export class PinTable {
  private readonly pins = new Map<string, Pin>();

  constructor(private readonly now: () => number = Date.now, private readonly leaseMs = PIN_LEASE_MS) {}

  private id(readId: string, reg: string): string {
    return `${readId}/${reg}`;
  }

  /** The read's pin on reg, created at first contact with `lcTs` as its floor. */
  touch(readId: string, reg: string, lcTs: Timestamp | null): { floor: Timestamp | null } {
    this.expire();
    const id = this.id(readId, reg);
    let p = this.pins.get(id);
    if (!p) this.pins.set(id, (p = { reg, floor: lcTs ?? ZERO_FLOOR, entries: new Set(), expires: this.now() + this.leaseMs }));
    return { floor: p.floor === ZERO_FLOOR ? null : p.floor };
  }

  /** Pins one more entry the node answered with. */
  add(readId: string, reg: string, ts: Timestamp): void {
    this.pins.get(this.id(readId, reg))?.entries.add(tsKey(ts));
  }

  /** Extends the lease; false when the pin lapsed (expired, or the node restarted). */
  renew(readId: string, reg: string): boolean {
    this.expire();
    const p = this.pins.get(this.id(readId, reg));
    if (!p) return false;
    p.expires = this.now() + this.leaseMs;
    return true;
  }

  /** Keeps only the chosen write pinned (a long GET must not hold back newer versions). */
  narrow(readId: string, reg: string, ts: Timestamp): boolean {
    const p = this.pins.get(this.id(readId, reg));
    if (!p) return false;
    p.floor = null;
    p.entries.clear();
    p.entries.add(tsKey(ts));
    p.expires = this.now() + this.leaseMs;
    return true;
  }

  release(readId: string, reg: string): void {
    this.pins.delete(this.id(readId, reg));
  }

  /** Whether any live pin covers Hist[ts] of reg. */
  covers(reg: string, ts: Timestamp): boolean {
    this.expire();
    const key = tsKey(ts);
    for (const p of this.pins.values()) {
      if (p.reg !== reg) continue;
      if (p.entries.has(key)) return true;
      if (p.floor === ZERO_FLOOR || (p.floor !== null && compareTs(ts, p.floor) >= 0)) return true;
    }
    return false;
  }

  get size(): number {
    this.expire();
    return this.pins.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, p] of this.pins) if (p.expires < now) this.pins.delete(id);
  }
}

/** The floor of a pin made when the node's lc was c0: every entry is covered. */
const ZERO_FLOOR: Timestamp = { num: 0, writer: '0000000000000000', op: 0, epoch: 0, tag: Buffer.alloc(0) };
