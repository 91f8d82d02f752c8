// SigV2: `Authorization: AWS <AK>:<sig>` (s3cmd signature_v2) and presigned
// `?AWSAccessKeyId=&Expires=&Signature=` (default of aws CLI / boto3 presign
// and s3cmd signurl). HMAC-SHA1 over
//   METHOD \n Content-MD5 \n Content-Type \n Date|Expires \n CanonicalizedAmzHeaders CanonicalizedResource
// AWS reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html

import { S3Error } from '../errors.js';
import { MAX_CLOCK_SKEW_MS, MAX_PRESIGN_EXPIRES_S, formatAmzDate, parseHttpDate } from './amz-date.js';
import type { Credential } from './credentials.js';
import { hmacSha1Base64, sameSignature } from './crypto.js';
import { decodeComponent, headerValue, rawParams, splitTarget } from './request-parts.js';
import { resourcePath, subResources } from './sigv2-resource.js';
import type { AuthContext, AuthRequest } from './types.js';

/** `x-amz-*` headers sorted by name, `name:value\n` each (values trimmed, repeats joined with `,`). */
export function canonicalAmzHeaders(req: AuthRequest): string {
  const names = Object.keys(req.headers).filter((n) => n.startsWith('x-amz-')).sort();
  let out = '';
  for (const n of names) out += `${n}:${(headerValue(req.headers, n) ?? '').trim().replace(/\r?\n[ \t]*/g, ' ')}\n`;
  return out;
}

export function v2StringToSign(req: AuthRequest, ctx: AuthContext, dateLine: string, contentType?: string): string {
  const { rawPath, rawQuery } = splitTarget(req.rawUrl);
  return [
    req.method,
    headerValue(req.headers, 'content-md5') ?? '',
    contentType ?? headerValue(req.headers, 'content-type') ?? '',
    dateLine,
    canonicalAmzHeaders(req) + resourcePath(rawPath, ctx.bucket, ctx.key) + subResources(rawQuery),
  ].join('\n');
}

function lookup(ctx: AuthContext, accessKey: string): Credential {
  const c = ctx.creds.lookup(accessKey);
  if (!c) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
  return c;
}

function mismatch(accessKey: string, toSign: string, provided: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', undefined, {
    AWSAccessKeyId: accessKey,
    StringToSign: toSign,
    SignatureProvided: provided.slice(0, 128),
  });
}

/** Verifies `Authorization: AWS AK:sig`. x-amz-date, when present, replaces Date (whose line is then empty). */
export function verifySigV2Header(req: AuthRequest, ctx: AuthContext, authorization: string): Credential {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; expected "AWS <AWSAccessKeyId>:<Signature>".');
  const [, accessKey = '', signature = ''] = m;
  const credential = lookup(ctx, accessKey);

  const amzDate = headerValue(req.headers, 'x-amz-date');
  const date = headerValue(req.headers, 'date');
  const stamp = amzDate ?? date;
  const timeMs = stamp === undefined ? undefined : parseHttpDate(stamp);
  if (timeMs === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const now = ctx.now();
  if (Math.abs(now - timeMs) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: stamp ?? '',
      ServerTime: formatAmzDate(now),
      MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
    });
  }

  const toSign = v2StringToSign(req, ctx, amzDate !== undefined ? '' : (date ?? ''));
  if (!sameSignature(hmacSha1Base64(credential.secretKey, toSign), signature)) throw mismatch(accessKey, toSign, signature);
  return credential;
}

/** True if the query carries any SigV2 presigning parameter. */
export function hasV2QueryParams(rawQuery: string): boolean {
  return rawParams(rawQuery).some((p) => p.name === 'AWSAccessKeyId' || p.name === 'Signature');
}

/**
 * Verifies a SigV2 presigned URL; the date line is Expires (unix seconds).
 *
 * Deliberate deviation from AWS: when the signature does not match with the
 * request's Content-Type, it is tried once more with an empty Content-Type.
 * boto3/aws CLI presign PUT URLs with an empty Content-Type, and common HTTP
 * clients (Python urllib) then add one on their own; AWS rejects such uploads,
 * the capture stub accepted them (boto3.md §2). Accepting means the URL
 * holder may choose the Content-Type the signer left unconstrained; nothing
 * else of the request becomes unsigned.
 */
export function verifySigV2Query(req: AuthRequest, ctx: AuthContext): Credential {
  const { rawQuery } = splitTarget(req.rawUrl);
  const got = new Map<string, string>();
  for (const p of rawParams(rawQuery)) {
    if (p.name !== 'AWSAccessKeyId' && p.name !== 'Expires' && p.name !== 'Signature') continue;
    const v = decodeComponent(p.value);
    if (v === undefined || got.has(p.name)) throw new S3Error('AuthorizationQueryParametersError', `Error parsing the ${p.name} parameter.`);
    got.set(p.name, v);
  }
  const accessKey = got.get('AWSAccessKeyId');
  const expires = got.get('Expires');
  const signature = got.get('Signature');
  if (!accessKey || expires === undefined || !signature) {
    throw new S3Error('AuthorizationQueryParametersError', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  if (!/^\d{1,12}$/.test(expires)) throw new S3Error('AuthorizationQueryParametersError', 'Expires must be a number of seconds since the epoch');
  const credential = lookup(ctx, accessKey);
  const now = ctx.now();
  if (now > Number(expires) * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  // DEVIATION (review F9): AWS does not cap a V2 URL's lifetime; here it is
  // capped as SigV4's X-Amz-Expires is (7 days), with the same error. V2
  // signs no signing time, so the cap is on what remains from now, with the
  // allowed clock skew on top for signers whose clock runs ahead.
  if (Number(expires) * 1000 > now + MAX_PRESIGN_EXPIRES_S * 1000 + MAX_CLOCK_SKEW_MS) {
    throw new S3Error('AuthorizationQueryParametersError', `Expires must be at most ${MAX_PRESIGN_EXPIRES_S} seconds (7 days) from now`);
  }

  const toSign = v2StringToSign(req, ctx, expires);
  if (sameSignature(hmacSha1Base64(credential.secretKey, toSign), signature)) return credential;
  if (headerValue(req.headers, 'content-type')) {
    const bare = v2StringToSign(req, ctx, expires, '');
    if (sameSignature(hmacSha1Base64(credential.secretKey, bare), signature)) return credential;
  }
  throw mismatch(accessKey, toSign, signature);
}
