// Rewrites of single answers (JSON, a binary answer as its JSON form; a list answer's bytes as JSON-like values), as the node encoded them (its own wire
// forms, so the shapes below are known, not parsed from a stranger). Each
// function returns a new value and never touches stored state.

import { randomBytes } from 'node:crypto';
import type { CandWire, TsWire } from '@powerstore/shared/protocol/wire/wire.js';
import { encodeRawListAnswer, readListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { encodeCandAnswer, encodeFilterAnswer, encodeTsAnswer, parseCandAnswer, parseFilterAnswer, parseTsAnswer, PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import {
  encodeCandAnswerBinary, encodeFilterAnswerBinary, encodeTsAnswerBinary, parseCandAnswerBinary, parseFilterAnswerBinary, parseTsAnswerBinary,
  type AnswerForm,
} from '@powerstore/shared/protocol/wire/binary-answers.js';

/** clock, complete and store answers: the node's lc.ts. */
export interface TsAnswer { lc: TsWire | null }
/** collect answers: the node's lc. */
export interface CandAnswer { lc: CandWire | null }
/** filter answers: chv.ts and, when the node holds Hist[chv.ts], its description. */
export interface FilterWire { ts: TsWire | null; cc?: string[]; meta?: string; blocks?: string; fragment?: string }
export interface ListEntryWire { key: string; lc: CandWire; cc?: string[]; meta?: string }
export interface ListWire { entries: ListEntryWire[]; truncated: boolean; byteLimited?: boolean }

/**
 * An answer of clock, store, complete, collect or filter as the JSON form the
 * rewrites work on, whichever form it was encoded in (binary-answers.ts).
 */
export function answerWireOf(route: string, body: Buffer, form: AnswerForm, S: number): unknown {
  if (form === 'json') return JSON.parse(body.toString('utf8'));
  switch (route) {
    case PATHS.collect: return JSON.parse(encodeCandAnswer(parseCandAnswerBinary(body, S)).toString('utf8'));
    case PATHS.filter: return JSON.parse(encodeFilterAnswer(parseFilterAnswerBinary(body, S)).toString('utf8'));
    default: return JSON.parse(encodeTsAnswer(parseTsAnswerBinary(body)).toString('utf8'));
  }
}

/** answerWireOf's inverse: the rewritten answer's bytes in `form`. */
export function answerBytesOf(route: string, wire: unknown, form: AnswerForm, S: number): Buffer {
  if (form === 'json') return Buffer.from(JSON.stringify(wire));
  switch (route) {
    case PATHS.collect: return encodeCandAnswerBinary(parseCandAnswer(wire, S));
    case PATHS.filter: return encodeFilterAnswerBinary(parseFilterAnswer(wire, S));
    default: return encodeTsAnswerBinary(parseTsAnswer(wire));
  }
}

/** A list answer's bytes (list-answer.ts), as the JSON-like form the rewrites work on. */
export function listWireOf(body: Buffer, S: number): ListWire {
  const raw = readListAnswer(body, S);
  return {
    entries: raw.entries.map((e) => ({
      key: e.key,
      lc: JSON.parse(e.lc.toString('utf8')) as CandWire,
      ...(e.cc && e.meta ? { cc: Array.from({ length: S }, (_, i) => e.cc!.subarray(i * 32, (i + 1) * 32).toString('hex')), meta: e.meta.toString('base64') } : {}),
    })),
    truncated: raw.truncated,
    ...(raw.byteLimited ? { byteLimited: true } : {}),
  };
}

/** listWireOf's inverse: the rewritten page's bytes. */
export function listAnswerOf(page: ListWire): Buffer {
  return encodeRawListAnswer({
    entries: page.entries.map((e) => ({
      key: e.key,
      lc: Buffer.from(JSON.stringify(e.lc)),
      ...(e.cc && e.meta ? { cc: Buffer.from(e.cc.join(''), 'hex'), meta: Buffer.from(e.meta, 'base64') } : {}),
    })),
    truncated: page.truncated,
    byteLimited: page.byteLimited === true,
  });
}

/** Order of two wire timestamps by (num, writer, op), as compareTs. */
export function compareTsWire(a: TsWire, b: TsWire): number {
  if (a.n !== b.n) return a.n < b.n ? -1 : 1;
  if (a.w !== b.w) return a.w < b.w ? -1 : 1;
  if (a.o !== b.o) return a.o < b.o ? -1 : 1;
  return 0;
}

/** forge: num raised by 1000 and a random tag, so the writers' tag check fails. */
export function forgeTs(ts: TsWire): TsWire {
  return { ...ts, n: ts.n + 1000, g: randomBytes(32).toString('hex') };
}

/** forge: a timestamp made up for a register that has none (random writer and tag). */
export function inventTs(): TsWire {
  return { n: 1000, w: randomBytes(8).toString('hex'), o: 1, e: 0, g: randomBytes(32).toString('hex') };
}

/** wrong-cc: cc[0] with its first byte flipped, so H(cc ‖ H(meta)) is no longer D. */
export function wrongCc(cc: readonly string[]): string[] {
  const out = [...cc];
  const first = out[0];
  if (first === undefined) return out;
  const b = Buffer.from(first, 'hex');
  b[0]! ^= 0xff;
  out[0] = b.toString('hex');
  return out;
}

/**
 * corrupt-vec: the t entries after this node's own are replaced. The
 * candidate stays authentic (S − t ≥ t+1 entries still verify), so a
 * gateway must re-sign it rather than drop it.
 */
export function corruptVec(vec: readonly string[], index: number, S: number, t: number): string[] {
  const out = [...vec];
  for (let n = 1; n <= t; n++) out[(index + n) % S] = 'ab'.repeat(32);
  return out;
}

/** The last bit of the chunk flipped (a copy: served bytes only, never stored ones). */
export function flipLastBit(chunk: Buffer): Buffer {
  if (chunk.length === 0) return chunk;
  const c = Buffer.from(chunk);
  c[c.length - 1]! ^= 0x01;
  return c;
}

/**
 * equivocate: what the node tells its "other" audience about a register: it
 * knows nothing (ts null, lc null, an empty listing that claims to be the end).
 */
export function emptyAnswer(route: string): unknown {
  switch (route) {
    case PATHS.filter:
      return { ts: null };
    case PATHS.list:
      return { entries: [], truncated: false };
    default: // clock, complete, store, collect
      return { lc: null };
  }
}

/** garbage: an answer body that is not JSON. */
export const GARBAGE = Buffer.from('<garbage>{"lc": not json', 'utf8');

/**
 * garbage: a batch answer that does not decode: one entry header
 * (status 200) claiming far more payload bytes than follow.
 */
export const GARBAGE_BATCH = Buffer.concat([Buffer.from([0x00, 0xc8, 0x7f, 0xff, 0xff, 0xff]), GARBAGE]);
