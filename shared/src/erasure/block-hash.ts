// The hash of a fragment's blocks (DESIGN §7), by algorithm. A write hashes
// each node's fragment block by block; the list of block hashes is bound
// into cc[i]; every read and every node checks each block against its list.
//
// New writes hash blocks with BLAKE3 (@napi-rs/blake-hash's native binary,
// SIMD: blake3-binding.ts).
// Measured here on one core, 64 KiB blocks: 5.7 GB/s against SHA-256's 1.7
// (node:crypto, SHA-NI). A PUT hashes every fragment byte twice (gateway and
// node), twice the object's bytes at t = 1; a GET once. Values written
// before keep their SHA-256 lists and stay readable.
//
// Which algorithm a list is in is bound into cc[i], not sent beside it:
// cc[i] = H(list) for a SHA-256 list, as before, and H(BLAKE3_LIST ‖ list)
// for a BLAKE3 one (H is SHA-256 throughout; a list is 32 bytes a block,
// so hashing it costs nothing). Whoever checked a list against cc[i] knows
// its algorithm, and no node can have a block checked with the other one.
// The two forms cannot be confused: a SHA-256 list is 32·n bytes long, and
// BLAKE3_LIST's length is not a multiple of 32.

import { createHash, hash, type Hash } from 'node:crypto';
import { blake3, Blake3Hasher } from './blake3-binding.js';
import { sha256, sha256Matches } from '../hash.js';

export type BlockHashAlg = 'sha256' | 'blake3';

/** What new writes hash their blocks with. */
export const WRITE_BLOCK_HASH: BlockHashAlg = 'blake3';

/** Prefix of a BLAKE3 list under H: 24 bytes, not a multiple of 32. */
const BLAKE3_LIST = Buffer.from('powerstore-blake3-blocks', 'latin1');

/** One block's hash. */
export function blockDigest(alg: BlockHashAlg, block: Uint8Array): Buffer {
  return alg === 'blake3' ? blake3(block) : hash('sha256', block, 'buffer');
}

/** A block's hash over chunks as they come; digest() ends it. */
export class BlockDigest {
  private readonly h: Hash | InstanceType<typeof Blake3Hasher>;

  constructor(alg: BlockHashAlg) {
    this.h = alg === 'blake3' ? new Blake3Hasher() : createHash('sha256');
  }

  update(chunk: Uint8Array): void {
    // An empty chunk adds nothing; a native binding is never handed one.
    if (chunk.length === 0) return;
    if (this.h instanceof Blake3Hasher) this.h.update(chunk);
    else this.h.update(chunk);
  }

  digest(): Buffer {
    return this.h instanceof Blake3Hasher ? this.h.digestBuffer() : this.h.digest();
  }
}

/** cc[i] of a fragment whose block hashes (in `alg`) are `list`. */
export function listHash(alg: BlockHashAlg, list: Buffer): Buffer {
  return alg === 'blake3' ? sha256(BLAKE3_LIST, list) : sha256(list);
}

/** Whether `cc` commits to `list` as a list of `alg` hashes. */
export function listMatches(alg: BlockHashAlg, cc: Buffer, list: Buffer): boolean {
  return alg === 'blake3' ? sha256Matches(cc, BLAKE3_LIST, list) : sha256Matches(cc, list);
}

/** The algorithm under which `list` is the one cc entry `cc` commits to; null when it is not. */
export function listAlg(cc: Buffer, list: Buffer): BlockHashAlg | null {
  if (listMatches('blake3', cc, list)) return 'blake3';
  return listMatches('sha256', cc, list) ? 'sha256' : null;
}
