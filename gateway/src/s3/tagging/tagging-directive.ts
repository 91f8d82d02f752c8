// CopyObject's x-amz-tagging-directive
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html):
// COPY (the default) gives the copy the source's tags and ignores
// x-amz-tagging; REPLACE gives it the tags of x-amz-tagging (none when the
// header is absent).

import type { ObjectMeta } from '../../object-meta.js';
import { header } from '../context.js';
import { S3Error } from '../errors.js';
import { tagsHeader } from './tags.js';
import type { ObjectRequest } from '../targets.js';

type TaggingDirective = 'COPY' | 'REPLACE';

function taggingDirective(r: ObjectRequest): TaggingDirective {
  const d = header(r, 'x-amz-tagging-directive') ?? 'COPY';
  if (d === 'COPY' || d === 'REPLACE') return d;
  throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: d });
}

/**
 * The copy's tags, as object meta, from the source's meta: parses (and so
 * refuses a bad) x-amz-tagging at once, before the copy starts.
 */
export function copyTags(r: ObjectRequest): (src: ObjectMeta) => Pick<ObjectMeta, 'tags'> {
  if (taggingDirective(r) === 'REPLACE') {
    const replaced = tagsHeader(r.headers);
    return () => replaced;
  }
  return (src) => (src.tags?.length ? { tags: src.tags } : {});
}
