// CORS at handler level (issue 12 item 13): Put/Get/DeleteBucketCors and
// their errors, the preflight (OPTIONS, unauthenticated) and the
// Access-Control headers of actual requests, on success and on errors.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseCorsConfiguration, renderCorsConfiguration } from './cors-config.js';
import { allowHeaders, matchRule, wildcardMatch } from './cors-match.js';
import { route } from '../router.js';
import { S3Error } from '../errors.js';
import { signedApp, xmlCode, xmlText, type SignedApp } from '../testing/signed-app.js';

const ORIGIN = 'https://app.example.com';

function cors(...rules: string[]): Buffer {
  return Buffer.from(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.map((r) => `<CORSRule>${r}</CORSRule>`).join('')}</CORSConfiguration>`);
}

function refusal(xml: Buffer): { code: string; message: string } | null {
  try {
    parseCorsConfiguration(xml.toString('utf8'));
    return null;
  } catch (e) {
    assert.ok(e instanceof S3Error, String(e));
    return { code: e.code, message: e.message };
  }
}

describe('CORS configuration documents', () => {
  it('refuses what S3 refuses, with its codes and messages', () => {
    const o = '<AllowedOrigin>*</AllowedOrigin>';
    const m = '<AllowedMethod>GET</AllowedMethod>';
    assert.equal(refusal(cors())?.code, 'MalformedXML');
    assert.equal(refusal(cors(o))?.code, 'MalformedXML');
    assert.equal(refusal(cors(m))?.code, 'MalformedXML');
    assert.equal(refusal(cors(`${o}${m}<MaxAgeSeconds>soon</MaxAgeSeconds>`))?.code, 'MalformedXML');
    assert.equal(refusal(cors(`${o}${m}<Unknown>x</Unknown>`))?.code, 'MalformedXML');
    assert.equal(refusal(Buffer.from('<NotCors/>'))?.code, 'MalformedXML');
    assert.deepEqual(refusal(cors(`${o}<AllowedMethod>PATCH</AllowedMethod>`)),
      { code: 'InvalidRequest', message: 'Found unsupported HTTP method in CORS config. Unsupported method is PATCH' });
    assert.deepEqual(refusal(cors(`<AllowedOrigin>*example*.com</AllowedOrigin>${m}`)),
      { code: 'InvalidRequest', message: 'AllowedOrigin "*example*.com" can not have more than one wildcard.' });
    assert.deepEqual(refusal(cors(`${o}${m}<AllowedHeader>x-*-*</AllowedHeader>`)),
      { code: 'InvalidRequest', message: 'AllowedHeader "x-*-*" can not have more than one wildcard.' });
    assert.equal(refusal(cors(`${o}${m}<ExposeHeader>*</ExposeHeader>`))?.code, 'InvalidRequest');
    assert.equal(refusal(cors(`${o}${m}<ExposeHeader>a&#10;b</ExposeHeader>`))?.code, 'InvalidRequest');
    assert.equal(refusal(cors(`<ID>${'i'.repeat(256)}</ID>${o}${m}`))?.code, 'InvalidRequest');
    assert.equal(refusal(cors(...Array.from({ length: 101 }, () => `${o}${m}`)))?.code, 'MalformedXML');
    assert.equal(refusal(cors(...Array.from({ length: 100 }, () => `${o}${m}`))), null);
  });

  it('keeps every member in order and renders it back', () => {
    const rules = parseCorsConfiguration(cors(
      '<ID>one</ID><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedOrigin></AllowedOrigin><AllowedMethod>PUT</AllowedMethod>'
      + '<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>',
    ).toString('utf8'));
    assert.deepEqual(rules, [{
      id: 'one', allowedOrigins: ['http://*.example.com', ''], allowedMethods: ['PUT', 'GET'],
      allowedHeaders: ['x-amz-*'], exposeHeaders: ['ETag'], maxAgeSeconds: 3000,
    }]);
    assert.deepEqual(parseCorsConfiguration(renderCorsConfiguration(rules)), rules);
  });
});

describe('CORS matching', () => {
  it('a wildcard stands for any run, the empty one too; anchored at both ends', () => {
    assert.ok(wildcardMatch('http://*.example.com', 'http://a.b.example.com'));
    assert.ok(!wildcardMatch('http://*.example.com', 'https://a.example.com'));
    assert.ok(!wildcardMatch('http://*.example.com', 'http://a.example.com/'));
    assert.ok(wildcardMatch('start*end', 'startend'));
    assert.ok(!wildcardMatch('start*end', '0start12end'));
    assert.ok(!wildcardMatch('ab*ba', 'aba'));
    assert.ok(wildcardMatch('*', ''));
    assert.ok(wildcardMatch('X-Amz-*', 'x-amz-date', true));
    assert.ok(!wildcardMatch('X-Amz-*', 'x-amz-date'));
  });

  it('takes the first rule that allows origin, method and every requested header', () => {
    const rules = parseCorsConfiguration(cors(
      `<AllowedOrigin>${ORIGIN}</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`,
      `<AllowedOrigin>${ORIGIN}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>Content-*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds>`,
      '<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>',
    ).toString('utf8'));
    assert.equal(matchRule(rules, { origin: ORIGIN, method: 'GET', headers: [] }), rules[0]);
    assert.equal(matchRule(rules, { origin: ORIGIN, method: 'GET', headers: ['x'] }), undefined);
    assert.equal(matchRule(rules, { origin: ORIGIN, method: 'PUT', headers: ['content-type'] }), rules[1]);
    assert.equal(matchRule(rules, { origin: ORIGIN, method: 'PUT', headers: ['content-type', 'x-amz-date'] }), rules[2]);
    assert.equal(matchRule(rules, { origin: 'http://other', method: 'DELETE', headers: [] }), undefined);
    assert.deepEqual(allowHeaders(rules[1]!, { origin: ORIGIN, method: 'PUT', headers: ['content-type'] }), {
      'access-control-allow-origin': ORIGIN, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'content-type', 'access-control-max-age': '60',
      vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
    assert.deepEqual(allowHeaders(rules[2]!, { origin: 'http://any', method: 'PUT', headers: [] }), {
      'access-control-allow-origin': '*', 'access-control-allow-methods': 'PUT', 'access-control-expose-headers': 'ETag',
      vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  it('routes OPTIONS to the preflight whatever the sub-resource, and ?cors to its operations', () => {
    const r = (method: string, rawUrl: string): string => route({ method, host: 'h', rawUrl, copySource: false }).endpoint.op;
    assert.equal(r('OPTIONS', '/bkt/k?uploadId=1&partNumber=2'), 'OptionsObject');
    assert.equal(r('OPTIONS', '/bkt?tagging'), 'OptionsObject');
    assert.equal(r('PUT', '/bkt?cors'), 'PutBucketCors');
    assert.equal(r('GET', '/bkt?cors'), 'GetBucketCors');
    assert.equal(r('DELETE', '/bkt?cors'), 'DeleteBucketCors');
    assert.throws(() => r('POST', '/bkt?cors'), (e: unknown) => e instanceof S3Error && e.code === 'MethodNotAllowed');
  });
});

describe('CORS through the app', () => {
  let s: SignedApp;
  const rule = `<AllowedOrigin>${ORIGIN}</AllowedOrigin><AllowedOrigin>http://*.example.org</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`
    + '<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>'
    + '<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>';

  before(async () => {
    s = signedApp('cors');
    assert.equal((await s.send('PUT', '/corsb')).status, 200);
    assert.equal((await s.send('PUT', '/corsb/obj', Buffer.from('hello'))).status, 200);
  });
  after(() => s?.close());

  const options = (target: string, headers: Record<string, string>): request.Test => {
    let t = request(s.app).options(target);
    for (const [k, v] of Object.entries(headers)) t = t.set(k, v);
    return t;
  };

  it('GetBucketCors of an unset configuration: NoSuchCORSConfiguration; Put, Get, Delete round trip', async () => {
    const unset = await s.send('GET', '/corsb?cors');
    assert.equal(unset.status, 404);
    assert.equal(xmlCode(unset.text), 'NoSuchCORSConfiguration');
    assert.equal(xmlText(unset.text, 'BucketName'), 'corsb');
    assert.equal((await s.send('DELETE', '/corsb?cors')).status, 204);
    const put = await s.send('PUT', '/corsb?cors', cors(rule));
    assert.equal(put.status, 200, put.text);
    const got = await s.send('GET', '/corsb?cors');
    assert.equal(got.status, 200);
    assert.deepEqual(parseCorsConfiguration(got.text), parseCorsConfiguration(cors(rule).toString('utf8')));
    const bad = await s.send('PUT', '/corsb?cors', cors('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>'));
    assert.equal(bad.status, 400);
    assert.equal(xmlCode(bad.text), 'InvalidRequest');
    const big = await s.send('PUT', '/corsb?cors', cors(`<AllowedOrigin>${'o'.repeat(64 * 1024)}</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`));
    assert.equal(xmlCode(big.text), 'MaxMessageLengthExceeded', 'over the 64 KB document limit');
    assert.equal((await s.send('GET', '/corsb?cors')).status, 200, 'a refused Put changes nothing');
    assert.equal(xmlCode((await s.send('PUT', '/nocorsb?cors', cors(rule))).text), 'NoSuchBucket');
  });

  it('answers a preflight from the rules without authentication', async () => {
    assert.equal((await s.send('PUT', '/corsb?cors', cors(rule))).status, 200);
    const ok = await options('/corsb/obj', { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type,X-Amz-Date' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    assert.equal(ok.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(ok.headers['access-control-allow-headers'], 'content-type, x-amz-date');
    assert.equal(ok.headers['access-control-expose-headers'], 'ETag, x-amz-request-id');
    assert.equal(ok.headers['access-control-max-age'], '600');
    assert.equal(ok.headers.vary, 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    assert.equal(ok.text, '');
    // A sub-resource of the actual request (a multipart part) and the bucket itself are preflighted alike.
    assert.equal((await options('/corsb/obj?partNumber=1&uploadId=x', { origin: 'http://a.example.org', 'access-control-request-method': 'PUT' })).status, 200);
    assert.equal((await options('/corsb', { origin: ORIGIN, 'access-control-request-method': 'GET' })).status, 200);
  });

  it('refuses a preflight as S3 does', async () => {
    const expect403 = async (target: string, headers: Record<string, string>, message: RegExp, method: string, type: string): Promise<void> => {
      const res = await options(target, headers);
      assert.equal(res.status, 403, res.text);
      assert.equal(xmlCode(res.text), 'AccessForbidden');
      assert.match(xmlText(res.text, 'Message') ?? '', message);
      assert.equal(xmlText(res.text, 'Method'), method);
      assert.equal(xmlText(res.text, 'ResourceType'), type);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    };
    const notAllowed = /^CORSResponse: This CORS request is not allowed/;
    await expect403('/corsb/obj', { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' }, notAllowed, 'GET', 'OBJECT');
    await expect403('/corsb/obj', { origin: ORIGIN, 'access-control-request-method': 'DELETE' }, notAllowed, 'DELETE', 'OBJECT');
    await expect403('/corsb/obj', { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-custom' }, notAllowed, 'PUT', 'OBJECT');
    await expect403('/corsb', { origin: ORIGIN }, notAllowed, 'OPTIONS', 'BUCKET');
    await expect403('/nocorsb/obj', { origin: ORIGIN, 'access-control-request-method': 'GET' }, /^CORSResponse: Bucket not found$/, 'GET', 'BUCKET');
    assert.equal((await s.send('PUT', '/plainb')).status, 200);
    await expect403('/plainb/obj', { origin: ORIGIN, 'access-control-request-method': 'PUT' }, /^CORSResponse: CORS is not enabled for this bucket\.$/, 'PUT', 'BUCKET');
    const noOrigin = await options('/corsb/obj', { 'access-control-request-method': 'GET' });
    assert.equal(noOrigin.status, 400);
    assert.equal(xmlCode(noOrigin.text), 'BadRequest');
    assert.equal(xmlText(noOrigin.text, 'Message'), 'Insufficient information. Origin request header needed.');
  });

  it('adds the headers to an actual request a rule allows, success or error, and none otherwise', async () => {
    const get = await s.send('GET', '/corsb/obj', undefined, { origin: ORIGIN });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(get.headers['access-control-expose-headers'], 'ETag, x-amz-request-id');
    assert.equal(get.headers.vary, 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    const missing = await s.send('GET', '/corsb/missing', undefined, { origin: ORIGIN });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['access-control-allow-origin'], ORIGIN, 'an S3 error carries them too');
    // Refused before any handler: a bad signature.
    const unsigned = await request(s.app).get('/corsb/obj').set('origin', ORIGIN).set('authorization', 'AWS4-HMAC-SHA256 Credential=nobody/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00');
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers['access-control-allow-origin'], ORIGIN);
    for (const [method, target, origin] of [['GET', '/corsb/obj', 'https://evil.example.com'], ['DELETE', '/corsb/gone', ORIGIN], ['GET', '/plainb', ORIGIN]] as const) {
      const res = await s.send(method, target, undefined, { origin });
      assert.ok(res.status < 300, `${method} ${target}: ${res.status}`);
      assert.equal(res.headers['access-control-allow-origin'], undefined, `${method} ${target} from ${origin}`);
      assert.equal(res.headers.vary, undefined);
    }
    assert.equal((await s.send('GET', '/corsb/obj')).headers['access-control-allow-origin'], undefined, 'no Origin, no CORS');
  });

  it('DeleteBucketCors removes the rules: preflights refused again, GET NoSuchCORSConfiguration', async () => {
    assert.equal((await s.send('PUT', '/corsb?cors', cors(rule))).status, 200);
    assert.equal((await s.send('DELETE', '/corsb?cors')).status, 204);
    assert.equal(xmlCode((await s.send('GET', '/corsb?cors')).text), 'NoSuchCORSConfiguration');
    const res = await options('/corsb/obj', { origin: ORIGIN, 'access-control-request-method': 'GET' });
    assert.equal(res.status, 403);
    assert.match(xmlText(res.text, 'Message') ?? '', /CORS is not enabled/);
  });
});
