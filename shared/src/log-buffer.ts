// Log lines gathered in memory and written to a file descriptor together:
// one synchronous write per flush, not one per line. A flush happens
// `flushMs` after the first line waiting, once `maxBytes` are waiting, and
// at once for a line at warn level or worse (with every line before it, in
// order), so what precedes a failure is on its way out before the failure
// goes on. The owner flushes at exit (log.ts). A write that fails for any
// reason but a full pipe drops the lines and every later one: logging never
// keeps a process up or throws into its caller (a gone reader, a closed fd).

import { writeSync } from 'node:fs';

/** pino's level numbers as the start of a line: warn is 40, error 50, fatal 60. */
const URGENT = /^\{"level":(?:[4-9]\d|\d{3,})[,}]/;

/** Pause between tries of a write into a full pipe, and what Atomics.wait sleeps on for it. */
const FULL_PIPE_WAIT_MS = 1;
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** Writes `bytes` from offset `from` at `fd`; how many went (fs.writeSync). */
export type WriteAt = (fd: number, bytes: Buffer, from: number) => number;

export class LineBuffer {
  private lines: string[] = [];
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;
  private broken = false;

  constructor(
    private readonly fd: number,
    private readonly flushMs = 50,
    private readonly maxBytes = 64 * 1024,
    private readonly out: WriteAt = (fd, bytes, from) => writeSync(fd, bytes, from),
  ) {}

  /** pino's destination interface: one serialised line, newline included. */
  write(line: string): void {
    if (this.broken) return;
    this.lines.push(line);
    this.waiting += line.length;
    if (this.waiting >= this.maxBytes || URGENT.test(line)) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes every waiting line now. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.lines.length === 0 || this.broken) return;
    const bytes = Buffer.from(this.lines.join(''), 'utf8');
    this.lines = [];
    this.waiting = 0;
    for (let at = 0; at < bytes.length;) {
      try {
        at += this.out(this.fd, bytes, at);
      } catch (e) {
        // A full pipe (a non-blocking stdout whose reader is slow): wait, as a blocking write would.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(SLEEP, 0, 0, FULL_PIPE_WAIT_MS);
          continue;
        }
        this.broken = true;
        return;
      }
    }
  }
}
