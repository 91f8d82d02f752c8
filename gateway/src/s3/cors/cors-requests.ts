// Cross-origin requests against a bucket's CORS rules (cors-match.ts).
//
// Preflight, the OPTIONS object operation
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTOPTIONSobject.html):
// answered from the rules without authentication, as S3 does (a browser
// sends no credentials with it). The answers are the ones recorded against
// S3: no Origin → 400 BadRequest; no such bucket, or no rules → 403
// AccessForbidden "CORSResponse: Bucket not found" / "... CORS is not enabled
// for this bucket."; no rule allows it → 403 AccessForbidden "This CORS
// request is not allowed ..."; each 403 names the Method asked for
// (OPTIONS when none was) and the ResourceType. Allowed → 200, empty, with
// the Access-Control-* headers.
//
// Actual requests: one with an Origin that a rule allows gets the same
// headers, on success and on an S3 error alike (a page's script can read an
// error only if the error carries them). One no rule allows gets none, and is
// served as if it had no Origin: S3 refuses only preflights; the browser
// refuses the response.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CorsRule } from '../../object-meta.js';
import type { S3Context, S3Request, S3Response } from '../context.js';
import { allowHeaders, matchRule, requestedHeaders, type CorsAsk } from './cors-match.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** What a request with these headers asks for; undefined without an Origin. */
function askOf(headers: IncomingHttpHeaders, method: string): CorsAsk | undefined {
  const origin = one(headers, 'origin');
  if (origin === undefined || origin === '') return undefined;
  return {
    origin,
    // S3 matches an actual request that carries Access-Control-Request-Method by that header, as a preflight.
    method: one(headers, 'access-control-request-method') ?? method,
    headers: requestedHeaders(one(headers, 'access-control-request-headers')),
  };
}

function forbidden(method: string, resourceType: 'BUCKET' | 'OBJECT', message?: string): S3Error {
  return new S3Error('AccessForbidden', message, { Method: method, ResourceType: resourceType });
}

/** OPTIONS on a bucket or an object: a CORS preflight. */
export async function preflight(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const e = r.endpoint;
  if (!('bucket' in e) || e.bucket === undefined) throw new Error(`${e.op} has no bucket`);
  const ask = askOf(r.headers, 'OPTIONS');
  if (!ask) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  const rec = await s3.buckets.get(e.bucket, r.signal);
  if (!rec) throw forbidden(ask.method, 'BUCKET', 'CORSResponse: Bucket not found');
  if (!rec.cors) throw forbidden(ask.method, 'BUCKET', 'CORSResponse: CORS is not enabled for this bucket.');
  const rule = matchRule(rec.cors, ask);
  if (!rule) throw forbidden(ask.method, 'key' in e && e.key !== undefined ? 'OBJECT' : 'BUCKET');
  return { status: 200, headers: allowHeaders(rule, ask) };
}

async function rulesOf(s3: S3Context, bucket: string, signal: AbortSignal): Promise<readonly CorsRule[] | undefined> {
  try {
    return (await s3.buckets.get(bucket, signal))?.cors;
  } catch {
    // The request's own handler meets the same failure and answers it; no CORS headers then.
    return undefined;
  }
}

/**
 * Sets the Access-Control-* headers on `res` when the request has an Origin
 * one of its bucket's rules allows; before authentication and dispatch, so
 * that whatever is answered, a success or an S3 error, carries them.
 * Preflights answer for themselves (preflight above).
 */
export async function allowCrossOrigin(s3: S3Context, req: IncomingMessage, res: ServerResponse, e: Endpoint, signal: AbortSignal): Promise<void> {
  if (req.method === 'OPTIONS' || !('bucket' in e) || e.bucket === undefined) return;
  const ask = askOf(req.headers, req.method ?? 'GET');
  if (!ask) return;
  const rules = await rulesOf(s3, e.bucket, signal);
  const rule = rules && matchRule(rules, ask);
  if (!rule) return;
  for (const [name, value] of Object.entries(allowHeaders(rule, ask))) res.setHeader(name, value);
}
