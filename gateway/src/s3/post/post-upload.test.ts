// The file part as an object body: cut off as soon as it passes its maximum,
// ended only after the rest of the form and every integrity check passed.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { rejectsS3, throwsS3 } from '../auth/testing/assert-s3.js';
import { S3Error } from '../errors.js';
import type { FormField, FormFields } from './post-fields.js';
import { uploadBody, uploadRules } from './post-upload.js';

function form(o: Record<string, string>): FormFields {
  return new Map<string, FormField>(Object.entries(o).map(([name, value]) => [name.toLowerCase(), { name, value }]));
}

/** `n` chunks of `size` bytes; counts how many were pulled. */
function chunks(n: number, size: number) {
  const state = { pulled: 0 };
  async function* gen(): AsyncGenerator<Buffer> {
    for (let i = 0; i < n; i++) {
      state.pulled++;
      yield Buffer.alloc(size, i);
    }
  }
  return { stream: gen(), state };
}

async function drain(s: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}

const ok = async () => undefined;

describe('uploadBody', () => {
  it('stops reading the file at the first chunk past the policy maximum', async () => {
    const src = chunks(100, 1000);
    const body = uploadBody(src.stream, { maxBytes: 1e9, range: { min: 0, max: 2500 } }, ok);
    await assert.rejects(drain(body.stream), (e) => {
      assert.ok(e instanceof S3Error && e.code === 'EntityTooLarge');
      assert.equal(e.extra.MaxSizeAllowed, '2500');
      return true;
    });
    assert.equal(src.state.pulled, 3);
    assert.throws(() => body.result());
  });

  it('the gateway\'s own maximum applies without a policy range', async () => {
    const src = chunks(10, 1000);
    await rejectsS3(drain(uploadBody(src.stream, { maxBytes: 4000 }, ok).stream), 'EntityTooLarge');
    assert.equal(src.state.pulled, 5);
  });

  it('ends only after the rest of the form was read; its failure fails the upload', async () => {
    const order: string[] = [];
    const body = uploadBody(chunks(2, 10).stream, { maxBytes: 100 }, async () => {
      order.push('form end');
    });
    for await (const _ of body.stream) order.push('chunk');
    assert.deepEqual(order, ['chunk', 'chunk', 'form end']);
    assert.equal(body.result().size, 20);
    const failing = uploadBody(chunks(2, 10).stream, { maxBytes: 100 }, async () => {
      throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.');
    });
    await rejectsS3(drain(failing.stream), 'InvalidArgument', /exactly one file/);
    assert.throws(() => failing.result());
  });

  it('under the minimum: EntityTooSmall once the file ended', async () => {
    await rejectsS3(drain(uploadBody(chunks(1, 5).stream, { maxBytes: 100, range: { min: 6, max: 10 } }, ok).stream), 'EntityTooSmall');
  });

  it('ETag MD5 always; Content-MD5 and a checksum verified when given', async () => {
    const data = Buffer.alloc(10, 0);
    const md5 = createHash('md5').update(Buffer.concat([Buffer.alloc(5, 0), Buffer.alloc(5, 1)])).digest();
    const b = uploadBody(chunks(2, 5).stream, uploadRules(form({ 'Content-MD5': md5.toString('base64'), 'x-amz-checksum-algorithm': 'SHA256' }), undefined, 100), ok);
    await drain(b.stream);
    assert.equal(b.result().md5Hex, md5.toString('hex'));
    const sha = createHash('sha256').update(Buffer.concat([Buffer.alloc(5, 0), Buffer.alloc(5, 1)])).digest('base64');
    assert.deepEqual(b.result().checksums, { sha256: sha });
    const wrongMd5 = createHash('md5').update(data).digest('base64');
    await rejectsS3(drain(uploadBody(chunks(2, 5).stream, uploadRules(form({ 'content-md5': wrongMd5 }), undefined, 100), ok).stream), 'BadDigest');
    await rejectsS3(drain(uploadBody(chunks(2, 5).stream, uploadRules(form({ 'x-amz-checksum-sha256': createHash('sha256').update(data).digest('base64') }), undefined, 100), ok).stream), 'BadDigest');
  });
});

describe('uploadRules', () => {
  it('refuses malformed integrity fields', () => {
    throwsS3(() => uploadRules(form({ 'Content-MD5': 'abc' }), undefined, 1), 'InvalidDigest');
    throwsS3(() => uploadRules(form({ 'x-amz-checksum-md4': 'AAAA' }), undefined, 1), 'InvalidRequest', /unsupported/);
    throwsS3(() => uploadRules(form({ 'x-amz-checksum-crc32': 'AAAA' }), undefined, 1), 'InvalidRequest', /invalid/);
    throwsS3(() => uploadRules(form({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-crc32c': 'AAAAAA==' }), undefined, 1), 'InvalidRequest', /Multiple/);
    throwsS3(() => uploadRules(form({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-algorithm': 'SHA1' }), undefined, 1), 'InvalidRequest');
    throwsS3(() => uploadRules(form({ 'x-amz-checksum-algorithm': 'MD5' }), undefined, 1), 'InvalidRequest');
    assert.deepEqual(uploadRules(form({ 'x-amz-checksum-crc32': 'AAAAAA==' }), { min: 1, max: 2 }, 9), {
      maxBytes: 9, range: { min: 1, max: 2 }, checksum: { alg: 'CRC32', expected: 'AAAAAA==' },
    });
  });
});
