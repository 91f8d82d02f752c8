// CopyObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
// The source is read (head, then a verified stream of its blocks) and
// written as a new object through the same write path as PutObject: the
// bytes stream through, never whole in memory, and the copy becomes visible
// only when its write completes. The new ETag is the MD5 of the bytes
// copied, computed on the way; for a single-part source that is the
// source's ETag, a multipart source ("…-N") gets a plain MD5, as S3 does
// for copies up to 5 GiB. A copy that takes long answers 200 at once and
// keeps the connection alive (keep-alive.ts).
//
// Deviations from AWS, marked:
//  - only x-amz-metadata-directive: REPLACE makes copying an object onto
//    itself legal (S3 also accepts a storage class, website redirect or
//    encryption change, none of which exist here);
//  - storage class and SSE headers are ignored. Tags follow
//    x-amz-tagging-directive (tagging-directive.ts) as S3;
//  - the copy's ACL is what this request asks for, else private (as S3).

import { objectAccess } from '../access/acl-headers.js';
import type { ObjectMeta } from '../../object-meta.js';
import { existing, requireBucket, stillCurrent } from '../bucket.js';
import { type ChecksumAlgorithm, createChecksum, parseAlgorithm } from '../body/checksums.js';
import { header, xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import { checksumNodes, checksumType } from './checksum-xml.js';
import { checkCopyConditions, digesting, MAX_COPY_SOURCE_BYTES, parseCopySource } from './copy-source.js';
import { keepAlive } from '../keep-alive.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { storedHeaders } from './object-headers.js';
import { asObjectRequest, type ObjectRequest } from '../targets.js';
import { requireNullVersion } from './versions.js';
import { xmlDoc } from '../xml.js';
import { requireWriteConditions, writeConditions } from './write-conditions.js';
import { copyTags } from '../tagging/tagging-directive.js';

type Directive = 'COPY' | 'REPLACE';
type StoredHeaders = ReturnType<typeof storedHeaders>;

const SELF_COPY = 'This copy request is illegal because it is trying to copy an object to itself without changing the ' +
  "object's metadata, storage class, website redirect location or encryption attributes.";

function directive(r: ObjectRequest): Directive {
  const d = header(r, 'x-amz-metadata-directive') ?? 'COPY';
  if (d === 'COPY' || d === 'REPLACE') return d;
  throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: d });
}

/** The headers the copy stores: the source's (COPY) or this request's (REPLACE). */
function headersFor(d: Directive, r: ObjectRequest, src: ObjectMeta): StoredHeaders {
  if (d === 'REPLACE') return storedHeaders(r.headers);
  const { contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, expires, user } = src;
  const out: Record<string, unknown> = { contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, expires, user };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as StoredHeaders;
}

/**
 * Checksums the copy carries, recomputed from its bytes: the algorithm the
 * request names (x-amz-checksum-algorithm), else the source's algorithms.
 */
function checksumAlgorithms(r: ObjectRequest, src: ObjectMeta): ChecksumAlgorithm[] {
  const asked = header(r, 'x-amz-checksum-algorithm');
  if (asked !== undefined) {
    const alg = parseAlgorithm(asked);
    if (!alg) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    return [alg];
  }
  return Object.keys(src.checksums ?? {}).flatMap((a) => parseAlgorithm(a) ?? []);
}

export async function copyObject(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asObjectRequest(req);
  const dst = r.endpoint;
  const src = parseCopySource(header(r, 'x-amz-copy-source'));
  const d = directive(r);
  const tagsFor = copyTags(r);
  const dstBucket = await requireBucket(s3, r);
  const access = objectAccess(s3, r, dstBucket);
  // If-None-Match / If-Match are about the destination (write-conditions.ts):
  // checked before the copy starts, so a failed one keeps its status, and
  // again just before the write commits.
  const conditions = writeConditions(r);
  await requireWriteConditions(s3, conditions, dstBucket.ns, dst.key, r.signal);
  const srcBucket = existing(await s3.buckets.get(src.bucket, r.signal), src.bucket);
  requireNullVersion(src.versionId, src.key);
  const found = await s3.objects.head(srcBucket.ns, src.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: src.key });
  // The read's pins go when the copy settles, whichever way (review F12): a
  // failed check, or a write that fails before it reads its source, never
  // starts the stream that would release them (after a streamed copy this
  // is a second, harmless release).
  return keepAlive(s3, r, (async () => {
    const m = found.meta;
    checkCopyConditions(r.headers, m);
    if (m.size > MAX_COPY_SOURCE_BYTES) {
      throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`);
    }
    if (src.bucket === dst.bucket && src.key === dst.key && d !== 'REPLACE') throw new S3Error('InvalidRequest', SELF_COPY);

    const stored = { ...headersFor(d, r, m), ...tagsFor(m) };
    const md5 = createChecksum('MD5');
    const sums = checksumAlgorithms(r, m).map((alg) => ({ alg, c: createChecksum(alg) }));
    const body = digesting(s3.objects.stream(found, 0, m.size - 1, r.signal), [md5, ...sums.map((s) => s.c)]);
    const { meta } = await s3.objects.put(dstBucket.ns, dst.key, body, async (size, blockSize) => {
      // A restore never ends short without throwing; if it did, commit nothing.
      if (size !== m.size) throw new Error(`copy read ${size} of ${m.size} bytes`);
      await requireWriteConditions(s3, conditions, dstBucket.ns, dst.key, r.signal);
      const checksums = Object.fromEntries(sums.map(({ alg, c }) => [alg.toLowerCase(), c.digest().toString('base64')]));
      return {
        v: 1, size, blockSize, lastModified: s3.now(), etag: md5.digest().toString('hex'), ...stored, ...access,
        ...(sums.length ? { checksums } : {}),
      };
    }, r.signal, m.size);
    await stillCurrent(s3, dstBucket, r.signal);
    return xmlResponse(xmlDoc('CopyObjectResult', [
      ['ETag', `"${meta.etag ?? ''}"`],
      ['LastModified', new Date(meta.lastModified).toISOString()],
      // Recomputed from the copied bytes, so always whole-object checksums.
      checksumType(meta) !== null && ['ChecksumType', 'FULL_OBJECT'],
      ...checksumNodes(meta.checksums),
    ]));
  })().finally(() => s3.objects.release(found)));
}
