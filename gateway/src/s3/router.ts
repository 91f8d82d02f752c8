// Parse, then dispatch (STYLE.md §2): method, host, raw path and query
// become an Endpoint. Path style (/bucket/key) and virtual-hosted style
// (bucket.domain/key) are both understood. Keys are decoded from the raw
// path exactly once; they are never turned into file paths anywhere.

import { splitTarget } from './auth/request-parts.js';
import { S3Error } from './errors.js';
import { UNSET_BUCKET_CONFIG } from './unset-config.js';
import { UNSUPPORTED_SUBRESOURCES, type BucketOp, type Endpoint, type ObjectOp, type Query } from './endpoints.js';

export const MAX_KEY_BYTES = 1024;
/** The gateway's own admin prefix: never a bucket (underscores are not valid in bucket names). */
export const ADMIN_PREFIX = '/_powerstore/';

export interface RouteInput {
  readonly method: string;
  readonly host: string | undefined;
  /** The request target as sent: path and query, still percent-encoded. */
  readonly rawUrl: string;
  /** Header presence matters for some operations (x-amz-copy-source). */
  readonly copySource: boolean;
}

export interface RouterOptions {
  /** Virtual-hosted style base domain, e.g. "s3.example.com"; none: path style only. */
  readonly domain?: string;
}

export interface Routed {
  readonly endpoint: Endpoint;
  /** Bucket from the Host header (virtual-hosted style), for SigV2's resource. */
  readonly virtualHost: boolean;
}

export function parseQuery(raw: string): Query {
  const params = new Map<string, string>();
  if (raw) {
    for (const part of raw.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const name = decode(eq < 0 ? part : part.slice(0, eq), true);
      const value = eq < 0 ? '' : decode(part.slice(eq + 1), true);
      if (!params.has(name)) params.set(name, value);
    }
  }
  return { params };
}

function decode(s: string, query: boolean): string {
  try {
    return decodeURIComponent(query ? s.replace(/\+/g, '%20') : s);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function validBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('xn--');
}

function bucketFromHost(host: string | undefined, domain: string | undefined): string | null {
  if (!host || !domain) return null;
  const h = host.replace(/:\d+$/, '').toLowerCase();
  const d = domain.toLowerCase();
  return h.endsWith(`.${d}`) ? h.slice(0, -d.length - 1) : null;
}

export function route(input: RouteInput, opts: RouterOptions = {}): Routed {
  // Origin-form only: S3 clients never send absolute-form targets.
  if (!input.rawUrl.startsWith('/')) throw new S3Error('InvalidURI');
  // The same split as the signature checks (refuses a fragment).
  const { rawPath, rawQuery } = splitTarget(input.rawUrl);
  const query = parseQuery(rawQuery);

  const hostBucket = bucketFromHost(input.host, opts.domain);
  let bucket: string;
  let rawKey: string;
  if (hostBucket !== null) {
    bucket = hostBucket;
    rawKey = rawPath.slice(1);
  } else {
    const slash = rawPath.indexOf('/', 1);
    bucket = decode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash), false);
    rawKey = slash < 0 ? '' : rawPath.slice(slash + 1);
  }
  const key = decode(rawKey, false);
  const virtualHost = hostBucket !== null;
  if (bucket === '') {
    if (input.method === 'GET') return { endpoint: { op: 'ListBuckets', query }, virtualHost };
    throw new S3Error('MethodNotAllowed');
  }
  if (!validBucketName(bucket)) throw new S3Error('InvalidBucketName', undefined, { BucketName: bucket });
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  // A CORS preflight, whatever sub-resource the actual request is for (cors-requests.ts).
  const endpoint = input.method === 'OPTIONS' ? { op: 'OptionsObject' as const, bucket, ...(key === '' ? {} : { key }), query }
    : key === '' ? bucketEndpoint(input.method, bucket, query) : objectEndpoint(input, bucket, key, query);
  return { endpoint, virtualHost };
}

const POLICY_OPS: Readonly<Record<string, BucketOp>> = {
  'GET policy': 'GetBucketPolicy', 'PUT policy': 'PutBucketPolicy', 'DELETE policy': 'DeleteBucketPolicy', 'GET policyStatus': 'GetBucketPolicyStatus',
};

function bucketEndpoint(method: string, bucket: string, query: Query): Endpoint {
  const q = query.params;
  const policy = q.has('policyStatus') ? POLICY_OPS[`${method} policyStatus`] : q.has('policy') ? POLICY_OPS[`${method} policy`] : undefined;
  if (policy) return { op: policy, bucket, query };
  if (q.has('policy') || q.has('policyStatus')) throw new S3Error('MethodNotAllowed');
  if (method === 'GET') {
    const unset = Object.entries(UNSET_BUCKET_CONFIG).find(([s]) => q.has(s));
    if (unset) return { op: unset[1][0], bucket, query };
  }
  const sub = UNSUPPORTED_SUBRESOURCES.bucket.find((s) => q.has(s));
  if (sub) return { op: 'Unsupported', name: `${method} bucket ?${sub}`, bucket };
  const op = ((): BucketOp | null => {
    switch (method) {
      case 'GET':
        if (q.has('location')) return 'GetBucketLocation';
        if (q.has('versioning')) return 'GetBucketVersioning';
        if (q.has('acl')) return 'GetBucketAcl';
        if (q.has('cors')) return 'GetBucketCors';
        if (q.has('tagging')) return 'GetBucketTagging';
        if (q.has('uploads')) return 'ListMultipartUploads';
        if (q.has('versions')) return 'ListObjectVersions';
        return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        if (q.has('versioning')) return 'PutBucketVersioning';
        if (q.has('acl')) return 'PutBucketAcl';
        if (q.has('cors')) return 'PutBucketCors';
        if (q.has('tagging')) return 'PutBucketTagging';
        return 'CreateBucket';
      case 'DELETE':
        if (q.has('cors')) return 'DeleteBucketCors';
        return q.has('tagging') ? 'DeleteBucketTagging' : 'DeleteBucket';
      case 'POST':
        if (q.has('cors')) return null;
        return q.has('delete') ? 'DeleteObjects' : 'PostObject';
      default:
        return null;
    }
  })();
  if (!op) throw new S3Error('MethodNotAllowed');
  return { op, bucket, query };
}

function objectEndpoint(input: RouteInput, bucket: string, key: string, query: Query): Endpoint {
  const q = query.params;
  const m = input.method;
  // A loop, not a find callback made per request (README, "V8's compiler").
  let sub: string | undefined;
  for (const s of UNSUPPORTED_SUBRESOURCES.object) {
    if (q.has(s)) {
      sub = s;
      break;
    }
  }
  if (sub) return { op: 'Unsupported', name: `${m} object ?${sub}`, bucket, key };
  const op = ((): ObjectOp | null => {
    switch (m) {
      case 'GET':
        if (q.has('acl')) return 'GetObjectAcl';
        if (q.has('attributes')) return 'GetObjectAttributes';
        if (q.has('tagging')) return 'GetObjectTagging';
        if (q.has('uploadId')) return 'ListParts';
        return 'GetObject';
      case 'HEAD':
        return 'HeadObject';
      case 'PUT':
        if (q.has('acl')) return 'PutObjectAcl';
        if (q.has('tagging')) return 'PutObjectTagging';
        if (q.has('uploadId') && q.has('partNumber')) return input.copySource ? 'UploadPartCopy' : 'UploadPart';
        return input.copySource ? 'CopyObject' : 'PutObject';
      case 'DELETE':
        if (q.has('tagging')) return 'DeleteObjectTagging';
        return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
      case 'POST':
        if (q.has('uploads')) return 'CreateMultipartUpload';
        if (q.has('uploadId')) return 'CompleteMultipartUpload';
        return null;
      default:
        return null;
    }
  })();
  if (!op) throw new S3Error('MethodNotAllowed');
  return { op, bucket, key, query };
}
