// Handler tests for the December 2026 security review's findings on the S3
// edge (gateway/src/app.ts and its handlers), over a simulated cluster as in
// app.test.ts:
//   F6   PostObject metadata that could never be served (GET/HEAD 500)
//   F12  read pins released right after every request that does not stream
//   F13  CR/LF in response-* overrides: 400, not 500

import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import { signV4, type Creds } from '../../integration/harness/raw.js';
import { BucketRegistry, type BucketNs } from './buckets.js';
import { testApp } from './testing/test-app.js';
import { ObjectStore } from './objects.js';
import { simCluster, type SimCluster } from './protocol/testing/sim-cluster.js';

const HOST = 'gateway.test';
const creds: Creds = { accessKey: 'sec-key', secretKey: 'sec-secret-0123456789', region: 'us-east-1' };
const BUCKET = 'sec';

let app: Express;
let close: () => Promise<void>;
let cluster: SimCluster;
let store: ObjectStore;
/** The test bucket's incarnation (objects written past the S3 API go there). */
let bucketNs: BucketNs;

before(async () => {
  cluster = simCluster(1);
  const ctx = cluster.gateway({ blockSize: 4096 });
  const built = testApp(ctx, [{ accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'alice' }]);
  app = built.app;
  close = built.close;
  store = new ObjectStore(ctx);
  assert.equal((await signed('PUT', `/${BUCKET}`)).status, 200);
  bucketNs = (await new BucketRegistry(ctx).get(BUCKET, new AbortController().signal))!.ns;
});

after(() => close());

function signed(method: 'GET' | 'PUT' | 'HEAD' | 'POST', target: string, body?: Buffer, headers: Record<string, string> = {}): request.Test {
  const s = signV4(HOST, { method, target, headers, ...(body ? { body } : {}) }, creds);
  const verb = method.toLowerCase() as 'get' | 'put' | 'head' | 'post';
  let r = request(app)[verb](target);
  for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
  return body ? r.send(body) : r;
}

function xmlCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

/** Read pins held on the simulated nodes, all together. */
function pinsHeld(): number {
  return cluster.sims.reduce((n, s) => n + s.pins.size, 0);
}

async function histEntries(): Promise<number> {
  let n = 0;
  for (const s of cluster.sims) n += (await s.health()).histEntries ?? 0;
  return n;
}

const BOUNDARY = 'sec0boundary';

/** A V4-signed PostObject form: every field in `fields` allowed by starts-with, then the file part. */
function postForm(fields: Record<string, string>, filename: string): Buffer {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const credential = `${creds.accessKey}/${day}/us-east-1/s3/aws4_request`;
  const conditions: unknown[] = [{ bucket: BUCKET }, ...Object.keys(fields).map((k) => ['starts-with', `$${k}`, '']),
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }];
  const policy = Buffer.from(JSON.stringify({ expiration: new Date(now.getTime() + 3600_000).toISOString(), conditions })).toString('base64');
  const h = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();
  const key = h(h(h(h(`AWS4${creds.secretKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const all = { ...fields, 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate, policy, 'x-amz-signature': h(key, policy).toString('hex') };
  const parts = Object.entries(all).map(([n, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`);
  parts.push(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nposted\r\n--${BOUNDARY}--\r\n`);
  return Buffer.from(parts.join(''), 'utf8');
}

function post(fields: Record<string, string>, filename = 'f.txt'): request.Test {
  return request(app).post(`/${BUCKET}`).set('host', HOST).set('content-type', `multipart/form-data; boundary=${BOUNDARY}`).send(postForm(fields, filename));
}

/** `=?UTF-8?B?...?=` of a value (RFC 2047), as S3 returns non-ASCII metadata. */
function rfc2047(v: string): string {
  return `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

describe('F6: PostObject metadata is always servable', () => {
  it('a Japanese ${filename} in Content-Disposition: stored RFC 2047-encoded, GET and HEAD answer 200', async () => {
    const res = await post({ key: 'jp/${filename}', 'Content-Disposition': 'attachment; filename="${filename}"', 'x-amz-meta-title': 'café 日本' }, '日本語.txt');
    assert.equal(res.status, 204, res.text);
    const target = `/${BUCKET}/jp/${encodeURIComponent('日本語.txt')}`;
    for (const method of ['GET', 'HEAD'] as const) {
      const got = await signed(method, target);
      assert.equal(got.status, 200, `${method}: ${got.text}`);
      assert.equal(got.headers['content-disposition'], rfc2047('attachment; filename="日本語.txt"'));
      assert.equal(got.headers['x-amz-meta-title'], rfc2047('café 日本'));
    }
  });

  it('CR/LF or another control character in a stored field: 400 InvalidArgument, nothing stored', async () => {
    for (const [name, value] of [['x-amz-meta-note', 'a\r\nSet-Cookie: x=1'], ['Cache-Control', 'max-age=1\nx'], ['Content-Type', 'text/plain\u0001']]) {
      const res = await post({ key: `ctl-${name}`, [name!]: value! });
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(xmlCode(res.text), 'InvalidArgument');
      assert.equal((await signed('HEAD', `/${BUCKET}/ctl-${name}`)).status, 404, 'nothing stored');
    }
  });

  it('an x-amz-meta-* name that cannot be a header name: 400 InvalidArgument', async () => {
    for (const name of ['x-amz-meta-', 'x-amz-meta-a b', 'x-amz-meta-ü', 'x-amz-meta-a:b']) {
      const res = await post({ key: 'badname', [name]: 'v' });
      assert.equal(res.status, 400, `${JSON.stringify(name)}: ${res.text}`);
      assert.equal(xmlCode(res.text), 'InvalidArgument');
    }
    assert.equal((await signed('HEAD', `/${BUCKET}/badname`)).status, 404);
  });

  it('plain ASCII and Latin-1-free values are stored as given', async () => {
    const res = await post({ key: 'plain', 'Content-Disposition': 'inline', 'x-amz-meta-colour': 'blue\tgreen' });
    assert.equal(res.status, 204, res.text);
    const got = await signed('HEAD', `/${BUCKET}/plain`);
    assert.equal(got.headers['content-disposition'], 'inline');
    assert.equal(got.headers['x-amz-meta-colour'], 'blue\tgreen');
  });

  it('metadata stored before the fix that cannot be a header: served encoded (not 500); bad names counted in x-amz-missing-meta', async () => {
    const signal = new AbortController().signal;
    async function* bytes(): AsyncGenerator<Buffer> {
      yield Buffer.from('old');
    }
    await store.put(bucketNs, 'old-data', bytes(), (size, blockSize) => ({
      v: 1, size, blockSize, lastModified: Date.now(), etag: 'e',
      contentDisposition: 'attachment; filename="日本語.txt"', cacheControl: 'a\r\nb',
      user: { ok: 'fine', 'bad name': 'x', line: 'one\ntwo' },
    }), signal);
    for (const method of ['GET', 'HEAD'] as const) {
      const got = await signed(method, `/${BUCKET}/old-data`);
      assert.equal(got.status, 200, `${method}: ${got.text}`);
      assert.equal(got.headers['content-disposition'], rfc2047('attachment; filename="日本語.txt"'));
      assert.equal(got.headers['cache-control'], rfc2047('a\r\nb'));
      assert.equal(got.headers['x-amz-meta-ok'], 'fine');
      assert.equal(got.headers['x-amz-meta-line'], rfc2047('one\ntwo'));
      assert.equal(got.headers['x-amz-missing-meta'], '1');
    }
  });
});

describe('F13: response-* overrides that cannot be a header', () => {
  before(async () => {
    assert.equal((await signed('PUT', `/${BUCKET}/page`, Buffer.from('hello'))).status, 200);
  });

  it('CR/LF in response-content-type: 400 InvalidArgument, no injected header', async () => {
    const res = await signed('GET', `/${BUCKET}/page?response-content-type=text%2Fhtml%0D%0ASet-Cookie%3Ax%3D1`);
    assert.equal(res.status, 400, res.text);
    assert.equal(xmlCode(res.text), 'InvalidArgument');
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('a control character or a non-Latin-1 character in another override: 400 InvalidArgument', async () => {
    for (const q of ['response-content-disposition=a%01b', 'response-cache-control=%E6%97%A5']) {
      const res = await signed('GET', `/${BUCKET}/page?${q}`);
      assert.equal(res.status, 400, `${q}: ${res.text}`);
      assert.equal(xmlCode(res.text), 'InvalidArgument');
    }
  });

  it('a valid override still applies', async () => {
    const res = await signed('GET', `/${BUCKET}/page?response-content-type=text%2Fplain%3B%20charset%3Dutf-8`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  });
});

describe('F12: read pins are released when the request ends', () => {
  let uploadId = '';
  before(async () => {
    assert.equal((await signed('PUT', `/${BUCKET}/pinned`, Buffer.from('0123456789'))).status, 200);
    assert.equal((await signed('PUT', `/${BUCKET}/empty`, Buffer.alloc(0))).status, 200);
    const created = await signed('POST', `/${BUCKET}/mp?uploads`);
    uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1] ?? assert.fail(created.text);
  });
  const partCopy = (source: string, headers: Record<string, string> = {}): request.Test =>
    signed('PUT', `/${BUCKET}/mp?partNumber=1&uploadId=${uploadId}`, undefined, { 'x-amz-copy-source': source, ...headers });

  const cases: [string, () => request.Test, number][] = [
    ['GetObject (streamed, the control)', () => signed('GET', `/${BUCKET}/pinned`), 200],
    ['HeadObject', () => signed('HEAD', `/${BUCKET}/pinned`), 200],
    ['GetObjectAttributes', () => signed('GET', `/${BUCKET}/pinned?attributes`, undefined, { 'x-amz-object-attributes': 'ETag,ObjectSize' }), 200],
    ['GetObjectAcl', () => signed('GET', `/${BUCKET}/pinned?acl`), 200],
    ['PutObjectAcl', () => signed('PUT', `/${BUCKET}/pinned?acl`, undefined, { 'x-amz-acl': 'private' }), 200],
    ['GetObject with a failed If-Match', () => signed('GET', `/${BUCKET}/pinned`, undefined, { 'if-match': '"nope"' }), 412],
    ['GetObject with an unsatisfiable Range', () => signed('GET', `/${BUCKET}/pinned`, undefined, { range: 'bytes=100-' }), 416],
    ['GetObject with a bad response-* override', () => signed('GET', `/${BUCKET}/pinned?response-expires=%0A`), 400],
    ['GetObject of a key never written (404: the read found an empty register)', () => signed('GET', `/${BUCKET}/never-written`), 404],
    ['CreateBucket (its existence check reads an empty register)', () => signed('PUT', '/sec-new-bucket'), 200],
    ['CopyObject with a failed x-amz-copy-source-if-match', () => signed('PUT', `/${BUCKET}/copy-dst`, undefined, { 'x-amz-copy-source': `/${BUCKET}/pinned`, 'x-amz-copy-source-if-match': '"nope"' }), 412],
    ['CopyObject onto itself without REPLACE', () => signed('PUT', `/${BUCKET}/pinned`, undefined, { 'x-amz-copy-source': `/${BUCKET}/pinned` }), 400],
    ['CopyObject (streamed, the control)', () => signed('PUT', `/${BUCKET}/copy-dst`, undefined, { 'x-amz-copy-source': `/${BUCKET}/pinned` }), 200],
    ['UploadPartCopy with a failed x-amz-copy-source-if-none-match', () => partCopy(`/${BUCKET}/pinned`, { 'x-amz-copy-source-if-none-match': '*' }), 412],
    ['UploadPartCopy with a range beyond the source', () => partCopy(`/${BUCKET}/pinned`, { 'x-amz-copy-source-range': 'bytes=100-200' }), 416],
    ['UploadPartCopy of an empty source (nothing to stream)', () => partCopy(`/${BUCKET}/empty`), 200],
  ];
  for (const [name, send, status] of cases) {
    it(`${name}: no pin left on any node`, async () => {
      const held = pinsHeld();
      const res = await send();
      assert.equal(res.status, status, res.text);
      assert.equal(pinsHeld() - held, 0);
    });
  }

  it('review R1: GetObjectAttributes + overwrite pairs leave no more history after GC than plain overwrites', async () => {
    const gc = (): void => void cluster.sims.forEach((s) => s.gc());
    gc();
    const start = await histEntries();
    for (let i = 0; i < 5; i++) {
      assert.equal((await signed('GET', `/${BUCKET}/pinned?attributes`, undefined, { 'x-amz-object-attributes': 'ETag' })).status, 200);
      assert.equal((await signed('PUT', `/${BUCKET}/pinned`, Buffer.from(`v${i}`))).status, 200);
    }
    gc();
    const withAttributes = (await histEntries()) - start;
    for (let i = 0; i < 5; i++) assert.equal((await signed('PUT', `/${BUCKET}/pinned`, Buffer.from(`w${i}`))).status, 200);
    gc();
    const plain = (await histEntries()) - start;
    assert.equal(withAttributes, plain, 'no overwritten version kept by a leaked pin');
  });
});
