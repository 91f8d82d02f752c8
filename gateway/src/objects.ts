// Objects over registers (DESIGN §8): an object is the value of the
// register (bucket, key); DeleteObject writes a delete marker. This is the
// only place S3 handlers reach the protocol through.

import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import type { BucketNs } from './buckets.js';
import { decodeMeta, listedMeta, type MultipartLayout, type ObjectMeta } from './object-meta.js';
import { partKey, partsNs } from './multipart/multipart-store.js';
import { parseTs } from '@powerstore/shared/protocol/wire/wire.js';
import type { ProtocolContext } from './protocol/context.js';
import { listMerged } from './protocol/list/list-merge.js';
import { readRegister, type ReadResult } from './protocol/reader.js';
import { restoreRange } from './protocol/restore.js';
import { decideAgain, holdPins, pinsWhileStreaming, releasePins, storedValue } from './protocol/reader.js';
import { rebuildInto, storedWrite } from './protocol/heal.js';
import { rewriteRegister } from './protocol/rewriter.js';
import { writeRegister } from './protocol/writer.js';
import { encodeMeta } from './object-meta.js';
import { MAX_LIST_LIMIT } from '@powerstore/shared/protocol/wire/node-messages.js';

async function* none(): AsyncGenerator<Buffer> {}

export interface FoundObject {
  /** The bucket incarnation it was found in (a multipart object's parts live there too). */
  readonly bucket: BucketNs;
  readonly meta: ObjectMeta;
  readonly read: ReadResult;
}

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter: string;
  /** Continue after this key (exclusive). */
  readonly after: string | null;
  /** `after` is a common prefix: skip every key under it. */
  readonly skipPrefix: boolean;
  readonly maxKeys: number;
}

export interface ListedObject {
  readonly key: string;
  readonly meta: ObjectMeta;
}

export interface ListResult {
  readonly contents: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
  readonly truncated: boolean;
  /** Where the next page starts: the last key or common prefix emitted. */
  readonly next: { readonly after: string; readonly skipPrefix: boolean } | null;
}

export class ObjectStore {
  constructor(private readonly ctx: ProtocolContext) {}

  get k(): number {
    return this.ctx.params.k;
  }

  /** Streams the body in; `finalize` builds the metadata once the body has ended and verified. */
  async put(
    bucket: BucketNs,
    key: string,
    body: AsyncIterable<Buffer>,
    finalize: (size: number, blockSize: number) => ObjectMeta | Promise<ObjectMeta>,
    signal: AbortSignal,
    /** The body's size as the client declared it, if it did (a hint for buffers). */
    declaredSize?: number,
  ): Promise<{ meta: ObjectMeta; candidate: Candidate }> {
    let meta: ObjectMeta | null = null;
    const r = await writeRegister(this.ctx, { ns: bucket, key }, {
      body,
      ...(declaredSize !== undefined ? { declaredSize } : {}),
      finalize: async (size, blockSize) => encodeMeta((meta = await finalize(size, blockSize))),
    }, 'write', signal);
    return { meta: meta!, candidate: r.candidate };
  }

  /**
   * The object's current metadata, or null when absent or deleted. Its
   * read's pins stay until stream() ends or release() is called (or their
   * lease runs out).
   */
  async head(bucket: BucketNs, key: string, signal: AbortSignal): Promise<FoundObject | null> {
    return this.found(bucket, await readRegister(this.ctx, { ns: bucket, key }, 'read', signal, true));
  }

  /**
   * After `prev` could not be restored (open() threw RestoreError, so no byte
   * went out): decides again on the same read with the nodes' late answers
   * (reader.ts decideAgain), which name the newer value a slow node knows.
   */
  async again(prev: FoundObject, signal: AbortSignal): Promise<FoundObject | null> {
    return this.found(prev.bucket, await decideAgain(this.ctx, prev.read, 'read', signal));
  }

  private found(bucket: BucketNs, read: ReadResult | null): FoundObject | null {
    if (!read) return null;
    const meta = decodeMeta(read.meta);
    if (!meta.deleteMarker) return { bucket, meta, read };
    releasePins(this.ctx, read.ref, read.readId, read.contacted);
    return null;
  }

  /** Lets go of a found object that will not be streamed. */
  release(found: FoundObject): void {
    releasePins(this.ctx, found.read.ref, found.read.readId, found.read.contacted);
  }

  /**
   * stream(), with the first bytes restored before this returns: a value that
   * cannot be restored throws here (RestoreError), before any status line is
   * sent, rather than as a 200 whose body is cut off. The caller must iterate
   * or return() what it gets (it holds the pins).
   */
  async open(found: FoundObject, first: number, last: number, signal: AbortSignal): Promise<AsyncGenerator<Buffer>> {
    const gen = this.stream(found, first, last, signal);
    const head = await gen.next();
    return (async function* () {
      try {
        if (!head.done) yield head.value;
        yield* gen;
      } finally {
        await gen.return(undefined);
      }
    })();
  }

  /** Bytes [first, last] of an object found by head(); its write stays pinned meanwhile. */
  async *stream(found: FoundObject, first: number, last: number, signal: AbortSignal): AsyncGenerator<Buffer> {
    const held = pinsWhileStreaming(this.ctx, found.read);
    try {
      if (found.meta.multipart) {
        held.narrow();
        yield* this.streamParts(found.bucket, found.meta.multipart, first, last, signal);
      } else {
        const layout = { size: found.meta.size, k: this.ctx.params.k, blockSize: found.meta.blockSize };
        // Narrowed only if some node is asked for blocks: bytes that came in the filter answers need no node.
        yield* restoreRange(this.ctx, storedValue(found.read, held.narrow), layout, first, last, signal);
      }
    } finally {
      held.release();
    }
  }

  /**
   * A multipart object's bytes come from its parts' writes, each restored
   * like an object; the parts' ts and cc come from the object's own
   * (verified) meta, so a node can only serve blocks the parts committed to.
   */
  private async *streamParts(bucket: BucketNs, mp: MultipartLayout, first: number, last: number, signal: AbortSignal): AsyncGenerator<Buffer> {
    let off = 0;
    // A node that fails one part is tried last for the rest (restore.ts).
    const failedSources = new Set<number>();
    for (const p of mp.parts) {
      const lo = Math.max(first - off, 0);
      const hi = Math.min(last - off, p.size - 1);
      if (lo <= hi) {
        const value = {
          ref: { ns: partsNs(bucket, mp.uploadId), key: partKey(p.n) },
          ts: parseTs(p.ts),
          cc: p.cc.map((h) => Buffer.from(h, 'hex')),
          proven: () => new Map<number, Buffer>(),
          failedSources,
        };
        yield* restoreRange(this.ctx, value, { size: p.size, k: this.ctx.params.k, blockSize: p.blockSize }, lo, hi, signal);
      }
      off += p.size;
      if (off > last) return;
    }
  }

  /**
   * A new write of `found`'s bytes under new metadata (`meta` must describe
   * the same bytes: size, block size and, for a multipart object, the same
   * part layout). No byte moves: a single-part object's new write is stored
   * by each node from the fragment it holds for the old one
   * (protocol/rewriter.ts); a multipart object's write holds no data, and
   * its new version names the same part writes (in meta and as PartRefs,
   * which keep the nodes holding them; a node lacking a part gets it
   * rebuilt, from the part's store message as the nodes' history entries
   * hold it, as scrub.ts heals parts). `found`'s write stays pinned
   * meanwhile. Linearizable as any write; it starts from the value `found`
   * read, so a write to the key between that read and this one would be
   * overwritten: `check` runs just before the store round (as late as it
   * can be) and may refuse, which narrows that window to the rounds.
   */
  async rewrite(
    found: FoundObject, key: string, meta: ObjectMeta, check: () => Promise<void>, signal: AbortSignal,
  ): Promise<ObjectMeta> {
    const ref = { ns: found.bucket, key };
    const finalize = async (): Promise<Buffer> => {
      await check();
      return encodeMeta(meta);
    };
    const done = holdPins(this.ctx, found.read);
    try {
      const mp = meta.multipart;
      if (mp) {
        const sources = mp.parts.map((p) => ({
          ref: { ns: partsNs(found.bucket, mp.uploadId), key: partKey(p.n) }, ts: parseTs(p.ts),
          cc: p.cc.map((h) => Buffer.from(h, 'hex')), layout: { size: p.size, k: this.ctx.params.k, blockSize: p.blockSize },
        }));
        const parts = sources.map((s) => ({ ...s.ref, ts: s.ts }));
        const healPart = async (i: number, node: number, sig: AbortSignal): Promise<void> => {
          const src = sources[i]!;
          await rebuildInto(this.ctx, src, node, await storedWrite(this.ctx, src, sig), sig);
        };
        await writeRegister(this.ctx, ref, { body: none(), finalize, parts, healPart }, 'write', signal);
      } else {
        const layout = { size: found.meta.size, k: this.ctx.params.k, blockSize: found.meta.blockSize };
        await rewriteRegister(this.ctx, ref, { ts: found.read.c.ts, cc: found.read.cc, layout }, finalize, 'write', signal);
      }
    } finally {
      done();
    }
    return meta;
  }

  async delete(bucket: BucketNs, key: string, signal: AbortSignal): Promise<void> {
    await writeRegister(this.ctx, { ns: bucket, key }, {
      body: none(),
      finalize: (_size, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: Date.now(), deleteMarker: true }),
    }, 'delete', signal);
  }

  /**
   * One S3 listing page: visible objects and CommonPrefixes (each prefix
   * once), at most maxKeys of them together, delete markers hidden.
   */
  async list(bucket: BucketNs, o: ListOptions, signal: AbortSignal): Promise<ListResult> {
    const contents: ListedObject[] = [];
    const prefixes: string[] = [];
    let after = o.after;
    let skipPrefix = o.skipPrefix;
    let next: ListResult['next'] = null;
    const full = (): boolean => contents.length + prefixes.length >= o.maxKeys;
    if (o.maxKeys === 0) return { contents, commonPrefixes: prefixes, truncated: false, next: null };
    for (;;) {
      const want = Math.min(MAX_LIST_LIMIT, o.maxKeys - contents.length - prefixes.length + 1);
      const page = await listMerged(this.ctx, { ns: bucket, prefix: o.prefix, after, skipPrefix, limit: want }, signal);
      let lastPrefix: string | null = null;
      for (const e of page.entries) {
        if (lastPrefix !== null && e.key.startsWith(lastPrefix)) continue;
        const meta = decodeMeta(e.meta);
        // Delete markers are hidden, and never make a CommonPrefix by
        // themselves: a prefix is emitted at its first live key (keys under
        // one prefix are contiguous in key order).
        if (meta.deleteMarker) continue;
        let cp: string | null = null;
        if (o.delimiter) {
          const i = e.key.indexOf(o.delimiter, o.prefix.length);
          if (i >= 0) cp = e.key.slice(0, i + o.delimiter.length);
        }
        if (full()) return { contents, commonPrefixes: prefixes, truncated: true, next };
        if (cp !== null) {
          lastPrefix = cp;
          prefixes.push(cp);
          next = { after: cp, skipPrefix: true };
        } else {
          contents.push({ key: e.key, meta: listedMeta(meta) });
          next = { after: e.key, skipPrefix: false };
        }
      }
      if (!page.truncated || page.lastKey === null) return { contents, commonPrefixes: prefixes, truncated: false, next };
      if (lastPrefix !== null && page.lastKey.startsWith(lastPrefix)) {
        after = lastPrefix;
        skipPrefix = true;
      } else {
        after = page.lastKey;
        skipPrefix = false;
      }
    }
  }
}
