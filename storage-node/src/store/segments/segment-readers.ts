// Read handles of segment files, kept open between reads. A blocks request
// for a fragment in a segment opened the segment, read it and closed it:
// three trips through libuv's thread pool, each a wakeup of a pool thread
// and of the event loop. Kept open, a read is one trip. Measured on 1 MiB
// GETs (a load of 1,500 GETs, 8 in flight, three alternating pairs): 0.97-1.11
// ms of CPU a GET at each data node against 1.12-1.17, about 4% of the nodes'
// CPU (issue 11; below the bench's noise, docs/performance.md).
//
// A handle is leased for the length of one read (several positional reads
// of it may run at once). A segment removed while a read holds its handle
// is dropped from the cache, and closed when its last lease ends: the read
// finishes on the file it began with, whose bytes no removal changes. At
// most `max` idle handles stay open; the least recently used goes first.

import { constants, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Idle segment handles kept open. */
export const MAX_OPEN_READERS = 128;

interface Entry {
  readonly handle: Promise<FileHandle>;
  users: number;
  /** Out of the cache (removed, evicted, or the store closing): closed when no lease holds it. */
  dropped: boolean;
}

export interface ReadLease {
  readonly fh: FileHandle;
  /** Ends the lease (once; later calls do nothing). */
  release(): void;
}

export class SegmentReaders {
  /** In least recently used order: a use moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly dataDir: string,
    /** Opened with O_DIRECT (reads must be aligned, into aligned memory). */
    private readonly direct: boolean,
    private readonly max = MAX_OPEN_READERS,
  ) {}

  /** A read handle of segment `seg` (a segmentName), opened or reused; reject if it cannot be opened. */
  async acquire(seg: string): Promise<ReadLease> {
    let entry = this.entries.get(seg);
    if (entry) {
      this.entries.delete(seg);
      this.entries.set(seg, entry);
      entry.users++;
    } else {
      const handle = open(join(this.dataDir, seg), constants.O_RDONLY | (this.direct ? constants.O_DIRECT : 0));
      // Leased before anything is evicted: a new entry is never the one to go.
      entry = { handle, users: 1, dropped: false };
      this.entries.set(seg, entry);
      this.evict();
    }
    let fh: FileHandle;
    try {
      fh = await entry.handle;
    } catch (err) {
      // Not cached: the next read tries again.
      entry.users--;
      if (this.entries.get(seg) === entry) this.entries.delete(seg);
      throw err;
    }
    let released = false;
    return {
      fh,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        if (entry.dropped && entry.users === 0) closeQuietly(entry);
        else this.evict();
      },
    };
  }

  /** Segment `seg` is being removed: its handle leaves the cache, closed once no read holds it. */
  drop(seg: string): void {
    const e = this.entries.get(seg);
    if (!e) return;
    this.entries.delete(seg);
    this.retire(e);
  }

  /** Every handle closes (the ones leased, when their reads end). */
  close(): void {
    for (const e of this.entries.values()) this.retire(e);
    this.entries.clear();
  }

  /** Open handles in the cache (leased or idle). */
  get size(): number {
    return this.entries.size;
  }

  private retire(e: Entry): void {
    e.dropped = true;
    if (e.users === 0) closeQuietly(e);
  }

  /** Closes the least recently used idle handles beyond `max`. */
  private evict(): void {
    if (this.entries.size <= this.max) return;
    for (const [seg, e] of this.entries) {
      if (this.entries.size <= this.max) return;
      if (e.users > 0) continue;
      this.entries.delete(seg);
      this.retire(e);
    }
  }
}

function closeQuietly(e: Entry): void {
  // A handle that never opened has nothing to close.
  e.handle.then((fh) => fh.close()).catch(() => undefined);
}
