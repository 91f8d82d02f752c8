// Raw pieces of the request line and headers, as signers see them.
// Signatures are computed over the bytes the client sent, so nothing here
// decodes or normalises unless its name says so.

import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.js';

/** One `name[=value]` segment of the raw query string, still percent-encoded. */
export interface RawParam {
  readonly name: string;
  readonly value: string;
  /** False for a valueless parameter (`?uploads`), true for `?uploads=` or `?a=b`. */
  readonly hasEquals: boolean;
}

/**
 * Splits a request target into raw path and raw query. Accepts origin-form
 * (`/b/k?x`) and absolute-form (`http://host/b/k?x`); an empty path is `/`.
 * The router and every signature check split the target here, so what is
 * signed is what is executed. A fragment (`#`) never comes from a client
 * (browsers and SDKs keep it to themselves), so a target holding one is
 * refused rather than cut: cutting it once let a signature cover `/b/k`
 * while `/b/k#x` or `?a#&uploadId=` was executed.
 */
export function splitTarget(rawUrl: string): { rawPath: string; rawQuery: string } {
  if (rawUrl.includes('#')) throw new S3Error('InvalidURI', 'A request target may not contain a fragment (#).');
  let target = rawUrl;
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (abs) target = target.slice(abs[0].length);
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const rawQuery = q >= 0 ? target.slice(q + 1) : '';
  return { rawPath: rawPath === '' ? '/' : rawPath, rawQuery };
}

/** Splits a raw query on `&` (empty segments dropped), each at its first `=`. Values stay encoded. */
export function rawParams(rawQuery: string): RawParam[] {
  const out: RawParam[] = [];
  for (const seg of rawQuery.split('&')) {
    if (seg === '') continue;
    const eq = seg.indexOf('=');
    out.push(eq < 0 ? { name: seg, value: '', hasEquals: false } : { name: seg.slice(0, eq), value: seg.slice(eq + 1), hasEquals: true });
  }
  return out;
}

/** Percent-decodes a query component (`+` stays `+`: S3 clients encode a space as %20). Undefined if malformed. */
export function decodeComponent(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * A header's value as one string, or undefined if absent. Repeated headers
 * delivered as an array (e.g. `req.headersDistinct`) are trimmed and joined
 * with `,` as SigV4 canonicalisation wants. Node itself joins most repeated
 * headers with `, ` in `req.headers`; passing `headersDistinct` avoids that.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((s) => s.trim()).join(',');
  return v;
}
