// Where an incoming fragment waits until its store message checks out
// (store-handler.ts): in memory while it is small enough to go inline into
// the database, otherwise in a staging file that is fsync'd before it is
// renamed into place.
//
// The file is written in batches of up to WRITE_BATCH bytes, not a write per
// network chunk: each write is a trip through libuv's thread pool (a queued
// request, a futex wake-up, a completion signal), and a 512 KiB fragment
// arrives in about twenty chunks. A batch is a pooled buffer (direct-io.ts)
// that each chunk is copied into as it arrives, so a store in flight holds
// one buffer of WRITE_BATCH bytes and none of the network's chunks.
//
// Why copy at once rather than hold the chunks until a batch is full: a
// socket's chunk is memory V8 frees only when a collection finds it dead,
// and a held one outlives scavenges. The copy was made anyway (into the
// aligned buffer of a direct write), so it now happens while the chunk is
// fresh and the chunk is dropped at once. Measured over ten 64 MiB PUTs (a
// /tmp load script, three alternating pairs): the nodes' page faults fell
// from 5,100-5,300 a PUT to 1,700-3,400; their CPU stayed within the noise.
// (The nodes' mark-compacts during large PUTs, about 21 a node over those
// ten PUTs, did not change: they are not started by these chunks.)
//
// Where the node's filesystem allows it, the file is written with O_DIRECT
// (direct-io.ts): the last batch is padded to the alignment and the file
// then cut to its length.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { NodeRequestError } from '../node-context.js';
import { FILE_MODE } from '../owner-only.js';
import { roundUp } from '@powerstore/shared/erasure/layout.js';
import { AlignedPool, createDirect, DIRECT_ALIGN, DIRECT_CHUNK } from './direct-io.js';

/** Bytes gathered in memory before one write to the staging file. */
export const WRITE_BATCH = DIRECT_CHUNK;
/** Batch buffers of the nodes whose filesystem takes no direct writes (they write through the page cache). */
const CACHED_BATCHES = new AlignedPool();
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
  /**
   * A fragment above inlineMax and at most this long (and within one batch)
   * is appended to a segment (segments.ts) by `append` instead of getting a
   * staging file; absent or 0: every one gets a file.
   */
  readonly segmentMax?: number;
  /** Appends aligned bytes to a segment; their location once durable (Segments.append). */
  readonly append?: (bytes: Buffer) => Promise<string>;
  /** Told, at discard(), that an appended fragment's row is committed or will never be (Segments.settle). */
  readonly settle?: (location: string) => void;
}

export class Staging {
  /** A fragment that may still go inline: its chunks, at most inlineMax bytes in all. */
  private held: Buffer[] = [];
  /** Once it cannot: the batch being filled (a pooled buffer) and its bytes so far. */
  private batch: Buffer | null = null;
  private filled = 0;
  private file: FileHandle | null = null;
  private flushedAt = 0;
  private readonly flushes: Promise<unknown>[] = [];
  private sealed = false;
  /** Bytes written to the file so far (a multiple of WRITE_BATCH until the last batch). */
  private written = 0;
  /** The staging file, once there is one (a fragment larger than inlineMax and not in a segment has one after seal()). */
  path: string | null = null;
  /** Where seal() appended the fragment, when it went to a segment (a hist.frag_file). */
  location: string | null = null;
  private settled = false;
  /** Bytes received so far. */
  bytes = 0;

  constructor(private readonly limits: StagingLimits) {}

  private get pool(): AlignedPool {
    return this.limits.direct ?? CACHED_BATCHES;
  }

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxFragmentBytes) throw new NodeRequestError(413, 'fragment-too-large');
    if (!this.batch) {
      if (this.bytes <= this.limits.inlineMax) {
        this.held.push(chunk);
        return;
      }
      this.batch = this.pool.take();
      const held = this.held;
      this.held = [];
      for (const c of held) await this.copyIn(c);
    }
    await this.copyIn(chunk);
  }

  /** The whole fragment, when it is small enough to go inline; null otherwise. */
  get inline(): Buffer | null {
    return this.isInline ? Buffer.concat(this.held, this.bytes) : null;
  }

  private get isInline(): boolean {
    return !this.batch && this.bytes <= this.limits.inlineMax;
  }

  /** Copies `chunk` into the batch, writing each batch that fills. */
  private async copyIn(chunk: Buffer): Promise<void> {
    const batch = this.batch!;
    for (let off = 0; off < chunk.length;) {
      const n = Math.min(chunk.length - off, WRITE_BATCH - this.filled);
      chunk.copy(batch, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === WRITE_BATCH) await this.spill();
    }
  }

  /**
   * Writes the batch to the staging file, creating it first if need be. A
   * direct write of the last batch is padded to the alignment and the file
   * cut back to the bytes received.
   */
  private async spill(): Promise<void> {
    if (!this.file) {
      this.path = this.limits.newPath();
      this.file = this.limits.direct ? await createDirect(this.path) : await open(this.path, 'wx', FILE_MODE);
    }
    const n = this.filled;
    const len = this.limits.direct ? roundUp(n, DIRECT_ALIGN) : n;
    this.batch!.fill(0, n, len);
    const { bytesWritten } = await this.file.write(this.batch!, 0, len, this.written);
    // libuv writes every byte or stops at an error; a short count is one (a full disk).
    if (bytesWritten !== len) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${len} bytes`);
    this.written += n;
    this.filled = 0;
    if (len !== n) await this.file.truncate(this.written);
    // Direct writes leave no dirty pages, but the file's new extents are still to be made durable.
    if (this.bytes - this.flushedAt >= FLUSH_EVERY) {
      this.flushedAt = this.bytes;
      this.flushes.push(this.file.datasync().catch(() => undefined));
    }
  }

  /**
   * For a fragment that is not inline: appends it to a segment (when it is
   * all in the batch and small enough), or writes the rest, fsyncs and
   * closes the staging file.
   */
  async seal(): Promise<void> {
    if (this.sealed || this.isInline) return;
    this.sealed = true;
    const { append, segmentMax = 0 } = this.limits;
    if (append && !this.file && this.filled <= segmentMax) {
      // Padded to the alignment: segments are written like direct files, whatever the filesystem.
      const len = roundUp(this.filled, DIRECT_ALIGN);
      this.batch!.fill(0, this.filled, len);
      this.location = await append(this.batch!.subarray(0, len));
      this.giveBack();
      return;
    }
    // (A fragment of whole batches has nothing left to write: no empty write.)
    if (this.filled > 0 || !this.file) await this.spill();
    const f = this.file!;
    await Promise.all(this.flushes);
    await f.sync();
    await f.close();
    this.file = null;
    this.giveBack();
  }

  /**
   * Closes and removes the staging file, if any; settles a segment append
   * (called once the store has recorded its row, or given up).
   */
  async discard(): Promise<void> {
    if (this.location && !this.settled) this.limits.settle?.(this.location);
    this.settled = true;
    await Promise.all(this.flushes);
    await this.file?.close().catch(() => undefined);
    this.file = null;
    if (this.path) await rm(this.path, { force: true });
    this.path = null;
    this.giveBack();
  }

  /** The batch goes back to its pool: every write from it has returned (writes are awaited one at a time). */
  private giveBack(): void {
    if (this.batch) this.pool.give(this.batch);
    this.batch = null;
  }
}
