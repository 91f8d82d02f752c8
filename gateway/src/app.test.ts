// Handler tests with supertest: the real HTTP app (edge, auth, dispatch,
// handlers, XML rendering) assembled exactly as the gateway does
// (assembleApp), over a simulated cluster of in-memory nodes running the
// real node decisions. Requests are signed here, independently of the
// gateway's verifier (integration/harness/raw.ts).

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import { signV4, type Creds } from '../../integration/harness/raw.js';
import { testApp } from './testing/test-app.js';
import { simCluster } from './protocol/testing/sim-cluster.js';

const HOST = 'gateway.test';
const creds: Creds = { accessKey: 'handler-key', secretKey: 'handler-secret-0123456789', region: 'us-east-1' };
const ADMIN_TOKEN = 'app-test-admin-token-0123456789';
const other: Creds = { accessKey: 'other-key', secretKey: 'other-secret-0123456789', region: 'us-east-1' };

let app: Express;
let close: () => Promise<void>;

before(() => {
  const cluster = simCluster(1);
  const built = testApp(cluster.gateway({ blockSize: 4096 }), [
      { accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'alice' },
      { accessKey: other.accessKey, secretKey: other.secretKey, user: 'bob' },
    ], { adminToken: ADMIN_TOKEN });
  app = built.app;
  close = built.close;
});

after(() => close());

/** A supertest request signed with SigV4 for `c` (default: alice). */
function signed(method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST', target: string, body?: Buffer, headers: Record<string, string> = {}, c = creds): request.Test {
  const s = signV4(HOST, { method, target, headers, ...(body ? { body } : {}) }, c);
  const verb = method.toLowerCase() as 'get' | 'put' | 'head' | 'delete' | 'post';
  let r = request(app)[verb](target);
  for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
  return body ? r.send(body) : r;
}

/** Collects a binary body as a Buffer (supertest parses only text types by default). */
function binary(r: request.Test): request.Test {
  return r.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });
}

function xmlCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

describe('S3 handlers over a simulated cluster (supertest)', () => {
  const bucket = 'handlers';
  const body = randomBytes(20_000);
  const md5 = createHash('md5').update(body).digest('hex');

  it('refuses an unsigned request with the S3 XML error and a request id', async () => {
    // Anonymous requests are served only where an ACL grants them; ListBuckets never is.
    const res = await request(app).get('/').set('host', HOST);
    assert.equal(res.status, 403);
    assert.match(res.headers['content-type'] ?? '', /xml/);
    assert.equal(xmlCode(res.text), 'AccessDenied');
    assert.ok(res.headers['x-amz-request-id'], 'a request id on the error');
    assert.match(res.text, new RegExp(`<RequestId>${res.headers['x-amz-request-id']}</RequestId>`));
  });

  it('refuses a signature made with the wrong secret: SignatureDoesNotMatch', async () => {
    const res = await signed('GET', '/', undefined, {}, { ...creds, secretKey: 'not-the-secret' });
    assert.equal(res.status, 403);
    assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
  });

  it('creates a bucket, lists it among the buckets, and creates it again with 200 (us-east-1, as AWS)', async () => {
    const made = await signed('PUT', `/${bucket}`);
    assert.equal(made.status, 200, made.text);
    assert.ok(made.headers['x-amz-request-id']);
    const list = await signed('GET', '/');
    assert.equal(list.status, 200);
    assert.match(list.text, new RegExp(`<Name>${bucket}</Name>`));
    const again = await signed('PUT', `/${bucket}`);
    assert.equal(again.status, 200, again.text);
  });

  it('refuses an invalid bucket name with InvalidBucketName', async () => {
    const res = await signed('PUT', '/Not_A_Bucket');
    assert.equal(res.status, 400);
    assert.equal(xmlCode(res.text), 'InvalidBucketName');
  });

  it("keeps another user out of alice's bucket: AccessDenied", async () => {
    const res = await signed('GET', `/${bucket}?list-type=2`, undefined, {}, other);
    assert.equal(res.status, 403);
    assert.equal(xmlCode(res.text), 'AccessDenied');
  });

  it('stores an object and reads back the same bytes, ETag and length', async () => {
    const put = await signed('PUT', `/${bucket}/dir/obj.bin`, body, { 'content-type': 'application/x-test', 'x-amz-meta-colour': 'blue' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers.etag, `"${md5}"`);
    const got = await binary(signed('GET', `/${bucket}/dir/obj.bin`));
    assert.equal(got.status, 200);
    assert.ok((got.body as Buffer).equals(body), 'the bytes read back are the bytes written');
    assert.equal(got.headers.etag, `"${md5}"`);
    assert.equal(got.headers['content-type'], 'application/x-test');
    assert.equal(got.headers['x-amz-meta-colour'], 'blue');
    const head = await signed('HEAD', `/${bucket}/dir/obj.bin`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(body.length));
  });

  it('serves a byte range with 206 and Content-Range', async () => {
    const got = await binary(signed('GET', `/${bucket}/dir/obj.bin`, undefined, { range: 'bytes=4090-4200' }));
    assert.equal(got.status, 206);
    assert.equal(got.headers['content-range'], `bytes 4090-4200/${body.length}`);
    assert.ok((got.body as Buffer).equals(body.subarray(4090, 4201)));
  });

  it('answers an unsatisfiable range with InvalidRange (416)', async () => {
    const got = await signed('GET', `/${bucket}/dir/obj.bin`, undefined, { range: `bytes=${body.length + 10}-` });
    assert.equal(got.status, 416);
    assert.equal(xmlCode(got.text), 'InvalidRange');
  });

  it('lists the object with ListObjectsV2, prefix and delimiter', async () => {
    await signed('PUT', `/${bucket}/top.txt`, Buffer.from('top'));
    const flat = await signed('GET', `/${bucket}?list-type=2`);
    assert.equal(flat.status, 200);
    assert.match(flat.text, /<Key>dir\/obj\.bin<\/Key>/);
    assert.match(flat.text, /<Key>top\.txt<\/Key>/);
    assert.match(flat.text, /<KeyCount>2<\/KeyCount>/);
    const grouped = await signed('GET', `/${bucket}?delimiter=%2F&list-type=2`);
    assert.match(grouped.text, /<CommonPrefixes><Prefix>dir\/<\/Prefix><\/CommonPrefixes>/);
    assert.doesNotMatch(grouped.text, /<Key>dir\/obj\.bin<\/Key>/);
  });

  it('refuses a body that does not match its Content-MD5 with BadDigest and stores nothing', async () => {
    const wrong = createHash('md5').update('something else').digest('base64');
    const res = await signed('PUT', `/${bucket}/bad-digest`, body, { 'content-md5': wrong });
    assert.equal(res.status, 400);
    assert.equal(xmlCode(res.text), 'BadDigest');
    const got = await signed('GET', `/${bucket}/bad-digest`);
    assert.equal(got.status, 404, 'nothing half-written became visible');
    assert.equal(xmlCode(got.text), 'NoSuchKey');
  });

  it('answers NoSuchKey with the key as the resource, and NoSuchBucket for a missing bucket', async () => {
    const key = await signed('GET', `/${bucket}/absent`);
    assert.equal(key.status, 404);
    assert.equal(xmlCode(key.text), 'NoSuchKey');
    assert.match(key.text, /<Key>absent<\/Key>/);
    const b = await signed('GET', '/no-such-bucket-here/k');
    assert.equal(b.status, 404);
    assert.equal(xmlCode(b.text), 'NoSuchBucket');
  });

  it('answers a recognised but unsupported operation with NotImplemented (501)', async () => {
    const res = await signed('GET', `/${bucket}?analytics`);
    assert.equal(res.status, 501);
    assert.equal(xmlCode(res.text), 'NotImplemented');
    const tagging = await signed('PUT', `/${bucket}/top.txt?retention`, Buffer.from('<Retention/>'));
    assert.equal(tagging.status, 501);
    assert.equal(xmlCode(tagging.text), 'NotImplemented');
  });

  it('refuses to delete a bucket that still holds objects, then deletes objects and bucket', async () => {
    const full = await signed('DELETE', `/${bucket}`);
    assert.equal(full.status, 409);
    assert.equal(xmlCode(full.text), 'BucketNotEmpty');
    for (const k of ['dir/obj.bin', 'top.txt']) assert.equal((await signed('DELETE', `/${bucket}/${k}`)).status, 204);
    assert.equal((await signed('GET', `/${bucket}/top.txt`)).status, 404, 'a deleted object is gone');
    assert.equal((await signed('DELETE', `/${bucket}`)).status, 204);
    assert.equal((await signed('GET', `/${bucket}?list-type=2`)).status, 404, 'a deleted bucket is gone');
  });

  it('keeps /_powerstore/ for the admin endpoints: health JSON per node, metrics text (with the admin token)', async () => {
    const health = await request(app).get('/_powerstore/health').set('authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(health.status, 200);
    const h = health.body as { status: string; t: number; nodes: { index: number; up: boolean; lagging: number }[] };
    assert.equal(h.status, 'ok');
    assert.equal(h.t, 1);
    assert.deepEqual(h.nodes.map((n) => [n.index, n.up, n.lagging]), [[0, true, 0], [1, true, 0], [2, true, 0], [3, true, 0]]);
    assert.ok(health.headers['x-amz-request-id'], 'admin answers carry a request id too');
    const metrics = await request(app).get('/_powerstore/metrics').set('authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /powerstore_s3_requests_total/);
    const made = await signed('PUT', '/_powerstore');
    assert.notEqual(made.status, 200, 'no bucket can take the admin name');
  });
});
