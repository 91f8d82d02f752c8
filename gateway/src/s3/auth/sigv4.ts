// SigV4 verification, header and presigned forms.
// AWS references: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html

import { S3Error } from '../errors.js';
import { MAX_CLOCK_SKEW_MS, MAX_PRESIGN_EXPIRES_S, formatAmzDate } from './amz-date.js';
import type { Credential } from './credentials.js';
import { hmacSha256, sameSignature, sigV4SigningKey } from './crypto.js';
import { headerValue, splitTarget } from './request-parts.js';
import { canonicalQuery, canonicalRequest, stringToSign } from './sigv4-canonical.js';
import { type V4Params, malformed } from './sigv4-params.js';
import { UNSIGNED_PAYLOAD } from './payload.js';
import type { AuthContext, AuthRequest, ChunkSigning } from './types.js';

export interface V4Verified {
  readonly credential: Credential;
  readonly signing: ChunkSigning;
  /** The token that decides the body's framing and verification (see payload.ts). */
  readonly payloadToken: string;
}

/** Credential scope: date = the request's day, region = ours, service s3, aws4_request. */
function checkScope(p: V4Params, region: string): void {
  const h = p.form === 'header';
  const pre = h ? 'The authorization header is malformed; ' : 'Error parsing the X-Amz-Credential parameter; ';
  if (p.credDate !== p.amzDate.slice(0, 8)) {
    throw malformed(p.form, `${pre}Invalid credential date "${p.credDate}". This date is not the same as X-Amz-Date: "${p.amzDate.slice(0, 8)}".`);
  }
  if (p.region !== region) throw malformed(p.form, `${pre}the region '${p.region}' is wrong; expecting '${region}'`, { Region: region });
  if (p.service !== 's3') throw malformed(p.form, `${pre}incorrect service "${p.service}". This endpoint belongs to "s3".`);
  if (p.terminator !== 'aws4_request') throw malformed(p.form, `${pre}incorrect terminal "${p.terminator}". This endpoint uses "aws4_request".`);
}

/** Header form: ±15 minutes. Query form: not expired (≤ 7 days of validity) and not from the future. */
function checkTime(p: V4Params, now: number): void {
  const serverTime = formatAmzDate(now);
  if (p.form === 'header') {
    if (Math.abs(now - p.timeMs) > MAX_CLOCK_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', undefined, {
        RequestTime: p.amzDate,
        ServerTime: serverTime,
        MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
      });
    }
    return;
  }
  const expires = p.expiresS ?? 0;
  if (expires > MAX_PRESIGN_EXPIRES_S) {
    throw malformed('query', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGN_EXPIRES_S}`);
  }
  if (p.timeMs - now > MAX_CLOCK_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet', { ServerTime: serverTime });
  if (now > p.timeMs + expires * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(expires),
      Expires: formatAmzDate(p.timeMs + expires * 1000),
      ServerTime: serverTime,
    });
  }
}

/**
 * Every x-amz-* header present must be signed (AWS requires it; every captured
 * client complies): otherwise whoever holds a presigned URL, or sits on the
 * path of an http request, could add x-amz-copy-source or x-amz-acl.
 */
function checkAmzHeadersSigned(req: AuthRequest, signed: readonly string[]): void {
  // A loop, not a filter callback: a closure made per request has its
  // optimized code dropped at every full collection (README, "V8's compiler").
  const unsigned: string[] = [];
  for (const n of Object.keys(req.headers)) if (n.startsWith('x-amz-') && !signed.includes(n)) unsigned.push(n);
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

/**
 * Verifies a parsed SigV4 request. Checks, in order: access key, scope, time,
 * unsigned x-amz-* headers, signature. Returns the credential and the material
 * aws-chunked signatures chain from; throws S3Error otherwise.
 */
export function verifySigV4(req: AuthRequest, ctx: AuthContext, p: V4Params): V4Verified {
  const credential = ctx.creds.lookup(p.accessKey);
  if (!credential) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: p.accessKey });
  checkScope(p, ctx.region);
  checkTime(p, ctx.now());
  checkAmzHeadersSigned(req, p.signedHeaders);

  const headerToken = headerValue(req.headers, 'x-amz-content-sha256')?.trim();
  let payloadLine: string;
  let payloadToken: string;
  if (p.form === 'header') {
    if (headerToken === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    payloadLine = payloadToken = headerToken;
  } else {
    // Presigned: the canonical payload line is the signed X-Amz-Content-Sha256 parameter or
    // UNSIGNED-PAYLOAD; the framing follows that parameter, else the header (unsigned tokens
    // only add checks; a signed-streaming token still needs the signing key to pass).
    payloadLine = p.payloadParam ?? UNSIGNED_PAYLOAD;
    payloadToken = p.payloadParam ?? headerToken ?? UNSIGNED_PAYLOAD;
  }

  const { rawPath, rawQuery } = splitTarget(req.rawUrl);
  const scope = `${p.credDate}/${p.region}/${p.service}/${p.terminator}`;
  const canonical = canonicalRequest({
    method: req.method,
    rawPath,
    canonicalQuery: canonicalQuery(rawQuery, p.form === 'query' ? 'X-Amz-Signature' : undefined),
    headers: req.headers,
    signedHeaders: p.signedHeaders,
    payloadHash: payloadLine,
  });
  const toSign = stringToSign(p.amzDate, scope, canonical);
  const signingKey = sigV4SigningKey(credential.secretKey, p.credDate, p.region, p.service);
  const expected = hmacSha256(signingKey, toSign).toString('hex');
  if (!sameSignature(expected, p.signature)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: p.accessKey,
      StringToSign: toSign,
      SignatureProvided: p.signature.slice(0, 128),
      CanonicalRequest: canonical,
    });
  }
  return { credential, signing: { seedSignature: p.signature, signingKey, scope, amzDate: p.amzDate }, payloadToken };
}
