// GetObjectAttributes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html):
// the attributes named in x-amz-object-attributes, from the object's
// metadata alone (one quorum read, no data). ETag is unquoted here, as S3
// returns it in this document; Last-Modified comes as a header.
//
// Deviations from AWS, marked:
//  - ObjectParts appears only for objects completed from a multipart upload
//    (metadata with a part list); a copy of one is single-part, as in S3.

import type { ObjectMeta, PartLayout } from '../../object-meta.js';
import { requireBucket } from '../bucket.js';
import { checksumNodes, checksumType } from './checksum-xml.js';
import { header, xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { asObjectRequest, type ObjectRequest } from '../targets.js';
import { requireNullVersion } from './versions.js';
import { xmlDoc, type XmlNode } from '../xml.js';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function requested(r: ObjectRequest): Set<Attribute> {
  const raw = header(r, 'x-amz-object-attributes') ?? '';
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  }
  const out = new Set<Attribute>();
  for (const n of names) {
    const a = ATTRIBUTES.find((x) => x === n);
    if (!a) throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes', ArgumentValue: n });
    out.add(a);
  }
  return out;
}

function intHeader(r: ObjectRequest, name: string, dflt: number): number {
  const v = header(r, name);
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new S3Error('InvalidArgument', `Invalid ${name}`, { ArgumentName: name, ArgumentValue: v });
  return Number(v);
}

/** A part's checksums by algorithm: its one checksum is of the object's (composite) algorithm. */
function partChecksums(m: ObjectMeta, p: PartLayout): Record<string, string> {
  const algs = Object.keys(m.checksums ?? {});
  return p.checksum !== undefined && algs.length === 1 ? { [algs[0]!]: p.checksum } : {};
}

/**
 * ObjectParts: the part count, then a page of parts after
 * x-amz-part-number-marker (at most x-amz-max-parts). As S3 does for
 * general purpose buckets, Part elements are listed only for parts that
 * carry checksums.
 */
function objectParts(r: ObjectRequest, m: ObjectMeta, parts: readonly PartLayout[]): XmlNode {
  const max = Math.min(intHeader(r, 'x-amz-max-parts', 1000), 1000);
  const marker = intHeader(r, 'x-amz-part-number-marker', 0);
  const after = parts.filter((p) => p.n > marker);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  const last = page[page.length - 1];
  return ['ObjectParts', [
    ['PartsCount', parts.length],
    ['PartNumberMarker', marker],
    truncated && last !== undefined && ['NextPartNumberMarker', last.n],
    ['MaxParts', max],
    ['IsTruncated', truncated],
    ...page.filter((p) => p.checksum !== undefined).map((p): XmlNode => ['Part', [
      ['PartNumber', p.n],
      ['Size', p.size],
      ...checksumNodes(partChecksums(m, p)),
    ]]),
  ]];
}

export async function getObjectAttributes(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asObjectRequest(req);
  const want = requested(r);
  const { ns } = await requireBucket(s3, r);
  requireNullVersion(r.endpoint.query.params.get('versionId'), r.endpoint.key);
  const found = await s3.objects.head(ns, r.endpoint.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  // Metadata only, nothing streams: the read's pins go when this ends (review F12).
  try {
    const m = found.meta;
    const type = checksumType(m);
    const parts = m.multipart?.parts;
    return xmlResponse(xmlDoc('GetObjectAttributesResponse', [
      want.has('ETag') && ['ETag', m.etag ?? ''],
      want.has('Checksum') && type !== null && ['Checksum', [...checksumNodes(m.checksums), ['ChecksumType', type]]],
      want.has('ObjectParts') && parts !== undefined && objectParts(r, m, parts),
      want.has('StorageClass') && ['StorageClass', 'STANDARD'],
      want.has('ObjectSize') && ['ObjectSize', m.size],
    ]), 200, { 'last-modified': new Date(m.lastModified).toUTCString() });
  } finally {
    s3.objects.release(found);
  }
}
