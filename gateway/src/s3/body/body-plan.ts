// Everything about a request body that can be decided from the headers, before
// a byte is read: framing, sizes, which digests and checksums to compute and
// what the client claims they are. Header problems surface here, early
// (before a 100 Continue is worth sending), as S3Errors.

import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';
import type { PayloadMode } from '../auth/types.js';
import { CHECKSUM_ALGORITHMS, CHECKSUM_BYTES, type ChecksumAlgorithm, algorithmOfHeader, parseAlgorithm } from './checksums.js';

export interface BodyPlan {
  readonly framing: 'plain' | 'aws-chunked';
  /** Content-Length: bytes on the wire (framed size for aws-chunked). */
  readonly contentLength?: number;
  /** x-amz-decoded-content-length (aws-chunked only). */
  readonly decodedLength?: number;
  /** Lower-case trailer names from x-amz-trailer. */
  readonly declaredTrailers: readonly string[];
  /** The 16-byte Content-MD5 the body must match. */
  readonly contentMd5?: Buffer;
  /**
   * The one S3 checksum of this request: its algorithm, and the client's
   * base64 value when sent as a header ('trailer' = expected in the trailer,
   * 'none' = only asked for by x-amz-sdk-checksum-algorithm).
   */
  readonly checksum?: { readonly alg: ChecksumAlgorithm; readonly source: 'header' | 'trailer' | 'none'; readonly value?: string };
}

/** Headers that start like a checksum value header but are not one. */
const NOT_CHECKSUM_VALUES = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-mode', 'x-amz-checksum-type']);

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function nonNegativeInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v.trim())) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer.`, { ArgumentName: name, ArgumentValue: v.slice(0, 64) });
  return Number(v.trim());
}

/** A checksum value as S3 accepts it: canonical base64 of exactly the digest length. */
export function validChecksumValue(alg: ChecksumAlgorithm, v: string): boolean {
  const b = Buffer.from(v, 'base64');
  return b.length === CHECKSUM_BYTES[alg] && b.toString('base64') === v;
}

function parseContentMd5(v: string | undefined): Buffer | undefined {
  if (v === undefined) return undefined;
  const b = Buffer.from(v.trim(), 'base64');
  if (b.length !== 16 || b.toString('base64') !== v.trim()) throw new S3Error('InvalidDigest');
  return b;
}

const multiple = () => new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
const unsupported = () => new S3Error('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}]`);

function parseChecksum(headers: IncomingHttpHeaders, trailers: readonly string[], objectChecksums: boolean): BodyPlan['checksum'] {
  let found: BodyPlan['checksum'];
  for (const name of Object.keys(headers)) {
    if (!name.startsWith('x-amz-checksum-') || NOT_CHECKSUM_VALUES.has(name) || objectChecksums) continue;
    const alg = algorithmOfHeader(name);
    if (!alg) throw unsupported();
    if (found) throw multiple();
    const value = (one(headers, name) ?? '').trim();
    if (!validChecksumValue(alg, value)) throw new S3Error('InvalidRequest', `Value for ${name} header is invalid.`);
    found = { alg, source: 'header', value };
  }
  for (const name of trailers) {
    const alg = algorithmOfHeader(name);
    if (!alg) throw new S3Error('InvalidRequest', `The trailer ${name.slice(0, 64)} is not supported; only x-amz-checksum-<algorithm> trailers are.`);
    if (found) throw multiple();
    found = { alg, source: 'trailer' };
  }
  const sdk = one(headers, 'x-amz-sdk-checksum-algorithm');
  if (sdk !== undefined) {
    const alg = parseAlgorithm(sdk);
    if (!alg) throw unsupported();
    if (found && found.alg !== alg) throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
    found ??= { alg, source: 'none' };
  }
  return found;
}

/**
 * Builds the plan and applies every header-level rule: malformed Content-MD5
 * → InvalidDigest; several checksums, an unknown algorithm or trailer, a
 * malformed checksum value, x-amz-trailer without a trailer framing, or
 * Content-Encoding aws-chunked without a STREAMING token → InvalidRequest;
 * announced size over maxBytes → EntityTooLarge. Query-string checksums are
 * never looked at (SDK v3 presigned PUTs carry the CRC of an empty body there).
 * With `objectChecksums` (CompleteMultipartUpload) x-amz-checksum-* headers
 * are the finished object's checksum, not this body's: the handler checks them.
 */
export function planBody(headers: IncomingHttpHeaders, payload: PayloadMode, maxBytes: number, objectChecksums = false): BodyPlan {
  const chunked = payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer';
  const trailerFraming = payload.kind === 'streaming-unsigned-trailer' || (payload.kind === 'streaming-signed' && payload.trailer);
  const encodings = (one(headers, 'content-encoding') ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (!chunked && encodings.includes('aws-chunked')) {
    throw new S3Error('InvalidRequest', 'Content-Encoding aws-chunked requires a STREAMING-* x-amz-content-sha256.');
  }
  const trailerHeader = one(headers, 'x-amz-trailer');
  const declaredTrailers = trailerHeader === undefined ? [] : trailerHeader.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (declaredTrailers.length > 0 && !trailerFraming) {
    throw new S3Error('InvalidRequest', 'x-amz-trailer requires a STREAMING-UNSIGNED-PAYLOAD-TRAILER or STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER payload.');
  }
  const contentLength = nonNegativeInt(one(headers, 'content-length'), 'Content-Length');
  const decodedLength = chunked ? nonNegativeInt(one(headers, 'x-amz-decoded-content-length'), 'x-amz-decoded-content-length') : undefined;
  const announced = chunked ? decodedLength : contentLength;
  if (announced !== undefined && announced > maxBytes) throw new S3Error('EntityTooLarge');
  const contentMd5 = parseContentMd5(one(headers, 'content-md5'));
  const checksum = parseChecksum(headers, declaredTrailers, objectChecksums);
  return {
    framing: chunked ? 'aws-chunked' : 'plain',
    declaredTrailers,
    ...(contentLength !== undefined ? { contentLength } : {}),
    ...(decodedLength !== undefined ? { decodedLength } : {}),
    ...(contentMd5 ? { contentMd5 } : {}),
    ...(checksum ? { checksum } : {}),
  };
}
