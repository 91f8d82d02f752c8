// CORS with real clients (issue 12 item 13): Put/Get/DeleteBucketCors with
// the AWS SDK, then Chromium (playwright-core, /usr/bin/chromium) on pages
// served from two other origins (small local page servers). From the origin
// the bucket's rules allow, the page's script uploads with a presigned PUT
// (the browser preflights it: a PUT with a non-simple Content-Type), reads
// the ETag the rules expose, and reads the object back with a presigned GET.
// From an origin no rule allows, the browser refuses both: the fetches reject,
// and the PUT, stopped at its preflight, stores nothing.

import {
  CreateBucketCommand, DeleteBucketCorsCommand, GetBucketCorsCommand, GetObjectCommand, HeadObjectCommand, PutBucketCorsCommand,
  PutObjectCommand, type CORSRule,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A page server: one blank page, at an origin of its own. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>app</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface PageOutcome {
  readonly put?: { status: number; etag: string | null };
  readonly get?: { status: number; text: string };
  readonly error?: string;
}

describe('CORS with the SDK and from Chromium', () => {
  let tc: TestCluster;
  let browser: Browser;
  let allowed: { server: Server; origin: string };
  let denied: { server: Server; origin: string };
  const B = 'browser-cors';

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
    allowed = await pageServer();
    denied = await pageServer();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    for (const p of [allowed, denied]) await new Promise((resolve) => (p ? p.server.close(resolve) : resolve(undefined)));
    await tc?.dispose();
  });

  const rules = (): CORSRule[] => [
    { ID: 'app', AllowedOrigins: [allowed.origin], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['content-type', 'x-amz-*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 5 },
    { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['HEAD'] },
  ];

  it('Put/Get/DeleteBucketCors: unset answers NoSuchCORSConfiguration, rules come back as put, invalid ones are refused', async () => {
    assert.equal(await code(tc.s3.send(new GetBucketCorsCommand({ Bucket: B }))), 'NoSuchCORSConfiguration');
    await tc.s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: rules() } }));
    const got = await tc.s3.send(new GetBucketCorsCommand({ Bucket: B }));
    assert.deepEqual(got.CORSRules, rules());
    assert.equal(await code(tc.s3.send(new PutBucketCorsCommand({
      Bucket: B, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] },
    }))), 'InvalidRequest');
    assert.equal(await code(tc.s3.send(new PutBucketCorsCommand({
      Bucket: B, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://*.*.example.com'], AllowedMethods: ['GET'] }] },
    }))), 'InvalidRequest');
    assert.equal(await code(tc.s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: [] } }))), 'MalformedXML');
    assert.deepEqual((await tc.s3.send(new GetBucketCorsCommand({ Bucket: B }))).CORSRules, rules(), 'refused Puts change nothing');
    await tc.s3.send(new DeleteBucketCorsCommand({ Bucket: B }));
    assert.equal(await code(tc.s3.send(new GetBucketCorsCommand({ Bucket: B }))), 'NoSuchCORSConfiguration');
    await tc.s3.send(new DeleteBucketCorsCommand({ Bucket: B }));
    assert.equal(await code(tc.s3.send(new GetBucketCorsCommand({ Bucket: 'no-such-cors-bucket' }))), 'NoSuchBucket');
  });

  /** Presigned URLs (no checksum in them: a browser body has none). */
  async function presigned(key: string): Promise<{ put: string; get: string }> {
    const c = tc.client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    try {
      return {
        put: await getSignedUrl(c, new PutObjectCommand({ Bucket: B, Key: key }), { expiresIn: 600 }),
        get: await getSignedUrl(c, new GetObjectCommand({ Bucket: B, Key: key }), { expiresIn: 600 }),
      };
    } finally {
      c.destroy();
    }
  }

  /** Runs the upload-then-read script in a page loaded from `origin` (no upload when `put` is ''). */
  async function fromPage(origin: string, urls: { put: string; get: string }, body: string): Promise<PageOutcome> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(async ({ put, get, body }): Promise<PageOutcome> => {
        const out: { put?: { status: number; etag: string | null }; get?: { status: number; text: string } } = {};
        if (put !== '') {
          try {
            // A non-simple Content-Type and a PUT: the browser preflights it.
            const p = await fetch(put, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
            out.put = { status: p.status, etag: p.headers.get('etag') };
          } catch (e) {
            return { ...out, error: `put: ${String(e)}` };
          }
        }
        try {
          const g = await fetch(get);
          out.get = { status: g.status, text: await g.text() };
        } catch (e) {
          return { ...out, error: `get: ${String(e)}` };
        }
        return out;
      }, { ...urls, body });
    } finally {
      await page.close();
    }
  }

  it('a page from an allowed origin uploads with a presigned PUT, reads the exposed ETag and the object back', async () => {
    await tc.s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: rules() } }));
    const body = `from ${allowed.origin} at ${Date.now()}`;
    const out = await fromPage(allowed.origin, await presigned('from-browser.txt'), body);
    assert.equal(out.error, undefined, out.error);
    assert.equal(out.put?.status, 200);
    assert.equal(out.put?.etag, `"${createHash('md5').update(body).digest('hex')}"`, 'ETag is exposed by the rule');
    assert.deepEqual(out.get, { status: 200, text: body });
    const o = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'from-browser.txt' }));
    assert.equal(await o.Body!.transformToString(), body);
  });

  it('a page from an origin no rule allows is refused by the browser: both fetches reject, nothing is stored', async () => {
    await tc.s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: rules() } }));
    const out = await fromPage(denied.origin, await presigned('from-elsewhere.txt'), 'should never land');
    assert.equal(out.put, undefined);
    assert.match(out.error ?? '', /^put: TypeError/);
    assert.equal(await code(tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'from-elsewhere.txt' }))), 'NotFound');
    // A simple GET is sent (no preflight), served, and its response withheld from the script.
    const read = await fromPage(denied.origin, { put: '', get: (await presigned('from-browser.txt')).get }, '');
    assert.equal(read.get, undefined);
    assert.match(read.error ?? '', /TypeError/);
  });
});
