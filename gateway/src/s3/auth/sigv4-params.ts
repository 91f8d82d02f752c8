// Parsing of the two SigV4 carriers into one shape: the Authorization header
// (`AWS4-HMAC-SHA256 Credential=AK/yyyymmdd/region/s3/aws4_request,
// SignedHeaders=a;b, Signature=hex`, separators `", "` or `","`, any order)
// and the presigned query (X-Amz-Algorithm/Credential/Date/Expires/
// SignedHeaders/Signature). Only syntax is checked here; scope, time and
// signature are sigv4.ts's job.

import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.js';
import { decodeComponent, headerValue, rawParams } from './request-parts.js';
import { SIGV4_ALGORITHM } from './sigv4-canonical.js';

export type V4Form = 'header' | 'query';

export interface V4Params {
  readonly form: V4Form;
  readonly accessKey: string;
  /** The credential scope's parts: yyyymmdd, region, service, terminator. */
  readonly credDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** The request timestamp in `20261125T191100Z` form, and as epoch ms. */
  readonly amzDate: string;
  readonly timeMs: number;
  /** Query form only: X-Amz-Expires in seconds. */
  readonly expiresS?: number;
  /** Query form only: the X-Amz-Content-Sha256 parameter, if present. */
  readonly payloadParam?: string;
}

/** The error code for a malformed carrier of this form. */
export function malformed(form: V4Form, message: string, extra?: Record<string, string>): S3Error {
  return new S3Error(form === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError', message, extra);
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const CREDENTIAL_SHAPE = 'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';

function parseCredential(form: V4Form, value: string) {
  const parts = value.split('/');
  const [accessKey, credDate, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKey || !credDate || !region || !service || !terminator) {
    throw malformed(form, form === 'header'
      ? `The authorization header is malformed; the Credential is mal-formed; ${CREDENTIAL_SHAPE}`
      : `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; ${CREDENTIAL_SHAPE}`);
  }
  return { accessKey, credDate, region, service, terminator };
}

function parseSignedHeaders(form: V4Form, value: string): string[] {
  const names = value.split(';');
  if (!names.every((n) => HEADER_NAME.test(n))) {
    throw malformed(form, form === 'header'
      ? 'The authorization header is malformed; SignedHeaders must be lower-case header names separated by ";".'
      : 'X-Amz-SignedHeaders must be lower-case header names separated by ";".');
  }
  // Host binds the signature to the endpoint and, in virtual-host style, to the bucket.
  if (!names.includes('host')) {
    throw malformed(form, form === 'header'
      ? 'The authorization header is malformed; SignedHeaders must include host.'
      : 'X-Amz-SignedHeaders must include host.');
  }
  return names;
}

const NO_DATE = 'AWS authentication requires a valid Date or x-amz-date header';

/**
 * The request time of a header-signed request: X-Amz-Date, else the Date
 * header (converted to the basic ISO form the string-to-sign then uses).
 */
function headerTime(headers: IncomingHttpHeaders): { amzDate: string; timeMs: number } {
  const amz = headerValue(headers, 'x-amz-date');
  if (amz !== undefined) {
    const ms = parseAmzDate(amz.trim());
    if (ms === undefined) throw new S3Error('AccessDenied', NO_DATE);
    return { amzDate: amz.trim(), timeMs: ms };
  }
  const date = headerValue(headers, 'date');
  const ms = date === undefined ? undefined : parseHttpDate(date);
  if (ms === undefined) throw new S3Error('AccessDenied', NO_DATE);
  return { amzDate: formatAmzDate(ms), timeMs: ms };
}

/** Parses `Authorization: AWS4-HMAC-SHA256 ...`. The caller has checked the algorithm prefix. */
export function parseV4Header(authorization: string, headers: IncomingHttpHeaders): V4Params {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
  if (!m) throw malformed('header', 'The authorization header is malformed; it must start with "AWS4-HMAC-SHA256 ".');
  const fields = new Map<string, string>();
  for (const part of (m[1] ?? '').split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    if (eq < 0 || fields.has(name) || !['Credential', 'SignedHeaders', 'Signature'].includes(name)) {
      throw malformed('header', `The authorization header is malformed; unexpected component "${p.slice(0, 64)}".`);
    }
    fields.set(name, p.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signed === undefined || signature === undefined) {
    throw malformed('header', 'The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.');
  }
  return {
    form: 'header',
    ...parseCredential('header', credential),
    signedHeaders: parseSignedHeaders('header', signed),
    signature,
    ...headerTime(headers),
  };
}

const QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;

/** True if the query carries any SigV4 presigning parameter. */
export function hasV4QueryParams(rawQuery: string): boolean {
  return rawParams(rawQuery).some((p) => (QUERY_PARAMS as readonly string[]).includes(p.name));
}

/** Parses the presigned-URL parameters (names are case-sensitive, as AWS signs them). */
export function parseV4Query(rawQuery: string): V4Params {
  const got = new Map<string, string>();
  for (const p of rawParams(rawQuery)) {
    if (!(QUERY_PARAMS as readonly string[]).includes(p.name) && p.name !== 'X-Amz-Content-Sha256') continue;
    const v = decodeComponent(p.value);
    if (v === undefined || got.has(p.name)) throw malformed('query', `Error parsing the ${p.name} parameter.`);
    got.set(p.name, v);
  }
  const v = (n: (typeof QUERY_PARAMS)[number]): string => {
    const s = got.get(n);
    if (s === undefined) {
      throw malformed('query', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
    }
    return s;
  };
  const algorithm = v('X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) throw malformed('query', `X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`);
  const amzDate = v('X-Amz-Date');
  const timeMs = parseAmzDate(amzDate);
  if (timeMs === undefined) throw malformed('query', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const expires = v('X-Amz-Expires');
  if (!/^\d{1,10}$/.test(expires)) throw malformed('query', 'X-Amz-Expires should be a number');
  const payloadParam = got.get('X-Amz-Content-Sha256');
  return {
    form: 'query',
    ...parseCredential('query', v('X-Amz-Credential')),
    signedHeaders: parseSignedHeaders('query', v('X-Amz-SignedHeaders')),
    signature: v('X-Amz-Signature'),
    amzDate,
    timeMs,
    expiresS: Number(expires),
    ...(payloadParam !== undefined ? { payloadParam } : {}),
  };
}
