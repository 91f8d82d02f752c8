// Canned ACLs and grants (issue 12 item 11) at handler level: what
// CreateBucket, PutObject, CopyObject, CreateMultipartUpload and Put*Acl
// store, what Get*Acl report, and who is then served: the owner, another
// user of the store (bob), and anonymous requests (no credentials at all).

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { twoUserApp, xmlCode } from '../testing/signed-app.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

function policy(owner: string, grants: string): string {
  return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${owner}</ID></Owner>` +
    `<AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}
const userGrant = (id: string, p: string): string =>
  `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${id}</ID></Grantee><Permission>${p}</Permission></Grant>`;

describe('ACLs: canned, grants, anonymous and other users', () => {
  const { close, alice, bob, anon } = twoUserApp();

  before(async () => {
    assert.equal((await alice('PUT', '/priv')).status, 200);
    assert.equal((await alice('PUT', '/priv/obj', 'secret')).status, 200);
    assert.equal((await alice('PUT', '/pub', undefined, { 'x-amz-acl': 'public-read' })).status, 200);
  });
  after(() => close());

  it('a private bucket serves its owner only', async () => {
    assert.equal((await alice('GET', '/priv')).status, 200);
    for (const who of [anon, bob]) {
      assert.equal(xmlCode((await who('GET', '/priv')).text), 'AccessDenied');
      assert.equal(xmlCode((await who('GET', '/priv/obj')).text), 'AccessDenied');
      assert.equal(xmlCode((await who('PUT', '/priv/x', 'x')).text), 'AccessDenied');
      assert.equal(xmlCode((await who('GET', '/priv?acl')).text), 'AccessDenied');
    }
    assert.equal((await anon('HEAD', '/priv/obj')).status, 403);
    // A missing bucket is reported as such, to anyone (as S3 does).
    assert.equal(xmlCode((await anon('GET', '/no-such-bucket')).text), 'NoSuchBucket');
  });

  it('CreateBucket public-read: listed by anyone, reported by GetBucketAcl, not writable', async () => {
    assert.equal((await anon('GET', '/pub')).status, 200);
    assert.equal((await bob('GET', '/pub')).status, 200);
    assert.equal(xmlCode((await anon('PUT', '/pub/x', 'x')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('DELETE', '/pub?cors')).text), 'AccessDenied');
    const acl = await alice('GET', '/pub?acl');
    assert.equal(acl.status, 200);
    assert.match(acl.text, /<Owner><ID>alice<\/ID>/);
    assert.match(acl.text, new RegExp(`xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission>`));
    assert.match(acl.text, /xsi:type="CanonicalUser"><ID>alice<\/ID><DisplayName>alice<\/DisplayName><\/Grantee><Permission>FULL_CONTROL/);
    // Objects keep their own ACL: listing the bucket does not read them; a missing one is 404 to a lister.
    assert.equal((await alice('PUT', '/pub/hidden', 'h')).status, 200);
    assert.equal(xmlCode((await anon('GET', '/pub/hidden')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('GET', '/pub/none')).text), 'NoSuchKey');
    assert.equal(xmlCode((await anon('GET', '/priv/none')).text), 'AccessDenied');
  });

  it('PutObject public-read: anyone reads it; GetObjectAcl reports it; its ACL is not theirs to read', async () => {
    assert.equal((await alice('PUT', '/priv/open', 'open data', { 'x-amz-acl': 'public-read' })).status, 200);
    const got = await anon('GET', '/priv/open');
    assert.equal(got.status, 200);
    assert.equal(got.text, 'open data');
    assert.equal((await anon('HEAD', '/priv/open')).status, 200);
    assert.equal((await bob('GET', '/priv/open')).status, 200);
    assert.equal(xmlCode((await anon('GET', '/priv/open?acl')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('PUT', '/priv/open', 'overwrite')).text), 'AccessDenied');
    const acl = await alice('GET', '/priv/open?acl');
    assert.match(acl.text, new RegExp(`<URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission>`));
    // The default is still private.
    const priv = await alice('GET', '/priv/obj?acl');
    assert.doesNotMatch(priv.text, /Group/);
  });

  it('PutObjectAcl with a policy document: bob may read, then not once it is private again', async () => {
    assert.equal((await alice('PUT', '/priv/shared', 'for bob')).status, 200);
    assert.equal(xmlCode((await bob('GET', '/priv/shared')).text), 'AccessDenied');
    const before = await alice('HEAD', '/priv/shared');
    const put = await alice('PUT', '/priv/shared?acl', policy('alice', userGrant('alice', 'FULL_CONTROL') + userGrant('bob', 'READ')));
    assert.equal(put.status, 200, put.text);
    const got = await bob('GET', '/priv/shared');
    assert.equal(got.status, 200);
    assert.equal(got.text, 'for bob');
    assert.equal(xmlCode((await anon('GET', '/priv/shared')).text), 'AccessDenied');
    assert.match((await alice('GET', '/priv/shared?acl')).text, /<ID>bob<\/ID><DisplayName>bob<\/DisplayName><\/Grantee><Permission>READ</);
    // The bytes, ETag and Last-Modified are the object's own still.
    const head = await alice('HEAD', '/priv/shared');
    assert.equal(head.headers.etag, before.headers.etag);
    assert.equal(head.headers['last-modified'], before.headers['last-modified']);
    assert.equal((await alice('PUT', '/priv/shared?acl', undefined, { 'x-amz-acl': 'private' })).status, 200);
    assert.equal(xmlCode((await bob('GET', '/priv/shared')).text), 'AccessDenied');
    assert.equal((await alice('GET', '/priv/shared')).text, 'for bob');
  });

  it('grant headers: bob granted WRITE writes into alice\'s bucket and owns what he wrote', async () => {
    assert.equal((await alice('PUT', '/shared-bucket', undefined, { 'x-amz-grant-write': 'id="bob"', 'x-amz-grant-full-control': 'id="alice"' })).status, 200);
    assert.equal(xmlCode((await bob('GET', '/shared-bucket')).text), 'AccessDenied');
    assert.equal((await bob('PUT', '/shared-bucket/from-bob', 'b')).status, 200);
    assert.equal(xmlCode((await anon('PUT', '/shared-bucket/from-anon', 'a')).text), 'AccessDenied');
    const acl = await bob('GET', '/shared-bucket/from-bob?acl');
    assert.equal(acl.status, 200);
    assert.match(acl.text, /<Owner><ID>bob<\/ID>/);
    // The bucket's owner may read what others wrote into its bucket (deviation: bucket owner enforced).
    assert.equal((await alice('GET', '/shared-bucket/from-bob')).text, 'b');
    // Grants by URI; PutBucketAcl by headers replaces the whole ACL.
    assert.equal((await alice('PUT', '/shared-bucket?acl', undefined, { 'x-amz-grant-read': `uri="${ALL_USERS}"` })).status, 200);
    assert.equal((await anon('GET', '/shared-bucket')).status, 200);
    assert.equal(xmlCode((await bob('PUT', '/shared-bucket/again', 'b')).text), 'AccessDenied');
  });

  it('public-read-write: anyone writes and deletes objects, never the ACL', async () => {
    assert.equal((await alice('PUT', '/open-bucket', undefined, { 'x-amz-acl': 'public-read-write' })).status, 200);
    assert.equal((await anon('PUT', '/open-bucket/drop', 'anon data')).status, 200);
    assert.equal(xmlCode((await anon('GET', '/open-bucket/drop')).text), 'AccessDenied');
    assert.equal((await alice('GET', '/open-bucket/drop')).text, 'anon data');
    assert.equal((await anon('DELETE', '/open-bucket/drop')).status, 204);
    assert.equal(xmlCode((await anon('PUT', '/open-bucket?acl', undefined, { 'x-amz-acl': 'private' })).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('DELETE', '/open-bucket')).text), 'AccessDenied');
  });

  it('authenticated-read: any user of the store, not anonymous', async () => {
    assert.equal((await alice('PUT', '/priv/members', 'm', { 'x-amz-acl': 'authenticated-read' })).status, 200);
    assert.equal((await bob('GET', '/priv/members')).text, 'm');
    assert.equal(xmlCode((await anon('GET', '/priv/members')).text), 'AccessDenied');
  });

  it('CopyObject: the copy takes the request\'s ACL; the source must be readable by the requester', async () => {
    assert.equal((await alice('PUT', '/priv/copy', undefined, { 'x-amz-copy-source': '/priv/obj', 'x-amz-acl': 'public-read' })).status, 200);
    assert.equal((await anon('GET', '/priv/copy')).text, 'secret');
    assert.equal((await bob('PUT', '/bobs')).status, 200);
    assert.equal(xmlCode((await bob('PUT', '/bobs/stolen', undefined, { 'x-amz-copy-source': '/priv/obj' })).text), 'AccessDenied');
    assert.equal((await bob('PUT', '/bobs/copied', undefined, { 'x-amz-copy-source': '/priv/copy' })).status, 200);
    assert.equal((await bob('GET', '/bobs/copied')).text, 'secret');
  });

  it('CreateMultipartUpload: the ACL applies to the completed object; PutObjectAcl of it is NotImplemented', async () => {
    const init = await alice('POST', '/priv/mp?uploads', undefined, { 'x-amz-acl': 'public-read' });
    assert.equal(init.status, 200);
    const id = /<UploadId>([^<]+)</.exec(init.text)![1]!;
    const part = await alice('PUT', `/priv/mp?partNumber=1&uploadId=${id}`, 'multipart body');
    assert.equal(part.status, 200);
    assert.equal(xmlCode((await anon('GET', '/priv/mp')).text), 'AccessDenied');
    const done = await alice('POST', `/priv/mp?uploadId=${id}`,
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`);
    assert.equal(done.status, 200, done.text);
    assert.equal((await anon('GET', '/priv/mp')).text, 'multipart body');
    assert.equal(xmlCode((await alice('PUT', '/priv/mp?acl', undefined, { 'x-amz-acl': 'private' })).text), 'NotImplemented');
  });

  it('refuses what is malformed or unsupported, and changes nothing', async () => {
    const cases: Array<[Record<string, string>, string | undefined, string]> = [
      [{ 'x-amz-grant-read': 'id="nobody-here"' }, undefined, 'InvalidArgument'],
      [{ 'x-amz-grant-read': 'id="bob"', 'x-amz-acl': 'public-read' }, undefined, 'InvalidRequest'],
      [{ 'x-amz-grant-read': 'emailAddress="bob@example.com"' }, undefined, 'NotImplemented'],
      [{ 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/Nobody"' }, undefined, 'InvalidArgument'],
      [{ 'x-amz-grant-read': 'garbage' }, undefined, 'InvalidArgument'],
      [{ 'x-amz-acl': 'aws-exec-read' }, undefined, 'NotImplemented'],
      [{ 'x-amz-acl': 'public' }, undefined, 'InvalidArgument'],
      [{ 'x-amz-acl': 'public-read' }, policy('alice', userGrant('alice', 'FULL_CONTROL')), 'UnexpectedContent'],
      [{}, '<AccessControlPolicy><Owner><ID>alice</ID></Owner></AccessControlPolicy>', 'MalformedACLError'],
      [{}, policy('alice', userGrant('alice', 'EVERYTHING')), 'MalformedACLError'],
      [{}, policy('bob', userGrant('bob', 'FULL_CONTROL')), 'AccessDenied'],
      [{}, undefined, 'MissingSecurityHeader'],
    ];
    for (const [headers, body, code] of cases) {
      const res = await alice('PUT', '/priv?acl', body, headers);
      assert.equal(xmlCode(res.text), code, `${JSON.stringify(headers)} ${body ?? ''}: ${res.text}`);
    }
    assert.equal(xmlCode((await alice('PUT', '/priv/bad', 'x', { 'x-amz-acl': 'aws-exec-read' })).text), 'NotImplemented');
    assert.equal(xmlCode((await alice('GET', '/priv/bad')).text), 'NoSuchKey');
    assert.equal(xmlCode((await anon('GET', '/priv')).text), 'AccessDenied');
  });
});
