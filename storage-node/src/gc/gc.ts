// The node's garbage collector: whenever a register's lc moves up, its
// history below lc is collected (DiskStore.collect), except what a read
// pins or a write in flight holds (write-leases.ts); registers whose entries
// stayed only because pinned or leased are retried on a
// timer until the pins are released or expire. A start-up pass covers what
// a previous run left. Entries of a part register stay while a multipart
// object's entry is made of them; when that entry goes, the part registers
// are looked at again.
//
// After a restart the pins of reads in progress are gone with the old
// process (the pin table lives in memory). A collector that starts over a
// store already holding history therefore collects nothing for one pin
// lease: by then each such read has renewed its pin here, been told it
// lapsed and left this node (DESIGN §6), or ended (protocol review finding 9).

import type { Logger } from '@powerstore/shared/log.js';
import { PIN_LEASE_MS, type PinTable } from '@powerstore/shared/protocol/pins.js';
import type { DiskStore } from '../store/disk-store.js';
import type { WriteLeases } from '../store/write-leases.js';

const RETRY_MS = 5_000;
const EMPTY = Buffer.alloc(0);

export class GarbageCollector {
  private readonly queue = new Map<string, Buffer>();
  private readonly waiting = new Map<string, Buffer>();
  /** Segments to tidy after the current batch. */
  private readonly segments = new Set<string>();
  /** Segments that were taking appends (or held one not yet settled), tidied again on the retry timer. */
  private readonly laterSegments = new Set<string>();
  private running = false;
  private readonly timer: NodeJS.Timeout;
  /** Set while collection waits out the pins a previous run may have held (null: not waiting). */
  private hold: NodeJS.Timeout | null = null;
  dropped = 0;

  constructor(
    private readonly store: DiskStore,
    private readonly pins: PinTable,
    private readonly log: Logger,
    private readonly leases?: WriteLeases,
  ) {
    this.timer = setInterval(() => {
      for (const [id, reg] of this.waiting) this.queue.set(id, reg);
      this.waiting.clear();
      for (const seg of this.laterSegments) this.segments.add(seg);
      this.laterSegments.clear();
      this.kick();
    }, RETRY_MS);
    this.timer.unref();
    if (store.counts().histEntries > 0) {
      this.hold = setTimeout(() => {
        this.hold = null;
        this.kick();
      }, PIN_LEASE_MS);
      this.hold.unref();
    }
  }

  /** A register whose lc just moved up (or that may hold garbage). */
  schedule(reg: Buffer): void {
    this.queue.set(reg.toString('hex'), reg);
    this.kick();
  }

  /** Queues every register that has history, and every segment (after a restart). */
  scheduleAll(): void {
    for (const reg of this.store.registersWithHistory()) this.queue.set(reg.toString('hex'), reg);
    for (const seg of this.store.segments.all().keys()) this.segments.add(seg);
    this.kick();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.hold) clearTimeout(this.hold);
  }

  private kick(): void {
    if (this.hold || this.running || (this.queue.size === 0 && this.segments.size === 0)) return;
    this.running = true;
    setImmediate(() => {
      this.drain().catch((err: unknown) => this.log.error({ err }, 'garbage collection failed')).finally(() => {
        this.running = false;
        this.kick();
      });
    });
  }

  private async drain(): Promise<void> {
    const batch = [...this.queue].slice(0, 256);
    for (const [id] of batch) this.queue.delete(id);
    // All at once: their drops join one group commit (one transaction, one
    // fsync), where one register after another paid a commit and an fsync
    // each, which made every overwrite cost its nodes a second sync.
    await Promise.all(batch.map(async ([id, reg]) => {
      const r = await this.store.collect(reg, (ts) => this.pins.covers(id, { ...ts, epoch: 0, tag: EMPTY }) || this.leases?.covers(id, ts) === true);
      for (const seg of r.segments) this.segments.add(seg);
      this.dropped += r.dropped;
      if (r.pinned > 0) this.waiting.set(id, reg);
      // A multipart object's old version went: its parts (retired by delete
      // markers when the upload completed) may be garbage now.
      for (const p of r.released) this.queue.set(p.toString('hex'), p);
    }));
    // Segments that lost fragments: removed when empty, compacted when mostly dead (DiskStore.tidySegment).
    const segments = [...this.segments];
    this.segments.clear();
    for (const seg of segments) if (!(await this.store.tidySegment(seg))) this.laterSegments.add(seg);
  }
}
