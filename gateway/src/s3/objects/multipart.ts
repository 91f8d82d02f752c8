// Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html and
// siblings). Storage is gateway/src/multipart/multipart-store.ts; UploadPartCopy lives in copy.ts's family.

import { objectAccess } from '../access/acl-headers.js';
import { createHash } from 'node:crypto';
import { MAX_PART_NUMBER, newUploadId, partLayout, type StoredPart } from '../../multipart/multipart-store.js';
import { decodeMeta, type ObjectMeta } from '../../object-meta.js';
import { algorithmOfHeader, checksumBase64, createChecksum, parseAlgorithm, type ChecksumAlgorithm } from '../body/checksums.js';
import { combineParts, isCombinable } from '../body/crc-combine.js';
import { checkCopyConditions, digesting, MAX_COPY_SOURCE_BYTES, parseCopySource } from './copy-source.js';
import { keepAlive } from '../keep-alive.js';
import { requireNullVersion } from './versions.js';
import { existing, requireBucket, smallBody, stillCurrent } from '../bucket.js';
import type { BucketRecord } from '../../buckets.js';
import { header, xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { BucketOp, ObjectOp, Query } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { urlEncodeKey } from './list.js';
import { checksumHeaders, storedHeaders } from './object-headers.js';
import { tagsHeader } from '../tagging/tags.js';
import { parseXml, xmlDoc, type XmlNode } from '../xml.js';
import { completedBefore } from './complete-retry.js';
import { requireWriteConditions, writeConditions } from './write-conditions.js';
import { MAX_LIST_LIMIT } from '@powerstore/shared/protocol/wire/node-messages.js';

type ObjReq = S3Request<{ op: ObjectOp; bucket: string; key: string; query: Query }>;
type BucketReq = S3Request<{ op: BucketOp; bucket: string; query: Query }>;

/** S3's smallest part, except the last one. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_LIST_PARTS = 1000;

function uploadIdOf(r: ObjReq): string {
  return r.endpoint.query.params.get('uploadId') ?? '';
}

/**
 * The upload's record in this bucket incarnation, or NoSuchUpload. Only its
 * initiator may use it: buckets are private to their owner, and an upload
 * is never another user's even if ownership rules change.
 */
async function requireUpload(s3: S3Context, r: ObjReq, bucket: BucketRecord): Promise<ObjectMeta> {
  const m = await s3.multipart.upload(bucket.ns, r.endpoint.key, uploadIdOf(r), r.signal);
  if (!m || m.upload?.owner !== r.principal.user) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadIdOf(r) });
  return m;
}

function partNumberOf(r: ObjReq): number {
  const raw = r.endpoint.query.params.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

function owner(user: string): XmlNode[] {
  return [['Initiator', [['ID', user], ['DisplayName', user]]], ['Owner', [['ID', user], ['DisplayName', user]]]];
}

export async function createMultipartUpload(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const { acl } = objectAccess(s3, r, bucket);
  const algHeader = header(r, 'x-amz-checksum-algorithm');
  const alg = algHeader === undefined ? undefined : parseAlgorithm(algHeader);
  if (algHeader !== undefined && !alg) throw new S3Error('InvalidRequest', `Checksum algorithm ${algHeader} is not supported.`);
  const type = checksumTypeOf(alg, header(r, 'x-amz-checksum-type'));
  const now = s3.now();
  const uploadId = newUploadId(now);
  await s3.multipart.create(bucket.ns, {
    key: r.endpoint.key, uploadId, initiated: now, owner: r.principal.user, acl,
    ...(alg && type ? { checksumAlgorithm: alg, checksumType: type } : {}),
  }, { ...storedHeaders(r.headers), ...tagsHeader(r.headers) }, r.signal);
  return xmlResponse(xmlDoc('InitiateMultipartUploadResult', [
    ['Bucket', r.endpoint.bucket], ['Key', r.endpoint.key], ['UploadId', uploadId],
  ]), 200, alg && type ? { 'x-amz-checksum-algorithm': alg, 'x-amz-checksum-type': type } : {});
}

export async function uploadPart(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const n = partNumberOf(r);
  await requireUpload(s3, r, bucket);
  const body = r.body();
  const meta = await s3.multipart.putPart(bucket.ns, uploadIdOf(r), n, body.stream, (size, blockSize) => {
    const b = body.result();
    const checksums = Object.fromEntries(Object.entries(b.checksums).map(([alg, v]) => [alg.toLowerCase(), v]));
    return { v: 1, size, blockSize, lastModified: s3.now(), etag: b.md5Hex, ...(Object.keys(checksums).length ? { checksums } : {}) };
  }, r.signal, body.declaredSize);
  await stillCurrent(s3, bucket, r.signal);
  return { status: 200, headers: { etag: `"${meta.etag}"`, ...checksumHeaders(meta) } };
}

interface RequestedPart {
  readonly n: number;
  readonly etag: string;
  readonly checksums: ReadonlyMap<string, string>;
}

/** The CompleteMultipartUpload body: parts in the client's order, ETags unquoted. */
function parseComplete(xml: string): RequestedPart[] {
  const root = parseXml(xml);
  if (root.name !== 'CompleteMultipartUpload') throw new S3Error('MalformedXML');
  const parts = root.children.filter((c) => c.name === 'Part').map((p): RequestedPart => {
    const get = (name: string): string | undefined => p.children.find((c) => c.name === name)?.text.trim();
    const n = Number(get('PartNumber'));
    if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) throw new S3Error('InvalidPart');
    const checksums = new Map<string, string>();
    for (const c of p.children) if (c.name.startsWith('Checksum')) checksums.set(c.name.slice('Checksum'.length).toLowerCase(), c.text.trim());
    return { n, etag: (get('ETag') ?? '').replace(/^"(.*)"$/, '$1'), checksums };
  });
  if (parts.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: no parts.');
  for (let i = 1; i < parts.length; i++) if (parts[i]!.n <= parts[i - 1]!.n) throw new S3Error('InvalidPartOrder');
  return parts;
}

/**
 * The multipart checksum type, as S3 decides it: CRC64NVME is always
 * FULL_OBJECT; CRC32 and CRC32C may be either (default COMPOSITE); SHA1 and
 * SHA256 only COMPOSITE.
 */
function checksumTypeOf(alg: ChecksumAlgorithm | undefined, asked: string | undefined): 'COMPOSITE' | 'FULL_OBJECT' | undefined {
  const t = asked?.toUpperCase();
  if (t !== undefined && t !== 'COMPOSITE' && t !== 'FULL_OBJECT') throw new S3Error('InvalidRequest', `Checksum type ${asked} is not supported.`);
  if (!alg) {
    if (t !== undefined) throw new S3Error('InvalidRequest', 'x-amz-checksum-type needs x-amz-checksum-algorithm.');
    return undefined;
  }
  const type = t ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (type === 'FULL_OBJECT' && !isCombinable(alg)) throw new S3Error('InvalidRequest', `The ${alg} checksum algorithm does not support the FULL_OBJECT checksum type.`);
  if (type === 'COMPOSITE' && alg === 'CRC64NVME') throw new S3Error('InvalidRequest', 'The CRC64NVME checksum algorithm supports only the FULL_OBJECT checksum type.');
  return type;
}

/** The whole object's checksum from its parts' (undefined when a part lacks one). */
function multipartChecksum(alg: ChecksumAlgorithm, type: 'COMPOSITE' | 'FULL_OBJECT', parts: readonly StoredPart[]): string | undefined {
  if (type === 'COMPOSITE') return compositeChecksum(alg, parts);
  if (!isCombinable(alg)) return undefined;
  const crcs: Array<{ crc: string; size: number }> = [];
  for (const p of parts) {
    const crc = p.meta.checksums?.[alg.toLowerCase()];
    if (crc === undefined) return undefined;
    crcs.push({ crc, size: p.meta.size });
  }
  return combineParts(alg, crcs);
}

/** A composite checksum: the algorithm over the concatenated part checksums, "-N". */
function compositeChecksum(alg: ChecksumAlgorithm, parts: readonly StoredPart[]): string | undefined {
  const raws: Buffer[] = [];
  for (const p of parts) {
    const v = p.meta.checksums?.[alg.toLowerCase()];
    if (v === undefined) return undefined;
    raws.push(Buffer.from(v, 'base64'));
  }
  return `${checksumBase64(alg, Buffer.concat(raws))}-${parts.length}`;
}

export async function completeMultipartUpload(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const rec = await requireBucket(s3, r);
  const conditions = writeConditions(r);
  const { bucket, key } = r.endpoint;
  const uploadId = uploadIdOf(r);
  const found = await s3.multipart.upload(rec.ns, key, uploadId, r.signal);
  const upload = found?.upload?.owner === r.principal.user ? found : null;
  const requested = parseComplete((await smallXml(r)));
  if (!upload) {
    // A retry of a Complete that succeeded answers as the first did (complete-retry.ts).
    const done = await completedBefore(s3, rec.ns, key, uploadId, requested, r.signal);
    if (!done) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    const a = done.checksums && done.checksumType ? Object.entries(done.checksums)[0] : undefined;
    return completeResult(bucket, key, done.etag ?? '', a && parseAlgorithm(a[0]), a?.[1], done.checksumType);
  }
  const stored = new Map((await s3.multipart.parts(rec.ns, uploadId, 0, MAX_PART_NUMBER, r.signal)).parts.map((p) => [p.n, p]));
  const chosen: StoredPart[] = [];
  requested.forEach((want, i) => {
    const p = stored.get(want.n);
    if (!p || p.meta.etag !== want.etag) throw new S3Error('InvalidPart', undefined, { PartNumber: String(want.n), ETag: want.etag });
    for (const [alg, v] of want.checksums) {
      if (p.meta.checksums?.[alg] !== undefined && p.meta.checksums[alg] !== v) throw new S3Error('InvalidPart', `The ${alg.toUpperCase()} of part ${want.n} does not match.`);
    }
    if (i < requested.length - 1 && p.meta.size < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', undefined, { PartNumber: String(want.n), ProposedSize: String(p.meta.size), MinSizeAllowed: String(MIN_PART_BYTES) });
    }
    chosen.push(p);
  });
  const md5 = createHash('md5');
  for (const p of chosen) md5.update(Buffer.from(p.meta.etag ?? '', 'hex'));
  const etag = `${md5.digest('hex')}-${chosen.length}`;
  const alg = upload.upload?.checksumAlgorithm ? parseAlgorithm(upload.upload.checksumAlgorithm) : undefined;
  const type = upload.upload?.checksumType ?? 'COMPOSITE';
  const composite = alg ? multipartChecksum(alg, type, chosen) : undefined;
  requireSentChecksum(r, composite && alg ? { alg, value: composite } : undefined);
  const { v: _v, size: _s, blockSize, lastModified: _l, upload: _u, ...headersFromUpload } = upload;
  const meta: ObjectMeta = {
    ...headersFromUpload,
    v: 1,
    size: chosen.reduce((n, p) => n + p.meta.size, 0),
    blockSize,
    lastModified: s3.now(),
    etag,
    // The ACL CreateMultipartUpload asked for; the initiator owns the object (an anonymous one: the bucket's owner).
    owner: upload.upload?.owner || rec.owner,
    ...(upload.upload?.acl ? { acl: upload.upload.acl } : {}),
    ...(composite && alg ? { checksums: { [alg.toLowerCase()]: composite }, checksumType: type } : {}),
    multipart: { uploadId, parts: chosen.map(partLayout) },
  };
  // Conditional Complete (write-conditions.ts): read just before the write,
  // outside keepAlive so a failed condition keeps its own status.
  await requireWriteConditions(s3, conditions, rec.ns, key, r.signal);
  // Writing the object (and healing parts some node lacks) can take long.
  return keepAlive(s3, r, (async () => {
    await s3.multipart.complete(rec.ns, key, uploadId, chosen, meta, r.signal);
    await stillCurrent(s3, rec, r.signal);
    return completeResult(bucket, key, etag, alg, composite, type);
  })());
}

/**
 * The whole object's checksum the client sent on Complete (SDKs send
 * x-amz-checksum-<alg>: "<checksum>-<parts>" for COMPOSITE, the plain
 * checksum for FULL_OBJECT; the body layer leaves it to this handler) must
 * be the one the parts make: BadDigest otherwise, as a checksum mismatch is
 * anywhere else.
 */
function requireSentChecksum(r: ObjReq, made: { alg: ChecksumAlgorithm; value: string } | undefined): void {
  for (const name of Object.keys(r.headers)) {
    if (!name.startsWith('x-amz-checksum-') || ['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode'].includes(name)) continue;
    const alg = algorithmOfHeader(name);
    if (!alg) throw new S3Error('InvalidRequest', `The checksum header ${name.slice(0, 64)} names no supported algorithm.`);
    const sent = header(r, name)?.trim();
    if (made?.alg !== alg || made.value !== sent) {
      throw new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
    }
  }
}

function completeResult(
  bucket: string, key: string, etag: string, alg: ChecksumAlgorithm | undefined, composite: string | undefined, type: string | undefined,
): S3Response {
  return xmlResponse(xmlDoc('CompleteMultipartUploadResult', [
    ['Location', `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`],
    ['Bucket', bucket],
    ['Key', key],
    ['ETag', `"${etag}"`],
    composite && alg && [`Checksum${alg}`, composite],
    composite && type && ['ChecksumType', type],
  ]));
}

function smallXml(r: S3Request): Promise<string> {
  return smallBody(r, 4 * 1024 * 1024);
}

export async function abortMultipartUpload(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  await requireUpload(s3, r, bucket);
  await s3.multipart.abort(bucket.ns, r.endpoint.key, uploadIdOf(r), r.signal);
  return { status: 204 };
}

export async function listParts(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const upload = await requireUpload(s3, r, bucket);
  const q = r.endpoint.query.params;
  const marker = Number(q.get('part-number-marker') ?? 0);
  const maxRaw = q.get('max-parts');
  const max = maxRaw === undefined ? MAX_LIST_PARTS : Math.min(Number(maxRaw), MAX_LIST_PARTS);
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(max) || max < 0) throw new S3Error('InvalidArgument');
  const { parts, truncated } = await s3.multipart.parts(bucket.ns, uploadIdOf(r), marker, max, r.signal);
  const user = upload.upload?.owner ?? r.principal.user;
  return xmlResponse(xmlDoc('ListPartsResult', [
    ['Bucket', r.endpoint.bucket],
    ['Key', r.endpoint.key],
    ['UploadId', uploadIdOf(r)],
    ...owner(user),
    ['StorageClass', 'STANDARD'],
    ['PartNumberMarker', marker],
    truncated && parts.length > 0 && ['NextPartNumberMarker', parts[parts.length - 1]!.n],
    ['MaxParts', max],
    ['IsTruncated', truncated],
    upload.upload?.checksumAlgorithm && ['ChecksumAlgorithm', upload.upload.checksumAlgorithm],
    ...parts.map((p): XmlNode => ['Part', [
      ['PartNumber', p.n],
      ['LastModified', new Date(p.meta.lastModified).toISOString()],
      ['ETag', `"${p.meta.etag}"`],
      ['Size', p.meta.size],
      ...Object.entries(p.meta.checksums ?? {}).map(([alg, v]): XmlNode => [`Checksum${alg.toUpperCase()}`, v]),
    ]]),
  ]));
}

export async function listMultipartUploads(s3: S3Context, r: BucketReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const q = r.endpoint.query.params;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const idMarker = q.get('upload-id-marker') ?? '';
  const maxRaw = q.get('max-uploads');
  const max = maxRaw === undefined ? 1000 : Math.min(Number(maxRaw), 1000);
  if (!Number.isInteger(max) || max < 0) throw new S3Error('InvalidArgument', 'max-uploads must be an integer', { ArgumentName: 'max-uploads' });
  const enc = q.get('encoding-type') === 'url' ? urlEncodeKey : (s: string) => s;

  // Register keys are "<key>\0<uploadId>": a key marker alone skips every upload of that key.
  let after: string | null = keyMarker === '' ? null : idMarker === '' ? `${keyMarker}\u0000` : `${keyMarker}\u0000${idMarker}`;
  let skipPrefix = keyMarker !== '' && idMarker === '';
  const uploads: Array<{ key: string; id: string; meta: ObjectMeta }> = [];
  const prefixes: string[] = [];
  let truncated = false;
  let next: { key: string; id: string } | null = null;
  outer: for (;;) {
    const page = await s3.multipart.uploads(bucket.ns, prefix, after, skipPrefix, Math.min(MAX_LIST_LIMIT, max + 1), r.signal);
    for (const e of page.entries) {
      const meta = decodeMeta(e.meta);
      if (meta.deleteMarker || !meta.upload) continue;
      const { key, uploadId } = meta.upload;
      const cp = delimiter ? (() => {
        const i = key.indexOf(delimiter, prefix.length);
        return i >= 0 ? key.slice(0, i + delimiter.length) : null;
      })() : null;
      if (cp !== null && prefixes[prefixes.length - 1] === cp) continue;
      if (uploads.length + prefixes.length >= max) {
        truncated = true;
        break outer;
      }
      if (cp !== null) prefixes.push(cp);
      else uploads.push({ key, id: uploadId, meta });
      next = { key, id: uploadId };
    }
    if (!page.truncated || page.lastKey === null) break;
    after = page.lastKey;
    skipPrefix = false;
  }
  return xmlResponse(xmlDoc('ListMultipartUploadsResult', [
    ['Bucket', r.endpoint.bucket],
    ['KeyMarker', enc(keyMarker)],
    ['UploadIdMarker', idMarker],
    truncated && next && ['NextKeyMarker', enc(next.key)],
    truncated && next && ['NextUploadIdMarker', next.id],
    ['Prefix', enc(prefix)],
    delimiter !== '' && ['Delimiter', enc(delimiter)],
    ['MaxUploads', max],
    q.get('encoding-type') === 'url' && ['EncodingType', 'url'],
    ['IsTruncated', truncated],
    ...uploads.map((u): XmlNode => ['Upload', [
      ['Key', enc(u.key)],
      ['UploadId', u.id],
      ...owner(u.meta.upload?.owner ?? r.principal.user),
      ['StorageClass', 'STANDARD'],
      ['Initiated', new Date(u.meta.upload?.initiated ?? u.meta.lastModified).toISOString()],
      u.meta.upload?.checksumAlgorithm && ['ChecksumAlgorithm', u.meta.upload.checksumAlgorithm],
    ]]),
    ...prefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
  ]));
}

/** x-amz-copy-source-range: "bytes=first-last", inside an object of `size` bytes. */
function copyRange(raw: string | undefined, size: number): { first: number; last: number } {
  if (raw === undefined) return { first: 0, last: size - 1 };
  const m = /^bytes=(\d+)-(\d+)$/.exec(raw.trim());
  if (!m) throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw });
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (last < first || last >= size) throw new S3Error('InvalidRange', undefined, { ActualObjectSize: String(size), RangeRequested: raw });
  return { first, last };
}

/**
 * UploadPartCopy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html):
 * the part's bytes stream from the source object's verified blocks into a
 * new part write; its ETag is their MD5, and the upload's checksum
 * algorithm (if any) is computed on the way for the composite checksum.
 */
export async function uploadPartCopy(s3: S3Context, r: ObjReq): Promise<S3Response> {
  const bucket = await requireBucket(s3, r);
  const n = partNumberOf(r);
  const upload = await requireUpload(s3, r, bucket);
  const src = parseCopySource(header(r, 'x-amz-copy-source'));
  const srcBucket = existing(await s3.buckets.get(src.bucket, r.signal), src.bucket);
  requireNullVersion(src.versionId, src.key);
  const found = await s3.objects.head(srcBucket.ns, src.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: src.key });
  // The read's pins go when the copy settles, whichever way (review F12): a
  // failed check, an empty source, or a write that fails before it reads
  // its source never starts the stream that would release them (after a
  // streamed copy this is a second, harmless release).
  return keepAlive(s3, r, (async () => {
    checkCopyConditions(r.headers, found.meta);
    const { first, last } = copyRange(header(r, 'x-amz-copy-source-range'), found.meta.size);
    if (last - first + 1 > MAX_COPY_SOURCE_BYTES) throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`);
    const md5 = createChecksum('MD5');
    const alg = upload.upload?.checksumAlgorithm ? parseAlgorithm(upload.upload.checksumAlgorithm) : undefined;
    const sum = alg ? createChecksum(alg) : undefined;
    const partBytes = found.meta.size === 0 ? 0 : last - first + 1;
    const bytes = partBytes === 0 ? (async function* () {})() : s3.objects.stream(found, first, last, r.signal);
    const meta = await s3.multipart.putPart(bucket.ns, uploadIdOf(r), n, digesting(bytes, sum ? [md5, sum] : [md5]), (size, blockSize) => {
      if (size !== partBytes) throw new Error(`part copy read ${size} bytes`);
      return {
        v: 1, size, blockSize, lastModified: s3.now(), etag: md5.digest().toString('hex'),
        ...(alg && sum ? { checksums: { [alg.toLowerCase()]: sum.digest().toString('base64') } } : {}),
      };
    }, r.signal, partBytes);
    await stillCurrent(s3, bucket, r.signal);
    return xmlResponse(xmlDoc('CopyPartResult', [
      ['ETag', `"${meta.etag}"`],
      ['LastModified', new Date(meta.lastModified).toISOString()],
      ...Object.entries(meta.checksums ?? {}).map(([a, v]): XmlNode => [`Checksum${a.toUpperCase()}`, v]),
    ]));
  })().finally(() => s3.objects.release(found)));
}
