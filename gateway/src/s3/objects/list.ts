// ListObjects (v1) and ListObjectsV2
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
// Element order follows what every client accepted (clients/response-requirements.md);
// with encoding-type=url every key-like element is percent-encoded, or
// botocore corrupts keys holding "+" or "%" (V1's Prefix excepted, as S3).

import type { ListResult } from '../../objects.js';
import { requireBucket } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Query } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { esc, xmlDoc, XmlFragment, type XmlNode } from '../xml.js';

type ListReq = S3Request<{ op: 'ListObjects' | 'ListObjectsV2'; bucket: string; query: Query }>;

/** S3's url encoding of keys in listings: everything but unreserved characters and "/". */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function maxKeys(q: ReadonlyMap<string, string>): number {
  const raw = q.get('max-keys');
  if (raw === undefined || raw === '') return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys' });
  return Math.min(n, 1000);
}

function encodingType(q: ReadonlyMap<string, string>): ((s: string) => string) | null {
  const e = q.get('encoding-type');
  if (e === undefined || e === '') return null;
  if (e !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type' });
  return urlEncodeKey;
}

interface Continuation { after: string; skipPrefix: boolean }

function encodeToken(c: Continuation): string {
  return Buffer.from(JSON.stringify([c.after, c.skipPrefix])).toString('base64url');
}

function decodeToken(t: string): Continuation {
  try {
    const [after, skipPrefix] = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as unknown[];
    if (typeof after === 'string' && typeof skipPrefix === 'boolean') return { after, skipPrefix };
  } catch {
    /* fall through */
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

/** A marker that is itself a CommonPrefix skips everything under it (as S3 does). */
function fromMarker(marker: string, prefix: string, delimiter: string): Continuation {
  const isPrefix = delimiter !== '' && marker.startsWith(prefix) && marker.endsWith(delimiter) &&
    marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length;
  return { after: marker, skipPrefix: isPrefix };
}

/** One Contents element per object, written as XmlNode trees would render them (list.test.ts checks so). */
export function contents(res: ListResult, enc: (s: string) => string, owner: string | null): XmlFragment[] {
  const ownerXml = owner === null ? '' : `<Owner><ID>${esc(owner)}</ID><DisplayName>${esc(owner)}</DisplayName></Owner>`;
  return res.contents.map((o) => {
    const algorithms = o.meta.checksums ? Object.keys(o.meta.checksums) : [];
    const checksum = algorithms.length ? `<ChecksumAlgorithm>${esc(algorithms[0]!.toUpperCase())}</ChecksumAlgorithm>` : '';
    return new XmlFragment(`<Contents><Key>${esc(enc(o.key))}</Key><LastModified>${new Date(o.meta.lastModified).toISOString()}</LastModified>`
      + `<ETag>${esc(`"${o.meta.etag ?? ''}"`)}</ETag>${checksum}<Size>${o.meta.size}</Size>${ownerXml}<StorageClass>STANDARD</StorageClass></Contents>`);
  });
}

function prefixes(res: ListResult, enc: (s: string) => string): XmlNode[] {
  return res.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]);
}

export async function listObjects(s3: S3Context, r: ListReq): Promise<S3Response> {
  const { ns } = await requireBucket(s3, r);
  const q = r.endpoint.query.params;
  const v2 = r.endpoint.op === 'ListObjectsV2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const max = maxKeys(q);
  const encoder = encodingType(q);
  const enc = encoder ?? ((s: string) => s);
  const name = r.endpoint.bucket;

  let start: Continuation | null = null;
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const marker = q.get('marker') ?? '';
  // An empty continuation-token is no token (as S3 treats it); it is still echoed.
  if (v2 && token !== undefined && token !== '') start = decodeToken(token);
  else if (v2 && startAfter !== '') start = fromMarker(startAfter, prefix, delimiter);
  else if (!v2 && marker !== '') start = fromMarker(marker, prefix, delimiter);

  const res = await s3.objects.list(ns, {
    prefix, delimiter, after: start?.after ?? null, skipPrefix: start?.skipPrefix ?? false, maxKeys: max,
  }, r.signal);
  const owner = !v2 || q.get('fetch-owner') === 'true' ? r.principal.user : null;

  if (v2) {
    return xmlResponse(xmlDoc('ListBucketResult', [
      ['Name', name],
      ['Prefix', enc(prefix)],
      ['KeyCount', res.contents.length + res.commonPrefixes.length],
      ['MaxKeys', max],
      delimiter !== '' && ['Delimiter', enc(delimiter)],
      encoder && ['EncodingType', 'url'],
      ['IsTruncated', res.truncated],
      token !== undefined && ['ContinuationToken', token],
      res.truncated && res.next && ['NextContinuationToken', encodeToken(res.next)],
      startAfter !== '' && ['StartAfter', enc(startAfter)],
      ...contents(res, enc, owner),
      ...prefixes(res, enc),
    ]));
  }
  return xmlResponse(xmlDoc('ListBucketResult', [
    ['Name', name],
    // V1's Prefix goes back as sent even with encoding-type=url, as S3 does
    // (botocore decodes V1's Delimiter, Marker, NextMarker, Key and
    // CommonPrefixes, not its Prefix: an encoded "\n" stayed "%0A").
    ['Prefix', prefix],
    ['Marker', enc(marker)],
    res.truncated && delimiter !== '' && res.next && ['NextMarker', enc(res.next.after)],
    ['MaxKeys', max],
    delimiter !== '' && ['Delimiter', enc(delimiter)],
    encoder && ['EncodingType', 'url'],
    ['IsTruncated', res.truncated],
    ...contents(res, enc, owner),
    ...prefixes(res, enc),
  ]));
}
