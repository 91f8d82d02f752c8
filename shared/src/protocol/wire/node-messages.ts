// The node protocol's HTTP messages: paths, request bodies and answers, with
// encoders and strict parsers used by both sides. The node validates every
// request; the gateway validates every answer (a node may be Byzantine) and
// treats a parse failure (WireError) as evidence.

import type { BlockHashAlg } from '../../erasure/block-hash.js';
import type { ListRequest, NodeHealth, PinAction, RegRef } from '../../node-api.js';
import type { Candidate } from '../candidate.js';
import type { FilterAnswer } from '../client.js';
import type { StoreCommit } from '../server.js';
import type { Timestamp } from '../timestamp.js';
import {
  candToWire, hashList, hexField, isObject, parseCand, parseCandOrNull, parseTs, parseTsOrNull, str, tsToWire, WireError,
  type CandWire, type TsWire,
} from './wire.js';
import { base64Length, MAX_PARTS, maxMetaBytes } from './sizes.js';

export const PATHS = {
  clock: '/v1/clock',
  store: '/v1/store',
  complete: '/v1/complete',
  collect: '/v1/collect',
  filter: '/v1/filter',
  blocks: '/v1/blocks',
  list: '/v1/list',
  health: '/v1/health',
  pin: '/v1/pin',
  entry: '/v1/entry',
} as const;

/** Largest JSON body either side accepts. */
export const MAX_JSON_BODY = 4 * 1024 * 1024;
/** Largest key in bytes (S3's limit) and namespace (bucket name). */
/** Largest register key in bytes: S3's 1024 plus room for internal suffixes (upload ids). */
export const MAX_KEY_BYTES = 1200;
export const MAX_NS_BYTES = 255;
/**
 * Entries a list request may ask for: S3's 1,000 a page and one more, which
 * tells whether that page is the last (the one key more was a second round
 * of q requests for every full page).
 */
export const MAX_LIST_LIMIT = 1001;
/** A filter request never needs more candidates than nodes answer collect. */
export const MAX_CANDIDATES = 64;

// ---- requests (gateway → node) ----

export function parseRef(x: Record<string, unknown>): RegRef {
  const ns = str(x.ns, 'ns', MAX_NS_BYTES);
  const key = str(x.key, 'key', MAX_KEY_BYTES * 4);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new WireError('key too long');
  return { ns, key };
}

function obj(x: unknown): Record<string, unknown> {
  if (!isObject(x)) throw new WireError('not an object');
  return x;
}

/**
 * The OPEN frame of a store. `hash` is the algorithm the node hashes the
 * DATA frames' blocks with (block-hash.ts; absent on the wire: SHA-256, as
 * before there was a choice). With `from`, the store sends no data: its
 * fragment is the one this node already holds for the write `from` of the
 * same register (a write stored again under a new ts after a stale clock
 * hint, DESIGN §7), whose block list says its own algorithm.
 */
export interface OpenMsg { readonly ref: RegRef; readonly blockSize: number; readonly hash: BlockHashAlg; readonly from?: Timestamp }
export function encodeOpen(ref: RegRef, blockSize: number, data: { readonly hash: BlockHashAlg } | { readonly from: Timestamp }): Buffer {
  const rest = 'from' in data ? { from: tsToWire(data.from) } : data.hash === 'sha256' ? {} : { hash: data.hash };
  return Buffer.from(JSON.stringify({ ns: ref.ns, key: ref.key, blockSize, ...rest }));
}
export function parseOpen(json: unknown): OpenMsg {
  const x = obj(json);
  const bs = x.blockSize;
  if (typeof bs !== 'number' || !Number.isInteger(bs) || bs <= 0) throw new WireError('bad blockSize');
  if (x.hash !== undefined && x.hash !== 'blake3') throw new WireError('unknown block hash');
  if (x.hash !== undefined && x.from !== undefined) throw new WireError('a store from another write sends no blocks to hash');
  const hash: BlockHashAlg = x.hash === 'blake3' ? 'blake3' : 'sha256';
  return { ref: parseRef(x), blockSize: bs, hash, ...(x.from !== undefined ? { from: parseTs(x.from) } : {}) };
}

/** Refusal code of a store `from` a write whose fragment the node does not hold. */
export const MISSING_FRAGMENT = 'missing-fragment';

/** Refusal code of a store whose parts the node lacks; the detail is a JSON array of their indexes. */
export const MISSING_PARTS = 'missing-parts';

export { MAX_PARTS };

/** A meta field in base64: at most the largest meta of a cluster of S nodes (sizes.ts). */
function metaField(x: unknown, S: number): Buffer {
  const meta = Buffer.from(str(x, 'meta', base64Length(maxMetaBytes(S))), 'base64');
  if (meta.length > maxMetaBytes(S)) throw new WireError('meta too large');
  return meta;
}

export function encodeCommit(m: StoreCommit): Buffer {
  return Buffer.from(JSON.stringify({
    ts: tsToWire(m.ts),
    nbar: m.nbar.toString('hex'),
    D: m.d.toString('hex'),
    vec: m.vec.map((e) => e.toString('hex')),
    cc: m.cc.map((e) => e.toString('hex')),
    meta: m.meta.toString('base64'),
    ...(m.parts ? { parts: m.parts.map((p) => ({ ns: p.ns, key: p.key, ts: tsToWire(p.ts) })) } : {}),
  }));
}
export function parseCommit(json: unknown, S: number): StoreCommit {
  const x = obj(json);
  const base = {
    ts: parseTs(x.ts),
    nbar: hexField(x.nbar, 32, 'nbar'),
    d: hexField(x.D, 32, 'D'),
    vec: hashList(x.vec, S, 'vec'),
    cc: hashList(x.cc, S, 'cc'),
    meta: metaField(x.meta, S),
  };
  if (x.parts === undefined) return base;
  if (!Array.isArray(x.parts) || x.parts.length > MAX_PARTS) throw new WireError('bad parts');
  return { ...base, parts: x.parts.map((p: unknown) => ({ ...parseRef(obj(p)), ts: parseTs(obj(p).ts) })) };
}

export function encodeRefBody(ref: RegRef, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ ns: ref.ns, key: ref.key, ...extra }));
}

export function encodeCompleteReq(ref: RegRef, c: Candidate): Buffer {
  return encodeRefBody(ref, { cand: candToWire(c) });
}
export function parseCompleteReq(json: unknown, S: number): { ref: RegRef; c: Candidate } {
  const x = obj(json);
  return { ref: parseRef(x), c: parseCand(x.cand, S) };
}

/** Largest pin id (a node issues 16 hex digits). */
export const MAX_PIN_ID = 32;

/** `pin`: the pin this node gave the read in an earlier answer (DESIGN §6), if any. */
export function encodeFilterReq(ref: RegRef, readId: string, C: readonly Candidate[], pin?: string): Buffer {
  return encodeRefBody(ref, { readId, C: C.map(candToWire), ...(pin !== undefined ? { pin } : {}) });
}
export function parseFilterReq(json: unknown, S: number): { ref: RegRef; readId: string; C: Candidate[]; pin?: string } {
  const x = obj(json);
  const C = x.C;
  if (!Array.isArray(C) || C.length > MAX_CANDIDATES) throw new WireError('bad C');
  const base = { ref: parseRef(x), readId: str(x.readId, 'readId', 64), C: C.map((c) => parseCand(c, S)) };
  return x.pin === undefined ? base : { ...base, pin: str(x.pin, 'pin', MAX_PIN_ID) };
}

export interface BlocksReq { readonly ref: RegRef; readonly ts: Timestamp; readonly from: number; readonly to: number; readonly withList: boolean }
export function encodeBlocksReq(r: BlocksReq): Buffer {
  return encodeRefBody(r.ref, { ts: tsToWire(r.ts), from: r.from, to: r.to, withList: r.withList });
}
export function parseBlocksReq(json: unknown): BlocksReq {
  const x = obj(json);
  const from = x.from;
  const to = x.to;
  if (typeof from !== 'number' || typeof to !== 'number' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
    throw new WireError('bad block range');
  }
  return { ref: parseRef(x), ts: parseTs(x.ts), from, to, withList: x.withList === true };
}

/** entry: the store message this node holds for one write of a register (healing a part). */
export interface EntryReq { readonly ref: RegRef; readonly ts: Timestamp }
export function encodeEntryReq(r: EntryReq): Buffer {
  return encodeRefBody(r.ref, { ts: tsToWire(r.ts) });
}
export function parseEntryReq(json: unknown): EntryReq {
  const x = obj(json);
  return { ref: parseRef(x), ts: parseTs(x.ts) };
}
export function encodeEntryAnswer(m: StoreCommit | null): Buffer {
  return m ? encodeCommit(m) : Buffer.from('{"entry":null}');
}
export function parseEntryAnswer(json: unknown, S: number): StoreCommit | null {
  return obj(json).entry === null ? null : parseCommit(json, S);
}

export type ListReq = ListRequest;
export function parseListReq(json: unknown): ListReq {
  const x = obj(json);
  const limit = x.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new WireError('bad limit');
  return {
    ns: str(x.ns, 'ns', MAX_NS_BYTES),
    prefix: str(x.prefix, 'prefix', MAX_KEY_BYTES * 4),
    after: x.after === null ? null : str(x.after, 'after', MAX_KEY_BYTES * 4),
    skipPrefix: x.skipPrefix === true,
    limit,
  };
}

// ---- answers (node → gateway) ----

export function encodeTsAnswer(ts: Timestamp | null): Buffer {
  return Buffer.from(JSON.stringify({ lc: ts ? tsToWire(ts) : null }));
}
export function parseTsAnswer(json: unknown): Timestamp | null {
  return parseTsOrNull(obj(json).lc);
}

export function encodeCandAnswer(c: Candidate | null): Buffer {
  return Buffer.from(JSON.stringify({ lc: c ? candToWire(c) : null }));
}
export function parseCandAnswer(json: unknown, S: number): Candidate | null {
  return parseCandOrNull(obj(json).lc, S);
}

interface DescriptionWire { cc?: string[]; meta?: string; blocks?: string; fragment?: string }

/** Fragments up to this size may ride in a filter answer. */
export const MAX_FILTER_FRAGMENT = 64 * 1024;

function describe(cc: readonly Buffer[] | undefined, meta: Buffer | undefined): DescriptionWire {
  return cc && meta ? { cc: cc.map((h) => h.toString('hex')), meta: meta.toString('base64') } : {};
}

/** The pin fields of a filter answer: the node's pin id, or word that the named pin lapsed. */
function pinFields(a: FilterAnswer): { pin?: string; lapsed?: true } {
  return { ...(a.pin !== undefined ? { pin: a.pin } : {}), ...(a.lapsed ? { lapsed: true as const } : {}) };
}

export function encodeFilterAnswer(a: FilterAnswer): Buffer {
  if (a.lapsed) return Buffer.from(JSON.stringify({ ts: null, lapsed: true }));
  if (a.gone) return Buffer.from(JSON.stringify({ ts: null, gone: candToWire(a.gone), ...pinFields(a) }));
  const body: { ts: TsWire | null } & DescriptionWire = { ts: a.ts ? tsToWire(a.ts) : null, ...describe(a.cc, a.meta), ...pinFields(a) };
  if (a.blocks) body.blocks = a.blocks.toString('base64');
  if (a.fragment) body.fragment = a.fragment.toString('base64');
  return Buffer.from(JSON.stringify(body));
}
export function parseFilterAnswer(json: unknown, S: number): FilterAnswer {
  const x = obj(json);
  if (x.lapsed === true) return { ts: null, lapsed: true };
  const pin = x.pin === undefined ? {} : { pin: str(x.pin, 'pin', MAX_PIN_ID) };
  if (x.gone !== undefined) return { ts: null, gone: parseCand(x.gone, S), ...pin };
  const ts = parseTsOrNull(x.ts);
  if (x.cc === undefined) return { ts, ...pin };
  const blocks = Buffer.from(str(x.blocks, 'blocks', 64 * 1024 * 1024), 'base64');
  if (blocks.length % 32 !== 0) throw new WireError('bad blocks');
  const described = { ts, cc: hashList(x.cc, S, 'cc'), meta: metaField(x.meta, S), blocks, ...pin };
  if (x.fragment === undefined) return described;
  const fragment = Buffer.from(str(x.fragment, 'fragment', MAX_FILTER_FRAGMENT * 2), 'base64');
  if (fragment.length > MAX_FILTER_FRAGMENT) throw new WireError('fragment too large');
  return { ...described, fragment };
}

export function parseHealth(json: unknown): NodeHealth {
  const x = obj(json);
  const n = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  return {
    node: n(x.node), ok: x.ok === true, registers: n(x.registers), histEntries: n(x.histEntries),
    bytes: n(x.bytes), diskFreeBytes: n(x.diskFreeBytes), diskTotalBytes: n(x.diskTotalBytes),
  };
}

export type { CandWire };

export interface PinReq { readonly ref: RegRef; readonly readId: string; readonly action: PinAction; readonly ts: Timestamp | null }
export function encodePinReq(r: PinReq): Buffer {
  return encodeRefBody(r.ref, { readId: r.readId, action: r.action, ts: r.ts ? tsToWire(r.ts) : null });
}
export function parsePinReq(json: unknown): PinReq {
  const x = obj(json);
  const action = x.action;
  if (action !== 'renew' && action !== 'narrow' && action !== 'release') throw new WireError('bad pin action');
  const ts = parseTsOrNull(x.ts ?? null);
  if (action === 'narrow' && !ts) throw new WireError('narrow needs a ts');
  return { ref: parseRef(x), readId: str(x.readId, 'readId', 64), action, ts };
}

/**
 * Releases of many reads' pins in one pin message: a release waits for
 * nothing, so the gateway gathers a node's releases for a few milliseconds
 * and sends them together (gateway/src/nodes/pin-releases.ts) instead of a
 * message per read (issue 11: a node's cost is per message).
 */
export interface PinRelease { readonly ref: RegRef; readonly readId: string }
/** Releases one message carries at most (keys of 1,200 bytes: well under MAX_JSON_BODY). */
export const MAX_RELEASES = 256;
export function encodeReleasesReq(rs: readonly PinRelease[]): Buffer {
  return Buffer.from(JSON.stringify({ action: 'release', reads: rs.map((r) => ({ ns: r.ref.ns, key: r.ref.key, readId: r.readId })) }));
}
/** Whether a pin message is a release of many reads (else parsePinReq reads it). */
export function isReleasesReq(json: unknown): boolean {
  return isObject(json) && json.reads !== undefined;
}
export function parseReleasesReq(json: unknown): PinRelease[] {
  const x = obj(json);
  if (x.action !== 'release') throw new WireError('bad pin action');
  if (!Array.isArray(x.reads) || x.reads.length === 0 || x.reads.length > MAX_RELEASES) throw new WireError('bad reads');
  return x.reads.map((r: unknown) => {
    const y = obj(r);
    return { ref: parseRef(y), readId: str(y.readId, 'readId', 64) };
  });
}
export function encodePinAnswer(ok: boolean): Buffer {
  return Buffer.from(JSON.stringify({ ok }));
}
export function parsePinAnswer(json: unknown): boolean {
  return obj(json).ok === true;
}
