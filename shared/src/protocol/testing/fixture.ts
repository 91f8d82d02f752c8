// Hand-made protocol inputs for the unit tests of the pure core: a keyring,
// honest writes and the Byzantine variants of them that the tests script.

import { SecretWriterKeyring, type NodeKeyring } from '../../keys.js';
import { sha256 } from '../../hash.js';
import { computeD, makeVec, newNonce, nonceHash, type Candidate } from '../candidate.js';
import { clusterParams, type ClusterParams } from '../params.js';
import { regId } from '../register.js';
import type { HistRecord, StoreCommit } from '../server.js';
import { makeTimestamp, type Timestamp } from '../timestamp.js';

export const WRITER_A = '00000000000000aa';
export const WRITER_B = '00000000000000bb';

export interface Fixture {
  readonly params: ClusterParams;
  readonly keys: SecretWriterKeyring;
  readonly reg: Buffer;
  node(i: number): NodeKeyring;
}

export function fixture(t = 1, reg = regId('bucket', 'key')): Fixture {
  const keys = new SecretWriterKeyring(new Map([[0, Buffer.alloc(32, 7)]]), 0);
  return { params: clusterParams(t), keys, reg, node: (i) => keys.nodeKeyring(i) };
}

export function ts(f: Fixture, num: number, writer = WRITER_A, op = 1): Timestamp {
  return makeTimestamp(f.keys, f.reg, { num, writer, op });
}

/** One honest write: its candidate and what each node's Hist would hold. */
export interface Write {
  readonly c: Candidate;
  readonly nbar: Buffer;
  readonly cc: Buffer[];
  readonly meta: Buffer;
  /** Node i's block-hash list (cc[i] = sha256 of it). */
  readonly blocks: Buffer[];
  commit(): StoreCommit;
  hist(node: number): HistRecord;
}

export function write(f: Fixture, at: Timestamp, meta = Buffer.from('{"size":5}')): Write {
  const blocks = Array.from({ length: f.params.S }, (_, i) => sha256(Buffer.from(`block ${i} of ${at.num}`)));
  const cc = blocks.map((b) => sha256(b));
  const nonce = newNonce();
  const nbar = nonceHash(nonce);
  const d = computeD(cc, meta);
  const vec = makeVec(f.keys, f.params, f.reg, at, nbar, d);
  const c: Candidate = { ts: at, nonce, d, vec };
  return {
    c, nbar, cc, meta, blocks,
    commit: () => ({ ts: at, nbar, d, vec, cc, meta }),
    hist: (i) => ({ ts: at, nbar, d, vec, cc, meta, blocks: blocks[i]!, blockSize: 4096, fragLen: 32 }),
  };
}

/** A copy of buf with one byte flipped. */
export function flip(buf: Buffer, at = 0): Buffer {
  const b = Buffer.from(buf);
  b[at] = b[at]! ^ 0x01;
  return b;
}

/** c with only the vec entries of `keep` left genuine; the others are garbage. */
export function keepEntries(c: Candidate, keep: readonly number[]): Candidate {
  return { ...c, vec: c.vec.map((e, i) => (keep.includes(i) ? e : flip(e))) };
}
