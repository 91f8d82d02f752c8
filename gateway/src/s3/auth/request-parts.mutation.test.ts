// Request parts, credentials and payload tokens at their edges.

import { S3Error } from '../errors.js';
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { StaticCredentialStore } from './credentials.js';
import { payloadMode } from './payload.js';
import { decodeComponent, headerValue, rawParams, splitTarget } from './request-parts.js';
import { throwsS3 } from './testing/assert-s3.js';

describe('splitTarget / rawParams / decodeComponent / headerValue', () => {
  it('splits origin and absolute forms, refuses a fragment, empty path is /', () => {
    assert.deepEqual(splitTarget('/b/k?acl&x=1'), { rawPath: '/b/k', rawQuery: 'acl&x=1' });
    assert.deepEqual(splitTarget('http://h:9/b/k?x'), { rawPath: '/b/k', rawQuery: 'x' });
    assert.deepEqual(splitTarget('https://h'), { rawPath: '/', rawQuery: '' });
    for (const t of ['/b/k#frag?x', '#x', '/b/k?a=1#&uploadId=2']) {
      assert.throws(() => splitTarget(t), (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI', t);
    }
    assert.deepEqual(splitTarget('/a/http://h/b'), { rawPath: '/a/http://h/b', rawQuery: '' });
    assert.deepEqual(splitTarget('?x'), { rawPath: '/', rawQuery: 'x' });
  });

  it('rawParams splits at the first =, keeps names without one, drops empty segments', () => {
    assert.deepEqual(rawParams('a=1=2&&b&=c'), [
      { name: 'a', value: '1=2', hasEquals: true },
      { name: 'b', value: '', hasEquals: false },
      { name: '', value: 'c', hasEquals: true },
    ]);
  });

  it('decodeComponent keeps + and refuses malformed escapes', () => {
    assert.equal(decodeComponent('a%20b+c'), 'a b+c');
    assert.equal(decodeComponent('%zz'), undefined);
  });

  it('headerValue joins a repeated header trimmed with ","', () => {
    assert.equal(headerValue({ a: [' x ', 'y '] } as never, 'a'), 'x,y');
    assert.equal(headerValue({ a: ' v ' }, 'a'), ' v ');
    assert.equal(headerValue({}, 'a'), undefined);
  });
});

describe('StaticCredentialStore', () => {
  const c = { accessKey: 'AK', secretKey: 'SK', user: 'u' };
  it('refuses an empty field or a duplicated key', () => {
    for (const bad of [{ ...c, accessKey: '' }, { ...c, secretKey: '' }, { ...c, user: '' }]) {
      assert.throws(() => new StaticCredentialStore([bad]), /^Error: credential with an empty accessKey, secretKey or user$/);
    }
    assert.throws(() => new StaticCredentialStore([c, { ...c, user: 'v' }]), /^Error: duplicate access key AK$/);
  });
  it('looks up by access key', () => {
    const s = new StaticCredentialStore([c, { ...c, accessKey: 'AK2' }]);
    assert.deepEqual(s.lookup('AK'), c);
    assert.equal(s.lookup('AK3'), undefined);
    assert.ok(Object.isFrozen(s.lookup('AK')));
  });
});

describe('payloadMode', () => {
  const signing = { seedSignature: 's', signingKey: Buffer.alloc(32), scope: 'x', amzDate: 'y' };
  it('hex digests (any case), the unsigned and streaming tokens', () => {
    assert.deepEqual(payloadMode('A'.repeat(64), undefined), { kind: 'sha256', hex: 'a'.repeat(64) });
    assert.deepEqual(payloadMode('UNSIGNED-PAYLOAD', undefined), { kind: 'unsigned' });
    assert.deepEqual(payloadMode('STREAMING-UNSIGNED-PAYLOAD-TRAILER', undefined), { kind: 'streaming-unsigned-trailer' });
    assert.deepEqual(payloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', signing), { kind: 'streaming-signed', trailer: false, ...signing });
    assert.deepEqual(payloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', signing), { kind: 'streaming-signed', trailer: true, ...signing });
  });
  it('refuses anything else', () => {
    throwsS3(() => payloadMode('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', undefined), 'InvalidRequest', /^STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER requires AWS Signature Version 4.$/);
    for (const t of ['STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER']) {
      throwsS3(() => payloadMode(t, signing), 'NotImplemented', /Version 4A/);
    }
    for (const t of ['a'.repeat(63), 'a'.repeat(65), `x${'a'.repeat(64)}`, `${'a'.repeat(64)}x`, 'unsigned-payload', '']) {
      throwsS3(() => payloadMode(t, signing), 'InvalidArgument', /x-amz-content-sha256 must be/);
    }
  });
});
