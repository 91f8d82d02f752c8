// Binary forms of the answers a node sends most (issue 11): the lc.ts of
// clock, store and complete, the lc of collect, and the filter answer. The
// JSON forms (node-messages.ts) cost a node a JSON text with hex and base64
// in it, and a gateway that text as a string, a parse, and hex and base64
// decodes: the parses of the nodes' answers were the gateway's largest
// allocation site during small GETs (27 KiB a GET of 217). A gateway asks
// for these forms per batch entry (batch.ts); a node answers JSON to anyone
// who does not.
//
// Layout (big-endian):
//   ts          num u64 · writer 8 bytes · op u64 · epoch u32 · tag 32 bytes
//   candidate   ts · nonce 32 · D 32 · S × (length u8: 0 or 32, entry)
//   ts answer   present u8 (0 or 1) · ts
//   lc answer   present u8 · candidate
//   filter      flags u8 · ts? · gone candidate? · pin (length u8, text)? ·
//               described: S × cc 32 · meta (u32, bytes) · blocks (u32, bytes) ·
//               fragment (u32, bytes)?
// A vec entry may be empty: a node keeps the vec a gateway sent, and a
// Byzantine writer's entries for other nodes need not be hashes (wire.ts
// parseCand makes such entries empty, and they fail verification).
//
// Parsers are as strict as the JSON ones: every length is checked, nothing
// may follow the last field, and any malformation is a WireError (evidence).
// What they return shares no memory with the answer it came from, but for
// an inline fragment: a candidate's bytes are one copy of their own, a
// description's another (a gateway keeps timestamps it read, and a view
// would keep the whole batch answer alive); a fragment, used only by the
// read it came for, is a view.

import { writeU64be } from '../../bytes.js';
import { HASH_BYTES as HASH } from '../../hash.js';
import type { Candidate } from '../candidate.js';
import { NONCE_BYTES } from '../candidate.js';
import type { FilterAnswer } from '../client.js';
import { WRITER_ID_HEX, type Timestamp } from '../timestamp.js';
import { encodeCandAnswer, encodeFilterAnswer, encodeTsAnswer, MAX_FILTER_FRAGMENT, MAX_PIN_ID } from './node-messages.js';
import { maxMetaBytes } from './sizes.js';
import { WireError } from './wire.js';

const WRITER_BYTES = WRITER_ID_HEX / 2;
const TS_BYTES = 8 + WRITER_BYTES + 8 + 4 + HASH;
const MAX_SAFE_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / 0x1_0000_0000);

/** Largest block-hash list in a filter answer: what the JSON form allowed (64 MiB of base64). */
export const MAX_BLOCKS_BYTES = 48 * 1024 * 1024;

const F_TS = 1;
const F_GONE = 2;
const F_PIN = 4;
const F_LAPSED = 8;
const F_DESCRIBED = 16;
const F_FRAGMENT = 32;
const F_ALL = 63;

// ---- writing ----

class Writer {
  readonly buf: Buffer;
  private at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  u8(n: number): void {
    this.buf[this.at++] = n;
  }
  u32(n: number): void {
    this.buf.writeUInt32BE(n, this.at);
    this.at += 4;
  }
  u64(n: number): void {
    writeU64be(this.buf, n, this.at);
    this.at += 8;
  }
  bytes(b: Buffer): void {
    b.copy(this.buf, this.at);
    this.at += b.length;
  }
  /** `b`, which must be exactly `n` bytes (a correct node holds no other). */
  exact(b: Buffer, n: number, what: string): void {
    if (b.length !== n) throw new RangeError(`${what} is ${b.length} bytes, not ${n}`);
    this.bytes(b);
  }
  ts(ts: Timestamp): void {
    this.u64(ts.num);
    if (this.buf.write(ts.writer, this.at, WRITER_BYTES, 'hex') !== WRITER_BYTES) throw new RangeError('ts writer is not hex');
    this.at += WRITER_BYTES;
    this.u64(ts.op);
    this.u32(ts.epoch);
    this.exact(ts.tag, HASH, 'ts tag');
  }
  cand(c: Candidate): void {
    this.ts(c.ts);
    this.exact(c.nonce, NONCE_BYTES, 'nonce');
    this.exact(c.d, HASH, 'D');
    for (const e of c.vec) {
      if (e.length !== 0 && e.length !== HASH) throw new RangeError(`vec entry of ${e.length} bytes`);
      this.u8(e.length);
      this.bytes(e);
    }
  }
  done(): Buffer {
    if (this.at !== this.buf.length) throw new RangeError(`wrote ${this.at} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

function candBytes(c: Candidate): number {
  let n = TS_BYTES + NONCE_BYTES + HASH;
  for (const e of c.vec) n += 1 + e.length;
  return n;
}

export function encodeTsAnswerBinary(ts: Timestamp | null): Buffer {
  const w = new Writer(ts ? 1 + TS_BYTES : 1);
  w.u8(ts ? 1 : 0);
  if (ts) w.ts(ts);
  return w.done();
}

export function encodeCandAnswerBinary(c: Candidate | null): Buffer {
  const w = new Writer(c ? 1 + candBytes(c) : 1);
  w.u8(c ? 1 : 0);
  if (c) w.cand(c);
  return w.done();
}

export function encodeFilterAnswerBinary(a: FilterAnswer): Buffer {
  if (a.lapsed) return Buffer.from([F_LAPSED]);
  const described = a.gone === undefined && a.cc !== undefined && a.meta !== undefined;
  const pin = a.pin === undefined ? undefined : Buffer.from(a.pin, 'utf8');
  let flags = 0;
  let size = 1;
  if (a.ts && !a.gone) {
    flags |= F_TS;
    size += TS_BYTES;
  }
  if (a.gone) {
    flags |= F_GONE;
    size += candBytes(a.gone);
  }
  if (pin) {
    flags |= F_PIN;
    size += 1 + pin.length;
  }
  if (described) {
    flags |= F_DESCRIBED;
    size += a.cc!.length * HASH + 4 + a.meta!.length + 4 + (a.blocks?.length ?? 0);
    if (a.fragment) {
      flags |= F_FRAGMENT;
      size += 4 + a.fragment.length;
    }
  }
  const w = new Writer(size);
  w.u8(flags);
  if (flags & F_TS) w.ts(a.ts!);
  if (a.gone) w.cand(a.gone);
  if (pin) {
    if (pin.length > MAX_PIN_ID) throw new RangeError('pin id too long');
    w.u8(pin.length);
    w.bytes(pin);
  }
  if (described) {
    for (const h of a.cc!) w.exact(h, HASH, 'cc entry');
    w.u32(a.meta!.length);
    w.bytes(a.meta!);
    w.u32(a.blocks?.length ?? 0);
    if (a.blocks) w.bytes(a.blocks);
    if (a.fragment) {
      w.u32(a.fragment.length);
      w.bytes(a.fragment);
    }
  }
  return w.done();
}

// ---- reading ----

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length) throw new WireError(`answer ends inside ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }
  u32(what: string): number {
    this.need(4, what);
    const n = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return n;
  }
  u64(what: string): number {
    this.need(8, what);
    const hi = this.buf.readUInt32BE(this.at);
    const lo = this.buf.readUInt32BE(this.at + 4);
    this.at += 8;
    if (hi > MAX_SAFE_HIGH) throw new WireError(`bad ${what}`);
    // A value below 2^32 comes back as the integer `lo` is. The arithmetic
    // makes a heap number even of 5, and a timestamp field given one turns
    // that field into a boxed double in every timestamp: the maps the write
    // path was optimized for are deprecated, a wave of deoptimizations
    // follows (`--trace-generalization`: readTs took num and op from Smi to
    // double at a gateway's first answers, `makeTimestamp`'s code went with
    // the first overwrites), and each timestamp carries two boxes.
    return hi === 0 ? lo : hi * 0x1_0000_0000 + lo;
  }
  /** `n` bytes, as a view of the answer (the caller copies what it keeps). */
  view(n: number, what: string): Buffer {
    this.need(n, what);
    this.at += n;
    return this.buf.subarray(this.at - n, this.at);
  }
  /** A length-prefixed (u32) field of at most `max` bytes. */
  sized(max: number, what: string): Buffer {
    const n = this.u32(what);
    if (n > max) throw new WireError(`${what} too large`);
    return this.view(n, what);
  }
  end(): void {
    if (this.at !== this.buf.length) throw new WireError('bytes after the answer');
  }
}

/** Copies `parts` into one allocation and returns a view of each, in order. */
function ownCopy(parts: readonly Buffer[]): Buffer[] {
  let total = 0;
  for (const p of parts) total += p.length;
  const mem = Buffer.allocUnsafe(total);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of parts) {
    p.copy(mem, at);
    out.push(mem.subarray(at, at + p.length));
    at += p.length;
  }
  return out;
}

interface TsFields { num: number; writer: string; op: number; epoch: number; tag: Buffer }

function readTs(r: Reader): TsFields {
  const num = r.u64('ts num');
  const writer = r.view(WRITER_BYTES, 'ts writer').toString('hex');
  const op = r.u64('ts op');
  const epoch = r.u32('ts epoch');
  return { num, writer, op, epoch, tag: r.view(HASH, 'ts tag') };
}

function ownTs(t: TsFields): Timestamp {
  return { ...t, tag: Buffer.from(t.tag) };
}

function readCand(r: Reader, S: number): Candidate {
  const ts = readTs(r);
  const nonce = r.view(NONCE_BYTES, 'candidate nonce');
  const d = r.view(HASH, 'candidate D');
  const vec: Buffer[] = [];
  for (let i = 0; i < S; i++) {
    const n = r.u8('vec entry');
    if (n !== 0 && n !== HASH) throw new WireError('bad candidate vec');
    vec.push(r.view(n, 'vec entry'));
  }
  const [tag, N, D, ...V] = ownCopy([ts.tag, nonce, d, ...vec]);
  return { ts: { ...ts, tag: tag! }, nonce: N!, d: D!, vec: V };
}

function presence(r: Reader): boolean {
  const p = r.u8('answer');
  if (p > 1) throw new WireError('bad answer');
  return p === 1;
}

export function parseTsAnswerBinary(b: Buffer): Timestamp | null {
  const r = new Reader(b);
  const ts = presence(r) ? ownTs(readTs(r)) : null;
  r.end();
  return ts;
}

export function parseCandAnswerBinary(b: Buffer, S: number): Candidate | null {
  const r = new Reader(b);
  const c = presence(r) ? readCand(r, S) : null;
  r.end();
  return c;
}

export function parseFilterAnswerBinary(b: Buffer, S: number): FilterAnswer {
  const r = new Reader(b);
  const flags = r.u8('filter flags');
  if ((flags & ~F_ALL) !== 0) throw new WireError('bad filter flags');
  if (flags & F_LAPSED) {
    if (flags !== F_LAPSED) throw new WireError('a lapsed answer carries nothing else');
    r.end();
    return { ts: null, lapsed: true };
  }
  if ((flags & F_GONE) && (flags & (F_TS | F_DESCRIBED))) throw new WireError('a gone answer carries no ts or description');
  if (!(flags & F_DESCRIBED) && (flags & F_FRAGMENT)) throw new WireError('a fragment without a description');
  const ts = flags & F_TS ? readTs(r) : null;
  const gone = flags & F_GONE ? readCand(r, S) : undefined;
  let pin: string | undefined;
  if (flags & F_PIN) {
    const n = r.u8('pin');
    if (n > MAX_PIN_ID) throw new WireError('bad pin');
    pin = r.view(n, 'pin').toString('utf8');
  }
  const pinField = pin === undefined ? {} : { pin };
  if (gone) {
    r.end();
    return { ts: null, gone, ...pinField };
  }
  if (!(flags & F_DESCRIBED)) {
    r.end();
    return { ts: ts && ownTs(ts), ...pinField };
  }
  const cc: Buffer[] = [];
  for (let i = 0; i < S; i++) cc.push(r.view(HASH, 'cc'));
  const meta = r.sized(maxMetaBytes(S), 'meta');
  const blocks = r.sized(MAX_BLOCKS_BYTES, 'blocks');
  if (blocks.length % HASH !== 0) throw new WireError('bad blocks');
  const fragment = flags & F_FRAGMENT ? r.sized(MAX_FILTER_FRAGMENT, 'fragment') : undefined;
  r.end();
  const own = ownCopy([...(ts ? [ts.tag] : []), ...cc, meta, blocks]);
  let i = 0;
  const tsOut = ts ? { ...ts, tag: own[i++]! } : null;
  const ccOut = own.slice(i, i + S);
  i += S;
  const described = { ts: tsOut, cc: ccOut, meta: own[i++]!, blocks: own[i]!, ...pinField };
  // The fragment alone stays a view of the answer: it lives only as long as
  // the read that restores from it, and copying it was a third of this
  // answer's bytes allocated again.
  return fragment ? { ...described, fragment } : described;
}

// ---- the form a gateway asked for ----

/** How a node encodes an answer: JSON (node-messages.ts), or binary where the gateway asked (batch.ts). */
export type AnswerForm = 'json' | 'binary';

export function encodeTsAnswerAs(form: AnswerForm, ts: Timestamp | null): Buffer {
  return form === 'binary' ? encodeTsAnswerBinary(ts) : encodeTsAnswer(ts);
}

export function encodeCandAnswerAs(form: AnswerForm, c: Candidate | null): Buffer {
  return form === 'binary' ? encodeCandAnswerBinary(c) : encodeCandAnswer(c);
}

export function encodeFilterAnswerAs(form: AnswerForm, a: FilterAnswer): Buffer {
  return form === 'binary' ? encodeFilterAnswerBinary(a) : encodeFilterAnswer(a);
}
