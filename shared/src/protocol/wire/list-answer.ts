// A node's answer to list (DESIGN §8): its page of entries in key order, in
// bytes rather than JSON. A gateway takes q pages of up to 1,001 entries for
// every page it serves, and most entries are the same in all of them; as
// JSON each was a 1.2 MB text parsed whole (a dozen strings an entry), hex
// and base64 decoded again, and the node encoded cc and meta to hex and
// base64 for it. Here keys, cc and meta travel as their bytes and are read
// in place, and lc travels as the JSON text the node's store keeps: an
// entry whose bytes are those of one parsed earlier in the same listing
// gets that parse (ListEntryCache).
//
//   u8 flags (1 truncated, 2 byte-limited) · u16 entry count, then per entry:
//   u16 key length · key (UTF-8) · u16 lc length · lc (candToWire's JSON) ·
//   u8 described (0 or 1), and when 1: u32 meta length · meta · S × 32 cc.
//
// Every answer is untrusted: the reader checks each length against what is
// left and against its cap, and throws WireError (evidence) on any excess.

import { isUtf8 } from 'node:buffer';
import type { ListEntry, ListPage } from '../../node-api.js';
import { candToWire, parseCand, WireError } from './wire.js';
import { MAX_KEY_BYTES, MAX_LIST_LIMIT } from './node-messages.js';
import { maxMetaBytes } from './sizes.js';
import type { ListEntryCache } from './list-entry-cache.js';
import { readCanonicalLc } from './lc-text.js';

const TRUNCATED = 1;
const BYTE_LIMITED = 2;
const HASH = 32;

/** Longest lc text of a correct node: candToWire's JSON is about 350 + 67·S bytes. */
export function maxLcBytes(S: number): number {
  return 1024 + 80 * S;
}

/**
 * One entry as a node's store holds it: the key's bytes, lc as the JSON text
 * the store wrote (sent on as it is: a node re-encoding every lc of a page
 * spent a fifth of a listing's time), and, when it holds Hist[lc.ts], meta
 * and cc (S hashes, one after another, as the store keeps them).
 */
export interface StoredListEntry {
  readonly key: Buffer;
  readonly lcJson: string;
  readonly cc?: Buffer;
  readonly meta?: Buffer;
}

/** An entry of an answer as read, its lc not yet parsed (fault modes rewrite these). */
export interface RawListEntry {
  readonly key: string;
  readonly lc: Buffer;
  readonly cc?: Buffer;
  readonly meta?: Buffer;
}

export interface RawListPage {
  readonly entries: readonly RawListEntry[];
  readonly truncated: boolean;
  readonly byteLimited: boolean;
}

/** The list answer (the one encoder of its bytes). Half a description (cc or meta alone) is none. */
export function encodeStoredListAnswer(entries: readonly StoredListEntry[], truncated: boolean, byteLimited: boolean): Buffer {
  let size = 3;
  for (const e of entries) {
    size += 2 + e.key.length + 2 + Buffer.byteLength(e.lcJson, 'utf8') + 1;
    if (e.cc && e.meta) size += 4 + e.meta.length + e.cc.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8((truncated ? TRUNCATED : 0) | (byteLimited ? BYTE_LIMITED : 0), 0);
  at = out.writeUInt16BE(entries.length, at);
  for (const e of entries) {
    at = out.writeUInt16BE(e.key.length, at);
    at += e.key.copy(out, at);
    const lcBytes = out.write(e.lcJson, at + 2, 'utf8');
    at = out.writeUInt16BE(lcBytes, at) + lcBytes;
    if (e.cc && e.meta) {
      at = out.writeUInt8(1, at);
      at = out.writeUInt32BE(e.meta.length, at);
      at += e.meta.copy(out, at);
      at += e.cc.copy(out, at);
    } else {
      at = out.writeUInt8(0, at);
    }
  }
  return out;
}

/** A page's answer, from parsed entries (the in-process nodes of tests, fault modes). */
export function encodeListAnswer(p: ListPage): Buffer {
  const entries = p.entries.map((e): StoredListEntry => ({
    key: Buffer.from(e.key, 'utf8'),
    lcJson: JSON.stringify(candToWire(e.lc)),
    ...(e.cc && e.meta ? { cc: Buffer.concat(e.cc), meta: e.meta } : {}),
  }));
  return encodeStoredListAnswer(entries, p.truncated, p.byteLimited === true);
}

/** Where one entry's fields lie in an answer's bytes: meta at [metaStart, metaEnd), cc from metaEnd to end (-1 when undescribed). */
interface EntrySpan {
  start: number;
  keyStart: number;
  keyEnd: number;
  lcStart: number;
  lcEnd: number;
  metaStart: number;
  metaEnd: number;
  end: number;
}

/**
 * Walks an answer's bytes, checking every length and cap (keys' UTF-8 is
 * the visitor's to check), and calls `visit` with each entry's span: the
 * same object each time, so reading a page allocates nothing per entry
 * here (the q pages of a listing are read whole, and most of their
 * entries are equal to ones parsed already).
 */
function scanListAnswer(body: Buffer, S: number, visit: (span: Readonly<EntrySpan>) => void): { truncated: boolean; byteLimited: boolean } {
  let at = 0;
  // Bounds first, then the read: a length past the end is the node's lie.
  const need = (n: number): void => {
    if (at + n > body.length) throw new WireError('list page cut short');
  };
  const u16 = (): number => (need(2), (at += 2), body.readUInt16BE(at - 2));
  need(1);
  const flags = body[at++]!;
  if ((flags & ~(TRUNCATED | BYTE_LIMITED)) !== 0) throw new WireError('bad list page flags');
  const truncated = (flags & TRUNCATED) !== 0;
  const byteLimited = (flags & BYTE_LIMITED) !== 0;
  if (byteLimited && !truncated) throw new WireError('byte-limited page not truncated');
  const count = u16();
  if (count > MAX_LIST_LIMIT) throw new WireError('bad list page: too many entries');
  const span: EntrySpan = { start: 0, keyStart: 0, keyEnd: 0, lcStart: 0, lcEnd: 0, metaStart: -1, metaEnd: -1, end: 0 };
  for (let i = 0; i < count; i++) {
    span.start = at;
    const keyLength = u16();
    if (keyLength > MAX_KEY_BYTES) throw new WireError('bad key');
    need(keyLength);
    span.keyStart = at;
    span.keyEnd = at += keyLength;
    const lcLength = u16();
    if (lcLength > maxLcBytes(S)) throw new WireError('bad lc: too long');
    need(lcLength);
    span.lcStart = at;
    span.lcEnd = at += lcLength;
    need(1);
    const described = body[at++]!;
    if (described === 0) {
      span.metaStart = span.metaEnd = -1;
    } else if (described === 1) {
      need(4);
      const metaLength = body.readUInt32BE(at);
      at += 4;
      if (metaLength > maxMetaBytes(S)) throw new WireError('meta too large');
      need(metaLength + S * HASH);
      span.metaStart = at;
      span.metaEnd = at += metaLength;
      at += S * HASH;
    } else {
      throw new WireError('bad description flag');
    }
    span.end = at;
    visit(span);
  }
  if (at !== body.length) throw new WireError('bytes after the list page');
  return { truncated, byteLimited };
}

/** Refuses an entry whose key's bytes are not UTF-8. */
function checkUtf8Key(body: Buffer, span: Readonly<EntrySpan>): void {
  if (!isUtf8(body.subarray(span.keyStart, span.keyEnd))) throw new WireError('bad key');
}

/** Reads an answer's bytes, checking every length and cap; entries' fields are views of `body`. */
export function readListAnswer(body: Buffer, S: number): RawListPage {
  const entries: RawListEntry[] = [];
  const flags = scanListAnswer(body, S, (span) => {
    checkUtf8Key(body, span);
    const key = body.toString('utf8', span.keyStart, span.keyEnd);
    const lc = body.subarray(span.lcStart, span.lcEnd);
    if (span.metaStart < 0) entries.push({ key, lc });
    else entries.push({ key, lc, meta: body.subarray(span.metaStart, span.metaEnd), cc: body.subarray(span.metaEnd, span.end) });
  });
  return { entries, ...flags };
}

/** Raw entries back to an answer (fault modes, after rewriting them). */
export function encodeRawListAnswer(p: RawListPage): Buffer {
  const entries = p.entries.map((e): StoredListEntry => ({
    key: Buffer.from(e.key, 'utf8'), lcJson: e.lc.toString('utf8'), ...(e.cc && e.meta ? { cc: e.cc, meta: e.meta } : {}),
  }));
  return encodeStoredListAnswer(entries, p.truncated, p.byteLimited);
}

/** lc's text body[start, end): read in place when it is candToWire's own (lc-text.ts), else parsed as JSON. */
function parseLc(body: Buffer, start: number, end: number, S: number): ListEntry['lc'] {
  const fast = readCanonicalLc(body, start, end, S);
  if (fast) return fast;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8', start, end));
  } catch {
    throw new WireError('bad lc: not JSON');
  }
  return parseCand(json, S);
}

/** `cache`: entries parsed from other pages of the same listing (list-entry-cache.ts). */
export function parseListAnswer(body: Buffer, S: number, cache?: ListEntryCache): ListPage {
  const entries: ListEntry[] = [];
  const flags = scanListAnswer(body, S, (span) => {
    // The key as text first (to look it up); its bytes are checked as UTF-8
    // only when they are not an entry's already parsed.
    const key = body.toString('utf8', span.keyStart, span.keyEnd);
    const seen = cache?.find(key, body, span.start, span.end);
    if (seen) {
      entries.push(seen);
      return;
    }
    checkUtf8Key(body, span);
    const lc = parseLc(body, span.lcStart, span.lcEnd, S);
    let entry: ListEntry = { key, lc };
    if (span.metaStart >= 0) {
      const cc: Buffer[] = [];
      for (let i = 0; i < S; i++) cc.push(body.subarray(span.metaEnd + i * HASH, span.metaEnd + (i + 1) * HASH));
      entry = { key, lc, cc, meta: body.subarray(span.metaStart, span.metaEnd) };
    }
    cache?.remember(key, body.subarray(span.start, span.end), entry);
    entries.push(entry);
  });
  return { entries, truncated: flags.truncated, ...(flags.byteLimited ? { byteLimited: true } : {}) };
}
