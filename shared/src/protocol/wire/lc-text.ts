// A candidate read straight from the bytes of its JSON text, when the text
// is exactly what candToWire and JSON.stringify write (a node's store keeps
// lc that way and a listing sends it on as it is). A listing parses one lc
// a key: JSON.parse made an object tree and eleven strings of it, and the
// hex fields became Buffers one by one. Any other text (spaces, fields in
// another order, upper-case hex, a vec entry that is not hex) is left to
// JSON.parse and parseCand, which decide as they always did: this reader
// only ever gives what they would give, or null.

import type { Candidate } from '../candidate.js';
import { WRITER_ID_HEX } from '../timestamp.js';

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[0x61 + i] = 10 + i;

const HASH = 32;
/** Where the writer id's hex is checked (its value is kept as text). */
const WRITER_SCRATCH = Buffer.alloc(WRITER_ID_HEX / 2);

class Reader {
  at: number;
  constructor(private readonly b: Buffer, start: number, readonly end: number) {
    this.at = start;
  }

  /** Consumes `text` (ASCII) if it is next. */
  literal(text: string): boolean {
    if (this.at + text.length > this.end) return false;
    for (let i = 0; i < text.length; i++) if (this.b[this.at + i] !== text.charCodeAt(i)) return false;
    this.at += text.length;
    return true;
  }

  /** A non-negative integer as JSON.stringify writes a safe one (no leading zero), up to `max`; -1 if not. */
  uint(max: number): number {
    const from = this.at;
    let n = 0;
    while (this.at < this.end) {
      const d = this.b[this.at]! - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      this.at++;
    }
    const digits = this.at - from;
    if (digits === 0 || digits > 16 || (digits > 1 && this.b[from] === 0x30) || n > max) return -1;
    return n;
  }

  /** `bytes` bytes from 2·bytes lower-case hex digits, into `out` at `offset`; false if not hex. */
  hex(bytes: number, out: Buffer, offset: number): boolean {
    if (this.at + 2 * bytes > this.end) return false;
    for (let i = 0; i < bytes; i++) {
      const hi = HEX_VALUE[this.b[this.at + 2 * i]!]!;
      const lo = HEX_VALUE[this.b[this.at + 2 * i + 1]!]!;
      if (hi < 0 || lo < 0) return false;
      out[offset + i] = (hi << 4) | lo;
    }
    this.at += 2 * bytes;
    return true;
  }
}

/** lc's text b[start, end) as candToWire writes it, parsed; null when it is any other text. */
export function readCanonicalLc(b: Buffer, start: number, end: number, S: number): Candidate | null {
  const r = new Reader(b, start, end);
  // tag, nonce, D and the S vec entries, one after another in one allocation.
  const hashes = Buffer.allocUnsafe((3 + S) * HASH);
  if (!r.literal('{"ts":{"n":')) return null;
  const num = r.uint(Number.MAX_SAFE_INTEGER);
  if (num < 0 || !r.literal(',"w":"')) return null;
  const writerStart = r.at;
  if (!r.hex(WRITER_ID_HEX / 2, WRITER_SCRATCH, 0) || !r.literal('","o":')) return null;
  const writerHex = b.toString('latin1', writerStart, writerStart + WRITER_ID_HEX);
  const op = r.uint(Number.MAX_SAFE_INTEGER);
  if (op < 0 || !r.literal(',"e":')) return null;
  const epoch = r.uint(0xffffffff);
  if (epoch < 0 || !r.literal(',"g":"') || !r.hex(HASH, hashes, 0)) return null;
  if (!r.literal('"},"N":"') || !r.hex(HASH, hashes, HASH)) return null;
  if (!r.literal('","D":"') || !r.hex(HASH, hashes, 2 * HASH) || !r.literal('","vec":[')) return null;
  const vec: Buffer[] = [];
  for (let i = 0; i < S; i++) {
    if ((i > 0 && !r.literal(',')) || !r.literal('"') || !r.hex(HASH, hashes, (3 + i) * HASH) || !r.literal('"')) return null;
    vec.push(hashes.subarray((3 + i) * HASH, (4 + i) * HASH));
  }
  if (!r.literal(']}') || r.at !== end) return null;
  return {
    ts: { num, writer: writerHex, op, epoch, tag: hashes.subarray(0, HASH) },
    nonce: hashes.subarray(HASH, 2 * HASH),
    d: hashes.subarray(2 * HASH, 3 * HASH),
    vec,
  };
}
