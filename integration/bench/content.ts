// Object contents: distinct pseudo-random bytes for every (size, index),
// reproducible on demand, so a GET body is compared byte for byte with what
// the PUT sent without keeping any of it. The bytes are an AES-128-CTR
// keystream keyed by the object's identity: AES-NI makes that several GB/s,
// far cheaper than the hashing the cluster does, so the client's share of
// the two cores stays small.

import { createCipheriv, createHash, type Cipheriv } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 1 << 20;
// Encrypting zeros yields the bare keystream.
const ZEROS = Buffer.alloc(CHUNK);

function keystream(size: number, index: number): Cipheriv {
  const key = createHash('sha256').update(`powerstore-bench/${size}/${index}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** The next n bytes of the keystream. */
function take(c: Cipheriv, n: number): Buffer {
  if (n <= CHUNK) return c.update(ZEROS.subarray(0, n));
  const parts: Buffer[] = [];
  for (let left = n; left > 0; left -= CHUNK) parts.push(c.update(ZEROS.subarray(0, Math.min(CHUNK, left))));
  return Buffer.concat(parts, n);
}

/** The whole body in memory: for small objects, which the SDK sends as a plain signed body. */
export function objectBody(size: number, index: number): Buffer {
  return take(keystream(size, index), size);
}

/** The body as a stream of 1 MiB chunks: for large objects, never held whole. */
export function objectStream(size: number, index: number): Readable {
  const c = keystream(size, index);
  let left = size;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(take(c, n));
    },
  });
}

export class ContentMismatch extends Error {}

/** Checks a body arriving in chunks of any size against the expected bytes. */
export class ContentCheck {
  private readonly expected: Cipheriv;
  private seen = 0;

  constructor(private readonly size: number, private readonly index: number) {
    this.expected = keystream(size, index);
  }

  update(chunk: Buffer): void {
    if (this.seen + chunk.length > this.size) {
      throw new ContentMismatch(`object ${this.index}: more than the ${this.size} bytes written`);
    }
    const want = take(this.expected, chunk.length);
    if (!want.equals(chunk)) {
      let i = 0;
      while (want[i] === chunk[i]) i++;
      throw new ContentMismatch(`object ${this.index}: byte ${this.seen + i} differs from what was written`);
    }
    this.seen += chunk.length;
  }

  end(): void {
    if (this.seen !== this.size) {
      throw new ContentMismatch(`object ${this.index}: got ${this.seen} bytes, wrote ${this.size}`);
    }
  }
}
