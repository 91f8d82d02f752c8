// Buckets (DESIGN §8): each bucket's record is a register in the reserved
// namespace BUCKETS_NS, keyed by the bucket name. Create and delete need
// compare-and-set, which registers cannot give linearizably (consensus
// number 1), so they are check-then-write: two gateways creating one name at
// the same moment may both succeed (the later write wins the record), and a
// PUT racing a DeleteBucket may land in a bucket that is being deleted.
//
// Every object request needs to know its bucket exists, and a quorum read per
// PUT would double its cost, so records are cached: this gateway's own
// creates and deletes apply at once, other gateways' within CACHE_TTL_MS.
//
// A bucket has an identity of its own beyond its name: each creation draws
// an incarnation id, and everything the bucket holds (objects, uploads,
// parts) lives in namespaces derived from name and id (BucketNs). Whatever a
// deleted bucket left behind (an open upload, a PUT still streaming when it
// was deleted) stays in the old incarnation's namespaces, which no later
// bucket of the same name, whoever creates it, ever reads.

import { privateAcl, storedAcl, type Acl } from './s3/access/acl-model.js';
import { BUCKETS_NS } from '@powerstore/shared/protocol/register.js';
import { randomHex } from '@powerstore/shared/random.js';
import { decodeMeta, encodeMeta, type CorsRule, type ObjectMeta } from './object-meta.js';
import type { ProtocolContext } from './protocol/context.js';
import { listMerged } from './protocol/list/list-merge.js';
import { readRegister } from './protocol/reader.js';
import { writeRegister } from './protocol/writer.js';

export const CACHE_TTL_MS = 2000;

/**
 * The namespace of one bucket incarnation's objects (uploads and parts
 * derive theirs from it: multipart-store.ts). A distinct type so that a bare
 * bucket name can never be passed where the incarnation is meant.
 */
export type BucketNs = string & { readonly __bucketNs: unique symbol };

export interface BucketRecord {
  readonly name: string;
  readonly created: number;
  readonly region: string;
  readonly owner: string;
  /** Where this incarnation's objects live. */
  readonly ns: BucketNs;
  /** The incarnation id (absent for buckets made before there were any). */
  readonly id?: string;
  /** CORS rules (PutBucketCors); absent: none set. */
  readonly cors?: readonly CorsRule[];
  /** Bucket tags, when set (s3/tagging/bucket-tagging.ts). */
  readonly tags?: readonly (readonly [string, string])[];
  /** The bucket's ACL (private for records made before ACLs). */
  readonly acl: Acl;
  /** The bucket policy's JSON text as it was put (s3/access/policy.ts), if any. */
  readonly policy?: string;
}

type BucketInfo = NonNullable<ObjectMeta['bucket']>;

/**
 * `name#id`: '#' is never in a bucket name, so no incarnation's namespace is
 * another bucket's. Buckets created before incarnation ids existed keep
 * their objects in the namespace named by the bare name.
 */
export function bucketNs(name: string, id: string | undefined): BucketNs {
  return (id === undefined ? name : `${name}#${id}`) as BucketNs;
}

async function* empty(): AsyncIterable<Buffer> {}

export class BucketRegistry {
  private readonly cache = new Map<string, { rec: BucketRecord | null; at: number }>();
  /** Reads in flight, shared by every request that misses the cache meanwhile. */
  private readonly loading = new Map<string, Promise<BucketRecord | null>>();

  constructor(private readonly ctx: ProtocolContext) {}

  /** The bucket's record, or null when it does not exist (cached for CACHE_TTL_MS). */
  async get(name: string, signal: AbortSignal): Promise<BucketRecord | null> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.rec;
    let p = this.loading.get(name);
    if (!p) {
      // Not tied to this request's signal: other requests wait on it too.
      p = readRegister(this.ctx, { ns: BUCKETS_NS, key: name }, 'read', new AbortController().signal)
        .then((r) => {
          const rec = r ? toRecord(name, decodeMeta(r.meta)) : null;
          this.cache.set(name, { rec, at: Date.now() });
          return rec;
        })
        .finally(() => this.loading.delete(name));
      this.loading.set(name, p);
    }
    return abortable(p, signal);
  }

  /**
   * Reads past the cache (for create, delete and configuration reads and
   * changes, which must see the newest record): a quorum read of its own,
   * begun after this call, since a shared read already in flight may have
   * begun before a write the caller must see.
   */
  async fresh(name: string, signal: AbortSignal): Promise<BucketRecord | null> {
    const r = await readRegister(this.ctx, { ns: BUCKETS_NS, key: name }, 'read', signal);
    const rec = r ? toRecord(name, decodeMeta(r.meta)) : null;
    this.cache.set(name, { rec, at: Date.now() });
    return rec;
  }

  async create(name: string, owner: string, region: string, signal: AbortSignal, acl: Acl = privateAcl(owner)): Promise<BucketRecord> {
    const created = Date.now();
    const id = randomHex(12);
    const rec: BucketRecord = { name, created, region, owner, ns: bucketNs(name, id), id, acl };
    await writeRegister(this.ctx, { ns: BUCKETS_NS, key: name }, {
      body: empty(),
      finalize: (_size, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: created, bucket: { created, region, owner, id, acl } }),
    }, 'write', signal);
    this.cache.set(name, { rec, at: Date.now() });
    return rec;
  }

  /**
   * Writes the bucket's record again with `change` applied to its creation
   * data (fields this gateway does not know are kept). Null when the bucket
   * does not exist. Read-then-write like create: a change racing another
   * change of the same bucket may be lost (the last write wins).
   */
  async update(name: string, change: (b: BucketInfo) => BucketInfo, signal: AbortSignal): Promise<BucketRecord | null> {
    const r = await readRegister(this.ctx, { ns: BUCKETS_NS, key: name }, 'read', signal);
    const m = r ? decodeMeta(r.meta) : null;
    if (!m?.bucket || m.deleteMarker) return null;
    const bucket = change(m.bucket);
    await writeRegister(this.ctx, { ns: BUCKETS_NS, key: name }, {
      body: empty(),
      finalize: (_size, blockSize) => encodeMeta({ ...m, blockSize, lastModified: Date.now(), bucket }),
    }, 'write', signal);
    const rec = toRecord(name, { ...m, bucket })!;
    this.cache.set(name, { rec, at: Date.now() });
    return rec;
  }

  async remove(name: string, signal: AbortSignal): Promise<void> {
    await writeRegister(this.ctx, { ns: BUCKETS_NS, key: name }, {
      body: empty(),
      finalize: (_size, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: Date.now(), deleteMarker: true }),
    }, 'delete', signal);
    this.cache.set(name, { rec: null, at: Date.now() });
  }

  /** Every bucket, in name order. */
  async list(signal: AbortSignal): Promise<BucketRecord[]> {
    const out: BucketRecord[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await listMerged(this.ctx, { ns: BUCKETS_NS, prefix: '', after, skipPrefix: false, limit: 1000 }, signal);
      for (const e of page.entries) {
        const rec = toRecord(e.key, decodeMeta(e.meta));
        if (rec) out.push(rec);
      }
      if (!page.truncated || page.lastKey === null) return out;
      after = page.lastKey;
    }
  }
}

/** Waits for p, or rejects as soon as this request is aborted. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toRecord(name: string, m: ObjectMeta): BucketRecord | null {
  if (m.deleteMarker || !m.bucket) return null;
  const { created, region, owner, id, cors, tags, policy } = m.bucket;
  return {
    name, created, region, owner, ns: bucketNs(name, id), acl: storedAcl(m.bucket.acl) ?? privateAcl(owner),
    ...(id !== undefined ? { id } : {}), ...(cors ? { cors } : {}), ...(tags?.length ? { tags } : {}),
    ...(typeof policy === 'string' ? { policy } : {}),
  };
}
