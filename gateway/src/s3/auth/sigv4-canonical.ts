// SigV4 canonical request and string-to-sign, exactly as the clients in
// /work/shared/clients/wire-formats.md §1-2 build them (verified on ~1 900
// live requests): the raw path unchanged, the raw query split on `&`,
// valueless parameters given an empty value, values left as sent.
// AWS reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

import type { IncomingHttpHeaders } from 'node:http';
import { sha256Hex } from './crypto.js';
import { headerValue, rawParams } from './request-parts.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Canonical query string: parameters as sent (still percent-encoded), `name=`
 * for a valueless one, sorted by name then value (code-unit order; the names
 * are ASCII). `omit` drops a parameter by exact name (X-Amz-Signature when presigned).
 */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  const pairs = rawParams(rawQuery)
    .filter((p) => p.name !== omit)
    .map((p) => [p.name, p.value] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** A header value as SigV4 canonicalises it: trimmed, inner whitespace runs collapsed to one space. */
export function canonicalHeaderValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ');
}

/**
 * The canonical headers block: one `name:value\n` line per signed header, in
 * the order the client listed them. A signed header missing from the request
 * canonicalises to an empty value (the signature then simply does not match).
 */
export function canonicalHeaders(headers: IncomingHttpHeaders, signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) out += `${name}:${canonicalHeaderValue(headerValue(headers, name) ?? '')}\n`;
  return out;
}

export interface CanonicalRequestInput {
  readonly method: string;
  readonly rawPath: string;
  /** Already canonical (see canonicalQuery). */
  readonly canonicalQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly signedHeaders: readonly string[];
  /** The payload line: x-amz-content-sha256 verbatim, or UNSIGNED-PAYLOAD when presigned. */
  readonly payloadHash: string;
}

export function canonicalRequest(r: CanonicalRequestInput): string {
  return [
    r.method,
    r.rawPath,
    r.canonicalQuery,
    canonicalHeaders(r.headers, r.signedHeaders),
    r.signedHeaders.join(';'),
    r.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}
