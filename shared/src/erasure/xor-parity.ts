// Parity of a small stripe, computed on the calling thread from the coder's
// own bit matrix (ronomon-coder.ts).
//
// Why: @ronomon/reed-solomon runs every encode in libuv's pool. For a 4 KiB
// object that trip (queue the work, wake a pool thread, signal the loop back)
// costs far more than the coding: 36 µs of CPU an encode of a 2 KiB-shard
// stripe here, 29 of them in the kernel, against about 2 µs of XOR.
//
// How the native coder encodes (binding.c, `dot`): it is a Cauchy bit-matrix
// code over GF(2^w). Each shard is cut into runs of w chunks; chunk `a` of
// parity shard i in a run is the XOR of the chunks (data shard b, chunk c)
// of the same run whose bit is set at row[a·k·w + b·w + c] of parity i's
// rows. The bit matrix comes from the coder's context (`rs.create`: w, k,
// m, then k·w·m·w bytes of bits), so this path cannot drift from the native
// one; `xor-parity.test.ts` checks them equal for every code we use.

/** The context `rs.create(k, m)` returns: 3 header bytes, then the encoding bit matrix. */
const HEADER = 3;

/** The native coder's chunk length for shards of `shard` bytes (binding.c dot_chunk_size). */
export function chunkBytes(w: number, k: number, shard: number): number {
  let chunk = shard / w;
  while (chunk > 64 && chunk % 2 === 0 && (1 + k * w) * chunk > 1048576) chunk /= 2;
  return chunk;
}

export class XorParity {
  private readonly w: number;
  private readonly k: number;
  private readonly m: number;
  private readonly bits: Uint8Array;

  /** `context`: the coder's, as `rs.create(k, m)` made it. */
  constructor(context: Uint8Array) {
    this.w = context[0]!;
    this.k = context[1]!;
    this.m = context[2]!;
    this.bits = context.subarray(HEADER, HEADER + this.k * this.w * this.m * this.w);
    if (this.bits.length !== this.k * this.w * this.m * this.w) throw new Error('erasure context too short');
  }

  /** Writes the m parity shards of the k data shards (each `shard` bytes, a multiple of 8). */
  encode(data: Buffer, parity: Buffer, shard: number): void {
    const chunk = chunkBytes(this.w, this.k, shard);
    // Whole 32-bit words where the buffers and chunks allow, bytes otherwise
    // (w = 4 cuts an 8-byte shard into 2-byte chunks).
    if (chunk % 4 === 0 && data.byteOffset % 4 === 0 && parity.byteOffset % 4 === 0) {
      this.run(new Int32Array(data.buffer, data.byteOffset, (shard * this.k) >> 2),
        new Int32Array(parity.buffer, parity.byteOffset, (shard * this.m) >> 2), shard >> 2, chunk >> 2);
    } else {
      this.run(data.subarray(0, shard * this.k), parity.subarray(0, shard * this.m), shard, chunk);
    }
  }

  /** encode() in units of one element of `src` and `dst` (shard and chunk lengths in those units). */
  private run<T extends Int32Array | Uint8Array>(src: T, dst: T, shard: number, chunk: number): void {
    const { w, k, m, bits } = this;
    const kw = k * w;
    for (let i = 0; i < m; i++) {
      const row = i * kw * w;
      for (let run = 0; run < shard; run += w * chunk) {
        for (let a = 0; a < w; a++) {
          const to = i * shard + run + a * chunk;
          let copied = false;
          for (let b = 0; b < k; b++) {
            for (let c = 0; c < w; c++) {
              if (bits[row + a * kw + b * w + c] === 0) continue;
              const from = b * shard + run + c * chunk;
              if (copied) {
                for (let x = 0; x < chunk; x++) dst[to + x] = dst[to + x]! ^ src[from + x]!;
              } else {
                dst.set(src.subarray(from, from + chunk), to);
                copied = true;
              }
            }
          }
          // (A row without a set bit cannot occur in an MDS code; the native coder too leaves its chunk as it was.)
        }
      }
    }
  }
}
