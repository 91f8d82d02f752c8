// DeleteObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html):
// writes a delete marker (a normal write). Deleting a missing key succeeds,
// as in S3.

import { requireBucket, smallBody } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import { mapLimit } from '@powerstore/shared/map-limit.js';
import { type DeleteOutcome, parseDeleteRequest, renderDeleteResult } from './delete-objects.js';
import type { Endpoint, Query } from '../endpoints.js';
import { isServerFault, toS3Error } from '../error-map.js';
import { S3Error } from '../errors.js';
import { mayDelete } from '../access/key-scope.js';
import { MAX_KEY_BYTES } from '../router.js';
import { asBucketRequest } from '../targets.js';
import { requireNullVersion } from './versions.js';
import { MAX_XML_BYTES } from '../xml.js';

export async function deleteObject(s3: S3Context, r: S3Request<{ op: 'DeleteObject'; bucket: string; key: string; query: Query }>): Promise<S3Response> {
  const { ns } = await requireBucket(s3, r);
  await s3.objects.delete(ns, r.endpoint.key, r.signal);
  return { status: 204 };
}

/** How many of one DeleteObjects request's deletes run at once. */
const DELETE_CONCURRENCY = 16;

/**
 * DeleteObjects (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html):
 * up to 1000 keys, each deleted like DeleteObject (a missing key counts as
 * deleted), DELETE_CONCURRENCY at a time; a key that fails is reported in
 * its own <Error> and the others still go ahead. The body is read through
 * the body layer, which verifies whatever Content-MD5 or x-amz-checksum-*
 * the client sent; neither is required (botocore and SDK v3 send a CRC32,
 * not Content-MD5). Not atomic, as in S3.
 */
export async function deleteObjects(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  const { ns } = await requireBucket(s3, r);
  const { quiet, objects } = parseDeleteRequest(await smallBody(r, MAX_XML_BYTES));
  const outcomes = await mapLimit(objects, DELETE_CONCURRENCY, r.signal, async (entry): Promise<DeleteOutcome> => {
    try {
      requireNullVersion(entry.versionId, entry.key);
      if (Buffer.byteLength(entry.key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
      // An append-only key (key-scope.ts) reaches here: each of its deletes is refused on its own, as S3 reports an IAM deny.
      if (!mayDelete(r.principal.scope)) throw new S3Error('AccessDenied', 'This access key may not delete objects.');
      await s3.objects.delete(ns, entry.key, r.signal);
      return { entry, ok: true };
    } catch (err) {
      if (r.signal.aborted) throw err;
      const e = toS3Error(err);
      if (isServerFault(e)) s3.log.error({ err, requestId: r.id, op: 'DeleteObjects' }, 'delete of one key failed');
      return { entry, ok: false, code: e.code, message: e.message };
    }
  });
  return xmlResponse(renderDeleteResult(outcomes, quiet));
}
