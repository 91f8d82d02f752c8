// Read pins (DESIGN §6, "Pins and GONE"): garbage collection must not take a
// history entry from under a read that may still need it. At a node's first
// contact with a read, the node pins the register from its lc.ts at that
// moment upward (entries stored later included) plus every entry it answers
// with; the pin lives under a lease the gateway renews while the read runs,
// is narrowed to the chosen write once filter has picked it, and released
// when the read ends. A lost gateway's pins expire.
//
// Each pin has an id this node issues (random, so never reused across a
// restart; drawn from random.ts's pool, where a randomBytes call per pin was
// 3% of a node's CPU during 4 KiB GETs) and returns in every answer. A
// request that names a pin id this node no longer holds (the lease lapsed,
// the node restarted, the read was released) is told `lapsed`: the node
// never makes a fresh pin, with a newer floor, for a read it has forgotten
// (protocol review finding 9), so the gateway learns the pin lapsed instead
// of taking the node's answers under the new pin for lies. A released read
// leaves a marker for one lease, so a straggling request of that read pins
// nothing either (finding 12).
//
// Cost: expiry is amortised O(1) (pins are kept in the order they expire),
// and `covers` answers from a per-register summary rebuilt only when that
// register's pins change, so a collection pass over a register is
// O(rows + pins of the register), not O(rows × all pins) (finding 12).

import { randomHex } from '../random.js';
import { compareTs, tsKey, type Timestamp } from './timestamp.js';

export const PIN_LEASE_MS = 60_000;

interface Pin {
  readonly key: string;
  readonly reg: string;
  readonly id: string;
  /** Entries at or above this ts are covered (null: none, narrowed; ZERO_FLOOR: all). */
  floor: Timestamp | null;
  readonly entries: Set<string>;
  expires: number;
  /** Released: a marker that keeps straggling requests from pinning again. */
  released: boolean;
}

/** What covers a register's history: the lowest floor of its pins and every entry pinned singly. */
interface Coverage {
  readonly floor: Timestamp | null;
  readonly entries: ReadonlySet<string>;
}

/** A read's pin at this node, or word that the pin it named is gone. */
export type Touch = { readonly lapsed: false; readonly pin: string; readonly floor: Timestamp | null } | { readonly lapsed: true };

export class PinTable {
  /** In the order the pins expire (a renewed pin moves to the end): expiry stops at the first live one. */
  private readonly pins = new Map<string, Pin>();
  private readonly byReg = new Map<string, Set<Pin>>();
  private readonly coverage = new Map<string, Coverage>();

  constructor(private readonly now: () => number = Date.now, private readonly leaseMs = PIN_LEASE_MS) {}

  private key(readId: string, reg: string): string {
    return `${readId}/${reg}`;
  }

  /**
   * The read's pin on reg, created at first contact with `lcTs` as its floor.
   * `named` is the pin id this node gave the read before, if the request
   * carries one: when that pin is gone, the answer is `lapsed` and no pin is
   * made. A read released here is lapsed too.
   */
  touch(readId: string, reg: string, lcTs: Timestamp | null, named?: string): Touch {
    this.expire();
    const key = this.key(readId, reg);
    let p = this.pins.get(key);
    if (p?.released || (named !== undefined && p?.id !== named)) return { lapsed: true };
    if (!p) {
      p = { key, reg, id: randomHex(8), floor: lcTs ?? ZERO_FLOOR, entries: new Set(), expires: 0, released: false };
      let set = this.byReg.get(reg);
      if (!set) this.byReg.set(reg, (set = new Set()));
      set.add(p);
      this.changed(reg);
      this.refresh(p);
    }
    return { lapsed: false, pin: p.id, floor: p.floor === ZERO_FLOOR ? null : p.floor };
  }

  /** Pins one more entry the node answered with. */
  add(readId: string, reg: string, ts: Timestamp): void {
    const p = this.live(readId, reg);
    if (!p) return;
    p.entries.add(tsKey(ts));
    this.changed(reg);
  }

  /** Extends the lease; false when the pin lapsed (expired, released, or the node restarted). */
  renew(readId: string, reg: string): boolean {
    this.expire();
    const p = this.live(readId, reg);
    if (!p) return false;
    this.refresh(p);
    return true;
  }

  /** Keeps only the chosen write pinned (a long GET must not hold back newer versions). */
  narrow(readId: string, reg: string, ts: Timestamp): boolean {
    this.expire();
    const p = this.live(readId, reg);
    if (!p) return false;
    p.floor = null;
    p.entries.clear();
    p.entries.add(tsKey(ts));
    this.changed(reg);
    this.refresh(p);
    return true;
  }

  /** Ends the read's pin; a marker stays for one lease so stragglers do not pin again. */
  release(readId: string, reg: string): void {
    this.expire();
    const key = this.key(readId, reg);
    let p = this.pins.get(key);
    if (!p) p = { key, reg, id: '', floor: null, entries: new Set(), expires: 0, released: true };
    else this.unindex(p);
    p.released = true;
    p.floor = null;
    p.entries.clear();
    this.refresh(p);
  }

  /** Whether any live pin covers Hist[ts] of reg. */
  covers(reg: string, ts: Timestamp): boolean {
    this.expire();
    let c = this.coverage.get(reg);
    if (!c) {
      const pins = this.byReg.get(reg);
      if (!pins) return false;
      this.coverage.set(reg, (c = summarise(pins)));
    }
    if (c.entries.has(tsKey(ts))) return true;
    return c.floor !== null && compareTs(ts, c.floor) >= 0;
  }

  /** Live pins (release markers not counted). */
  get size(): number {
    this.expire();
    let n = 0;
    for (const set of this.byReg.values()) n += set.size;
    return n;
  }

  private live(readId: string, reg: string): Pin | undefined {
    const p = this.pins.get(this.key(readId, reg));
    return p && !p.released ? p : undefined;
  }

  /** A new lease from now: the pin moves to the end of the expiry order. */
  private refresh(p: Pin): void {
    p.expires = this.now() + this.leaseMs;
    this.pins.delete(p.key);
    this.pins.set(p.key, p);
  }

  private changed(reg: string): void {
    this.coverage.delete(reg);
  }

  private unindex(p: Pin): void {
    const set = this.byReg.get(p.reg);
    if (!set?.delete(p)) return;
    if (set.size === 0) this.byReg.delete(p.reg);
    this.changed(p.reg);
  }

  /**
   * Drops pins whose lease ended. Leases all last leaseMs from their last
   * refresh, so map order is expiry order (a clock stepping back only delays
   * an expiry); each pin is looked at once when it goes.
   */
  private expire(): void {
    const now = this.now();
    for (const p of this.pins.values()) {
      if (p.expires >= now) return;
      this.pins.delete(p.key);
      if (!p.released) this.unindex(p);
    }
  }
}

function summarise(pins: ReadonlySet<Pin>): Coverage {
  let floor: Timestamp | null = null;
  const entries = new Set<string>();
  for (const p of pins) {
    for (const e of p.entries) entries.add(e);
    if (p.floor !== null && (floor === null || compareTs(p.floor, floor) < 0)) floor = p.floor;
  }
  return { floor, entries };
}

/**
 * The floor of a pin made when the node's lc was c0: every entry is covered,
 * as it is the least timestamp there is (compareTs reads num, writer and op;
 * the wire admits no num or op below 0, no writer below 16 zeros). Told
 * apart by identity only, where touch reports it as no floor.
 */
const ZERO_FLOOR: Timestamp = { num: 0, writer: '0000000000000000', op: 0, epoch: 0, tag: Buffer.alloc(0) };
