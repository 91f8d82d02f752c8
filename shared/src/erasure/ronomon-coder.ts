// ErasureCoder over @ronomon/reed-solomon (native C, runs in libuv's pool).
// Chosen by measurement (README, "Dependencies"): 10 GB/s encode at 2+2 here,
// ten times the wasm coders, which also corrupt their heap when rebuilding
// with k <= 2 (our t = 1). Its caveats, enforced here: shard sizes must be
// positive multiples of 8, and a zero-length Buffer aborts the process.

import { createRequire } from 'node:module';
import { ErasureError, type ErasureCoder } from './coder.js';
import { XorParity } from './xor-parity.js';

interface RonomonModule {
  /** The coder's context: w, k, m, then the encoding bit matrix (xor-parity.ts reads it). */
  create(k: number, m: number): Buffer;
  encode(
    ctx: Buffer, sources: number, targets: number,
    buffer: Buffer, bufferOffset: number, bufferSize: number,
    parity: Buffer, parityOffset: number, paritySize: number,
    cb: (err: Error | undefined) => void,
  ): void;
}

const rs = createRequire(import.meta.url)('@ronomon/reed-solomon') as RonomonModule;

/**
 * Stripes of at most this many data bytes are encoded on the calling thread
 * (xor-parity.ts), where the pool's round trip would cost more than the
 * coding. Measured here: a trip costs 15-36 µs of CPU (busy or idle loop),
 * and the XOR in JavaScript runs at 2.5 GB/s of stripe at 2+2 (t = 1) and
 * 0.9 at 3+4 (t = 2), so 16 KiB costs it 7 or 19 µs. Above this the pool
 * also keeps the coding off the event loop.
 */
export const INLINE_ENCODE_MAX = 16 * 1024;

export class RonomonCoder implements ErasureCoder {
  private readonly ctx: Buffer;
  private readonly xor: XorParity;

  constructor(readonly k: number, readonly m: number) {
    if (k < 1 || m < 1 || k + m > 31) throw new ErasureError(`unsupported code ${k}+${m}`);
    this.ctx = rs.create(k, m);
    this.xor = new XorParity(this.ctx);
  }

  encode(data: Buffer, parity: Buffer, shard: number): Promise<void> {
    if (shard * this.k <= INLINE_ENCODE_MAX) {
      this.check(data, parity, shard);
      this.xor.encode(data, parity, shard);
      return Promise.resolve();
    }
    let sources = 0;
    for (let i = 0; i < this.k; i++) sources |= 1 << i;
    let targets = 0;
    for (let i = this.k; i < this.k + this.m; i++) targets |= 1 << i;
    return this.run(sources, targets, data, parity, shard);
  }

  reconstruct(data: Buffer, parity: Buffer, shard: number, present: readonly number[], targets: readonly number[]): Promise<void> {
    if (present.length < this.k) throw new ErasureError(`need ${this.k} shards, have ${present.length}`);
    let s = 0;
    for (const i of present) s |= 1 << i;
    let tg = 0;
    for (const i of targets) tg |= 1 << i;
    if (tg === 0) return Promise.resolve();
    return this.run(s, tg, data, parity, shard);
  }

  private check(data: Buffer, parity: Buffer, shard: number): void {
    if (!Number.isInteger(shard) || shard <= 0 || shard % 8 !== 0) throw new ErasureError(`bad shard size ${shard}`);
    if (data.length < shard * this.k || parity.length < shard * this.m) throw new ErasureError('stripe buffers too small');
  }

  private run(sources: number, targets: number, data: Buffer, parity: Buffer, shard: number): Promise<void> {
    this.check(data, parity, shard);
    return new Promise((resolve, reject) => {
      rs.encode(this.ctx, sources, targets, data, 0, shard * this.k, parity, 0, shard * this.m, (err) =>
        err ? reject(new ErasureError(err.message)) : resolve(),
      );
    });
  }
}

export function createCoder(k: number, m: number): ErasureCoder {
  return new RonomonCoder(k, m);
}
