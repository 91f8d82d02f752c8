// Rewriting an object's metadata without changing its bytes (PutObjectAcl;
// PutObjectTagging wants the same): the object is written again, as a new
// version of its register, with the same data streamed back through the
// write path and the metadata `change` makes of the current one.
//
// Contract: the bytes, ETag, checksums and Last-Modified stay as they were;
// only what `change` alters differs. Check-then-write like every S3 write
// here: a PUT of the key that commits between this read and this write is
// overwritten by the old bytes with the new metadata (registers cannot
// compare-and-set). Deviation from AWS, marked: a multipart object (whose
// bytes live in its parts' writes) answers NotImplemented rather than being
// re-encoded as a single-part object, which would change its ETag and parts.

import type { ObjectMeta } from '../../object-meta.js';
import type { FoundObject } from '../../objects.js';
import type { S3Context } from '../context.js';
import { S3Error } from '../errors.js';

async function* none(): AsyncGenerator<Buffer> {}

/**
 * Writes `found` again with `change(found.meta)` as its metadata. Takes over
 * `found`'s read pins (released when the rewrite settles, whichever way).
 */
export async function rewriteMeta(
  s3: S3Context, found: FoundObject, key: string, change: (m: ObjectMeta) => ObjectMeta, signal: AbortSignal,
): Promise<ObjectMeta> {
  const m = found.meta;
  try {
    if (m.multipart) throw new S3Error('NotImplemented', 'Changing the metadata of a multipart object is not supported by this gateway.');
    const body = m.size === 0 ? none() : s3.objects.stream(found, 0, m.size - 1, signal);
    const { meta } = await s3.objects.put(found.bucket, key, body, (size, blockSize) => {
      // A restore never ends short without throwing; if it did, commit nothing.
      if (size !== m.size) throw new Error(`rewrite read ${size} of ${m.size} bytes`);
      return { ...change(m), v: 1, size, blockSize };
    }, signal, m.size);
    return meta;
  } finally {
    s3.objects.release(found);
  }
}
