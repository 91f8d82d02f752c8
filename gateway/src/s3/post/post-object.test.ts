// postObject() end to end over an in-memory store that commits only when the
// body stream ends without throwing (ObjectStore.put's contract): the two
// captured boto3 forms with the clock pinned to their time, then forms built
// here for each success answer, the stored metadata and each failure, with
// nothing stored after a failure.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { bucketNs, type BucketRecord, type BucketRegistry } from '../../buckets.js';
import type { MultipartStore } from '../../multipart/multipart-store.js';
import type { ObjectStore } from '../../objects.js';
import type { ObjectMeta } from '../../object-meta.js';
import { createLogger } from '@powerstore/shared/log.js';
import { hmacSha256, sigV4SigningKey } from '../auth/crypto.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_NOW, FIXTURE_SECRET, fixtureCreds, loadFixtures, nodeHeaders } from '../auth/testing/fixtures.js';
import { rejectsS3 } from '../auth/testing/assert-s3.js';
import type { S3Context, S3Request } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { StaticCredentialStore } from '../auth/credentials.js';
import type { KeyScope } from '../access/key-scope.js';
import { objectUrl, postObject, successAction } from './post-object.js';
import type { FormField } from './post-fields.js';

interface Stored {
  readonly bytes: Buffer;
  readonly meta: ObjectMeta;
}

function fakeContext(now = FIXTURE_NOW, buckets = ['fxb']): { s3: S3Context; store: Map<string, Stored> } {
  const store = new Map<string, Stored>();
  const objects = {
    async put(bucket: string, key: string, body: AsyncIterable<Buffer>, finalize: (size: number, blockSize: number) => ObjectMeta | Promise<ObjectMeta>) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      const bytes = Buffer.concat(chunks);
      const meta = await finalize(bytes.length, 4096);
      store.set(`${bucket}/${key}`, { bytes, meta });
      return { meta };
    },
    async head(bucket: string, key: string) {
      const o = store.get(`${bucket}/${key}`);
      return o ? { meta: o.meta } : null;
    },
    release() {},
  } as unknown as ObjectStore;
  const registry = {
    async get(name: string): Promise<BucketRecord | null> {
      return buckets.includes(name) ? { name, created: 0, region: 'us-east-1', owner: 'fixture-user', ns: bucketNs(name, undefined), acl: [] } : null;
    },
  } as unknown as BucketRegistry;
  const s3: S3Context = {
    config: { region: 'us-east-1', maxObjectBytes: 5 * 1024 ** 3 },
    objects, buckets: registry, multipart: {} as unknown as MultipartStore, log: createLogger('post-object-test', 'silent'), creds: fixtureCreds, now: () => now,
  };
  return { s3, store };
}

function request(bucket: string, headers: IncomingHttpHeaders, body: Buffer, pieceSize = 97): S3Request<Endpoint> {
  async function* stream(): AsyncGenerator<Buffer> {
    for (let i = 0; i < body.length; i += pieceSize) yield body.subarray(i, i + pieceSize);
  }
  return {
    id: 'TEST', endpoint: { op: 'PostObject', bucket, query: { params: new Map() } }, method: 'POST', headers,
    raw: { socket: {} } as unknown as IncomingMessage, principal: { accessKey: '', user: '' }, signal: new AbortController().signal,
    body: () => ({ stream: stream(), result: () => ({ size: body.length, md5Hex: '', checksums: {} }) }),
  };
}

const BOUNDARY = 'b0undary9x';

/** A multipart body; the file part (name "file") goes where it is listed. */
function multipart(parts: readonly { name: string; value: string | Buffer; filename?: string; type?: string }[]): { headers: IncomingHttpHeaders; body: Buffer } {
  const out: Buffer[] = [];
  for (const p of parts) {
    const fn = p.filename !== undefined ? `; filename="${p.filename}"` : '';
    const ct = p.type ? `Content-Type: ${p.type}\r\n` : '';
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${fn}\r\n${ct}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { headers: { host: '127.0.0.1:9555', 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: Buffer.concat(out) };
}

const DATE = '20261125T190000Z';
const CREDENTIAL = `${FIXTURE_ACCESS_KEY}/20261125/us-east-1/s3/aws4_request`;

/** V4-signed fields for a policy with these conditions (plus the V4 ones), then `extra` fields unsigned-for. */
function signedFields(conditions: unknown[], fields: Record<string, string>, o: { expiration?: string; secret?: string } = {}): Record<string, string> {
  const policy = Buffer.from(JSON.stringify({
    expiration: o.expiration ?? '2026-11-25T20:00:00Z',
    conditions: [...conditions, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': CREDENTIAL }, { 'x-amz-date': DATE }],
  })).toString('base64');
  const sig = hmacSha256(sigV4SigningKey(o.secret ?? FIXTURE_SECRET, '20261125', 'us-east-1', 's3'), policy).toString('hex');
  return { ...fields, 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': CREDENTIAL, 'x-amz-date': DATE, policy, 'x-amz-signature': sig };
}

function post(s3: S3Context, fields: Record<string, string>, file: { value: string | Buffer; filename?: string; type?: string }, bucket = 'fxb') {
  const { headers, body } = multipart([...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', filename: 'f.bin', ...file }]);
  return postObject(s3, request(bucket, headers, body));
}

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

describe('postObject: the captured boto3 forms', () => {
  for (const id of ['boto3/presign-post-v2#1', 'boto3/presign-post-v4#1']) {
    it(`${id}: 204, key post/\${filename} → post/a.txt, bytes and ETag`, async () => {
      const f = loadFixtures().find((x) => x.id === id) ?? assert.fail(id);
      const { s3, store } = fakeContext();
      const res = await postObject(s3, request('fxb', nodeHeaders(f.headerPairs), f.body ?? assert.fail('body')));
      assert.equal(res.status, 204);
      assert.equal(res.headers?.etag, `"${md5('posted\n')}"`);
      assert.equal(res.headers?.location, 'http://127.0.0.1:9555/fxb/post%2Fa.txt');
      const o = store.get('fxb/post/a.txt') ?? assert.fail('not stored');
      assert.equal(o.bytes.toString(), 'posted\n');
      assert.equal(o.meta.etag, md5('posted\n'));
      assert.equal(o.meta.contentType, 'binary/octet-stream');
    });

    it(`${id}: refused once expired, for another bucket, or with a missing bucket`, async () => {
      const f = loadFixtures().find((x) => x.id === id) ?? assert.fail(id);
      const expired = fakeContext(Date.UTC(2026, 10, 25, 20, 11, 9));
      await rejectsS3(postObject(expired.s3, request('fxb', nodeHeaders(f.headerPairs), f.body!)), 'AccessDenied', /Policy expired/);
      const other = fakeContext(FIXTURE_NOW, ['fxb', 'other']);
      await rejectsS3(postObject(other.s3, request('other', nodeHeaders(f.headerPairs), f.body!)), 'AccessDenied', /Condition failed: \["eq", "\$bucket", "fxb"\]/);
      const none = fakeContext(FIXTURE_NOW, []);
      await rejectsS3(postObject(none.s3, request('fxb', nodeHeaders(f.headerPairs), f.body!)), 'NoSuchBucket');
      assert.equal(expired.store.size + other.store.size + none.store.size, 0);
    });
  }
});

describe('postObject: answers and stored metadata', () => {
  it('201: a PostResponse with Location, Bucket, Key, ETag', async () => {
    const { s3 } = fakeContext();
    const res = await post(s3, signedFields([['starts-with', '$key', ''], { success_action_status: '201' }], { key: 'a b/c.txt', success_action_status: '201' }), { value: 'hi' });
    assert.equal(res.status, 201);
    assert.equal(res.body, '<?xml version="1.0" encoding="UTF-8"?><PostResponse><Location>http://127.0.0.1:9555/fxb/a%20b%2Fc.txt</Location>'
      + `<Bucket>fxb</Bucket><Key>a b/c.txt</Key><ETag>&quot;${md5('hi')}&quot;</ETag></PostResponse>`);
  });

  it('200 empty; unknown status → 204', async () => {
    const { s3 } = fakeContext();
    const ok = await post(s3, signedFields([['starts-with', '$key', ''], ['starts-with', '$success_action_status', '']], { key: 'k', success_action_status: '200' }), { value: 'x' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, undefined);
    const odd = await post(s3, signedFields([['starts-with', '$key', ''], ['starts-with', '$success_action_status', '']], { key: 'k', success_action_status: '302' }), { value: 'x' });
    assert.equal(odd.status, 204);
  });

  it('success_action_redirect: 303 to the URL with bucket, key and etag appended', async () => {
    const { s3 } = fakeContext();
    const res = await post(s3, signedFields([['starts-with', '$key', 'up/'], ['starts-with', '$success_action_redirect', 'http://app.test/']],
      { key: 'up/${filename}', success_action_redirect: 'http://app.test/done?x=1' }), { value: 'data', filename: 'r&d.txt' });
    assert.equal(res.status, 303);
    const loc = new URL(String(res.headers?.location));
    assert.equal(loc.origin + loc.pathname, 'http://app.test/done');
    assert.deepEqual([...loc.searchParams], [['x', '1'], ['bucket', 'fxb'], ['key', 'up/r&d.txt'], ['etag', `"${md5('data')}"`]]);
    assert.deepEqual(successAction(new Map<string, FormField>([['success_action_redirect', { name: 's', value: 'javascript:alert(1)' }]])), { status: 204 });
  });

  it('stores Content-Type, Content-Disposition (with ${filename}), Cache-Control and x-amz-meta-*', async () => {
    const { s3, store } = fakeContext();
    const conditions = [['starts-with', '$key', ''], ['starts-with', '$Content-Type', 'image/'], ['starts-with', '$Content-Disposition', ''],
      ['eq', '$Cache-Control', 'max-age=60'], ['starts-with', '$x-amz-meta-color', ''], ['content-length-range', 1, 100]];
    await post(s3, signedFields(conditions, {
      key: 'img', 'Content-Type': 'image/png', 'Content-Disposition': 'attachment; filename="${filename}"', 'Cache-Control': 'max-age=60', 'X-Amz-Meta-Color': 'red',
    }), { value: 'png', filename: 'pic.png', type: 'application/x-ignored' });
    const m = store.get('fxb/img')?.meta ?? assert.fail('not stored');
    assert.equal(m.contentType, 'image/png');
    assert.equal(m.contentDisposition, 'attachment; filename="pic.png"');
    assert.equal(m.cacheControl, 'max-age=60');
    assert.deepEqual(m.user, { color: 'red' });
  });

  it('stores the tags of a tagging field (a Tagging document), and refuses a bad one', async () => {
    const { s3, store } = fakeContext();
    const conditions = [['starts-with', '$key', ''], ['starts-with', '$tagging', '']];
    const tagging = '<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>';
    await post(s3, signedFields(conditions, { key: 'tagged', tagging }), { value: 't' });
    assert.deepEqual(store.get('fxb/tagged')?.meta.tags, [['a', '1'], ['b', '']]);
    const eleven = `<Tagging><TagSet>${Array.from({ length: 11 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('')}</TagSet></Tagging>`;
    await rejectsS3(post(s3, signedFields(conditions, { key: 'many', tagging: eleven }), { value: 't' }), 'BadRequest');
    await rejectsS3(post(s3, signedFields(conditions, { key: 'broken', tagging: '<Tagging>' }), { value: 't' }), 'MalformedXML');
    assert.ok(!store.has('fxb/many') && !store.has('fxb/broken'));
  });

  it('without a Content-Type field: the file part\'s type', async () => {
    const { s3, store } = fakeContext();
    await post(s3, signedFields([['starts-with', '$key', '']], { key: 'typed' }), { value: 'x', type: 'image/gif' });
    assert.equal(store.get('fxb/typed')?.meta.contentType, 'image/gif');
  });

  it('Content-MD5 and x-amz-checksum-* fields are verified; the checksum is stored', async () => {
    const { s3, store } = fakeContext();
    const base = [['starts-with', '$key', ''], ['starts-with', '$Content-MD5', ''], ['starts-with', '$x-amz-checksum-crc32', '']];
    const good = Buffer.from(md5('abc'), 'hex').toString('base64');
    const res = await post(s3, signedFields(base, { key: 'sum', 'Content-MD5': good, 'x-amz-checksum-crc32': 'NSRBwg==' }), { value: 'abc' });
    assert.equal(res.headers?.['x-amz-checksum-crc32'], 'NSRBwg==');
    assert.deepEqual(store.get('fxb/sum')?.meta.checksums, { crc32: 'NSRBwg==' });
    await rejectsS3(post(s3, signedFields(base, { key: 'bad1', 'Content-MD5': good }), { value: 'abd' }), 'BadDigest');
    await rejectsS3(post(s3, signedFields(base, { key: 'bad2', 'x-amz-checksum-crc32': 'AAAAAA==' }), { value: 'abc' }), 'BadDigest');
    await rejectsS3(post(s3, signedFields(base, { key: 'bad3', 'Content-MD5': 'xx' }), { value: 'abc' }), 'InvalidDigest');
    assert.ok(!store.has('fxb/bad1') && !store.has('fxb/bad2') && !store.has('fxb/bad3'));
  });
});

describe('postObject: failures store nothing', () => {
  const anyKey = [['starts-with', '$key', '']];

  it('content-length-range: over the maximum (cut off while streaming) and under the minimum', async () => {
    const { s3, store } = fakeContext();
    await assert.rejects(post(s3, signedFields([...anyKey, ['content-length-range', 0, 1000]], { key: 'big' }), { value: Buffer.alloc(5000) }), (e) => {
      assert.ok(e instanceof S3Error && e.code === 'EntityTooLarge');
      assert.equal(e.extra.MaxSizeAllowed, '1000');
      return true;
    });
    await rejectsS3(post(s3, signedFields([...anyKey, ['content-length-range', 10, 1000]], { key: 'small' }), { value: 'tiny' }), 'EntityTooSmall');
    await post(s3, signedFields([...anyKey, ['content-length-range', 4, 4]], { key: 'exact' }), { value: 'four' });
    assert.deepEqual([...store.keys()], ['fxb/exact']);
  });

  it('policy conditions, extra fields, forgery, wrong secret, anonymous forms', async () => {
    const { s3, store } = fakeContext();
    await rejectsS3(post(s3, signedFields([['starts-with', '$key', 'user/']], { key: 'admin/x' }), { value: 'x' }), 'AccessDenied', /Condition failed/);
    await rejectsS3(post(s3, { ...signedFields(anyKey, { key: 'k' }), 'x-amz-meta-sneaky': '1' }, { value: 'x' }), 'AccessDenied', /Extra input fields: x-amz-meta-sneaky/);
    const f = signedFields([['eq', '$key', 'k']], { key: 'k' });
    const forged = Buffer.from(Buffer.from(f.policy!, 'base64').toString().replace('["eq","$key","k"]', '["starts-with","$key",""]')).toString('base64');
    assert.notEqual(forged, f.policy);
    await rejectsS3(post(s3, { ...f, key: 'other', policy: forged }, { value: 'x' }), 'SignatureDoesNotMatch');
    await rejectsS3(post(s3, signedFields(anyKey, { key: 'k' }, { secret: 'not-the-secret' }), { value: 'x' }), 'SignatureDoesNotMatch');
    await rejectsS3(post(s3, { key: 'k' }, { value: 'x' }), 'AccessDenied');
    await rejectsS3(post(s3, signedFields(anyKey, {}), { value: 'x' }), 'InvalidArgument', /field named 'key'/);
    assert.equal(store.size, 0);
  });

  it('not a multipart form: PreconditionFailed', async () => {
    const { s3 } = fakeContext();
    await rejectsS3(postObject(s3, request('fxb', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('key=k'))), 'PreconditionFailed');
  });
});

describe('objectUrl', () => {
  it('path style and virtual host, key fully encoded', () => {
    assert.equal(objectUrl({ tls: false, host: 'h:1', virtualHost: false }, 'b', 'a/ü x'), 'http://h:1/b/a%2F%C3%BC%20x');
    assert.equal(objectUrl({ tls: true, host: 'b.s3.test', virtualHost: true }, 'b', 'k'), 'https://b.s3.test/k');
  });
});

describe('postObject: a key with limited permissions (key-scope.ts)', () => {
  const limited = (scope: KeyScope): S3Context => {
    const { s3 } = fakeContext(FIXTURE_NOW, ['fxb', 'other']);
    return { ...s3, creds: new StaticCredentialStore([{ accessKey: FIXTURE_ACCESS_KEY, secretKey: FIXTURE_SECRET, user: 'fixture-user', ...scope }]) };
  };
  const form = (bucket = 'fxb') => signedFields([['starts-with', '$key', ''], { bucket }], { key: 'backup/1' });

  it('a read-only key cannot upload: AccessDenied, nothing stored', async () => {
    const s3 = limited({ access: 'read-only' });
    await rejectsS3(post(s3, form(), { value: 'x' }), 'AccessDenied');
    assert.equal(await s3.objects.head(bucketNs('fxb', undefined), 'backup/1', new AbortController().signal), null);
  });

  it('a key limited to other buckets cannot upload here', async () => {
    await rejectsS3(post(limited({ buckets: ['other'] }), form(), { value: 'x' }), 'AccessDenied');
    const ok = await post(limited({ buckets: ['other'] }), form('other'), { value: 'x' }, 'other');
    assert.equal(ok.status, 204);
  });

  it('an append-only key uploads a new key, and cannot replace it', async () => {
    const s3 = limited({ access: 'append-only' });
    assert.equal((await post(s3, form(), { value: 'first' })).status, 204);
    await rejectsS3(post(s3, form(), { value: 'second' }), 'AccessDenied', /append-only/);
    const o = await s3.objects.head(bucketNs('fxb', undefined), 'backup/1', new AbortController().signal);
    assert.equal(o?.meta.etag, md5('first'));
  });
});
