// PostObject from a real browser: Chromium (playwright-core, Debian's
// /usr/bin/chromium) loads an HTML form from a small local page server; the
// form's hidden fields carry a SigV4 POST policy signed here with the
// gateway's credentials; the file is chosen with setInputFiles and the form
// submitted. Success redirects (success_action_redirect) back to the page
// server, whose query must name the object; the object is read back with the
// SDK and compared byte for byte. A second form sends a file over the
// policy's content-length-range: the browser shows the S3 error, nothing is
// stored.

import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, type S3ServiceException } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The hidden fields of a SigV4-signed POST form (AWS: sigv4-post-example), the policy naming each of them. */
function signedForm(o: {
  accessKey: string; secretKey: string; region: string; bucket: string; fields: Record<string, string>;
  conditions: unknown[]; now?: Date;
}): Record<string, string> {
  const now = o.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const credential = `${o.accessKey}/${day}/${o.region}/s3/aws4_request`;
  const policy = Buffer.from(JSON.stringify({
    expiration: new Date(now.getTime() + 10 * 60_000).toISOString(),
    conditions: [
      { bucket: o.bucket }, ...o.conditions,
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate },
    ],
  })).toString('base64');
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secretKey}`, day), o.region), 's3'), 'aws4_request');
  return {
    ...o.fields,
    'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate,
    policy, 'x-amz-signature': hmac(key, policy).toString('hex'),
  };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** An upload page: hidden fields first, the file input last (S3 ignores fields after the file). */
function formPage(action: string, fields: Record<string, string>): string {
  const hidden = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeAttr(k)}" value="${escapeAttr(v)}">`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>upload</title></head><body>
<form id="up" action="${escapeAttr(action)}" method="post" enctype="multipart/form-data">
${hidden}
<input type="file" name="file">
<input type="submit" id="send" value="Upload">
</form></body></html>`;
}

describe('PostObject from Chromium', () => {
  let tc: TestCluster;
  let browser: Browser;
  let server: Server;
  let origin = '';
  let dir = '';
  const pages = new Map<string, string>();
  const B = 'browser-post';

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
    dir = mkdtempSync(join(tmpdir(), 'ps-browser-'));
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const html = path === '/done' ? '<!doctype html><title>done</title><p id="done">uploaded</p>' : pages.get(path);
      res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await tc?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function sign(fields: Record<string, string>, conditions: unknown[]): Record<string, string> {
    const { accessKey, secretKey } = tc.cluster.credentials;
    return signedForm({ accessKey, secretKey, region: tc.cluster.region, bucket: B, fields, conditions });
  }

  it('uploads the chosen file and redirects back with bucket, key and etag', async () => {
    pages.set('/upload', formPage(`${tc.cluster.endpoint}/${B}`, sign(
      { key: 'browser/${filename}', success_action_redirect: `${origin}/done`, 'x-amz-meta-from': 'chromium' },
      [['starts-with', '$key', 'browser/'], ['starts-with', '$success_action_redirect', `${origin}/`],
        ['eq', '$x-amz-meta-from', 'chromium'], ['content-length-range', 1, 4 * 1024 * 1024]],
    )));
    const bytes = randomBytes(300 * 1024 + 5);
    const file = join(dir, 'picture.png');
    writeFileSync(file, bytes);

    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/upload`);
      await page.setInputFiles('input[type=file]', file);
      await Promise.all([page.waitForURL(/\/done\?/, { timeout: 30_000 }), page.click('#send')]);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('bucket'), B);
      assert.equal(url.searchParams.get('key'), 'browser/picture.png');
      const md5 = createHash('md5').update(bytes).digest('hex');
      assert.equal(url.searchParams.get('etag'), `"${md5}"`);
      assert.equal(await page.textContent('#done'), 'uploaded');
    } finally {
      await page.close();
    }

    const o = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'browser/picture.png' }));
    const got = Buffer.from(await o.Body!.transformToByteArray());
    assert.ok(got.equals(bytes), 'object bytes differ from the uploaded file');
    // No Content-Type field in the form: the type Chromium gave the file part.
    assert.equal(o.ContentType, 'image/png');
    assert.deepEqual(o.Metadata, { from: 'chromium' });
  });

  it('a file over the policy\'s size range: the browser gets EntityTooLarge, nothing is stored', async () => {
    pages.set('/small', formPage(`${tc.cluster.endpoint}/${B}`, sign(
      { key: 'browser/too-big.bin', success_action_status: '201' },
      [{ key: 'browser/too-big.bin' }, { success_action_status: '201' }, ['content-length-range', 0, 1024]],
    )));
    const file = join(dir, 'too-big.bin');
    writeFileSync(file, randomBytes(48 * 1024));
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/small`);
      await page.setInputFiles('input[type=file]', file);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(tc.cluster.endpoint) && r.request().method() === 'POST', { timeout: 30_000 }),
        page.click('#send'),
      ]);
      assert.equal(response.status(), 400);
      assert.match(await response.text(), /<Code>EntityTooLarge<\/Code>/);
    } finally {
      await page.close();
    }
    const err = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'browser/too-big.bin' })).then(() => null, (e: S3ServiceException) => e);
    assert.equal(err?.$metadata.httpStatusCode, 404);
  });
});
