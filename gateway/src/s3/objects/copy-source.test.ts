// x-amz-copy-source parsing and the copy-source conditionals.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObjectMeta } from '../../object-meta.js';
import { checkCopyConditions, parseCopySource } from './copy-source.js';
import { S3Error } from '../errors.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof S3Error ? `${e.code}:${e.extra.Condition ?? e.extra.ArgumentName ?? ''}` : String(e);
  }
  return 'ok';
}

describe('parseCopySource', () => {
  it('accepts bucket/key and /bucket/key, percent-decoding the key once', () => {
    assert.deepEqual(parseCopySource('src/a%20b%26c%2Bd%3Fe/%C3%BC'), { bucket: 'src', key: 'a b&c+d?e/ü' });
    assert.deepEqual(parseCopySource('/src/dir/k'), { bucket: 'src', key: 'dir/k' });
    assert.deepEqual(parseCopySource('src/a&b+c'), { bucket: 'src', key: 'a&b+c' }, 'raw & and + as rclone sends them');
    assert.deepEqual(parseCopySource('src/k%2525'), { bucket: 'src', key: 'k%25' });
  });

  it('takes a versionId after "?"', () => {
    assert.deepEqual(parseCopySource('src/k?versionId=null'), { bucket: 'src', key: 'k', versionId: 'null' });
    assert.deepEqual(parseCopySource('/src/k%3Fx?versionId=abc%2Fd'), { bucket: 'src', key: 'k?x', versionId: 'abc/d' });
  });

  it('refuses what names no object', () => {
    for (const bad of [undefined, '', 'src', 'src/', '/src/', '/k', 'Bad_Bucket/k', 'src/%E0%A4%A', 'arn:aws:s3:us-east-1:1:accesspoint/x/object/k']) {
      assert.equal(code(() => parseCopySource(bad)), 'InvalidArgument:x-amz-copy-source', String(bad));
    }
    assert.equal(code(() => parseCopySource(`src/${'k'.repeat(1025)}`)), 'KeyTooLongError:');
  });
});

describe('checkCopyConditions', () => {
  const m: ObjectMeta = { v: 1, size: 1, blockSize: 1, lastModified: Date.parse('2026-11-25T12:00:00.500Z'), etag: 'abc' };
  const at = (iso: string): string => new Date(iso).toUTCString();
  const check = (h: Record<string, string>): string => code(() => checkCopyConditions(h, m));

  it('passes holding conditions', () => {
    assert.equal(check({}), 'ok');
    assert.equal(check({ 'x-amz-copy-source-if-match': '"abc"' }), 'ok');
    assert.equal(check({ 'x-amz-copy-source-if-none-match': '"zzz"' }), 'ok');
    assert.equal(check({ 'x-amz-copy-source-if-modified-since': at('2026-11-25T11:59:59Z') }), 'ok');
    assert.equal(check({ 'x-amz-copy-source-if-unmodified-since': at('2026-11-25T12:00:00Z') }), 'ok', 'second precision');
  });

  it('fails each with 412 PreconditionFailed, never 304', () => {
    assert.equal(check({ 'x-amz-copy-source-if-match': '"zzz"' }), 'PreconditionFailed:x-amz-copy-source-If-Match');
    assert.equal(check({ 'x-amz-copy-source-if-none-match': 'abc' }), 'PreconditionFailed:x-amz-copy-source-If-None-Match');
    assert.equal(check({ 'x-amz-copy-source-if-modified-since': at('2026-11-25T12:00:00Z') }), 'PreconditionFailed:x-amz-copy-source-If-Modified-Since');
    assert.equal(check({ 'x-amz-copy-source-if-unmodified-since': at('2026-11-25T11:59:59Z') }), 'PreconditionFailed:x-amz-copy-source-If-Unmodified-Since');
  });

  it('lets a holding if-match override a failing if-unmodified-since, as S3 documents', () => {
    assert.equal(check({ 'x-amz-copy-source-if-match': 'abc', 'x-amz-copy-source-if-unmodified-since': at('2020-01-01T00:00:00Z') }), 'ok');
    assert.equal(check({ 'x-amz-copy-source-if-none-match': 'abc', 'x-amz-copy-source-if-modified-since': at('2020-01-01T00:00:00Z') }),
      'PreconditionFailed:x-amz-copy-source-If-None-Match');
  });
});
