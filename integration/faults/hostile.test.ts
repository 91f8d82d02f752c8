// What SDKs never send, written byte for byte to a real cluster: broken
// aws-chunked framing and chunk signatures, payloads that do not match their
// hash or Content-MD5, truncated bodies and disconnects, hostile XML,
// oversized headers, unsatisfiable ranges, path traversal in keys. Every
// refusal is the exact S3 error, carries a request id, and stores nothing.

import {
  CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListPartsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { strict as assert } from 'node:assert';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { sendRaw, signV4, type Creds, type RawRequest } from '../harness/raw.js';
import { until } from '@powerstore/shared/testing/until.js';

describe('hostile and malformed requests', () => {
  let tc: TestCluster;
  let port: number;
  let host: string;
  let creds: Creds;
  const B = 'hostile';

  const send = async (r: RawRequest, opts: { closeAfterBody?: boolean; extraHeaders?: Record<string, string>; body?: Buffer } = {}) => {
    const s = signV4(host, r, creds);
    const res = await sendRaw(port, r.method, r.target, { ...s.headers, ...opts.extraHeaders }, opts.body ?? r.body, opts);
    return res;
  };
  const absent = async (Key: string): Promise<boolean> => {
    try {
      await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key }));
      return false;
    } catch (e) {
      return (e as { name: string }).name === 'NotFound';
    }
  };
  const stagingEmpty = (): boolean =>
    tc.cluster.nodes.every((n) => readdirSync(join(tc.dir, `node-${n.index}`, 'store', 'staging')).length === 0);

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    port = Number(new URL(tc.cluster.endpoint).port);
    host = `127.0.0.1:${port}`;
    creds = { accessKey: tc.cluster.credentials.accessKey, secretKey: tc.cluster.credentials.secretKey, region: tc.cluster.region };
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => tc?.dispose());

  it('stores keys with ../ and %2F as keys, never as paths', async () => {
    for (const Key of ['../../etc/passwd', '..%2F..%2Fsecret', 'a/../../b', './.', '//x//', 'trailing/']) {
      await tc.s3.send(new PutObjectCommand({ Bucket: B, Key, Body: `body of ${Key}` }));
      const got = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key }));
      assert.equal(await got.Body!.transformToString(), `body of ${Key}`);
    }
    for (const n of tc.cluster.nodes) assert.ok(!readdirSync(join(tc.dir, `node-${n.index}`)).includes('etc'));
  });

  it('refuses a body that does not match x-amz-content-sha256, and a wrong Content-MD5', async () => {
    const body = Buffer.from('the real body');
    const bad = await send({ method: 'PUT', target: `/${B}/sha`, body, payloadHash: createHash('sha256').update('other').digest('hex'), headers: { 'content-length': String(body.length) } });
    assert.equal(bad!.status, 400);
    assert.match(bad!.body, /<Code>XAmzContentSHA256Mismatch<\/Code>/);
    assert.ok(bad!.headers['x-amz-request-id']);
    const md5 = await send({ method: 'PUT', target: `/${B}/md5`, body, headers: { 'content-length': String(body.length), 'content-md5': createHash('md5').update('x').digest('base64') } });
    assert.match(md5!.body, /<Code>BadDigest<\/Code>/);
    assert.ok(await absent('sha'));
    assert.ok(await absent('md5'));
  });

  it('refuses signed aws-chunked bodies with a forged chunk signature or broken framing', async () => {
    const payload = randomBytes(5000);
    const base: RawRequest = {
      method: 'PUT', target: `/${B}/chunked`, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      headers: { 'x-amz-decoded-content-length': String(payload.length), 'content-encoding': 'aws-chunked' },
    };
    const s = signV4(host, base, creds);
    const chunk = (data: Buffer, prev: string): [Buffer, string] => {
      const sts = ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, prev, createHash('sha256').update('').digest('hex'), createHash('sha256').update(data).digest('hex')].join('\n');
      const sig = createHashHmac(s.signingKey, sts);
      return [Buffer.concat([Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from(data.length ? '\r\n' : '\r\n')]), sig];
    };
    const [c1, sig1] = chunk(payload, s.signature);
    const [c2] = chunk(Buffer.alloc(0), sig1);
    const good = Buffer.concat([c1, c2]);
    const forged = Buffer.from(good);
    const at = good.indexOf('chunk-signature=') + 20;
    forged[at] = forged[at]! ^ 1;
    const r1 = await sendRaw(port, 'PUT', base.target, { ...s.headers, 'content-length': String(forged.length) }, forged);
    assert.equal(r1!.status, 403);
    assert.match(r1!.body, /<Code>SignatureDoesNotMatch<\/Code>/);
    const s2 = signV4(host, base, creds);
    const framing = Buffer.from(`zz;chunk-signature=${'0'.repeat(64)}\r\nhello\r\n`);
    const r2 = await sendRaw(port, 'PUT', base.target, { ...s2.headers, 'content-length': String(framing.length) }, framing);
    assert.equal(r2!.status, 400);
    assert.ok(await absent('chunked'));
  });

  it('leaves nothing visible and nothing staged when a client disconnects mid-upload', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const r: RawRequest = { method: 'PUT', target: `/${B}/cut`, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(body.length * 2) } };
    await send(r, { body, closeAfterBody: true });
    await new Promise((res) => setTimeout(res, 1500));
    assert.ok(await absent('cut'));
    // The nodes clear staging when they see the gateway's streams end: on a loaded machine maybe after 1.5 s.
    await until('the nodes clear staging', stagingEmpty, 20_000, 100);
    assert.ok(stagingEmpty(), 'no staged fragment left on any node');
  });

  it('answers hostile XML with MalformedXML', async () => {
    const xxe = Buffer.from('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>');
    const r = await send({ method: 'POST', target: `/${B}?delete`, body: xxe, headers: { 'content-length': String(xxe.length), 'content-md5': createHash('md5').update(xxe).digest('base64') } });
    assert.equal(r!.status, 400);
    assert.match(r!.body, /<Code>MalformedXML<\/Code>/);
    const deep = Buffer.from(`${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`);
    const r2 = await send({ method: 'POST', target: `/${B}/k?uploadId=${'0'.repeat(36)}`, body: deep, headers: { 'content-length': String(deep.length) } });
    assert.ok(r2!.status === 400 || r2!.status === 404, `status ${r2!.status}`);
  });

  it('refuses oversized headers, unsatisfiable ranges and keys over 1024 bytes', async () => {
    const huge = await sendRaw(port, 'GET', `/${B}/x`, { host, 'x-junk': 'a'.repeat(40_000) });
    assert.equal(huge!.status, 431);
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'ranged', Body: 'short' }));
    const range = await send({ method: 'GET', target: `/${B}/ranged`, headers: { range: 'bytes=100-200' } });
    assert.equal(range!.status, 416);
    assert.match(range!.body, /<Code>InvalidRange<\/Code>/);
    const long = await send({ method: 'PUT', target: `/${B}/${'k'.repeat(1025)}`, body: Buffer.from('x'), headers: { 'content-length': '1' } });
    assert.equal(long!.status, 400);
    assert.match(long!.body, /<Code>KeyTooLongError<\/Code>/);
  });

  it('refuses a forged signature and a request without credentials', async () => {
    const s = signV4(host, { method: 'GET', target: `/${B}/ranged` }, creds);
    // One hex digit changed (to another digit: a signature starting with 0 would otherwise stay valid).
    const forgedAuth = s.headers.authorization!.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    assert.notEqual(forgedAuth, s.headers.authorization);
    const forged = await sendRaw(port, 'GET', `/${B}/ranged`, { ...s.headers, authorization: forgedAuth });
    assert.equal(forged!.status, 403);
    assert.match(forged!.body, /<Code>SignatureDoesNotMatch<\/Code>/);
    const anon = await sendRaw(port, 'GET', `/${B}/ranged`, { host });
    assert.equal(anon!.status, 403);
    assert.match(anon!.body, /<Code>AccessDenied<\/Code>/);
    assert.match(anon!.body, /<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });
  // Security review F2: everything after '#' was dropped from the signed
  // string but routed, so a signed request or a presigned URL could be
  // re-aimed at other keys and gain unsigned parameters. A target holding a
  // fragment is now refused before routing and before any signature check.
  describe('a request target holding a fragment (#)', () => {
    const target = (url: string): string => {
      const u = new URL(url);
      return u.pathname + u.search;
    };
    const put = (Key: string, Body: string) => tc.s3.send(new PutObjectCommand({ Bucket: B, Key, Body }));
    const refused = (res: Awaited<ReturnType<typeof sendRaw>>): void => {
      assert.equal(res!.status, 400);
      assert.match(res!.body, /<Code>InvalidURI<\/Code>/);
      assert.ok(res!.headers['x-amz-request-id']);
    };

    it('refuses a header-signed PUT or DELETE re-aimed at another key', async () => {
      await put('victim#x', 'keep me');
      const body = Buffer.from('written through a fragment');
      const s = signV4(host, { method: 'PUT', target: `/${B}/frag`, body }, creds);
      refused(await sendRaw(port, 'PUT', `/${B}/frag#../../evil`, { ...s.headers, 'content-length': String(body.length) }, body));
      assert.ok(await absent('frag#../../evil'));
      assert.ok(await absent('frag'));
      // A captured signed DELETE of /victim, replayed at /victim#x.
      const d = signV4(host, { method: 'DELETE', target: `/${B}/victim` }, creds);
      refused(await sendRaw(port, 'DELETE', `/${B}/victim#x`, d.headers));
      assert.equal(await (await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'victim#x' }))).Body!.transformToString(), 'keep me');
      // '#?uploads' must not reach the router as a query either.
      refused(await sendRaw(port, 'POST', `/${B}/frag#?uploads`, signV4(host, { method: 'POST', target: `/${B}/frag` }, creds).headers));
    });

    it('refuses presigned GET, PUT and DELETE URLs with parameters appended after #', async () => {
      await put('page.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
      const { UploadId } = await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'a' }));
      const get = target(await getSignedUrl(tc.s3, new GetObjectCommand({ Bucket: B, Key: 'page.svg' }), { expiresIn: 300 }));
      // Control: the URL itself works, and an appended parameter without '#' is refused.
      assert.equal((await sendRaw(port, 'GET', get, { host }))!.status, 200);
      assert.equal((await sendRaw(port, 'GET', `${get}&response-content-type=text%2Fhtml`, { host }))!.status, 403);
      const html = await sendRaw(port, 'GET', `${get}#&response-content-type=text%2Fhtml`, { host });
      refused(html);
      assert.notEqual(html!.headers['content-type'], 'text/html');

      const putUrl = target(await getSignedUrl(tc.s3, new PutObjectCommand({ Bucket: B, Key: 'a' }), { expiresIn: 300 }));
      refused(await sendRaw(port, 'PUT', `${putUrl}#&partNumber=7&uploadId=${UploadId!}`, { host, 'content-length': '4' }, Buffer.from('part')));
      const parts = await tc.s3.send(new ListPartsCommand({ Bucket: B, Key: 'a', UploadId }));
      assert.equal(parts.Parts?.length ?? 0, 0, 'PutObject turned into UploadPart');

      const del = target(await getSignedUrl(tc.s3, new DeleteObjectCommand({ Bucket: B, Key: 'a' }), { expiresIn: 300 }));
      refused(await sendRaw(port, 'DELETE', `${del}#&uploadId=${UploadId!}`, { host }));
      // The upload is still there: DeleteObject did not become AbortMultipartUpload.
      await tc.s3.send(new ListPartsCommand({ Bucket: B, Key: 'a', UploadId }));
    });
  });
});

function createHashHmac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}
