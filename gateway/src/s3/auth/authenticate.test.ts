// authenticate() against the 49 real client requests (aws CLI, boto3, SDK v3,
// rclone, s3cmd, minio-go), plus the ways each scheme must fail.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authenticate } from './authenticate.js';
import type { AuthResult } from './types.js';
import {
  FIXTURE_NOW,
  type Fixture,
  fixtureContext,
  fixtureRequest,
  loadFixtures,
  nodeHeaders,
} from './testing/fixtures.js';
import { throwsS3 } from './testing/assert-s3.js';

const fixtures = loadFixtures();
const signed = fixtures.filter((f) => f.verified.signatureValid === true);

function auth(f: Fixture, o: { target?: string; headers?: Record<string, string>; now?: number; region?: string } = {}): AuthResult {
  const target = o.target ?? f.target;
  const ctx = { ...fixtureContext(target, o.now ?? FIXTURE_NOW), ...(o.region ? { region: o.region } : {}) };
  return authenticate(fixtureRequest(f, { target, headers: o.headers ?? nodeHeaders(f.headerPairs) }), ctx);
}

/** Changes one character (keeping it in the same class: hex stays hex, base64 stays base64). */
function flipChar(s: string, at: number): string {
  const i = at < 0 ? s.length + at : at;
  const c = s[i];
  const r = c === 'a' ? 'b' : c === '0' ? '1' : c === 'A' ? 'B' : /[0-9]/.test(c ?? '') ? '0' : /[A-Z]/.test(c ?? '') ? 'A' : 'a';
  return s.slice(0, i) + r + s.slice(i + 1);
}

function signedHeaderNames(f: Fixture): string[] {
  const h = nodeHeaders(f.headerPairs);
  const a = typeof h.authorization === 'string' ? h.authorization : '';
  const fromHeader = /SignedHeaders=([^,\s]+)/.exec(a)?.[1];
  const fromQuery = /[?&]X-Amz-SignedHeaders=([^&]+)/.exec(f.target)?.[1];
  return (fromHeader ?? decodeURIComponent(fromQuery ?? '')).split(';').filter((n) => n !== '');
}

describe('authenticate: real client requests', () => {
  it('the fixture file holds the 49 requests, 47 of them signed', () => {
    assert.equal(fixtures.length, 49);
    assert.equal(signed.length, 47);
  });

  for (const f of signed) {
    it(`verifies ${f.id} (${f.verified.authScheme})`, () => {
      const r = auth(f);
      assert.equal(r.scheme, f.verified.authScheme);
      assert.equal(r.accessKey, 'AKIDEXAMPLE');
      assert.equal(r.user, 'fixture-user');
    });
  }

  for (const f of signed) {
    it(`rejects ${f.id} with one signature character changed`, () => {
      const h = nodeHeaders(f.headerPairs);
      if (f.verified.authScheme.endsWith('-header')) {
        h.authorization = flipChar(String(h.authorization), f.verified.authScheme === 'v2-header' ? -2 : -1);
        throwsS3(() => auth(f, { headers: h as Record<string, string> }), 'SignatureDoesNotMatch');
      } else {
        const param = f.verified.authScheme === 'v4-query' ? 'X-Amz-Signature=' : 'Signature=';
        const at = f.target.indexOf(param, f.target.indexOf('?')) + param.length;
        throwsS3(() => auth(f, { target: flipChar(f.target, at + 3) }), 'SignatureDoesNotMatch');
      }
    });
  }

  for (const f of signed) {
    it(`rejects ${f.id} with one byte of a signed part changed`, () => {
      if (f.verified.authScheme === 'v2-query') {
        // Nothing but method, resource and Expires is signed: change the key.
        const target = f.target.replace('/v2%20x.txt', '/v2%20y.txt').replace('/dir/', '/dia/');
        assert.notEqual(target, f.target);
        throwsS3(() => auth(f, { target }), 'SignatureDoesNotMatch');
        return;
      }
      const names = f.verified.authScheme === 'v2-header' ? ['content-type'] : signedHeaderNames(f).filter((n) => n !== 'x-amz-date');
      assert.ok(names.length > 0);
      const h = nodeHeaders(f.headerPairs) as Record<string, string>;
      const name = names[0] ?? '';
      assert.ok(h[name] !== undefined, `${name} present`);
      h[name] = flipChar(h[name] ?? '', -1);
      throwsS3(() => auth(f, { headers: h }), 'SignatureDoesNotMatch');
    });
  }

  it('decides the payload mode from x-amz-content-sha256, not Content-Encoding', () => {
    const byId = (id: string) => fixtures.find((f) => f.id === id) ?? assert.fail(id);
    assert.deepEqual(auth(byId('awscli/http/PutObject#1')).payload, {
      kind: 'sha256',
      hex: 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447',
    });
    assert.deepEqual(auth(byId('awscli/https/PutObject-aws-chunked-unsigned-trailer#1')).payload, { kind: 'streaming-unsigned-trailer' });
    assert.deepEqual(auth(byId('rclone/http/PutObject#3')).payload, { kind: 'unsigned' });
    assert.deepEqual(auth(byId('sdkv3/presign-PUT#1')).payload, { kind: 'unsigned' });
    assert.deepEqual(auth(byId('s3cmd/v2/PutObject#1')).payload, { kind: 'unsigned' });
    const minio = auth(byId('restic/http/init-signed-chunks#6')).payload;
    assert.equal(minio.kind, 'streaming-signed');
    if (minio.kind !== 'streaming-signed') return;
    assert.equal(minio.trailer, false);
    assert.equal(minio.seedSignature, '8fc5eeddafd50e06e2102a4609fa96ed62f680d1aa0177d04645ca314dfdc93b');
    assert.equal(minio.scope, '20261125/us-east-1/s3/aws4_request');
    assert.equal(minio.amzDate, '20261125T191116Z');
    assert.equal(minio.signingKey.length, 32);
  });
});

describe('authenticate: failures', () => {
  const v4 = signed.find((f) => f.id === 'awscli/http/PutObject#1') ?? assert.fail();
  const s3cmd = signed.find((f) => f.id === 's3cmd/http/PutObject#1') ?? assert.fail();
  const presigned = signed.find((f) => f.id === 'sdkv3/presign-PUT#1') ?? assert.fail();
  const v2h = signed.find((f) => f.id === 's3cmd/v2/PutObject#1') ?? assert.fail();
  const v2q = signed.find((f) => f.id === 's3cmd/signurl-v2#1') ?? assert.fail();
  const hdr = (f: Fixture) => nodeHeaders(f.headerPairs) as Record<string, string>;

  it('accepts "," and ", " separators alike', () => {
    const h = hdr(v4);
    h.authorization = (h.authorization ?? '').replace(/, /g, ',');
    assert.equal(auth(v4, { headers: h }).scheme, 'v4-header');
    const h2 = hdr(s3cmd);
    h2.authorization = (h2.authorization ?? '').replace(/,/g, ' ,  ');
    assert.equal(auth(s3cmd, { headers: h2 }).scheme, 'v4-header');
  });

  it('no credentials → AccessDenied', () => {
    const h = hdr(v4);
    delete h.authorization;
    throwsS3(() => auth(v4, { headers: h }), 'AccessDenied');
  });

  it('unknown access key → InvalidAccessKeyId (header, presigned, V2)', () => {
    const h = hdr(v4);
    h.authorization = (h.authorization ?? '').replace('AKIDEXAMPLE', 'AKIDUNKNOWN');
    throwsS3(() => auth(v4, { headers: h }), 'InvalidAccessKeyId');
    throwsS3(() => auth(presigned, { target: presigned.target.replace('AKIDEXAMPLE', 'AKIDUNKNOWN') }), 'InvalidAccessKeyId');
    const h2 = hdr(v2h);
    h2.authorization = (h2.authorization ?? '').replace('AKIDEXAMPLE', 'AKIDUNKNOWN');
    throwsS3(() => auth(v2h, { headers: h2 }), 'InvalidAccessKeyId');
    throwsS3(() => auth(v2q, { target: v2q.target.replace('AKIDEXAMPLE', 'AKIDUNKNOWN') }), 'InvalidAccessKeyId');
  });

  it('malformed Authorization → AuthorizationHeaderMalformed', () => {
    for (const bad of [
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, SignedHeaders=host',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3, SignedHeaders=host, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, Foo=1, SignedHeaders=host, Signature=00',
      'AWS AKIDEXAMPLE',
    ]) {
      const h = hdr(v4);
      h.authorization = bad;
      throwsS3(() => auth(v4, { headers: h }), 'AuthorizationHeaderMalformed');
    }
  });

  it('credential scope: other day, other region, other service → AuthorizationHeaderMalformed', () => {
    const h = hdr(v4);
    h.authorization = (h.authorization ?? '').replace('/20261125/', '/20261124/');
    throwsS3(() => auth(v4, { headers: h }), 'AuthorizationHeaderMalformed', /Invalid credential date/);
    throwsS3(() => auth(v4, { region: 'eu-west-1' }), 'AuthorizationHeaderMalformed', /region 'us-east-1' is wrong; expecting 'eu-west-1'/);
    const h2 = hdr(v4);
    h2.authorization = (h2.authorization ?? '').replace('/s3/', '/ec2/');
    throwsS3(() => auth(v4, { headers: h2 }), 'AuthorizationHeaderMalformed', /service/);
    throwsS3(() => auth(presigned, { region: 'eu-west-1' }), 'AuthorizationQueryParametersError', /region/);
  });

  it('clock skew over 15 minutes → RequestTimeTooSkewed (SigV4 and SigV2 headers)', () => {
    const t = Date.UTC(2026, 10, 25, 19, 11, 0); // v4's X-Amz-Date
    assert.equal(auth(v4, { now: t + 14 * 60_000 }).scheme, 'v4-header');
    throwsS3(() => auth(v4, { now: t + 16 * 60_000 }), 'RequestTimeTooSkewed');
    throwsS3(() => auth(v4, { now: t - 16 * 60_000 }), 'RequestTimeTooSkewed');
    throwsS3(() => auth(v2h, { now: t + 30 * 60_000 }), 'RequestTimeTooSkewed');
  });

  it('presigned URLs expire (V4 X-Amz-Expires, V2 Expires) → AccessDenied "Request has expired"', () => {
    const issued = Date.UTC(2026, 10, 25, 19, 11, 9);
    assert.equal(auth(presigned, { now: issued + 3599_000 }).scheme, 'v4-query');
    throwsS3(() => auth(presigned, { now: issued + 3601_000 }), 'AccessDenied', /^Request has expired$/);
    assert.equal(auth(v2q, { now: 1795637474_000 }).scheme, 'v2-query');
    throwsS3(() => auth(v2q, { now: 1795637475_000 }), 'AccessDenied', /^Request has expired$/);
  });

  it('X-Amz-Expires over 7 days or malformed presigned parameters → AuthorizationQueryParametersError', () => {
    throwsS3(() => auth(presigned, { target: presigned.target.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801') }), 'AuthorizationQueryParametersError', /604800/);
    throwsS3(() => auth(presigned, { target: presigned.target.replace('X-Amz-Expires=3600', 'X-Amz-Expires=soon') }), 'AuthorizationQueryParametersError');
    throwsS3(() => auth(presigned, { target: presigned.target.replace('X-Amz-Date=20261125T191109Z', 'X-Amz-Date=2026-11-25') }), 'AuthorizationQueryParametersError');
    throwsS3(() => auth(presigned, { target: presigned.target.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-HMAC-SHA512') }), 'AuthorizationQueryParametersError');
    throwsS3(() => auth(presigned, { target: presigned.target.replace(/&X-Amz-SignedHeaders=host/, '') }), 'AuthorizationQueryParametersError');
    throwsS3(() => auth(presigned, { target: `${presigned.target}&X-Amz-Signature=00` }), 'AuthorizationQueryParametersError');
    throwsS3(() => auth(v2q, { target: v2q.target.replace(/&Expires=\d+/, '') }), 'AuthorizationQueryParametersError');
  });

  it('the query checksum of SDK v3 presigned PUTs is signed but never enforced here', () => {
    assert.match(presigned.target, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
    assert.deepEqual(auth(presigned).payload, { kind: 'unsigned' });
    throwsS3(() => auth(presigned, { target: presigned.target.replace('AAAAAA%3D%3D', 'AAAAAB%3D%3D') }), 'SignatureDoesNotMatch');
  });

  it('an unsigned x-amz-* header → AccessDenied (presigned and header forms)', () => {
    throwsS3(() => auth(presigned, { headers: { ...hdr(presigned), 'x-amz-acl': 'public-read' } }), 'AccessDenied', /not signed/);
    throwsS3(() => auth(v4, { headers: { ...hdr(v4), 'x-amz-copy-source': 'other/key' } }), 'AccessDenied', /not signed/);
  });

  it('two auth mechanisms at once → InvalidArgument; an unknown one → InvalidArgument', () => {
    throwsS3(() => auth(presigned, { headers: { ...hdr(presigned), authorization: hdr(v4).authorization ?? '' } }), 'InvalidArgument');
    throwsS3(() => auth(v4, { headers: { ...hdr(v4), authorization: 'Bearer abc' } }), 'InvalidArgument');
  });

  it('a header SigV4 request without x-amz-content-sha256 → InvalidRequest', () => {
    const h = hdr(v4);
    delete h['x-amz-content-sha256'];
    throwsS3(() => auth(v4, { headers: h }), 'InvalidRequest', /x-amz-content-sha256/);
  });

  it('SigV2 presigned in virtual-host style signs /<bucket>/<key>; another bucket fails', () => {
    const target = v2q.target.replace('/fxb/s3c/', '/s3c/');
    const req = { method: 'GET', rawUrl: target, headers: { ...hdr(v2q), host: 'fxb.s3.test:9555' } };
    const base = fixtureContext(v2q.target);
    const r = authenticate(req, { ...base, bucket: 'fxb', key: 's3c/v2 x.txt' });
    assert.equal(r.scheme, 'v2-query');
    throwsS3(() => authenticate(req, { ...base, bucket: 'other', key: 's3c/v2 x.txt' }), 'SignatureDoesNotMatch');
  });

  it('SigV2 header: x-amz-date replaces Date; removing it breaks the signature', () => {
    const h = hdr(v2h);
    h.date = h['x-amz-date'] ?? '';
    delete h['x-amz-date'];
    throwsS3(() => auth(v2h, { headers: h }), 'SignatureDoesNotMatch');
  });

  it('SigV2 presigned PUT signed without Content-Type tolerates one added by the HTTP client (deliberate deviation)', () => {
    // Same URL, request now carries a Content-Type the signer did not sign.
    const r = auth(v2q, { headers: { ...hdr(v2q), 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.scheme, 'v2-query');
  });

  it('SigV4a and signed streaming under SigV2 are refused', () => {
    throwsS3(() => auth(v4, { headers: { ...hdr(v4), authorization: 'AWS4-ECDSA-P256-SHA256 Credential=x' } }), 'NotImplemented');
    const h = { ...hdr(v2q), 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' };
    // x-amz-* headers are part of the SigV2 string-to-sign, so the URL no longer matches first.
    throwsS3(() => auth(v2q, { headers: h }), 'SignatureDoesNotMatch');
  });
});
