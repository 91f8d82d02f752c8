// The SigV4 carriers' syntax, table-driven: every malformed Credential,
// SignedHeaders, component list and date refused with the form's own error
// code and message; the accepted shapes parsed field by field.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseV4Header, parseV4Query } from './sigv4-params.js';
import { throwsS3 } from './testing/assert-s3.js';

const CRED = 'AKID/20261125/us-east-1/s3/aws4_request';
const SIG = 'f'.repeat(64);
const AMZ = { 'x-amz-date': '20261125T191100Z' };
const auth = (parts: string) => `AWS4-HMAC-SHA256 ${parts}`;
const good = `Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=${SIG}`;

describe('parseV4Header', () => {
  it('parses every field, separators ", " or ",", any order', () => {
    const want = {
      form: 'header', accessKey: 'AKID', credDate: '20261125', region: 'us-east-1', service: 's3', terminator: 'aws4_request',
      signedHeaders: ['host', 'x-amz-date'], signature: SIG, amzDate: '20261125T191100Z', timeMs: Date.UTC(2026, 10, 25, 19, 11, 0),
    };
    assert.deepEqual(parseV4Header(auth(good), AMZ), want);
    assert.deepEqual(parseV4Header(`  AWS4-HMAC-SHA256   Signature=${SIG},SignedHeaders=host;x-amz-date,Credential=${CRED}  `, AMZ), want);
    assert.deepEqual(parseV4Header(auth(good), { 'x-amz-date': ' 20261125T191100Z ' }).amzDate, '20261125T191100Z');
  });

  it('falls back to the Date header, converted to the basic ISO form', () => {
    const p = parseV4Header(auth(good), { date: 'Wed, 25 Nov 2026 19:11:00 GMT' });
    assert.equal(p.amzDate, '20261125T191100Z');
    assert.equal(p.timeMs, Date.UTC(2026, 10, 25, 19, 11, 0));
    throwsS3(() => parseV4Header(auth(good), { date: 'yesterday' }), 'AccessDenied', /valid Date or x-amz-date/);
    throwsS3(() => parseV4Header(auth(good), {}), 'AccessDenied', /valid Date or x-amz-date/);
    throwsS3(() => parseV4Header(auth(good), { 'x-amz-date': 'Wed, 25 Nov 2026 19:11:00 GMT', date: 'Wed, 25 Nov 2026 19:11:00 GMT' }), 'AccessDenied');
  });

  const badCredentials = ['AKID/20261125/us-east-1/s3', 'AKID/20261125/us-east-1/s3/aws4_request/x', '/20261125/us-east-1/s3/aws4_request',
    'AKID//us-east-1/s3/aws4_request', 'AKID/20261125//s3/aws4_request', 'AKID/20261125/us-east-1//aws4_request', 'AKID/20261125/us-east-1/s3/'];
  for (const cred of badCredentials) {
    it(`refuses Credential=${cred}`, () => {
      throwsS3(() => parseV4Header(auth(good.replace(CRED, cred)), AMZ), 'AuthorizationHeaderMalformed', /^The authorization header is malformed; the Credential is mal-formed; expecting/);
      throwsS3(() => parseV4Query(`X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(cred)}&X-Amz-Date=20261125T191100Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIG}`),
        'AuthorizationQueryParametersError', /^Error parsing the X-Amz-Credential parameter; the Credential is mal-formed/);
    });
  }

  for (const sh of ['Host;x-amz-date', 'host;;x-amz-date', 'host x', 'host;x:y', '', 'x-amz-date', 'hostx;x-amz-date']) {
    it(`refuses SignedHeaders=${sh}`, () => {
      throwsS3(() => parseV4Header(auth(good.replace('host;x-amz-date', sh)), AMZ), 'AuthorizationHeaderMalformed', /^The authorization header is malformed; SignedHeaders must/);
      throwsS3(() => parseV4Query(`X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(CRED)}&X-Amz-Date=20261125T191100Z&X-Amz-Expires=60&X-Amz-SignedHeaders=${encodeURIComponent(sh)}&X-Amz-Signature=${SIG}`),
        'AuthorizationQueryParametersError', /^X-Amz-SignedHeaders must/);
    });
  }

  it('a signed-header list must include host', () => {
    throwsS3(() => parseV4Header(auth(good.replace('host;x-amz-date', 'x-amz-date')), AMZ), 'AuthorizationHeaderMalformed', /must include host/);
  });

  const badComponents: [string, RegExp][] = [
    [`${good}, Signature=${SIG}`, /unexpected component "Signature=/],
    [`${good}, Extra=1`, /unexpected component "Extra=1"/],
    [`${good}, Credential`, /unexpected component "Credential"/],
    [`=x, ${good}`, /unexpected component "=x"/],
    [`Credential=${CRED}, Signature=${SIG}`, /must contain Credential, SignedHeaders and Signature/],
    [`SignedHeaders=host, Signature=${SIG}`, /must contain Credential, SignedHeaders and Signature/],
    [`Credential=${CRED}, SignedHeaders=host`, /must contain Credential, SignedHeaders and Signature/],
    [`${good}, ${'X'.repeat(100)}=1`, new RegExp(`unexpected component "${'X'.repeat(64)}"`)],
  ];
  for (const [parts, msg] of badComponents) {
    it(`refuses the components ${parts.slice(0, 60)}`, () => {
      throwsS3(() => parseV4Header(auth(parts), AMZ), 'AuthorizationHeaderMalformed', msg);
    });
  }

  it('refuses a header that does not start with the algorithm and a space', () => {
    for (const a of ['AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256x Credential=a', `x AWS4-HMAC-SHA256 ${good}`]) {
      throwsS3(() => parseV4Header(a, AMZ), 'AuthorizationHeaderMalformed', /must start with "AWS4-HMAC-SHA256 "/);
    }
    assert.equal(parseV4Header(`AWS4-HMAC-SHA256\n${good}`, AMZ).accessKey, 'AKID');
  });
});

describe('parseV4Query', () => {
  const q = (o: Record<string, string | undefined> = {}) => Object.entries({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': encodeURIComponent(CRED), 'X-Amz-Date': '20261125T191100Z',
    'X-Amz-Expires': '60', 'X-Amz-SignedHeaders': 'host', 'X-Amz-Signature': SIG, ...o,
  }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join('&');

  it('parses every field, with and without X-Amz-Content-Sha256', () => {
    const p = parseV4Query(q());
    assert.deepEqual(p, {
      form: 'query', accessKey: 'AKID', credDate: '20261125', region: 'us-east-1', service: 's3', terminator: 'aws4_request',
      signedHeaders: ['host'], signature: SIG, amzDate: '20261125T191100Z', timeMs: Date.UTC(2026, 10, 25, 19, 11, 0), expiresS: 60,
    });
    assert.equal(parseV4Query(`${q()}&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD`).payloadParam, 'UNSIGNED-PAYLOAD');
    assert.equal(parseV4Query(`${q()}&other=1&x-amz-checksum-mode=ENABLED`).signature, SIG);
  });

  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    it(`refuses a missing, repeated or undecodable ${name}`, () => {
      throwsS3(() => parseV4Query(q({ [name]: undefined })), 'AuthorizationQueryParametersError', /requires the X-Amz-Algorithm/);
      throwsS3(() => parseV4Query(`${q()}&${name}=x`), 'AuthorizationQueryParametersError', new RegExp(`^Error parsing the ${name} parameter.$`));
      throwsS3(() => parseV4Query(q({ [name]: '%zz' })), 'AuthorizationQueryParametersError', new RegExp(`^Error parsing the ${name} parameter.$`));
    });
  }

  it('refuses a repeated X-Amz-Content-Sha256, another algorithm, a bad date or expiry', () => {
    throwsS3(() => parseV4Query(`${q()}&X-Amz-Content-Sha256=a&X-Amz-Content-Sha256=b`), 'AuthorizationQueryParametersError', /X-Amz-Content-Sha256/);
    throwsS3(() => parseV4Query(q({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA1' })), 'AuthorizationQueryParametersError', /only supports "AWS4-HMAC-SHA256"/);
    throwsS3(() => parseV4Query(q({ 'X-Amz-Date': 'x20261125T191100Z' })), 'AuthorizationQueryParametersError', /ISO8601 Long Format/);
    throwsS3(() => parseV4Query(q({ 'X-Amz-Date': '20261125T191100Zx' })), 'AuthorizationQueryParametersError', /ISO8601 Long Format/);
    throwsS3(() => parseV4Query(q({ 'X-Amz-Expires': 'x60' })), 'AuthorizationQueryParametersError', /should be a number/);
    throwsS3(() => parseV4Query(q({ 'X-Amz-Expires': '60x' })), 'AuthorizationQueryParametersError', /should be a number/);
    assert.equal(parseV4Query(q({ 'X-Amz-Expires': '9999999999' })).expiresS, 9999999999);
  });
});
