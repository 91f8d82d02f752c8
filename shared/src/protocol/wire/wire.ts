// JSON wire forms of timestamps and candidates, and strict parsers. Every
// answer from a node is untrusted: a parser either returns a well-formed
// value or throws WireError (the caller counts that as a malformed answer,
// which is evidence against the node that sent it).

import { fromHex } from '../../bytes.js';
import { WRITER_ID_HEX, type Timestamp } from '../timestamp.js';
import { NONCE_BYTES, type Candidate } from '../candidate.js';

export class WireError extends Error {
  override readonly name = 'WireError';
}

export interface TsWire { n: number; w: string; o: number; e: number; g: string }
export interface CandWire { ts: TsWire; N: string; D: string; vec: string[] }

const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function uint(x: unknown, what: string, max = MAX_COUNTER): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > max) throw new WireError(`bad ${what}`);
  return x;
}

export function hexField(x: unknown, bytes: number, what: string): Buffer {
  const b = fromHex(x, bytes);
  if (!b) throw new WireError(`bad ${what}`);
  return b;
}

export function str(x: unknown, what: string, maxLen = 1 << 20): string {
  if (typeof x !== 'string' || x.length > maxLen) throw new WireError(`bad ${what}`);
  return x;
}

export function tsToWire(ts: Timestamp): TsWire {
  return { n: ts.num, w: ts.writer, o: ts.op, e: ts.epoch, g: ts.tag.toString('hex') };
}

export function parseTs(x: unknown): Timestamp {
  if (!isObject(x)) throw new WireError('bad ts');
  const w = x.w;
  if (typeof w !== 'string' || w.length !== WRITER_ID_HEX || !/^[0-9a-f]+$/.test(w)) throw new WireError('bad ts writer');
  return {
    num: uint(x.n, 'ts num'),
    writer: w,
    op: uint(x.o, 'ts op'),
    epoch: uint(x.e, 'ts epoch', 0xffffffff),
    tag: hexField(x.g, 32, 'ts tag'),
  };
}

export function parseTsOrNull(x: unknown): Timestamp | null {
  return x === null ? null : parseTs(x);
}

export function candToWire(c: Candidate): CandWire {
  return {
    ts: tsToWire(c.ts),
    N: c.nonce.toString('hex'),
    D: c.d.toString('hex'),
    vec: c.vec.map(hex),
  };
}

/** Made once (a closure per call is compiled again after full collections: README, "V8's compiler"). */
const hex = (e: Buffer): string => e.toString('hex');

/**
 * Parses a candidate. Vec entries that are not 32-byte hex become empty
 * buffers (they simply fail verification) so that one corrupted entry does
 * not hide an otherwise authentic candidate; the vec must have S entries.
 */
export function parseCand(x: unknown, S: number): Candidate {
  if (!isObject(x)) throw new WireError('bad candidate');
  const vec = x.vec;
  if (!Array.isArray(vec) || vec.length !== S) throw new WireError('bad candidate vec');
  return {
    ts: parseTs(x.ts),
    nonce: hexField(x.N, NONCE_BYTES, 'candidate nonce'),
    d: hexField(x.D, 32, 'candidate D'),
    vec: vec.map((e) => fromHex(e, 32) ?? Buffer.alloc(0)),
  };
}

export function parseCandOrNull(x: unknown, S: number): Candidate | null {
  return x === null ? null : parseCand(x, S);
}

export function hashList(x: unknown, len: number, what: string): Buffer[] {
  if (!Array.isArray(x) || x.length !== len) throw new WireError(`bad ${what}`);
  return x.map((e) => hexField(e, 32, what));
}
