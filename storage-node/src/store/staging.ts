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

import { open, rm, type FileHandle } from 'node:fs/promises';
import { NodeRequestError } from '../node-context.js';
import { FILE_MODE } from '../owner-only.js';

/** Bytes held in memory before one write to the staging file. */
export const WRITE_BATCH = 1024 * 1024;
/** Bytes between background flushes of a staging file, so the fsync before the ack has little left to do. */
const FLUSH_EVERY = 8 * 1024 * 1024;

export interface StagingLimits {
  /** A fragment of at most this many bytes stays in memory (inline). */
  readonly inlineMax: number;
  /** Larger fragments are refused. */
  readonly maxFragmentBytes: number;
  /** A fresh staging file path. */
  newPath(): string;
}

export class Staging {
  /** Bytes received and not yet written to the file. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private file: FileHandle | null = null;
  private flushedAt = 0;
  private readonly flushes: Promise<unknown>[] = [];
  private sealed = false;
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
  private async spill(): Promise<void> {
    if (!this.file) {
      this.path = this.limits.newPath();
      this.file = await open(this.path, 'wx', FILE_MODE);
    }
    const batch = this.held;
    const bytes = this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
    // libuv writes every buffer or stops at an error; a short count is one (a full disk).
    const { bytesWritten } = await this.file.writev(batch);
    if (bytesWritten !== bytes) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${bytes} bytes`);
    if (this.bytes - this.flushedAt >= FLUSH_EVERY) {
      this.flushedAt = this.bytes;
      this.flushes.push(this.file.datasync().catch(() => undefined));
    }
  }

  /** For a fragment that is not inline: writes the rest, fsyncs and closes the staging file. */
  async seal(): Promise<void> {
    if (this.sealed || this.isInline) return;
    this.sealed = true;
    // (A fragment of whole batches has nothing left to write: no empty write.)
    if (this.heldBytes > 0 || !this.file) await this.spill();
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
