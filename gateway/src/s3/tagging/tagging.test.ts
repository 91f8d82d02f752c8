// Object tagging (issue 12 item 14) at handler level: Put/Get/DeleteObjectTagging,
// x-amz-tagging on PutObject, CopyObject (tagging directive) and
// CreateMultipartUpload, x-amz-tagging-count, S3's limits and their errors.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signedApp, xmlCode, xmlText, type SignedApp } from '../testing/signed-app.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function taggingXml(tags: Array<[string, string]>): Buffer {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return Buffer.from(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${
    tags.map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`);
}

/** The tag set of a GetObjectTagging answer, in document order. */
function tagsOf(xml: string): Array<[string, string]> {
  return [...xml.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => [m[1]!, m[2]!]);
}

describe('object tagging', () => {
  let s: SignedApp;
  before(async () => {
    s = signedApp('tagging');
    assert.equal((await s.send('PUT', '/tags')).status, 200);
  });
  after(() => s?.close());

  async function getTags(key: string): Promise<Array<[string, string]>> {
    const res = await s.send('GET', `/tags/${key}?tagging`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<Tagging[ >]/);
    return tagsOf(res.text);
  }

  it('puts, gets and deletes an object\'s tags; the bytes, ETag, metadata and Last-Modified stay', async () => {
    const body = randomBytes(50_000); // many 4 KiB stripes
    const put = await s.send('PUT', '/tags/obj', body, { 'content-type': 'text/x-test', 'x-amz-meta-colour': 'blue' });
    assert.equal(put.status, 200);
    const before = await s.send('HEAD', '/tags/obj');
    assert.equal(before.headers['x-amz-tagging-count'], undefined, 'no count without tags');
    assert.deepEqual(await getTags('obj'), []);

    const tagged = await s.send('PUT', '/tags/obj?tagging', taggingXml([['b', '2'], ['a', '1 & <x>'], ['empty', '']]));
    assert.equal(tagged.status, 200, tagged.text);
    assert.deepEqual(await getTags('obj'), [['b', '2'], ['a', '1 &amp; &lt;x&gt;'], ['empty', '']]);
    const head = await s.send('HEAD', '/tags/obj');
    assert.equal(head.headers['x-amz-tagging-count'], '3');
    assert.equal(head.headers.etag, `"${md5(body)}"`);
    assert.equal(head.headers['last-modified'], before.headers['last-modified']);
    assert.equal(head.headers['content-type'], 'text/x-test');
    assert.equal(head.headers['x-amz-meta-colour'], 'blue');
    const get = await s.send('GET', '/tags/obj').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(get.headers['x-amz-tagging-count'], '3');
    assert.ok(Buffer.compare(get.body as Buffer, body) === 0, 'the bytes are the same');

    const replaced = await s.send('PUT', '/tags/obj?tagging', taggingXml([['only', 'one']]));
    assert.equal(replaced.status, 200);
    assert.deepEqual(await getTags('obj'), [['only', 'one']], 'a put replaces the whole set');

    const del = await s.send('DELETE', '/tags/obj?tagging');
    assert.equal(del.status, 204);
    assert.deepEqual(await getTags('obj'), []);
    const after = await s.send('HEAD', '/tags/obj');
    assert.equal(after.status, 200, 'the object is still there');
    assert.equal(after.headers['x-amz-tagging-count'], undefined);
    assert.equal((await s.send('DELETE', '/tags/obj?tagging')).status, 204, 'deleting no tags is fine');
  });

  it('answers NoSuchKey for a missing object and NoSuchVersion for a versionId other than "null"', async () => {
    for (const [m, body] of [['GET', undefined], ['PUT', taggingXml([['a', 'b']])], ['DELETE', undefined]] as const) {
      const res = await s.send(m, '/tags/absent?tagging', body);
      assert.equal(res.status, 404, `${m}: ${res.text}`);
      assert.equal(xmlCode(res.text), 'NoSuchKey');
    }
    assert.equal((await s.send('PUT', '/tags/v', Buffer.from('v'))).status, 200);
    assert.equal((await s.send('PUT', '/tags/v?tagging&versionId=null', taggingXml([['a', 'b']]))).status, 200);
    const other = await s.send('PUT', '/tags/v?tagging&versionId=3HL4kqtJlcpXroDTDmJ', taggingXml([['a', 'b']]));
    assert.equal(xmlCode(other.text), 'NoSuchVersion');
    assert.equal(xmlCode((await s.send('GET', '/tags/v?tagging&versionId=x')).text), 'NoSuchVersion');
  });

  it('enforces S3\'s limits with S3\'s errors, and leaves the tags as they were', async () => {
    assert.equal((await s.send('PUT', '/tags/lim', Buffer.from('x'))).status, 200);
    const ok: Array<[string, string]> = [['k'.repeat(128), 'v'.repeat(256)], ['é'.repeat(128), '€'.repeat(256)]];
    assert.equal((await s.send('PUT', '/tags/lim?tagging', taggingXml(ok))).status, 200, 'at the limits, in characters');
    const ten = Array.from({ length: 10 }, (_, i): [string, string] => [`k${i}`, `v${i}`]);
    assert.equal((await s.send('PUT', '/tags/lim?tagging', taggingXml(ten))).status, 200, 'ten tags');
    const cases: Array<[Buffer, number, string, RegExp]> = [
      [taggingXml([...ten, ['k10', 'v']]), 400, 'BadRequest', /Object tags cannot be greater than 10/],
      [taggingXml([['k'.repeat(129), 'v']]), 400, 'InvalidTag', /TagKey you have provided is too long/],
      [taggingXml([['k', 'v'.repeat(257)]]), 400, 'InvalidTag', /TagValue you have provided is too long/],
      [taggingXml([['a', '1'], ['a', '2']]), 400, 'InvalidTag', /multiple Tags with the same key/],
      [taggingXml([['', 'v']]), 400, 'InvalidTag', /TagKey you have provided is invalid/],
      [taggingXml([['aws:x', 'v']]), 400, 'InvalidTag', /prefixed with aws:/],
      [Buffer.from('<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>'), 400, 'MalformedXML', /./],
      [Buffer.from('<Other><TagSet/></Other>'), 400, 'MalformedXML', /./],
      [Buffer.from('<Tagging><TagSet>'), 400, 'MalformedXML', /./],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await s.send('PUT', '/tags/lim?tagging', body);
      assert.equal(res.status, status, res.text);
      assert.equal(xmlCode(res.text), code, res.text);
      assert.match(xmlText(res.text, 'Message') ?? '', message);
    }
    assert.equal((await getTags('lim')).length, 10, 'a refused put changed nothing');
  });

  it('stores x-amz-tagging on PutObject, and refuses a bad one before storing anything', async () => {
    const put = await s.send('PUT', '/tags/hdr', Buffer.from('h'), { 'x-amz-tagging': 'a=1&b%20c=d%26e&flag' });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await getTags('hdr'), [['a', '1'], ['b c', 'd&amp;e'], ['flag', '']]);
    assert.equal((await s.send('HEAD', '/tags/hdr')).headers['x-amz-tagging-count'], '3');
    const many = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    const refused: Array<[string, string]> = [[many, 'BadRequest'], ['a=1&a=2', 'InvalidArgument'], [`${'k'.repeat(129)}=v`, 'InvalidTag']];
    for (const [h, code] of refused) {
      const res = await s.send('PUT', '/tags/hdr-bad', Buffer.from('x'), { 'x-amz-tagging': h });
      assert.equal(res.status, 400, h);
      assert.equal(xmlCode(res.text), code, h);
    }
    assert.equal((await s.send('HEAD', '/tags/hdr-bad')).status, 404, 'nothing was stored');
  });

  it('copies tags with x-amz-tagging-directive COPY (the default) and replaces them with REPLACE', async () => {
    assert.equal((await s.send('PUT', '/tags/src', Buffer.from('src'), { 'x-amz-tagging': 's=1' })).status, 200);
    const copy = (dst: string, h: Record<string, string>) => s.send('PUT', `/tags/${dst}`, undefined, { 'x-amz-copy-source': '/tags/src', ...h });
    assert.equal((await copy('c-default', { 'x-amz-tagging': 'ignored=1' })).status, 200);
    assert.deepEqual(await getTags('c-default'), [['s', '1']]);
    assert.equal((await copy('c-copy', { 'x-amz-tagging-directive': 'COPY' })).status, 200);
    assert.deepEqual(await getTags('c-copy'), [['s', '1']]);
    assert.equal((await copy('c-replace', { 'x-amz-tagging-directive': 'REPLACE', 'x-amz-tagging': 'r=2&q=3' })).status, 200);
    assert.deepEqual(await getTags('c-replace'), [['r', '2'], ['q', '3']]);
    assert.equal((await copy('c-none', { 'x-amz-tagging-directive': 'REPLACE' })).status, 200);
    assert.deepEqual(await getTags('c-none'), []);
    const bad = await copy('c-bad', { 'x-amz-tagging-directive': 'MERGE' });
    assert.equal(bad.status, 400);
    assert.equal(xmlCode(bad.text), 'InvalidArgument');
    const tooMany = await copy('c-bad', { 'x-amz-tagging-directive': 'REPLACE', 'x-amz-tagging': Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&') });
    assert.equal(xmlCode(tooMany.text), 'BadRequest');
    assert.equal((await s.send('HEAD', '/tags/c-bad')).status, 404);
  });

  it('gives a multipart object the tags of CreateMultipartUpload, and retags it keeping its parts and ETag', async () => {
    const made = await s.send('POST', '/tags/mp?uploads', undefined, { 'x-amz-tagging': 'm=1' });
    assert.equal(made.status, 200, made.text);
    const id = xmlText(made.text, 'UploadId')!;
    const a = randomBytes(5 * 1024 * 1024);
    const b = randomBytes(3000);
    for (const [n, part] of [[1, a], [2, b]] as const) assert.equal((await s.send('PUT', `/tags/mp?partNumber=${n}&uploadId=${id}`, part)).status, 200);
    const done = await s.send('POST', `/tags/mp?uploadId=${id}`, Buffer.from(`<CompleteMultipartUpload>${
      [[1, a], [2, b]].map(([n, p]) => `<Part><PartNumber>${String(n)}</PartNumber><ETag>"${md5(p as Buffer)}"</ETag></Part>`).join('')}</CompleteMultipartUpload>`));
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await getTags('mp'), [['m', '1']]);
    const etag = (await s.send('HEAD', '/tags/mp')).headers.etag as string;
    assert.match(etag, /-2"$/);

    assert.equal((await s.send('PUT', '/tags/mp?tagging', taggingXml([['n', '2']]))).status, 200);
    assert.deepEqual(await getTags('mp'), [['n', '2']]);
    const head = await s.send('HEAD', '/tags/mp');
    assert.equal(head.headers.etag, etag, 'still the multipart ETag');
    assert.equal(head.headers['x-amz-tagging-count'], '1');
    const attrs = await s.send('GET', '/tags/mp?attributes', undefined, { 'x-amz-object-attributes': 'ObjectParts' });
    assert.equal(xmlText(attrs.text, 'TotalPartsCount') ?? xmlText(attrs.text, 'PartsCount'), '2', attrs.text);
    const range = await s.send('GET', '/tags/mp', undefined, { range: `bytes=${a.length - 10}-${a.length + 9}` }).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(range.status, 206);
    assert.ok(Buffer.compare(range.body as Buffer, Buffer.concat([a.subarray(a.length - 10), b.subarray(0, 10)])) === 0, 'the parts\' bytes');
  });
});
