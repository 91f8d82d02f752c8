// Fragment files are written and read with O_DIRECT where the filesystem
// allows it (issue 11), from buffers that are reused. Through the page cache,
// every fragment written takes fresh pages of memory; on this project's
// virtual machines a page the guest has not touched lately (freed pages go
// back to the host within seconds) costs about 9 µs to touch, so a 512 KiB
// fragment cost its node 1.2 ms of CPU to write, and a fragment read back
// after its pages were dropped as much again (measured: write and fsync
// 0.74-1.25 ms of CPU per 512 KiB buffered, 0.14 direct; a read 0.87
// uncached, 0.07 direct). Object stores write their data this way for the
// same reason as well as to keep the cache for metadata (MinIO's O_DIRECT,
// Ceph's BlueStore). Fragment bytes are verified by the gateway on every
// read, so the page cache saved nothing but a disk read.
//
// Direct I/O needs offsets, lengths and memory aligned to the device's
// block. A resizable ArrayBuffer's memory is reserved by V8 in whole pages,
// so it starts on a page boundary; a filesystem that refuses O_DIRECT (or a
// runtime that aligns differently) fails the probe, and the node uses the
// page cache as before.

import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { roundUp } from '@powerstore/shared/erasure/layout.js';
import { FILE_MODE } from '../owner-only.js';

/** Offsets, lengths and buffer addresses of direct I/O are multiples of this. */
export const DIRECT_ALIGN = 4096;

/** Bytes of one direct read or write. */
export const DIRECT_CHUNK = 1024 * 1024;

/** A Buffer of `bytes` whose memory starts on a page boundary. */
export function alignedBuffer(bytes: number): Buffer {
  return Buffer.from(new ResizableArrayBuffer(bytes, { maxByteLength: bytes }));
}

/** ArrayBuffer's ES2024 constructor (resizable), which this project's TypeScript lib predates. */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => ArrayBuffer;

/**
 * Aligned DIRECT_CHUNK buffers for reuse: a buffer's pages are touched once,
 * not once per fragment. Up to `keep` stay between uses.
 */
export class AlignedPool {
  private readonly spare: Buffer[] = [];

  constructor(private readonly keep = 16) {}

  take(): Buffer {
    return this.spare.pop() ?? alignedBuffer(DIRECT_CHUNK);
  }

  give(b: Buffer): void {
    if (this.spare.length < this.keep) this.spare.push(b);
  }
}

/** Whether files in `dir` can be written with O_DIRECT from an aligned buffer (a probe file, removed). */
export function directIoWorks(dir: string): boolean {
  return directWriteWorks(dir, alignedBuffer(DIRECT_ALIGN));
}

/** Whether a direct write of `page` (DIRECT_ALIGN bytes) to a probe file in `dir` succeeds; the file is removed. */
export function directWriteWorks(dir: string, page: Buffer): boolean {
  const path = join(dir, `.direct-io-probe-${process.pid}`);
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DIRECT, FILE_MODE);
    try {
      return writeSync(fd, page, 0, DIRECT_ALIGN, 0) === DIRECT_ALIGN;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  } finally {
    rmSync(path, { force: true });
  }
}

/** A new file (it must not exist) opened for direct writes. */
export function createDirect(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, FILE_MODE);
}

/**
 * Bytes [start, end) of a file, read with O_DIRECT a DIRECT_CHUNK at a time
 * into a pooled buffer. Each Buffer yielded is valid until the next one is
 * asked for (the caller must be done with it by then: written out, not
 * queued). Ends early at the end of the file.
 */
export async function* readDirect(path: string, start: number, end: number, pool: AlignedPool): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const f = await open(path, constants.O_RDONLY | constants.O_DIRECT);
  try {
    yield* readDirectFrom(f, start, end, pool);
  } finally {
    await f.close();
  }
}

/** readDirect from a handle already open with O_DIRECT (a segment's, segment-readers.ts), left open. */
export async function* readDirectFrom(f: FileHandle, start: number, end: number, pool: AlignedPool): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const buf = pool.take();
  try {
    for (let at = start - (start % DIRECT_ALIGN); at < end;) {
      const want = Math.min(DIRECT_CHUNK, roundUp(end - at, DIRECT_ALIGN));
      const { bytesRead } = await f.read(buf, 0, want, at);
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, bytesRead);
      if (to > from) yield buf.subarray(from, to);
      if (bytesRead < want) return;
      at += want;
    }
  } finally {
    pool.give(buf);
  }
}
