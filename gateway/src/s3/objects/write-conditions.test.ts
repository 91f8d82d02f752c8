// Conditional writes (issue 12 item 3): PutObject and
// CompleteMultipartUpload honour If-None-Match: * and If-Match, and refuse
// an If-None-Match other than * rather than ignoring it.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signedApp, xmlCode, xmlText, type SignedApp } from '../testing/signed-app.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('conditional writes', () => {
  let s: SignedApp;
  before(async () => {
    s = signedApp('condw');
    assert.equal((await s.send('PUT', '/condw')).status, 200);
  });
  after(() => s?.close());

  const get = async (key: string): Promise<string> => (await s.send('GET', `/condw/${key}`)).text;

  it('If-None-Match: * creates a missing key, and refuses an existing one with 412 leaving it unchanged', async () => {
    const made = await s.send('PUT', '/condw/create-only', Buffer.from('first'), { 'if-none-match': '*' });
    assert.equal(made.status, 200, made.text);
    const again = await s.send('PUT', '/condw/create-only', Buffer.from('second'), { 'if-none-match': '*' });
    assert.equal(again.status, 412, again.text);
    assert.equal(xmlCode(again.text), 'PreconditionFailed');
    assert.equal(await get('create-only'), 'first');
  });

  it('If-None-Match: * writes over a deleted key', async () => {
    assert.equal((await s.send('PUT', '/condw/gone', Buffer.from('x'))).status, 200);
    assert.equal((await s.send('DELETE', '/condw/gone')).status, 204);
    assert.equal((await s.send('PUT', '/condw/gone', Buffer.from('y'), { 'if-none-match': '*' })).status, 200);
    assert.equal(await get('gone'), 'y');
  });

  it('If-Match replaces only the named version: 412 on another ETag, 404 NoSuchKey when absent', async () => {
    const v1 = Buffer.from('version one');
    assert.equal((await s.send('PUT', '/condw/cas', v1)).status, 200);
    const wrong = await s.send('PUT', '/condw/cas', Buffer.from('lost update'), { 'if-match': `"${md5(Buffer.from('nope'))}"` });
    assert.equal(wrong.status, 412, wrong.text);
    assert.equal(xmlCode(wrong.text), 'PreconditionFailed');
    const right = await s.send('PUT', '/condw/cas', Buffer.from('version two'), { 'if-match': `"${md5(v1)}"` });
    assert.equal(right.status, 200, right.text);
    assert.equal(await get('cas'), 'version two');
    const absent = await s.send('PUT', '/condw/never', Buffer.from('z'), { 'if-match': `"${md5(v1)}"` });
    assert.equal(absent.status, 404, absent.text);
    assert.equal(xmlCode(absent.text), 'NoSuchKey');
    assert.equal((await s.send('GET', '/condw/never')).status, 404);
  });

  it('refuses If-None-Match with an ETag (S3 accepts only *) with 501, writing nothing', async () => {
    const res = await s.send('PUT', '/condw/etag-inm', Buffer.from('z'), { 'if-none-match': '"abc"' });
    assert.equal(res.status, 501, res.text);
    assert.equal(xmlCode(res.text), 'NotImplemented');
    assert.equal((await s.send('GET', '/condw/etag-inm')).status, 404);
  });

  async function upload(key: string, data: Buffer): Promise<{ id: string; xml: Buffer }> {
    const made = await s.send('POST', `/condw/${key}?uploads`);
    assert.equal(made.status, 200, made.text);
    const id = xmlText(made.text, 'UploadId')!;
    const part = await s.send('PUT', `/condw/${key}?partNumber=1&uploadId=${id}`, data);
    assert.equal(part.status, 200, part.text);
    return { id, xml: Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag as string}</ETag></Part></CompleteMultipartUpload>`) };
  }

  it('CompleteMultipartUpload with If-None-Match: * refuses an existing key with 412 and keeps the upload', async () => {
    assert.equal((await s.send('PUT', '/condw/mpu-exists', Buffer.from('old'))).status, 200);
    const { id, xml } = await upload('mpu-exists', Buffer.from('new'));
    const res = await s.send('POST', `/condw/mpu-exists?uploadId=${id}`, xml, { 'if-none-match': '*' });
    assert.equal(res.status, 412, res.text);
    assert.equal(xmlCode(res.text), 'PreconditionFailed');
    assert.equal(await get('mpu-exists'), 'old');
    // The upload is still there: completed without the condition, it wins.
    assert.equal((await s.send('POST', `/condw/mpu-exists?uploadId=${id}`, xml)).status, 200);
    assert.equal(await get('mpu-exists'), 'new');
  });

  it('CompleteMultipartUpload with If-Match: 404 when absent, 412 on another ETag, 200 on the current one', async () => {
    const { id, xml } = await upload('mpu-cas', Buffer.from('parted'));
    const absent = await s.send('POST', `/condw/mpu-cas?uploadId=${id}`, xml, { 'if-match': '"0123"' });
    assert.equal(absent.status, 404, absent.text);
    assert.equal(xmlCode(absent.text), 'NoSuchKey');
    const v1 = Buffer.from('current');
    assert.equal((await s.send('PUT', '/condw/mpu-cas', v1)).status, 200);
    const wrong = await s.send('POST', `/condw/mpu-cas?uploadId=${id}`, xml, { 'if-match': '"0123"' });
    assert.equal(wrong.status, 412, wrong.text);
    const right = await s.send('POST', `/condw/mpu-cas?uploadId=${id}`, xml, { 'if-match': `"${md5(v1)}"` });
    assert.equal(right.status, 200, right.text);
    assert.equal(await get('mpu-cas'), 'parted');
  });

  it('CompleteMultipartUpload with If-None-Match: * creates a missing key', async () => {
    const { id, xml } = await upload('mpu-new', Buffer.from('fresh'));
    const res = await s.send('POST', `/condw/mpu-new?uploadId=${id}`, xml, { 'if-none-match': '*' });
    assert.equal(res.status, 200, res.text);
    assert.equal(await get('mpu-new'), 'fresh');
  });
  it('CopyObject honours If-None-Match: * and If-Match on its destination rather than ignoring them', async () => {
    assert.equal((await s.send('PUT', '/condw/copy-src', Buffer.from('source'))).status, 200);
    assert.equal((await s.send('PUT', '/condw/copy-dst', Buffer.from('kept'))).status, 200);
    const refused = await s.send('PUT', '/condw/copy-dst', undefined, { 'x-amz-copy-source': '/condw/copy-src', 'if-none-match': '*' });
    assert.equal(refused.status, 412, refused.text);
    assert.equal(xmlCode(refused.text), 'PreconditionFailed');
    assert.equal(await get('copy-dst'), 'kept');
    const wrong = await s.send('PUT', '/condw/copy-dst', undefined, { 'x-amz-copy-source': '/condw/copy-src', 'if-match': '"0123"' });
    assert.equal(wrong.status, 412, wrong.text);
    const made = await s.send('PUT', '/condw/copy-new', undefined, { 'x-amz-copy-source': '/condw/copy-src', 'if-none-match': '*' });
    assert.equal(made.status, 200, made.text);
    assert.equal(await get('copy-new'), 'source');
    const replaced = await s.send('PUT', '/condw/copy-dst', undefined, { 'x-amz-copy-source': '/condw/copy-src', 'if-match': `"${md5(Buffer.from('kept'))}"` });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(await get('copy-dst'), 'source');
  });
});
