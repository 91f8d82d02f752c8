// SigV2, header and presigned, on synthetic requests signed here: every
// signed component tampered with on every path (presigned with and without
// Content-Type, the empty-Content-Type retry), malformed and boundary
// Expires/Date values, missing and repeated parameters.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { IncomingHttpHeaders } from 'node:http';
import { authenticate } from './authenticate.js';
import { hmacSha1Base64 } from './crypto.js';
import { v2StringToSign } from './sigv2.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_SECRET, fixtureContext } from './testing/fixtures.js';
import { throwsS3 } from './testing/assert-s3.js';
import type { AuthRequest } from './types.js';

const NOW = Date.UTC(2026, 10, 25, 19, 11, 30);
const EXPIRES = String(NOW / 1000 + 3600);
const PATH = '/fxb/dir/a%20b.txt';

interface Signed {
  method?: string;
  path?: string;
  sub?: string;
  expires?: string;
  headers?: IncomingHttpHeaders;
}

/** A presigned V2 URL for `s` (the signature computed over s, with `signCt` as the Content-Type line when given). */
function presigned(s: Signed = {}, signCt?: string): AuthRequest {
  const path = s.path ?? PATH;
  const expires = s.expires ?? EXPIRES;
  const base = { method: s.method ?? 'PUT', rawUrl: `${path}${s.sub ? `?${s.sub}` : ''}`, headers: s.headers ?? {} };
  const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(base, fixtureContext(path), expires, signCt));
  const q = `AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
  return { ...base, rawUrl: `${path}?${s.sub ? `${s.sub}&` : ''}${q}` };
}

function run(req: AuthRequest, now = NOW) {
  return authenticate(req, fixtureContext(req.rawUrl, now));
}

function withUrl(req: AuthRequest, rawUrl: string): AuthRequest {
  return { ...req, rawUrl };
}

/** The same request with one header added or changed (not re-signed). */
function withHeader(req: AuthRequest, name: string, value: string): AuthRequest {
  return { ...req, headers: { ...req.headers, [name]: value } };
}

function flipSig(url: string): string {
  return url.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`);
}

describe('SigV2 presigned', () => {
  it('accepts a good URL, with and without a signed Content-Type', () => {
    const r = run(presigned());
    assert.equal(r.scheme, 'v2-query');
    assert.deepEqual(r.payload, { kind: 'unsigned' });
    run(presigned({ headers: { 'content-type': 'text/plain' } }));
  });

  it('deliberate deviation: signed with an empty Content-Type, sent with one: accepted', () => {
    const req = presigned();
    assert.equal(run(withHeader(req, 'content-type', 'text/plain')).scheme, 'v2-query');
  });

  it('with a Content-Type header, a changed signature is refused (the empty-Content-Type retry too)', () => {
    for (const req of [withHeader(presigned(), 'content-type', 'text/plain'), presigned({ headers: { 'content-type': 'text/plain' } })]) {
      throwsS3(() => run(withUrl(req, flipSig(req.rawUrl))), 'SignatureDoesNotMatch');
    }
  });

  it('without a Content-Type header, a changed signature is refused', () => {
    const req = presigned();
    throwsS3(() => run(withUrl(req, flipSig(req.rawUrl))), 'SignatureDoesNotMatch');
  });

  it('every signed component, tampered: method, Content-MD5, Content-Type, x-amz-*, resource, sub-resource, Expires', () => {
    const ct = presigned({ headers: { 'content-type': 'text/plain', 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-amz-meta-a': '1' }, sub: 'acl' });
    run(ct);
    const tampered: AuthRequest[] = [
      { ...ct, method: 'GET' },
      withHeader(ct, 'content-md5', 'XrY7u+Ae7tCTyyK7j1rNwx=='),
      withHeader(ct, 'content-type', 'text/html'),
      withHeader(ct, 'x-amz-meta-a', '2'),
      withUrl(ct, ct.rawUrl.replace('a%20b', 'a%20c')),
      withUrl(ct, ct.rawUrl.replace('?acl&', '?tagging&')),
      withUrl(ct, ct.rawUrl.replace(`Expires=${EXPIRES}`, `Expires=${Number(EXPIRES) + 1}`)),
    ];
    for (const req of tampered) throwsS3(() => run(req), 'SignatureDoesNotMatch');
  });

  it('expires at Expires: valid at that second, refused a millisecond later', () => {
    const req = presigned();
    run(req, Number(EXPIRES) * 1000);
    throwsS3(() => run(req, Number(EXPIRES) * 1000 + 1), 'AccessDenied', /expired/);
  });

  it('malformed Expires is refused (it must never mean "never expires")', () => {
    for (const expires of ['abc', '', '-1', '1e12', '1795637466.5', '1234567890123', ' 1795637466']) {
      const req = presigned({ expires: encodeURIComponent(expires) });
      throwsS3(() => run(req), 'AuthorizationQueryParametersError');
    }
  });

  it('missing, empty, repeated or undecodable parameters are refused', () => {
    const req = presigned();
    const [path, q = ''] = req.rawUrl.split('?') as [string, string];
    const params = q.split('&');
    for (let i = 0; i < params.length; i++) {
      const without = params.filter((_, j) => j !== i).join('&');
      throwsS3(() => run(withUrl(req, `${path}?${without}`)), 'AuthorizationQueryParametersError', /requires/);
      const empty = params.map((p, j) => (j === i ? p.replace(/=.*/, '=') : p)).join('&');
      throwsS3(() => run(withUrl(req, `${path}?${empty}`)), 'AuthorizationQueryParametersError');
      throwsS3(() => run(withUrl(req, `${path}?${q}&${params[i]}`)), 'AuthorizationQueryParametersError', /Error parsing/);
    }
    throwsS3(() => run(withUrl(req, `${req.rawUrl}`.replace('AWSAccessKeyId=', 'AWSAccessKeyId=%ZZ'))), 'AuthorizationQueryParametersError', /Error parsing/);
  });

  it('an unknown access key is InvalidAccessKeyId', () => {
    const req = presigned();
    throwsS3(() => run(withUrl(req, req.rawUrl.replace(FIXTURE_ACCESS_KEY, 'AKIDOTHER'))), 'InvalidAccessKeyId');
  });

  it('an Authorization header as well is two mechanisms', () => {
    throwsS3(() => run(withHeader(presigned(), 'authorization', 'AWS AKIDEXAMPLE:abc')), 'InvalidArgument', /Only one auth mechanism/);
  });

  it('x-amz-content-sha256 still decides the framing; signed streaming needs SigV4', () => {
    const put = (token: string) => presigned({ headers: { 'x-amz-content-sha256': token } });
    assert.deepEqual(run(put('STREAMING-UNSIGNED-PAYLOAD-TRAILER')).payload, { kind: 'streaming-unsigned-trailer' });
    assert.deepEqual(run(put('A'.repeat(64))).payload, { kind: 'sha256', hex: 'a'.repeat(64) });
    throwsS3(() => run(put('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')), 'InvalidRequest', /requires AWS Signature Version 4/);
  });
});

const HTTP_NOW = 'Wed, 25 Nov 2026 19:11:30 GMT';

/** A header-signed V2 request; the date line is Date unless x-amz-date is present. */
function headerSigned(headers: IncomingHttpHeaders, method = 'PUT', path = PATH): AuthRequest {
  const base = { method, rawUrl: path, headers };
  const dateLine = headers['x-amz-date'] !== undefined ? '' : String(headers.date ?? '');
  const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(base, fixtureContext(path), dateLine));
  return { ...base, headers: { ...headers, authorization: `AWS ${FIXTURE_ACCESS_KEY}:${sig}` } };
}

describe('SigV2 header', () => {
  it('accepts Date only (s3cmd without x-amz-date) and x-amz-date (Date line then empty)', () => {
    assert.equal(run(headerSigned({ date: HTTP_NOW })).scheme, 'v2-header');
    assert.equal(run(headerSigned({ 'x-amz-date': HTTP_NOW })).scheme, 'v2-header');
    run(headerSigned({ 'x-amz-date': HTTP_NOW, date: 'Thu, 01 Jan 1970 00:00:00 GMT' }));
    run(headerSigned({ date: 'Wed, 25 Nov 2026 19:11:30 +0000' }));
  });

  it('every signed component, tampered: method, Content-MD5, Content-Type, Date, x-amz-*, resource', () => {
    const good = headerSigned({ date: HTTP_NOW, 'content-type': 'text/plain', 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-amz-meta-a': '1' });
    run(good);
    const tampered: AuthRequest[] = [
      { ...good, method: 'POST' },
      withHeader(good, 'content-md5', 'XrY7u+Ae7tCTyyK7j1rNwx=='),
      withHeader(good, 'content-type', 'text/html'),
      withHeader(good, 'date', 'Wed, 25 Nov 2026 19:11:31 GMT'),
      withHeader(good, 'x-amz-meta-a', '2'),
      withUrl(good, PATH.replace('a%20b', 'a%20c')),
      withHeader(good, 'authorization', String(good.headers.authorization).replace(/:(.)/, (_m, c: string) => `:${c === 'A' ? 'B' : 'A'}`)),
    ];
    for (const req of tampered) throwsS3(() => run(req), 'SignatureDoesNotMatch');
    // With x-amz-date, the Date line is empty: a request signed over Date's value must fail.
    const both = headerSigned({ date: HTTP_NOW });
    throwsS3(() => run(withHeader(both, 'x-amz-date', HTTP_NOW)), 'SignatureDoesNotMatch');
  });

  it('no Date and no x-amz-date, or an unparseable one: AccessDenied, never a NaN that passes the skew check', () => {
    throwsS3(() => run(headerSigned({})), 'AccessDenied', /valid Date/);
    throwsS3(() => run(headerSigned({ date: 'yesterday' })), 'AccessDenied', /valid Date/);
    throwsS3(() => run(headerSigned({ 'x-amz-date': '20261125T191130Z' })), 'AccessDenied', /valid Date/);
  });

  it('skew: 15 minutes either way is accepted, a second more is RequestTimeTooSkewed', () => {
    const req = headerSigned({ date: HTTP_NOW });
    run(req, NOW + 15 * 60_000);
    run(req, NOW - 15 * 60_000);
    throwsS3(() => run(req, NOW + 15 * 60_000 + 1000), 'RequestTimeTooSkewed');
    throwsS3(() => run(req, NOW - 15 * 60_000 - 1000), 'RequestTimeTooSkewed');
  });

  it('a malformed Authorization or an unknown key is refused', () => {
    throwsS3(() => run({ method: 'GET', rawUrl: PATH, headers: { date: HTTP_NOW, authorization: 'AWS AKIDEXAMPLE' } }), 'AuthorizationHeaderMalformed');
    throwsS3(() => run({ method: 'GET', rawUrl: PATH, headers: { date: HTTP_NOW, authorization: 'AWS AKIDOTHER:abc' } }), 'InvalidAccessKeyId');
  });
});
