// The one interface through which the project erasure-codes (DESIGN §2):
// systematic Reed-Solomon, k data shards and m parity shards, any k of the
// k+m rebuild the rest. A stripe is held as two contiguous buffers, `data`
// (k shards) and `parity` (m shards), each shard `shard` bytes, so encoding
// and decoding never copy a stripe apart.

export interface ErasureCoder {
  readonly k: number;
  readonly m: number;
  /** Computes all parity shards from the k data shards. */
  encode(data: Buffer, parity: Buffer, shard: number): Promise<void>;
  /**
   * Rebuilds the shards listed in `targets` (indexes 0..k+m-1; data shards
   * first) in place, from the shards listed in `present` (at least k).
   */
  reconstruct(data: Buffer, parity: Buffer, shard: number, present: readonly number[], targets: readonly number[]): Promise<void>;
}

export class ErasureError extends Error {
  override readonly name = 'ErasureError';
}
