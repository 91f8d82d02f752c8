// Reads exact byte counts from a stream of arbitrary chunks, with an idle
// timeout per chunk, so a stalled node cannot hold a read forever, and an
// optional deadline for the whole count, so a node that trickles (a byte
// just inside the idle timeout, again and again) cannot either.

import { TimeoutError } from './quorum.js';

export class ExactReader {
  private readonly it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer>, private readonly idleMs: number) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or throws (premature end, idle timeout, deadline, stream error). */
  async read(n: number, withinMs = Infinity): Promise<Buffer> {
    const parts = await this.readParts(n, withinMs);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** Exactly n bytes as the pieces they arrived in (no copy), all within `withinMs`, or throws. */
  async readParts(n: number, withinMs = Infinity): Promise<Buffer[]> {
    const parts: Buffer[] = [];
    const until = Date.now() + withinMs;
    let have = 0;
    while (have < n) {
      if (this.buf.length === 0) {
        if (this.ended) throw new Error(`stream ended ${n - have} bytes early`);
        const next = await this.nextChunk(until, n);
        if (next === null) {
          this.ended = true;
          continue;
        }
        this.buf = next;
      }
      const take = Math.min(n - have, this.buf.length);
      parts.push(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      have += take;
    }
    return parts;
  }

  close(): void {
    void this.it.return?.().catch(() => undefined);
  }

  private async nextChunk(until: number, n: number): Promise<Buffer | null> {
    let timer: NodeJS.Timeout | undefined;
    const left = until - Date.now();
    const timeout = new Promise<never>((_, reject) => {
      timer = left < this.idleMs
        ? setTimeout(() => reject(new TimeoutError(`${n} bytes did not arrive in time`)), Math.max(left, 0))
        : setTimeout(() => reject(new TimeoutError(`no data for ${this.idleMs} ms`)), this.idleMs);
    });
    try {
      const r = await Promise.race([this.it.next(), timeout]);
      return r.done ? null : r.value;
    } finally {
      clearTimeout(timer);
    }
  }
}
