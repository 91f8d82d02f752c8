// Reads exact byte counts from a stream of arbitrary chunks, with an idle
// timeout per read, so a stalled node cannot hold a read forever.

import { TimeoutError } from './quorum.js';

export class ExactReader {
  private readonly it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer>, private readonly idleMs: number) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or throws (premature end, idle timeout, stream error). */
  async read(n: number): Promise<Buffer> {
    const parts = await this.readParts(n);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** Exactly n bytes as the pieces they arrived in (no copy), or throws. */
  async readParts(n: number): Promise<Buffer[]> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.buf.length === 0) {
        if (this.ended) throw new Error(`stream ended ${n - have} bytes early`);
        const next = await this.nextChunk();
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

  private async nextChunk(): Promise<Buffer | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`no data for ${this.idleMs} ms`)), this.idleMs);
    });
    try {
      const r = await Promise.race([this.it.next(), timeout]);
      return r.done ? null : r.value;
    } finally {
      clearTimeout(timer);
    }
  }
}
