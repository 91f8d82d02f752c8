// The local launcher's log files (data/logs/NAME.log): each child's output,
// rotated by size so that a long-running cluster does not fill its disk
// (operations review §3: appended forever). At `maxBytes` the file becomes
// NAME.log.1 (the older ones move up to .2, .3; the oldest goes) and a new
// one starts. A process run by a service manager logs to stdout instead, for
// journald or the container runtime to keep.

import { createWriteStream, existsSync, openSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';

export const DEFAULT_LOG_MAX_BYTES = 64 * 1024 * 1024;
/** Rotated files kept beside the current one. */
export const LOG_FILES_KEPT = 3;

export class RotatingLog {
  private out: WriteStream;
  private size: number;

  constructor(private readonly path: string, private readonly maxBytes = DEFAULT_LOG_MAX_BYTES) {
    this.size = existsSync(path) ? statSync(path).size : 0;
    this.out = open(path);
  }

  /** Appends whole lines (the caller passes complete chunks; a line never spans two files unless it is over maxBytes). */
  write(chunk: Buffer | string): void {
    const n = Buffer.byteLength(chunk);
    if (this.size > 0 && this.size + n > this.maxBytes) this.rotate();
    this.out.write(chunk);
    this.size += n;
  }

  end(): void {
    this.out.end();
  }

  private rotate(): void {
    // The old stream keeps its descriptor: what it still flushes lands in the renamed file.
    this.out.end();
    rmSync(`${this.path}.${LOG_FILES_KEPT}`, { force: true });
    for (let i = LOG_FILES_KEPT - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.out = open(this.path);
    this.size = 0;
  }
}

/** Opened at once (not when the stream gets to it), so the file exists for the next rotation's rename. */
function open(path: string): WriteStream {
  return createWriteStream(path, { fd: openSync(path, 'a') });
}
