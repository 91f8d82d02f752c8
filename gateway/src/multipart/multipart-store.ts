// Multipart uploads over registers (DESIGN §8). An upload is a register in
// the namespace "mpu/<bucket>" keyed "<key>\0<uploadId>" (so uploads list in
// key order, and by initiation time within a key: upload ids start with the
// time); each part is a register in "mpp/<bucket>/<uploadId>" keyed by its
// zero-padded number, written like any object (erasure-coded, streamed,
// three rounds). Completing writes the object's register once: its meta
// lists every part's write (ts and cc, bound into D), and each node acks only
// once it holds every part's fragment (the gateway heals the missing ones).
//
// Parts are retired once no upload can use them: Abort writes a delete
// marker into every part register before the upload record goes, Complete
// does so after the object is written. A retired part's data then stays on
// the nodes exactly as long as some object's history entry is made of it
// (nodes keep referenced entries; storage-node/src/gc/gc.ts), and goes with
// the last such entry; a part no object used goes at once.
//
// Uploads and parts are check-then-write like buckets: a part racing an
// Abort may land in an upload that is going away (it is then never used,
// and never collected: its register keeps it as its value).

import { mapLimit } from '@powerstore/shared/map-limit.js';
import { randomHex } from '@powerstore/shared/random.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import type { BucketNs } from '../buckets.js';
import type { PartRef } from '@powerstore/shared/protocol/server.js';
import { tsToWire } from '@powerstore/shared/protocol/wire/wire.js';
import { decodeMeta, encodeMeta, type ObjectMeta, type PartLayout, type UploadInfo } from '../object-meta.js';
import type { ProtocolContext } from '../protocol/context.js';
import { healFragment } from '../protocol/heal.js';
import { listMerged, type MergedEntry } from '../protocol/list/list-merge.js';
import { readRegister } from '../protocol/reader.js';
import { writeRegister } from '../protocol/writer.js';
import { MAX_LIST_LIMIT } from '@powerstore/shared/protocol/wire/node-messages.js';

export const MAX_PART_NUMBER = 10000;
/** Parts retired at once (each a three-round write). */
const RETIRE_CONCURRENCY = 16;
/** Longest a completed upload's parts may take to retire. */
const RETIRE_TIMEOUT_MS = 120_000;

// An upload's and its parts' namespaces derive from its bucket's incarnation
// (buckets.ts), so no upload outlives its bucket into a namesake.
export function uploadsNs(bucket: BucketNs): string {
  return `mpu/${bucket}`;
}

export function partsNs(bucket: BucketNs, uploadId: string): string {
  return `mpp/${bucket}/${uploadId}`;
}

export function partKey(n: number): string {
  return String(n).padStart(5, '0');
}

function uploadRef(bucket: BucketNs, key: string, uploadId: string): RegRef {
  return { ns: uploadsNs(bucket), key: `${key}\u0000${uploadId}` };
}

/** Upload ids sort by creation time (hex milliseconds), then 96 random bits. */
export function newUploadId(now: number): string {
  return now.toString(16).padStart(12, '0') + randomHex(12);
}

export function validUploadId(id: string): boolean {
  return /^[0-9a-f]{36}$/.test(id);
}

async function* none(): AsyncIterable<Buffer> {}

export interface StoredPart {
  readonly n: number;
  readonly meta: ObjectMeta;
  readonly entry: MergedEntry;
}

export class MultipartStore {
  constructor(private readonly ctx: ProtocolContext) {}

  async create(bucket: BucketNs, info: UploadInfo, stored: Partial<ObjectMeta>, signal: AbortSignal): Promise<void> {
    await writeRegister(this.ctx, uploadRef(bucket, info.key, info.uploadId), {
      body: none(),
      finalize: (_s, blockSize) => encodeMeta({ ...stored, v: 1, size: 0, blockSize, lastModified: info.initiated, upload: info }),
    }, 'write', signal);
  }

  /** The upload's record, or null when it does not exist (never created, completed or aborted). */
  async upload(bucket: BucketNs, key: string, uploadId: string, signal: AbortSignal): Promise<ObjectMeta | null> {
    if (!validUploadId(uploadId)) return null;
    const r = await readRegister(this.ctx, uploadRef(bucket, key, uploadId), 'read', signal);
    if (!r) return null;
    const m = decodeMeta(r.meta);
    return m.deleteMarker || !m.upload ? null : m;
  }

  async putPart(
    bucket: BucketNs, uploadId: string, n: number, body: AsyncIterable<Buffer>,
    finalize: (size: number, blockSize: number) => ObjectMeta | Promise<ObjectMeta>, signal: AbortSignal,
    /** The body's size as the client declared it, if it did (a hint for buffers). */
    declaredSize?: number,
  ): Promise<ObjectMeta> {
    let meta: ObjectMeta | null = null;
    await writeRegister(this.ctx, { ns: partsNs(bucket, uploadId), key: partKey(n) }, {
      body,
      ...(declaredSize !== undefined ? { declaredSize } : {}),
      finalize: async (size, blockSize) => encodeMeta((meta = await finalize(size, blockSize))),
    }, 'write', signal);
    return meta!;
  }

  /** Parts stored so far, in number order, after part number `after`, at most `max`. */
  async parts(bucket: BucketNs, uploadId: string, after: number, max: number, signal: AbortSignal): Promise<{ parts: StoredPart[]; truncated: boolean }> {
    const out: StoredPart[] = [];
    let marker: string | null = after > 0 ? partKey(after) : null;
    for (;;) {
      const page = await listMerged(this.ctx, { ns: partsNs(bucket, uploadId), prefix: '', after: marker, skipPrefix: false, limit: Math.min(MAX_LIST_LIMIT, max + 1) }, signal);
      for (const e of page.entries) {
        const meta = decodeMeta(e.meta);
        if (meta.deleteMarker) continue;
        if (out.length === max) return { parts: out, truncated: true };
        out.push({ n: Number(e.key), meta, entry: e });
      }
      if (!page.truncated || page.lastKey === null) return { parts: out, truncated: false };
      marker = page.lastKey;
    }
  }

  /**
   * Completes the upload: writes the object (its meta made of the given
   * parts), then retires the upload record.
   */
  async complete(bucket: BucketNs, key: string, uploadId: string, chosen: readonly StoredPart[], meta: ObjectMeta, signal: AbortSignal): Promise<void> {
    const parts: PartRef[] = chosen.map((p) => ({ ns: partsNs(bucket, uploadId), key: partKey(p.n), ts: p.entry.c.ts }));
    const { k } = this.ctx.params;
    await writeRegister(this.ctx, { ns: bucket, key }, {
      body: none(),
      finalize: () => encodeMeta(meta),
      parts,
      healPart: (i, node, sig) => {
        const p = chosen[i]!;
        return healFragment(this.ctx, {
          ref: { ns: parts[i]!.ns, key: parts[i]!.key }, c: p.entry.c, cc: p.entry.cc, meta: p.entry.meta,
          layout: { size: p.meta.size, k, blockSize: p.meta.blockSize },
        }, node, sig);
      },
    }, 'write', signal);
    await this.retire(bucket, key, uploadId, signal);
    // The object is written whatever happens next, so this neither follows
    // the client's signal nor fails the request: parts left unretired (a
    // quorum lost just now) cost disk space, never data.
    await this.retireParts(bucket, uploadId, AbortSignal.timeout(RETIRE_TIMEOUT_MS)).catch(() => undefined);
  }

  /**
   * Aborts an upload: its parts are retired first, then its record, so an
   * Abort cut short leaves the upload listed and a second Abort finishes it.
   */
  async abort(bucket: BucketNs, key: string, uploadId: string, signal: AbortSignal): Promise<void> {
    await this.retireParts(bucket, uploadId, signal);
    await this.retire(bucket, key, uploadId, signal);
  }

  /** Aborts every open upload of a bucket incarnation (one being deleted). */
  async abortAll(bucket: BucketNs, signal: AbortSignal): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page = await this.uploads(bucket, '', after, false, 1000, signal);
      for (const e of page.entries) {
        const m = decodeMeta(e.meta);
        if (!m.deleteMarker && m.upload) await this.abort(bucket, m.upload.key, m.upload.uploadId, signal);
      }
      if (!page.truncated || page.lastKey === null) return;
      after = page.lastKey;
    }
  }

  /** Every stored part of the upload becomes a delete marker (its data is then collectable). */
  private async retireParts(bucket: BucketNs, uploadId: string, signal: AbortSignal): Promise<void> {
    const { parts } = await this.parts(bucket, uploadId, 0, MAX_PART_NUMBER, signal);
    await mapLimit(parts, RETIRE_CONCURRENCY, signal, (p) => writeRegister(this.ctx, { ns: partsNs(bucket, uploadId), key: partKey(p.n) }, {
      body: none(),
      finalize: (_s, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: Date.now(), deleteMarker: true }),
    }, 'delete', signal));
  }

  /** Retires an upload's record (completed or aborted): it becomes a delete marker. */
  private async retire(bucket: BucketNs, key: string, uploadId: string, signal: AbortSignal): Promise<void> {
    await writeRegister(this.ctx, uploadRef(bucket, key, uploadId), {
      body: none(),
      finalize: (_s, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: Date.now(), deleteMarker: true }),
    }, 'delete', signal);
  }

  /** Upload records of a bucket in (key, uploadId) order: listing pages as ObjectStore.list gives them. */
  async uploads(bucket: BucketNs, prefix: string, after: string | null, skipPrefix: boolean, limit: number, signal: AbortSignal) {
    return listMerged(this.ctx, { ns: uploadsNs(bucket), prefix, after, skipPrefix, limit }, signal);
  }
}

/** The part layout recorded in a completed object's meta. */
export function partLayout(p: StoredPart): PartLayout {
  return {
    n: p.n, size: p.meta.size, etag: p.meta.etag ?? '', blockSize: p.meta.blockSize,
    ts: tsToWire(p.entry.c.ts), cc: p.entry.cc.map((h) => h.toString('hex')),
    ...(p.meta.checksums && Object.keys(p.meta.checksums).length ? { checksum: Object.values(p.meta.checksums)[0]! } : {}),
  };
}

