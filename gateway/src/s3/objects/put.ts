// PutObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
// The body streams through the body layer (signature, aws-chunked framing,
// Content-MD5 and x-amz-checksum-* verification) straight into the erasure
// coder; nothing becomes visible unless every check passed (conditional
// writes included: write-conditions.ts).

import { objectAccess } from '../access/acl-headers.js';
import { requireBucket, stillCurrent } from '../bucket.js';
import type { S3Context, S3Request, S3Response } from '../context.js';
import { checksumHeaders, storedHeaders } from './object-headers.js';
import { tagsHeader } from '../tagging/tags.js';
import { requireWriteConditions, writeConditions } from './write-conditions.js';

type ObjReq = S3Request<{ op: 'PutObject'; bucket: string; key: string; query: import('../endpoints.js').Query }>;

export async function putObject(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const access = objectAccess(s3, r, bucket);
  const stored = { ...storedHeaders(r.headers), ...tagsHeader(r.headers) };
  const conditions = writeConditions(r);
  const body = r.body();
  const { meta } = await s3.objects.put(bucket.ns, r.endpoint.key, body.stream, async (size, blockSize) => {
    const b = body.result();
    // Once the body is in, just before the write's rounds: as late as it can be.
    await requireWriteConditions(s3, conditions, bucket.ns, r.endpoint.key, r.signal);
    const checksums = Object.fromEntries(Object.entries(b.checksums).map(([alg, v]) => [alg.toLowerCase(), v]));
    return {
      v: 1, size, blockSize, lastModified: Date.now(), etag: b.md5Hex, ...stored, ...access,
      ...(Object.keys(checksums).length ? { checksums } : {}),
    };
  }, r.signal, body.declaredSize);
  await stillCurrent(s3, bucket, r.signal);
  return { status: 200, headers: { etag: `"${meta.etag}"`, ...checksumHeaders(meta) } };
}
