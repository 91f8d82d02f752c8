// SigV4 canonicalisation rules and AWS's published examples.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authenticate } from './authenticate.js';
import { StaticCredentialStore } from './credentials.js';
import { canonicalHeaderValue, canonicalQuery } from './sigv4-canonical.js';
import { splitTarget } from './request-parts.js';
import { resourcePath, subResources } from './sigv2-resource.js';
import { parseAmzDate } from './amz-date.js';

describe('SigV4 canonical forms', () => {
  it('canonical query: valueless → empty value, sorted by name then value, values as sent, signature dropped', () => {
    assert.equal(canonicalQuery('uploads'), 'uploads=');
    assert.equal(canonicalQuery('delete='), 'delete=');
    assert.equal(canonicalQuery('prefix=dir%2F&delimiter=%2F&list-type=2&encoding-type=url'), 'delimiter=%2F&encoding-type=url&list-type=2&prefix=dir%2F');
    assert.equal(canonicalQuery('b=2&a=2&a=1&&'), 'a=1&a=2&b=2');
    assert.equal(canonicalQuery('X-Amz-Signature=abc&x-id=GetObject', 'X-Amz-Signature'), 'x-id=GetObject');
    assert.equal(canonicalQuery(''), '');
  });

  it('canonical header values are trimmed and whitespace runs collapsed', () => {
    assert.equal(canonicalHeaderValue('  a   b \t c  '), 'a b c');
    assert.equal(canonicalHeaderValue('attempt=1; max=3'), 'attempt=1; max=3');
  });

  it('splits origin-form and absolute-form targets', () => {
    assert.deepEqual(splitTarget('/b/k?uploads'), { rawPath: '/b/k', rawQuery: 'uploads' });
    assert.deepEqual(splitTarget('http://h:1/b/k%20x?a=1'), { rawPath: '/b/k%20x', rawQuery: 'a=1' });
    assert.deepEqual(splitTarget('?x'), { rawPath: '/', rawQuery: 'x' });
  });

  it('parses only real basic-ISO timestamps', () => {
    assert.equal(parseAmzDate('20261125T191100Z'), Date.UTC(2026, 10, 25, 19, 11, 0));
    assert.equal(parseAmzDate('20260231T000000Z'), undefined);
    assert.equal(parseAmzDate('20261125T251100Z'), undefined);
    assert.equal(parseAmzDate('2026-11-25T19:11:00Z'), undefined);
  });
});

describe('SigV2 canonical resource', () => {
  it('keeps path-style paths as sent and prefixes the bucket in virtual-host style', () => {
    assert.equal(resourcePath('/b/k%20x', 'b', 'k x'), '/b/k%20x');
    assert.equal(resourcePath('/k%20x', 'b', 'k x'), '/b/k%20x');
    assert.equal(resourcePath('/b/b/k', 'b', 'b/k'), '/b/b/k');
    assert.equal(resourcePath('/b/k', 'b', 'b/k'), '/b/b/k');
    assert.equal(resourcePath('/b', 'b', undefined), '/b');
    assert.equal(resourcePath('/', 'b', undefined), '/b/');
    assert.equal(resourcePath('/', undefined, undefined), '/');
  });

  it('appends only sub-resources, sorted, values decoded', () => {
    assert.equal(subResources('uploads'), '?uploads');
    assert.equal(subResources('uploadId=U&partNumber=2&x-id=UploadPart'), '?partNumber=2&uploadId=U');
    assert.equal(subResources('prefix=a&delimiter=%2F'), '');
    assert.equal(subResources('response-content-disposition=attachment%3B%20x&acl'), '?acl&response-content-disposition=attachment; x');
  });
});

describe('AWS documentation examples (examplebucket, 20130524)', () => {
  const creds = new StaticCredentialStore([
    { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', user: 'doc' },
  ]);
  const now = Date.UTC(2013, 4, 24, 0, 0, 0);
  const ctx = { creds, region: 'us-east-1', now: () => now };

  it('GET object with Range (header form)', () => {
    const r = authenticate({
      method: 'GET',
      rawUrl: '/test.txt',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date': '20130524T000000Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      },
    }, ctx);
    assert.equal(r.user, 'doc');
  });

  it('GET object presigned for 86400 s', () => {
    const r = authenticate({
      method: 'GET',
      rawUrl: '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    }, ctx);
    assert.equal(r.scheme, 'v4-query');
  });
});
