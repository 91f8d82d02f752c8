// Multipart under retries and concurrency (issue 12 items 1 and 2): a
// retried Complete answers as the first did; a part uploaded twice is the
// one that finished last, whatever order the two started in.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signV4 } from '../../../../integration/harness/raw.js';
import { HOST, signedApp, xmlCode, xmlText, type SignedApp } from '../testing/signed-app.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const completeXml = (parts: Array<[number, string]>): Buffer => Buffer.from(`<CompleteMultipartUpload>${
  parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>"${e}"</ETag></Part>`).join('')}</CompleteMultipartUpload>`);

describe('multipart retries and concurrency', () => {
  let s: SignedApp;
  let server: Server;
  before(async () => {
    s = signedApp('mpretry');
    assert.equal((await s.send('PUT', '/mpretry')).status, 200);
    server = s.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
  });
  after(async () => {
    server?.close();
    await s?.close();
  });

  async function create(key: string): Promise<string> {
    const made = await s.send('POST', `/mpretry/${key}?uploads`);
    assert.equal(made.status, 200, made.text);
    return xmlText(made.text, 'UploadId')!;
  }

  it('answers a retried Complete with the same part list 200 and the same ETag, a different list NoSuchUpload', async () => {
    const id = await create('retried');
    const a = randomBytes(5 * 1024 * 1024);
    const b = randomBytes(1000);
    for (const [n, d] of [[1, a], [2, b]] as const) assert.equal((await s.send('PUT', `/mpretry/retried?partNumber=${n}&uploadId=${id}`, d)).status, 200);
    const xml = completeXml([[1, md5(a)], [2, md5(b)]]);
    const first = await s.send('POST', `/mpretry/retried?uploadId=${id}`, xml);
    assert.equal(first.status, 200, first.text);
    const etag = xmlText(first.text, 'ETag');
    assert.match(etag ?? '', /-2&quot;$|-2"$/);
    const retry = await s.send('POST', `/mpretry/retried?uploadId=${id}`, xml);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(xmlText(retry.text, 'ETag'), etag);
    assert.equal(xmlText(retry.text, 'Key'), 'retried');
    const other = await s.send('POST', `/mpretry/retried?uploadId=${id}`, completeXml([[1, md5(a)]]));
    assert.equal(other.status, 404, other.text);
    assert.equal(xmlCode(other.text), 'NoSuchUpload');
    // Once the key holds another object, the upload is simply over.
    assert.equal((await s.send('PUT', '/mpretry/retried', Buffer.from('other'))).status, 200);
    const late = await s.send('POST', `/mpretry/retried?uploadId=${id}`, xml);
    assert.equal(xmlCode(late.text), 'NoSuchUpload');
  });

  /** Starts an UploadPart whose body arrives in two halves; `finish()` sends the second. */
  function slowPart(key: string, id: string, n: number, data: Buffer): { finish: () => void; done: Promise<{ status: number; etag: string }> } {
    const target = `/mpretry/${key}?partNumber=${n}&uploadId=${id}`;
    const signed = signV4(HOST, { method: 'PUT', target, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(data.length) } }, {
      accessKey: 'mpretry-key', secretKey: 'mpretry-secret-0123456789', region: 'us-east-1',
    });
    const { port } = server.address() as AddressInfo;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: target, headers: signed.headers });
    const done = new Promise<{ status: number; etag: string }>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? '').replace(/"/g, '') }));
      });
      req.on('error', reject);
    });
    req.write(data.subarray(0, data.length >> 1));
    return { finish: () => req.end(data.subarray(data.length >> 1)), done };
  }

  for (const order of ['first-started finishes last', 'last-started finishes last'] as const) {
    it(`keeps the part that finished last (${order}); Complete refuses the other's ETag with InvalidPart`, async () => {
      const key = order === 'first-started finishes last' ? 'twice-a' : 'twice-b';
      const id = await create(key);
      const one = randomBytes(64 * 1024);
      const two = randomBytes(64 * 1024);
      const first = slowPart(key, id, 1, one);
      const second = slowPart(key, id, 1, two);
      await new Promise((r) => setTimeout(r, 50));
      const [early, late] = order === 'first-started finishes last' ? [second, first] : [first, second];
      early.finish();
      const e = await early.done;
      late.finish();
      const l = await late.done;
      assert.equal(e.status, 200);
      assert.equal(l.status, 200);
      const loser = await s.send('POST', `/mpretry/${key}?uploadId=${id}`, completeXml([[1, e.etag]]));
      assert.equal(loser.status, 400, loser.text);
      assert.equal(xmlCode(loser.text), 'InvalidPart');
      const winner = await s.send('POST', `/mpretry/${key}?uploadId=${id}`, completeXml([[1, l.etag]]));
      assert.equal(winner.status, 200, winner.text);
      const got = await s.send('GET', `/mpretry/${key}`).buffer(true).parse((res, cb) => {
        const c: Buffer[] = [];
        res.on('data', (d: Buffer) => c.push(d));
        res.on('end', () => cb(null, Buffer.concat(c)));
      });
      assert.ok(Buffer.compare(got.body as Buffer, order === 'first-started finishes last' ? one : two) === 0);
    });
  }
});
