// Tests aimed at the auth mutants that survived run 3 of `npm run mutation --
// auth` (reports/mutation/auth.json; ids in brackets). Each asserts behaviour
// the code already has and that the named mutant changes.

import { strict as assert } from 'node:assert';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { S3Error } from '../errors.js';
import { parseAmzDate, parseHttpDate } from './amz-date.js';
import { authenticate } from './authenticate.js';
import { EMPTY_SHA256_HEX, hmacSha1Base64, hmacSha256, sha256Hex, sigV4SigningKey } from './crypto.js';
import { payloadMode } from './payload.js';
import { splitTarget } from './request-parts.js';
import { subResources } from './sigv2-resource.js';
import { canonicalAmzHeaders, v2StringToSign } from './sigv2.js';
import { canonicalHeaders, canonicalQuery, canonicalRequest, stringToSign } from './sigv4-canonical.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_SECRET, fixtureContext, fixtureRequest, loadFixtures, nodeHeaders } from './testing/fixtures.js';
import { throwsS3 } from './testing/assert-s3.js';
import type { AuthRequest } from './types.js';

const NOW = Date.UTC(2026, 10, 25, 19, 11, 30);
const HTTP_NOW = 'Wed, 25 Nov 2026 19:11:30 GMT';
const PATH = '/fxb/dir/a.txt';

function run(req: AuthRequest, now = NOW) {
  return authenticate(req, fixtureContext(req.rawUrl, now));
}

function refusal(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof S3Error, String(e));
    return e;
  }
  return assert.fail('expected an S3Error');
}

/** A header-signed V2 request (Date line empty when x-amz-date is present). */
function v2Header(headers: IncomingHttpHeaders, method = 'PUT'): { req: AuthRequest; sig: string } {
  const base = { method, rawUrl: PATH, headers };
  const dateLine = headers['x-amz-date'] !== undefined ? '' : String(headers.date ?? '');
  const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(base, fixtureContext(PATH), dateLine));
  return { req: { ...base, headers: { ...headers, authorization: `AWS ${FIXTURE_ACCESS_KEY}:${sig}` } }, sig };
}

/** A presigned V2 URL for GET PATH, with `extra` (unsigned, not sub-resources) appended to the query. */
function v2Presigned(extra: string): AuthRequest {
  const expires = String(NOW / 1000 + 3600);
  const base = { method: 'GET', rawUrl: PATH, headers: {} };
  const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(base, fixtureContext(PATH), expires));
  return { ...base, rawUrl: `${PATH}?AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&Expires=${expires}&Signature=${encodeURIComponent(sig)}${extra}` };
}

/** A presigned V4 URL for PUT PATH that signs `host` and x-amz-content-sha256 (no X-Amz-Content-Sha256 parameter). */
function v4PresignedSigningTokenHeader(token: string): AuthRequest {
  const amzDate = '20261125T191107Z';
  const signedHeaders = ['host', 'x-amz-content-sha256'];
  const q = [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    `X-Amz-Credential=${FIXTURE_ACCESS_KEY}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request`,
    `X-Amz-Date=${amzDate}`,
    'X-Amz-Expires=3600',
    'X-Amz-SignedHeaders=host%3Bx-amz-content-sha256',
  ].join('&');
  const headers = { host: '127.0.0.1:9555', 'x-amz-content-sha256': token };
  const canonical = canonicalRequest({ method: 'PUT', rawPath: PATH, canonicalQuery: canonicalQuery(q), headers, signedHeaders, payloadHash: 'UNSIGNED-PAYLOAD' });
  const toSign = stringToSign(amzDate, '20261125/us-east-1/s3/aws4_request', canonical);
  const sig = hmacSha256(sigV4SigningKey(FIXTURE_SECRET, '20261125', 'us-east-1', 's3'), toSign).toString('hex');
  return { method: 'PUT', rawUrl: `${PATH}?${q}&X-Amz-Signature=${sig}`, headers };
}

const fixtures = loadFixtures();
const v4Get = fixtures.find((f) => f.id === 'awscli/presign-v4#1')!;
const v4Header = fixtures.find((f) => f.verified.authScheme === 'v4-header' && f.method === 'GET')!;
const V4_HEADER_NOW = parseAmzDate(nodeHeaders(v4Header.headerPairs)['x-amz-date'] as string)!;

describe('auth mutation survivors (run 3)', () => {
  it('amz-date: year 0050 is not 1950 [33, 34]; an HTTP date with anything after its zone is refused [62]', () => {
    // Date.UTC maps years 0-99 to 1900-1999: only the year comparison catches it.
    assert.equal(parseAmzDate('00500101T000000Z'), undefined);
    assert.equal(parseAmzDate('19500101T000000Z'), Date.UTC(1950, 0, 1));
    // Date.parse would read the trailing offset.
    assert.equal(parseHttpDate('Wed, 25 Nov 2026 19:11:30 GMT+0100'), undefined);
    assert.equal(parseHttpDate(HTTP_NOW), NOW);
  });

  it('authenticate: leading blanks before AWS4-HMAC-SHA256 are skipped [101]; the scheme must start the value [104]', () => {
    const h = nodeHeaders(v4Header.headerPairs);
    const spaced = { ...h, authorization: ` ${String(h.authorization)}` };
    assert.equal(authenticate(fixtureRequest(v4Header, { headers: spaced }), fixtureContext(v4Header.target, V4_HEADER_NOW)).scheme, 'v4-header');
    const prefixed = { ...h, authorization: `X${String(h.authorization)}` };
    throwsS3(() => authenticate(fixtureRequest(v4Header, { headers: prefixed }), fixtureContext(v4Header.target, V4_HEADER_NOW)),
      'InvalidArgument', /Unsupported Authorization Type/);
  });

  it('SigV2 header: x-amz-content-sha256 is trimmed before it decides the framing [134]', () => {
    const { req } = v2Header({ date: HTTP_NOW, 'x-amz-content-sha256': ' STREAMING-UNSIGNED-PAYLOAD-TRAILER ' });
    assert.deepEqual(run(req).payload, { kind: 'streaming-unsigned-trailer' });
  });

  it('crypto: EMPTY_SHA256_HEX is the SHA-256 of nothing [160]', () => {
    assert.equal(EMPTY_SHA256_HEX, sha256Hex(''));
  });

  it('payload: a bad token names the header and echoes at most 128 characters [221-223]', () => {
    const token = 'z'.repeat(200);
    const e = refusal(() => payloadMode(token, undefined));
    assert.equal(e.code, 'InvalidArgument');
    assert.deepEqual(e.extra, { ArgumentName: 'x-amz-content-sha256', ArgumentValue: 'z'.repeat(128) });
  });

  it('request-parts: the # refusal says why [229]', () => {
    throwsS3(() => splitTarget('/b/k#x'), 'InvalidURI', /fragment/);
  });

  it('SigV2 amz headers: sorted by name whatever the arrival order [383], values trimmed [390], folded lines unfolded [392-396]', () => {
    const req = (headers: IncomingHttpHeaders): AuthRequest => ({ method: 'GET', rawUrl: PATH, headers });
    assert.equal(canonicalAmzHeaders(req({ 'x-amz-meta-b': '2', 'content-type': 'x', 'x-amz-meta-a': '1' })), 'x-amz-meta-a:1\nx-amz-meta-b:2\n');
    assert.equal(canonicalAmzHeaders(req({ 'x-amz-meta-a': '  v w  ' })), 'x-amz-meta-a:v w\n');
    assert.equal(canonicalAmzHeaders(req({ 'x-amz-meta-a': 'a\n   b\r\n\tc\nd' })), 'x-amz-meta-a:a b c d\n');
  });

  it('SigV2 header: AWS must start the value [420]; a trailing blank after the signature is allowed [427]', () => {
    const { req, sig } = v2Header({ date: HTTP_NOW });
    assert.equal(run({ ...req, headers: { ...req.headers, authorization: `AWS ${FIXTURE_ACCESS_KEY}:${sig} ` } }).scheme, 'v2-header');
    throwsS3(() => run({ ...req, headers: { ...req.headers, authorization: `AWS junk AWS ${FIXTURE_ACCESS_KEY}:${sig}` } }), 'AuthorizationHeaderMalformed');
  });

  it('SigV2 header: RequestTimeTooSkewed carries the request time as sent [453, 454]', () => {
    const { req } = v2Header({ date: HTTP_NOW });
    const e = refusal(() => run(req, NOW + 16 * 60_000));
    assert.equal(e.code, 'RequestTimeTooSkewed');
    assert.equal(e.extra.RequestTime, HTTP_NOW);
    assert.equal(e.extra.MaxAllowedSkewMilliseconds, '900000');
  });

  it('SigV2 presigned: other parameters are not parsed, repeated or undecodable alike [480]', () => {
    assert.equal(run(v2Presigned('')).scheme, 'v2-query');
    assert.equal(run(v2Presigned('&a=1&a=2')).scheme, 'v2-query');
    assert.equal(run(v2Presigned('&x=%ZZ')).scheme, 'v2-query');
  });

  it('SigV2 sub-resources: sorted by name, then by value [361, 366]', () => {
    assert.equal(subResources('select=a&select-type=2&select=b'), '?select=a&select=b&select-type=2');
  });

  it('SigV4 canonical query: a repeated name keeps its values in order [566, 573]', () => {
    assert.equal(canonicalQuery('a=1&a=2'), 'a=1&a=2');
    assert.equal(canonicalQuery('a=2&a=3&a=1'), 'a=1&a=2&a=3');
  });

  it('SigV4 canonical headers: a signed header the request lacks has an empty value [594]', () => {
    assert.equal(canonicalHeaders({ host: 'h' }, ['host', 'x-amz-meta-gone']), 'host:h\nx-amz-meta-gone:\n');
  });

  it('SigV4 presigned: other parameters are not parsed; a repeated one reaches the signature check [758]', () => {
    throwsS3(() => run(fixtureRequest(v4Get, { target: `${v4Get.target}&a=1&a=2` }), parseAmzDate('20261125T191107Z')!), 'SignatureDoesNotMatch');
  });

  it('SigV4 header: a component without "=" is refused, even with a known name [717]', () => {
    const h = nodeHeaders(v4Header.headerPairs);
    const noValue = { ...h, authorization: String(h.authorization).replace(/Signature=[0-9a-f]+/, 'Signature') };
    assert.notEqual(noValue.authorization, h.authorization);
    throwsS3(() => authenticate(fixtureRequest(v4Header, { headers: noValue }), fixtureContext(v4Header.target, V4_HEADER_NOW)),
      'AuthorizationHeaderMalformed', /unexpected component "Signature"/);
  });

  it('SigV4 header: x-amz-content-sha256 is trimmed before it becomes the payload line [907]', () => {
    const h = nodeHeaders(v4Header.headerPairs);
    const token = String(h['x-amz-content-sha256']);
    const spaced = { ...h, 'x-amz-content-sha256': ` ${token} ` };
    assert.equal(authenticate(fixtureRequest(v4Header, { headers: spaced }), fixtureContext(v4Header.target, V4_HEADER_NOW)).scheme, 'v4-header');
  });

  it('SigV4 presigned without X-Amz-Content-Sha256: a signed x-amz-content-sha256 header decides the framing, trimmed [907, 923]', () => {
    assert.deepEqual(run(v4PresignedSigningTokenHeader('STREAMING-UNSIGNED-PAYLOAD-TRAILER'), Date.UTC(2026, 10, 25, 19, 11, 7)).payload,
      { kind: 'streaming-unsigned-trailer' });
    assert.deepEqual(run(v4PresignedSigningTokenHeader(' STREAMING-UNSIGNED-PAYLOAD-TRAILER '), Date.UTC(2026, 10, 25, 19, 11, 7)).payload,
      { kind: 'streaming-unsigned-trailer' });
  });
});
