// The value description committed with every write (the `meta` bound into D
// by D = H(cc ‖ H(meta))): layout, S3 metadata, or a delete marker. Stored
// and transmitted as the exact JSON bytes that were hashed; parsing checks a
// version so that an unknown format is an error, never a guess.

import { stripeCount } from '@powerstore/shared/erasure/layout.js';
import type { TsWire } from '@powerstore/shared/protocol/wire/wire.js';
import type { Acl } from './s3/access/acl-model.js';

export const META_VERSION = 1;

export interface ObjectMeta {
  readonly v: typeof META_VERSION;
  /** Object size in bytes (0 for a delete marker). */
  readonly size: number;
  /** Stripe layout: shard block size (k comes from the cluster's t). */
  readonly blockSize: number;
  /** Milliseconds since the epoch, set by the gateway at write time. */
  readonly lastModified: number;
  readonly deleteMarker?: true;
  /** Quoted-less lower-case hex MD5 of the body (single PUT). */
  readonly etag?: string;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
  /** x-amz-meta-* without the prefix, names lower-case. */
  readonly user?: Readonly<Record<string, string>>;
  /** Verified checksums, by algorithm name (crc32, crc32c, crc64nvme, sha1, sha256): base64. */
  readonly checksums?: Readonly<Record<string, string>>;
  /** How a multipart object's checksum was made: from the parts' checksums (COMPOSITE, "-N") or over all bytes. */
  readonly checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  /** Object tags (s3/tagging/tags.ts), key and value, in the client's order; absent when the object has none. */
  readonly tags?: readonly (readonly [string, string])[];
  /** The user who wrote the object (absent in objects written before ACLs: their bucket's owner). */
  readonly owner?: string;
  /** The object's ACL (s3/access/acl-model.ts); absent: private. */
  readonly acl?: Acl;
  /** Bucket records: the bucket's creation data. */
  readonly bucket?: {
    readonly created: number; readonly region: string; readonly owner: string;
    /** The incarnation id (buckets.ts); absent in records made before there were any. */
    readonly id?: string;
    /** The bucket's CORS rules (PutBucketCors), in order; absent: none set (and in records made before CORS). */
    readonly cors?: readonly CorsRule[];
    /** Bucket tags (s3/tagging/bucket-tagging.ts); absent when none are set. */
    readonly tags?: readonly (readonly [string, string])[];
    /** The bucket's ACL; absent in records made before ACLs: private. */
    readonly acl?: Acl;
    /** The bucket policy's JSON text (s3/access/policy.ts). */
    readonly policy?: string;
  };
  /** Multipart upload records: the upload's key and initiation data. */
  readonly upload?: UploadInfo;
  /** A completed multipart object: its data lives in its parts' writes. */
  readonly multipart?: MultipartLayout;
}

/** One CORSRule of a bucket's CORS configuration, as PutBucketCors validated it (s3/cors/cors-config.ts). */
export interface CorsRule {
  readonly id?: string;
  readonly allowedOrigins: readonly string[];
  /** Each one of GET, PUT, POST, DELETE, HEAD. */
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

export interface UploadInfo {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: number;
  readonly owner: string;
  /** x-amz-checksum-algorithm of CreateMultipartUpload, upper case (CRC32, …). */
  readonly checksumAlgorithm?: string;
  readonly checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  /** The ACL CreateMultipartUpload asked for: the completed object's. */
  readonly acl?: Acl;
}

export interface PartLayout {
  readonly n: number;
  readonly size: number;
  readonly etag: string;
  readonly blockSize: number;
  /** The part's write: timestamp (wire form) and cross-checksum (hex), bound into this object's D. */
  readonly ts: TsWire;
  readonly cc: readonly string[];
  readonly checksum?: string;
}

export interface MultipartLayout {
  readonly uploadId: string;
  readonly parts: readonly PartLayout[];
}

export class MetaError extends Error {
  override readonly name = 'MetaError';
}

export function encodeMeta(m: ObjectMeta): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

export function decodeMeta(b: Buffer): ObjectMeta {
  let m: unknown;
  try {
    m = JSON.parse(b.toString('utf8'));
  } catch {
    throw new MetaError('metadata is not JSON');
  }
  if (typeof m !== 'object' || m === null) throw new MetaError('metadata is not an object');
  const o = m as Record<string, unknown>;
  if (o.v !== META_VERSION) throw new MetaError(`unknown metadata version ${String(o.v)}`);
  if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) throw new MetaError('bad size');
  if (!Number.isSafeInteger(o.blockSize) || (o.blockSize as number) <= 0) throw new MetaError('bad block size');
  if (!Number.isSafeInteger(o.lastModified)) throw new MetaError('bad lastModified');
  return m as ObjectMeta;
}

/**
 * The length of each node's block list for a value with this meta: 32 bytes
 * a stripe (a multipart object's own write holds no data: its bytes are its
 * parts'). Undefined when meta does not parse (such a value is never read).
 */
export function blockListBytes(meta: Buffer, k: number): number | undefined {
  try {
    const m = decodeMeta(meta);
    return m.multipart ? 0 : stripeCount({ size: m.size, k, blockSize: m.blockSize }) * 32;
  } catch {
    return undefined;
  }
}

/**
 * meta as a listing keeps it: without a multipart object's part layout
 * (up to 12 MB at t=4, sizes.ts), which no listing shows, so that a page of
 * 1,000 such objects holds kilobytes each, not megabytes.
 */
export function listedMeta(m: ObjectMeta): ObjectMeta {
  if (!m.multipart) return m;
  const { multipart: _layout, ...rest } = m;
  return rest;
}
