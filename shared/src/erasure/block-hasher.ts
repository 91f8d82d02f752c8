// Per-block hashes of a fragment as it streams (DESIGN §7): the fragment is
// cut every `blockSize` bytes (the last block may be shorter); the block-hash
// list is the concatenation of the blocks' hashes, and cc[i] is the list's
// hash (block-hash.ts: listHash, which also says which algorithm it is in).

import { BlockDigest, type BlockHashAlg } from './block-hash.js';

export class BlockHasher {
  private current: BlockDigest;
  private filled = 0;
  private total = 0;
  private readonly hashes: Buffer[] = [];

  constructor(private readonly blockSize: number, private readonly alg: BlockHashAlg) {
    this.current = new BlockDigest(alg);
  }

  update(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.blockSize - this.filled, chunk.length - off);
      this.current.update(off === 0 && take === chunk.length ? chunk : chunk.subarray(off, off + take));
      this.filled += take;
      off += take;
      if (this.filled === this.blockSize) this.closeBlock();
    }
    this.total += chunk.length;
  }

  get bytes(): number {
    return this.total;
  }

  /** Concatenated block hashes; the hasher must not be used afterwards. */
  finish(): Buffer {
    if (this.filled > 0) this.closeBlock();
    return Buffer.concat(this.hashes);
  }

  private closeBlock(): void {
    this.hashes.push(this.current.digest());
    this.current = new BlockDigest(this.alg);
    this.filled = 0;
  }
}
