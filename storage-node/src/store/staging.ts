// Where an incoming fragment waits until its store message checks out
// (store-handler.ts): in memory while it is small enough to go inline into
// the database, otherwise in a staging file that is fsync'd before it is
// renamed into place.
//
// The file is written in batches of up to WRITE_BATCH bytes, not a write per
// network chunk: each write is a trip through libuv's thread pool (a queued
// request, a futex wake-up, a completion signal), and a 512 KiB fragment
// arrives in about twenty chunks. Holding a batch costs at most WRITE_BATCH of
// memory per store in flight.
//
// Where the node's filesystem allows it, the file is written with O_DIRECT
// (direct-io.ts): each batch is copied into a pooled aligned buffer and
// written from there, the last one padded to the alignment and the file
// then cut to its length.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { NodeRequestError } from '../node-context.js';
import { FILE_MODE } from '../owner-only.js';
import { roundUp } from '@powerstore/shared/erasure/layout.js';
import { createDirect, DIRECT_ALIGN, DIRECT_CHUNK, type AlignedPool } from './direct-io.js';

/** Bytes held in memory before one write to the staging file. */
export const WRITE_BATCH = DIRECT_CHUNK;
/** Bytes between background flushes of a staging file, so the fsync before the ack has little left to do. */
const FLUSH_EVERY = 8 * 1024 * 1024;

export interface StagingLimits {
  /** A fragment of at most this many bytes stays in memory (inline). */
  readonly inlineMax: number;
  /** Larger fragments are refused. */
  readonly maxFragmentBytes: number;
  /** A fresh staging file path. */
  newPath(): string;
  /** Aligned buffers for writing with O_DIRECT; absent: through the page cache. */
  readonly direct?: AlignedPool | undefined;
}

export class Staging {
  /** Bytes received and not yet written to the file. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private file: FileHandle | null = null;
  private flushedAt = 0;
  private readonly flushes: Promise<unknown>[] = [];
  private sealed = false;
  /** Bytes written to the file so far (direct writes: a multiple of WRITE_BATCH until the last). */
  private written = 0;
  /** The staging file, once there is one (a fragment larger than inlineMax has one after seal()). */
  path: string | null = null;
  /** Bytes received so far. */
  bytes = 0;

  constructor(private readonly limits: StagingLimits) {}

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxFragmentBytes) throw new NodeRequestError(413, 'fragment-too-large');
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes >= WRITE_BATCH) await this.spill();
  }

  /** The whole fragment, when it is small enough to go inline; null otherwise. */
  get inline(): Buffer | null {
    return this.isInline ? Buffer.concat(this.held, this.heldBytes) : null;
  }

  private get isInline(): boolean {
    return !this.file && this.bytes <= this.limits.inlineMax;
  }

  /** Writes what is held to the staging file, creating it first if need be. */
  private async spill(last = false): Promise<void> {
    if (!this.file) {
      this.path = this.limits.newPath();
      this.file = this.limits.direct ? await createDirect(this.path) : await open(this.path, 'wx', FILE_MODE);
    }
    if (this.limits.direct) {
      await this.spillDirect(this.limits.direct, last);
    } else {
      const batch = this.held;
      const bytes = this.heldBytes;
      this.held = [];
      this.heldBytes = 0;
      // libuv writes every buffer or stops at an error; a short count is one (a full disk).
      const { bytesWritten } = await this.file.writev(batch);
      if (bytesWritten !== bytes) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${bytes} bytes`);
    }
    // Direct writes leave no dirty pages, but the file's new extents are still to be made durable.
    if (this.bytes - this.flushedAt >= FLUSH_EVERY) {
      this.flushedAt = this.bytes;
      this.flushes.push(this.file.datasync().catch(() => undefined));
    }
  }

  /**
   * Direct writes: whole batches only, each from a pooled aligned buffer;
   * `last` writes the rest too, padded to the alignment, and cuts the file
   * to the bytes received.
   */
  private async spillDirect(pool: AlignedPool, last: boolean): Promise<void> {
    const f = this.file!;
    const buf = pool.take();
    try {
      while (this.heldBytes >= WRITE_BATCH || (last && this.heldBytes > 0)) {
        const n = Math.min(this.heldBytes, WRITE_BATCH);
        this.take(buf, n);
        const len = roundUp(n, DIRECT_ALIGN);
        buf.fill(0, n, len);
        const { bytesWritten } = await f.write(buf, 0, len, this.written);
        if (bytesWritten !== len) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${len} bytes`);
        this.written += n;
        if (len !== n) await f.truncate(this.written);
      }
    } finally {
      pool.give(buf);
    }
  }

  /** Moves the first `n` held bytes into `buf`. */
  private take(buf: Buffer, n: number): void {
    let off = 0;
    while (off < n) {
      const c = this.held[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(buf, off, 0, k);
      off += k;
      if (k === c.length) this.held.shift();
      else this.held[0] = c.subarray(k);
    }
    this.heldBytes -= n;
  }

  /** For a fragment that is not inline: writes the rest, fsyncs and closes the staging file. */
  async seal(): Promise<void> {
    if (this.sealed || this.isInline) return;
    this.sealed = true;
    // (A fragment of whole batches has nothing left to write: no empty write.)
    if (this.heldBytes > 0 || !this.file) await this.spill(true);
    const f = this.file!;
    await Promise.all(this.flushes);
    await f.sync();
    await f.close();
    this.file = null;
  }

  /** Closes and removes the staging file, if any. */
  async discard(): Promise<void> {
    await Promise.all(this.flushes);
    await this.file?.close().catch(() => undefined);
    this.file = null;
    if (this.path) await rm(this.path, { force: true });
    this.path = null;
  }
}
