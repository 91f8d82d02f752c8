// Object tag sets (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html):
// parsed from a PutObjectTagging body or an x-amz-tagging header, checked
// against S3's limits, rendered for GetObjectTagging. Pure: no storage.
//
// Limits and errors as AWS gives them: more than 10 tags on an object (50
// on a bucket) is 400 BadRequest "Object tags cannot be greater than 10"
// (AWS answers BadRequest here, not InvalidTag); a key over 128 or a value over 256 Unicode characters, a
// repeated key, an empty key or an `aws:` key is 400 InvalidTag; a body that
// is not a Tagging document is MalformedXML; a repeated key in the header is
// InvalidArgument.
// DEVIATION: the characters of keys and values are not checked (AWS accepts
// letters, digits, spaces and + - = . _ : / @ for tags it reports to
// billing, and is laxer on objects than that list says).

import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';
import { parseXml, type XmlNode } from '../xml.js';

/** A tag: key and value, in the order the client gave them. */
export type Tag = readonly [key: string, value: string];

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;

/** What a tag set belongs to: its limit and S3's message when it is passed. */
export type TagTarget = 'object' | 'bucket';

const TOO_MANY: Record<TagTarget, readonly [number, string]> = {
  object: [MAX_OBJECT_TAGS, 'Object tags cannot be greater than 10'],
  bucket: [MAX_BUCKET_TAGS, 'Bucket tag count cannot be greater than 50'],
};
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;

/** Length in Unicode characters (code points), as S3 counts a tag's key and value. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Throws unless `tags` is a tag set S3 accepts on an object (or a bucket). */
export function checkTags(tags: readonly Tag[], target: TagTarget = 'object'): void {
  const [max, tooMany] = TOO_MANY[target];
  if (tags.length > max) throw new S3Error('BadRequest', tooMany);
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k === '') throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid');
    if (chars(k) > MAX_TAG_KEY_CHARS) throw new S3Error('InvalidTag', `The TagKey you have provided is too long, max ${MAX_TAG_KEY_CHARS}`);
    if (chars(v) > MAX_TAG_VALUE_CHARS) throw new S3Error('InvalidTag', `The TagValue you have provided is too long, max ${MAX_TAG_VALUE_CHARS}`);
    if (k.toLowerCase().startsWith('aws:')) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:');
    if (seen.has(k)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key', { TagKey: k });
    seen.add(k);
  }
}

/**
 * The tag set of a PutObjectTagging body:
 * <Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>…</TagSet></Tagging>.
 * Anything else (another root, no TagSet, a Tag without Key or Value) is MalformedXML.
 */
export function parseTaggingXml(xml: string, target: TagTarget = 'object'): Tag[] {
  const root = parseXml(xml);
  const sets = root.children.filter((c) => c.name === 'TagSet');
  if (root.name !== 'Tagging' || sets.length !== 1) throw new S3Error('MalformedXML');
  const tags = sets[0]!.children.map((t): Tag => {
    const keys = t.children.filter((c) => c.name === 'Key');
    const values = t.children.filter((c) => c.name === 'Value');
    if (t.name !== 'Tag' || keys.length !== 1 || values.length !== 1) throw new S3Error('MalformedXML');
    return [keys[0]!.text, values[0]!.text];
  });
  checkTags(tags, target);
  return tags;
}

/**
 * The tag set of an x-amz-tagging header: URL query form (`k1=v1&k2=v2`,
 * a pair without `=` has an empty value). Undefined when there is no header.
 */
export function parseTaggingHeader(v: string | undefined): Tag[] | undefined {
  if (v === undefined) return undefined;
  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const part of v.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const val = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (seen.has(k)) {
      throw new S3Error('InvalidArgument',
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        { ArgumentName: 'x-amz-tagging', ArgumentValue: v });
    }
    seen.add(k);
    tags.push([k, val]);
  }
  checkTags(tags);
  return tags;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    throw new S3Error('InvalidArgument', "The header 'x-amz-tagging' is not URL-encoded.", { ArgumentName: 'x-amz-tagging' });
  }
}

/** The tags an x-amz-tagging request header sets, as object meta (nothing when absent or empty). */
export function tagsHeader(h: IncomingHttpHeaders): { tags?: Tag[] } {
  const v = h['x-amz-tagging'];
  const tags = parseTaggingHeader(Array.isArray(v) ? v.join('&') : v);
  return tags?.length ? { tags } : {};
}

/** The GetObjectTagging document of a tag set (an empty TagSet when there is none). */
export function taggingNodes(tags: readonly Tag[] | undefined): XmlNode[] {
  return [['TagSet', (tags ?? []).map(([k, v]): XmlNode => ['Tag', [['Key', k], ['Value', v]]])]];
}

/** x-amz-tagging-count for GET and HEAD: only when the object has tags, as S3. */
export function taggingCountHeader(tags: readonly Tag[] | undefined): Record<string, number> {
  return tags && tags.length > 0 ? { 'x-amz-tagging-count': tags.length } : {};
}
