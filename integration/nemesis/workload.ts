// The nemesis workload: concurrent clients through several gateways on a
// small key set (so operations collide), every operation recorded with its
// invoke and return times for the linearizability checker. Each PUT writes a
// unique value whose body is derived from its id, so a read can tell whole
// from torn; the id also rides in x-amz-meta-v and the body's MD5 (the ETag)
// identifies it in listings. A few PUTs are multipart uploads (two parts,
// the first of S3's 5 MiB minimum), recorded as one put from the upload's
// creation to its completion.

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand, type S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { HistoryRecorder } from '../linearizability/index.js';
import { mulberry32 } from '../linearizability/testing/prng.js';

export type OpMix = 'full' | 'head-reads';

export interface WorkloadOptions {
  readonly clients: readonly S3Client[];
  readonly bucket: string;
  readonly keys: readonly string[];
  /** Operations in all (split between the clients). */
  readonly ops: number;
  readonly mix: OpMix;
  readonly seed: number;
  /** Called between operations so nemesis events interleave (optional). */
  readonly onProgress?: (done: number) => void;
}

export interface WorkloadStats {
  completed: number;
  failed: number;
  /** Reads whose body did not match the value they named (torn or mixed data). */
  torn: number;
  /** Multipart PUTs that completed. */
  multipart: number;
  errors: Map<string, number>;
}

/** Share of operations that are multipart PUTs (each moves over 5 MiB). */
const MULTIPART_SHARE = 0.02;
/** S3's smallest part but the last: the first part of a multipart value. */
const FIRST_PART = 5 * 1024 * 1024;

/** Whether value `id` is written by a multipart upload (its id says so, and so its size). */
function isMultipart(id: string): boolean {
  return id.startsWith('m');
}

/** The body of value `id`: its size and bytes follow from the id alone. */
export function bodyOf(id: string): Buffer {
  const seed = createHash('sha256').update(id).digest();
  const size = isMultipart(id)
    ? FIRST_PART + 1 + (seed.readUInt16BE(0) % 3000)
    : seed.readUInt16BE(0) % 3000 + (seed[2]! % 16 === 0 ? 200_000 : 0);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 32) seed.copy(out, i, 0, Math.min(32, size - i));
  return out;
}

function status(e: unknown): number | undefined {
  return (e as S3ServiceException).$metadata?.httpStatusCode;
}

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

/** The parts of a multipart value: the first 5 MiB, then the rest. */
function partsOf(body: Buffer): Buffer[] {
  return [body.subarray(0, FIRST_PART), body.subarray(FIRST_PART)];
}

/** The ETag S3 gives a multipart object: the MD5 of its parts' MD5s, then "-" and the part count. */
function multipartEtag(body: Buffer): string {
  const parts = partsOf(body);
  return `${md5(Buffer.concat(parts.map(md5))).toString('hex')}-${parts.length}`;
}

/**
 * Writes value `id` to `key` by a two-part multipart upload. An upload that
 * fails before its completion is sent is aborted (best effort); a failed
 * completion is left alone, since it may still take effect (the put is
 * recorded as failed, so either outcome is linearizable).
 */
async function putMultipart(s3: S3Client, bucket: string, key: string, id: string, body: Buffer): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: { v: id } }));
  const parts = [];
  try {
    for (const [i, part] of partsOf(body).entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: part }));
      parts.push({ PartNumber: i + 1, ETag: r.ETag! });
    }
  } catch (e) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw e;
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

export async function runWorkload(rec: HistoryRecorder, o: WorkloadOptions): Promise<WorkloadStats> {
  const stats: WorkloadStats = { completed: 0, failed: 0, torn: 0, multipart: 0, errors: new Map() };
  const byEtag = new Map<string, string>();
  let next = 0;
  let done = 0;
  // After a failure (a gateway being restarted, say) a client waits a little
  // instead of burning the operation budget on refused connections.
  let backoff = false;
  const fail = (h: Parameters<HistoryRecorder['fail']>[0], e: unknown): void => {
    rec.fail(h);
    stats.failed++;
    backoff = true;
    const name = `${(e as Error).name}:${status(e) ?? ''}`;
    stats.errors.set(name, (stats.errors.get(name) ?? 0) + 1);
  };
  const client = async (c: number, s3: S3Client): Promise<void> => {
    const rand = mulberry32(o.seed * 7919 + c);
    let seq = 0;
    while (next < o.ops) {
      next++;
      const key = o.keys[Math.floor(rand() * o.keys.length)]!;
      const roll = rand();
      const name = `c${c}`;
      if (roll < MULTIPART_SHARE) {
        const id = `m${c}.${seq++}`;
        const body = bodyOf(id);
        byEtag.set(multipartEtag(body), id);
        const h = rec.invoke(name, 'put', key, id);
        try {
          await putMultipart(s3, o.bucket, key, id, body);
          rec.complete(h);
          stats.completed++;
          stats.multipart++;
        } catch (e) {
          fail(h, e);
        }
      } else if (roll < 0.4) {
        const id = `${c}.${seq++}`;
        const body = bodyOf(id);
        byEtag.set(createHash('md5').update(body).digest('hex'), id);
        const h = rec.invoke(name, 'put', key, id);
        try {
          await s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: body, Metadata: { v: id } }));
          rec.complete(h);
          stats.completed++;
        } catch (e) {
          fail(h, e);
        }
      } else if (roll < 0.5) {
        const h = rec.invoke(name, 'delete', key);
        try {
          await s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: key }));
          rec.complete(h);
          stats.completed++;
        } catch (e) {
          fail(h, e);
        }
      } else if (roll < 0.6 && o.mix === 'full') {
        const h = rec.invoke(name, 'list', o.keys);
        try {
          const page = await s3.send(new ListObjectsV2Command({ Bucket: o.bucket }));
          const seen: Record<string, string> = {};
          for (const obj of page.Contents ?? []) {
            const id = byEtag.get((obj.ETag ?? '').replace(/"/g, ''));
            if (id && o.keys.includes(obj.Key!)) seen[obj.Key!] = id;
          }
          rec.complete(h, seen);
          stats.completed++;
        } catch (e) {
          fail(h, e);
        }
      } else if (o.mix === 'full' && roll < 0.9) {
        const h = rec.invoke(name, 'get', key);
        try {
          const r = await s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key }));
          const body = Buffer.from(await r.Body!.transformToByteArray());
          const id = r.Metadata?.v ?? null;
          if (id === null || !body.equals(bodyOf(id))) stats.torn++;
          rec.complete(h, id);
          stats.completed++;
        } catch (e) {
          if (status(e) === 404) {
            rec.complete(h, null);
            stats.completed++;
          } else fail(h, e);
        }
      } else {
        const h = rec.invoke(name, 'head', key);
        try {
          const r = await s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
          rec.complete(h, r.Metadata?.v ?? null);
          stats.completed++;
        } catch (e) {
          if (status(e) === 404) {
            rec.complete(h, null);
            stats.completed++;
          } else fail(h, e);
        }
      }
      o.onProgress?.(++done);
      if (backoff) {
        backoff = false;
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  };
  await Promise.all(o.clients.map((s3, c) => client(c, s3)));
  return stats;
}
