// The one entry point of request authentication: picks the scheme, verifies
// it, and says how the body must then be verified (AuthResult.payload).
// POST object (browser form upload) is not handled here: its credentials are
// in the multipart form, see sigV4SigningKey / hmacSha1Base64 in crypto.ts.

import { S3Error } from '../errors.js';
import { headerValue, splitTarget } from './request-parts.js';
import { hasV2QueryParams, verifySigV2Header, verifySigV2Query } from './sigv2.js';
import { hasV4QueryParams, parseV4Header, parseV4Query } from './sigv4-params.js';
import { verifySigV4 } from './sigv4.js';
import { payloadMode } from './payload.js';
import type { AuthContext, AuthRequest, AuthResult, PayloadMode } from './types.js';
import type { Credential } from './credentials.js';

export type { AuthContext, AuthRequest, AuthResult, AuthScheme, ChunkSigning, PayloadMode } from './types.js';

/**
 * Authenticates a request from its request line and headers, before any body
 * byte is read. Returns who signed it and how its body must be verified;
 * throws S3Error (AccessDenied when no credentials at all: the edge calls
 * isAnonymous() first and serves such a request as anonymous, per ACLs).
 *
 * Schemes: SigV4 `Authorization` header, SigV4 presigned query, SigV2
 * `Authorization: AWS`, SigV2 presigned query. More than one → InvalidArgument.
 */
export function authenticate(req: AuthRequest, ctx: AuthContext): AuthResult {
  const authorization = headerValue(req.headers, 'authorization');
  const { rawQuery } = splitTarget(req.rawUrl);
  const v4Query = hasV4QueryParams(rawQuery);
  const v2Query = hasV2QueryParams(rawQuery);
  if ((authorization !== undefined ? 1 : 0) + (v4Query ? 1 : 0) + (v2Query ? 1 : 0) > 1) {
    throw new S3Error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', { ArgumentName: 'Authorization' });
  }

  if (authorization !== undefined) {
    const a = authorization.trimStart();
    if (/^AWS4-HMAC-SHA256\s/.test(a)) {
      const v = verifySigV4(req, ctx, parseV4Header(a, req.headers));
      return result(v.credential, 'v4-header', payloadMode(v.payloadToken, v.signing));
    }
    if (a.startsWith('AWS ')) {
      const c = verifySigV2Header(req, ctx, a);
      return result(c, 'v2-header', unsignedSchemePayload(req));
    }
    if (a.startsWith('AWS4-ECDSA-P256-SHA256')) throw new S3Error('NotImplemented', 'AWS Signature Version 4A (ECDSA) is not supported.');
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', { ArgumentName: 'Authorization' });
  }
  if (v4Query) {
    const v = verifySigV4(req, ctx, parseV4Query(rawQuery));
    return result(v.credential, 'v4-query', payloadMode(v.payloadToken, v.signing));
  }
  if (v2Query) {
    const c = verifySigV2Query(req, ctx);
    return result(c, 'v2-query', unsignedSchemePayload(req));
  }
  throw new S3Error('AccessDenied');
}

/**
 * A request with no credentials at all (no Authorization header, no
 * presigned query parameters) is anonymous: what it may do is the ACLs'
 * business (s3/access/authorize.ts). Anything else goes through authenticate().
 */
export function isAnonymous(req: AuthRequest): boolean {
  const { rawQuery } = splitTarget(req.rawUrl);
  return headerValue(req.headers, 'authorization') === undefined && !hasV4QueryParams(rawQuery) && !hasV2QueryParams(rawQuery);
}

/** An anonymous request's result: no user; its body is unsigned (an x-amz-content-sha256 is still honoured). */
export function anonymousAuth(req: AuthRequest): AuthResult {
  return { accessKey: '', user: '', scheme: 'anonymous', payload: unsignedSchemePayload(req) };
}

/**
 * SigV2 never signs the body. An x-amz-content-sha256 header is still honoured
 * for framing (STREAMING-UNSIGNED-PAYLOAD-TRAILER) or as an extra check (hex);
 * signed streaming needs SigV4 and is refused.
 */
function unsignedSchemePayload(req: AuthRequest): PayloadMode {
  const token = headerValue(req.headers, 'x-amz-content-sha256')?.trim();
  return token === undefined ? { kind: 'unsigned' } : payloadMode(token, undefined);
}

function result(c: Credential, scheme: AuthResult['scheme'], payload: PayloadMode): AuthResult {
  const scope = c.access !== undefined || c.buckets !== undefined
    ? { ...(c.access !== undefined ? { access: c.access } : {}), ...(c.buckets !== undefined ? { buckets: c.buckets } : {}) }
    : undefined;
  return { accessKey: c.accessKey, user: c.user, scheme, payload, ...(scope ? { scope } : {}) };
}
