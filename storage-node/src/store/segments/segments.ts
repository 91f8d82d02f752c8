// Segment files: mid-size fragments (above the inline limit, up to one
// staging batch) are appended to a shared file instead of getting a file
// each (issue 11). A file per fragment cost its node a new inode (ext4's
// search for a free one), a rename, a directory fsync and eight trips
// through libuv's thread pool; 1 MiB PUTs cost the nodes 12.1 ms of CPU a
// MB that way and 9.4 this way (`npm run bench`, medians of seven
// alternating pairs). An append is
// one write at a reserved offset and a datasync shared with the appends that
// finished before it started.
//
// A fragment's location is `segs/<id>@<offset>`, stored where a fragment
// file's name is (hist.frag_file): rows that share a fragment (a write
// stored again under a new ts) share the location, as they shared a file,
// and the rows naming a segment are one range of the hist_by_file index.
// Offsets and lengths are multiples of DIRECT_ALIGN, so a segment is written
// and read with O_DIRECT where the filesystem allows it, from the staging
// batch itself. Nothing in a segment is visible until a committed row names
// it, and a row is committed only after its bytes are synced; a crash leaves
// at most bytes no row names (dead space, like a dropped fragment's), which
// compaction (disk-store.ts) gives back.

import { readdirSync, rmSync, statSync } from 'node:fs';
import { constants, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_MODE } from '../../owner-only.js';
import { DIRECT_ALIGN } from '../direct-io.js';
import { SegmentReaders } from './segment-readers.js';

/** The folder of segment files, in the data folder. */
export const SEGS = 'segs';
/** A segment takes appends until it holds this many bytes. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;
export interface SegmentOptions {
  /** SEGMENT_BYTES unless given. */
  readonly segmentBytes?: number;
}

const ID_DIGITS = 8;
const NAME = /^[0-9a-f]{8}$/;
const LOCATION = /^segs\/([0-9a-f]{8})@(\d{1,15})$/;

/** Where a fragment is: a file of its own (offset 0) or a range of a segment. */
export interface FragmentAt {
  readonly path: string;
  readonly offset: number;
  /** The segment (a segmentName) when the fragment is in one; null for a file of its own. */
  readonly seg: string | null;
}

/** `segs/<id>`, a segment's name relative to the data folder. */
export function segmentName(id: number): string {
  return `${SEGS}/${id.toString(16).padStart(ID_DIGITS, '0')}`;
}

/** The location of a fragment at `offset` in segment `seg` (a segmentName). */
export function segmentLocation(seg: string, offset: number): string {
  return `${seg}@${offset}`;
}

/** A segment location's segment and offset; null for a fragment file's name. */
export function parseLocation(file: string): { seg: string; offset: number } | null {
  const m = LOCATION.exec(file);
  return m ? { seg: `${SEGS}/${m[1]!}`, offset: Number(m[2]) } : null;
}

/** The bounds [lo, hi) of the locations in segment `seg`, as strings (one index range). */
export function locationRange(seg: string): [string, string] {
  // '@' is followed by digits only, all below 'A'.
  return [`${seg}@`, `${seg}A`];
}

/** One segment open for appends. */
class Writer {
  size = 0;
  /** Appends reserved and not yet returned. */
  inflight = 0;
  /** No more appends (the next segment took over); closed when the last one returns. */
  retired = false;
  failed: unknown = null;
  private syncing: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;

  constructor(readonly name: string, readonly fh: FileHandle) {}

  /**
   * Resolves once every write that returned before the call is on disk. A
   * datasync already running may have started before the caller's write
   * returned, so the caller waits for the one after it, which every caller
   * arriving meanwhile shares.
   */
  sync(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (!this.syncing) {
      this.syncing = this.fh.datasync().then(
        () => { this.syncing = null; },
        (e: unknown) => {
          this.syncing = null;
          // The kernel may have dropped the dirty pages it could not write: this segment takes nothing more.
          this.failed = e;
          throw e;
        },
      );
      return this.syncing;
    }
    this.nextSync ??= this.syncing.catch(() => undefined).then(() => {
      this.nextSync = null;
      return this.sync();
    });
    return this.nextSync;
  }
}

export class Segments {
  private active: Writer | null = null;
  private rolling: Promise<void> | null = null;
  /** The segment being opened by roll(), until it is the active one. */
  private rollingName: string | null = null;
  private nextId: number;
  /** Bytes of every segment on disk (appended or reserved so far, for the active ones). */
  private readonly sizes = new Map<string, number>();
  /** Segments whose file is open for appends (the active one, and retired ones with appends in flight). */
  private readonly open = new Set<string>();
  /**
   * Appends per segment whose fragment may still get a row: from the
   * reservation until the caller says it is settled (recorded, or given
   * up). Until then the rows do not tell what is live in the segment.
   */
  private readonly unsettled = new Map<string, number>();
  private readonly segmentBytes: number;
  /** Read handles kept open between reads (segment-readers.ts). */
  readonly readers: SegmentReaders;

  /**
   * `dataDir` holds segs/ (made by the store, owner-only and durable);
   * `direct`: segments are written with O_DIRECT.
   */
  constructor(
    private readonly dataDir: string,
    private readonly direct: boolean,
    private readonly syncDir: (dir: string) => Promise<void>,
    opts: SegmentOptions = {},
  ) {
    this.segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES;
    this.readers = new SegmentReaders(dataDir, direct);
    let max = 0;
    for (const f of readdirSync(join(dataDir, SEGS))) {
      if (!NAME.test(f)) continue;
      const id = parseInt(f, 16);
      max = Math.max(max, id);
      this.sizes.set(segmentName(id), statSync(join(dataDir, SEGS, f)).size);
    }
    // A new start never appends to an old segment: its tail past the last synced append is unknown.
    this.nextId = max + 1;
  }

  /** Every segment on disk, with its size in bytes. */
  all(): ReadonlyMap<string, number> {
    return this.sizes;
  }

  /**
   * Whether `seg` takes appends, or holds one not yet settled (its row may
   * still come, and the rows do not show it yet). Such a segment is never
   * compacted nor removed.
   */
  isActive(seg: string): boolean {
    // (The active segment is in `open` from the moment roll() makes it so.)
    return this.rollingName === seg || this.open.has(seg) || this.unsettled.has(seg);
  }

  /**
   * Appends `bytes` (a multiple of DIRECT_ALIGN long, aligned memory when
   * direct) and resolves with its location once it is on disk. The caller
   * settles the location once its row is committed or will never be
   * (settle()); until then its segment stays as it is.
   */
  async append(bytes: Buffer): Promise<string> {
    if (bytes.length % DIRECT_ALIGN !== 0) throw new Error(`segment append of ${bytes.length} bytes: not aligned`);
    let w = this.reserve(bytes.length);
    while (!w) {
      await this.roll();
      w = this.reserve(bytes.length);
    }
    const { writer, offset } = w;
    const location = segmentLocation(writer.name, offset);
    try {
      const { bytesWritten } = await writer.fh.write(bytes, 0, bytes.length, offset);
      // libuv writes every byte or stops at an error; a short count is one (a full disk).
      if (bytesWritten !== bytes.length) throw new Error(`short write to ${writer.name}: ${bytesWritten} of ${bytes.length} bytes`);
      await writer.sync();
    } catch (e) {
      this.settle(location);
      throw e;
    } finally {
      writer.inflight--;
      this.closeIfDone(writer);
    }
    return location;
  }

  /** An appended fragment's row is committed, or will never be: its segment may be tidied again. */
  settle(location: string): void {
    const seg = parseLocation(location)?.seg;
    const n = seg ? this.unsettled.get(seg) : undefined;
    if (!seg || !n) return;
    if (n > 1) this.unsettled.set(seg, n - 1);
    else this.unsettled.delete(seg);
  }

  /** A range of the active segment, or null when a new segment must come first. */
  private reserve(len: number): { writer: Writer; offset: number } | null {
    const w = this.active;
    if (!w || w.failed !== null || (w.size > 0 && w.size + len > this.segmentBytes)) return null;
    const offset = w.size;
    w.size += len;
    w.inflight++;
    this.unsettled.set(w.name, (this.unsettled.get(w.name) ?? 0) + 1);
    this.sizes.set(w.name, w.size);
    return { writer: w, offset };
  }

  /** Opens the next segment (made durable in segs/ before any append to it) and retires the active one. */
  private roll(): Promise<void> {
    this.rolling ??= (async () => {
      const name = segmentName(this.nextId++);
      this.rollingName = name;
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (this.direct ? constants.O_DIRECT : 0);
      const fh = await open(join(this.dataDir, name), flags, FILE_MODE);
      try {
        await this.syncDir(join(this.dataDir, SEGS));
      } catch (e) {
        await fh.close();
        throw e;
      }
      const old = this.active;
      this.active = new Writer(name, fh);
      this.open.add(name);
      this.sizes.set(name, 0);
      if (old) {
        old.retired = true;
        this.closeIfDone(old);
      }
    })().finally(() => {
      this.rolling = null;
      this.rollingName = null;
    });
    return this.rolling;
  }

  private closeIfDone(w: Writer): void {
    if ((w.retired || w.failed !== null) && w.inflight === 0 && this.open.delete(w.name)) {
      if (w === this.active) this.active = null;
      void w.fh.close().catch(() => undefined);
    }
  }

  /** Removes segment `seg` (no row names it: the caller checked); never the active one. */
  async remove(seg: string): Promise<void> {
    if (this.isActive(seg)) return;
    this.sizes.delete(seg);
    this.readers.drop(seg);
    await rm(join(this.dataDir, seg), { force: true });
  }

  /** remove(), at open (the start-up sweep runs before anything appends). */
  removeSync(seg: string): void {
    if (this.isActive(seg)) return;
    this.sizes.delete(seg);
    this.readers.drop(seg);
    rmSync(join(this.dataDir, seg), { force: true });
  }

  /** Closes the active segment (appends in flight finish first) and the read handles (reads in flight finish first). */
  close(): void {
    this.readers.close();
    const w = this.active;
    if (!w) return;
    w.retired = true;
    this.closeIfDone(w);
  }
}
