// The authorization decision, table-driven: each row is a requester, a
// need, the ACLs in force and the expected answer.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { cannedAcl, privateAcl, type Acl, type Permission } from './acl-model.js';
import { allowed, needOf, type AccessFacts, type Need, type Requester } from './authorize.js';
import type { Endpoint } from '../endpoints.js';

const OWNER = 'alice';
const bucketFacts = (acl: Acl, object?: { owner: string; acl: Acl }): AccessFacts => ({
  bucketOwner: OWNER, bucketAcl: acl, ...(object ? { object } : {}),
});
const B = (permission: Permission): Need => ({ on: 'bucket', permission });
const O = (permission: Permission): Need => ({ on: 'object', permission });

type Row = readonly [string, Requester, Need, AccessFacts | undefined, boolean];

const rows: Row[] = [
  // The bucket's owner may do everything on its bucket and in it.
  ['owner lists a private bucket', OWNER, B('READ'), bucketFacts(privateAcl(OWNER)), true],
  ['owner configures its bucket', OWNER, { on: 'bucket-owner' }, bucketFacts(privateAcl(OWNER)), true],
  ['owner reads an object another user wrote, private', OWNER, O('READ'), bucketFacts(privateAcl(OWNER), { owner: 'bob', acl: privateAcl('bob') }), true],
  // Anonymous: exactly what AllUsers grants.
  ['anonymous lists a private bucket', null, B('READ'), bucketFacts(privateAcl(OWNER)), false],
  ['anonymous lists a public-read bucket', null, B('READ'), bucketFacts(cannedAcl('public-read', OWNER)), true],
  ['anonymous writes into a public-read bucket', null, B('WRITE'), bucketFacts(cannedAcl('public-read', OWNER)), false],
  ['anonymous writes into a public-read-write bucket', null, B('WRITE'), bucketFacts(cannedAcl('public-read-write', OWNER)), true],
  ['anonymous reads a public-read-write bucket\'s ACL', null, B('READ_ACP'), bucketFacts(cannedAcl('public-read-write', OWNER)), false],
  ['anonymous configures a public-read-write bucket', null, { on: 'bucket-owner' }, bucketFacts(cannedAcl('public-read-write', OWNER)), false],
  ['anonymous lists an authenticated-read bucket', null, B('READ'), bucketFacts(cannedAcl('authenticated-read', OWNER)), false],
  ['anonymous reads a public-read object', null, O('READ'), bucketFacts(privateAcl(OWNER), { owner: OWNER, acl: cannedAcl('public-read', OWNER) }), true],
  ['anonymous reads a private object in a public-read bucket', null, O('READ'), bucketFacts(cannedAcl('public-read', OWNER), { owner: OWNER, acl: privateAcl(OWNER) }), false],
  ['anonymous reads a public-read object\'s ACL', null, O('READ_ACP'), bucketFacts(privateAcl(OWNER), { owner: OWNER, acl: cannedAcl('public-read', OWNER) }), false],
  ['anonymous reads an object with AllUsers FULL_CONTROL', null, O('READ'), bucketFacts(privateAcl(OWNER), { owner: OWNER, acl: [{ group: 'AllUsers', permission: 'FULL_CONTROL' }] }), true],
  ['anonymous: a missing object in a listable bucket (404)', null, O('READ'), bucketFacts(cannedAcl('public-read', OWNER)), true],
  ['anonymous: a missing object in a private bucket (403)', null, O('READ'), bucketFacts(privateAcl(OWNER)), false],
  ['anonymous lists buckets', null, { on: 'authenticated' }, undefined, false],
  ['anonymous without facts (no bucket)', null, B('READ'), undefined, false],
  // Other users: what their id, AuthenticatedUsers or AllUsers grants.
  ['user lists an authenticated-read bucket', 'bob', B('READ'), bucketFacts(cannedAcl('authenticated-read', OWNER)), true],
  ['user lists a public-read bucket', 'bob', B('READ'), bucketFacts(cannedAcl('public-read', OWNER)), true],
  ['user lists a private bucket', 'bob', B('READ'), bucketFacts(privateAcl(OWNER)), false],
  ['user granted WRITE by id writes', 'bob', B('WRITE'), bucketFacts([...privateAcl(OWNER), { id: 'bob', permission: 'WRITE' }]), true],
  ['another user not granted WRITE by id', 'carol', B('WRITE'), bucketFacts([...privateAcl(OWNER), { id: 'bob', permission: 'WRITE' }]), false],
  ['user granted WRITE_ACP changes the ACL', 'bob', B('WRITE_ACP'), bucketFacts([{ id: 'bob', permission: 'WRITE_ACP' }]), true],
  ['user granted WRITE_ACP cannot read', 'bob', B('READ'), bucketFacts([{ id: 'bob', permission: 'WRITE_ACP' }]), false],
  ['user granted FULL_CONTROL reads the ACL', 'bob', B('READ_ACP'), bucketFacts([{ id: 'bob', permission: 'FULL_CONTROL' }]), true],
  ['user with FULL_CONTROL is still not the owner', 'bob', { on: 'bucket-owner' }, bucketFacts([{ id: 'bob', permission: 'FULL_CONTROL' }]), false],
  ['object writer owns its object', 'bob', O('WRITE_ACP'), bucketFacts(privateAcl(OWNER), { owner: 'bob', acl: [] }), true],
  ['bucket READ does not read objects', 'bob', O('READ'), bucketFacts(cannedAcl('public-read', OWNER), { owner: OWNER, acl: privateAcl(OWNER) }), false],
  ['bucket-owner-read grants the bucket owner', OWNER, O('READ'), bucketFacts(privateAcl(OWNER), { owner: 'bob', acl: cannedAcl('bucket-owner-read', 'bob', OWNER) }), true],
  ['authenticated-read object, user', 'carol', O('READ'), bucketFacts(privateAcl(OWNER), { owner: OWNER, acl: cannedAcl('authenticated-read', OWNER) }), true],
  ['authenticated-read object, anonymous', null, O('READ'), bucketFacts(privateAcl(OWNER), { owner: OWNER, acl: cannedAcl('authenticated-read', OWNER) }), false],
  ['any user lists its buckets', 'carol', { on: 'authenticated' }, undefined, true],
  ['the form authorizes itself', null, { on: 'form' }, undefined, true],
  // The empty user name never matches a grant by id (anonymous is null, never '').
  ['anonymous never matches an id grant', null, B('READ'), bucketFacts([{ id: '', permission: 'READ' }]), false],
];

describe('authorize: the decision table', () => {
  for (const [name, requester, need, facts, want] of rows) {
    it(name, () => assert.equal(allowed(requester, need, facts), want));
  }
});

describe('authorize: what each operation needs', () => {
  const q = { params: new Map<string, string>() };
  const cases: ReadonlyArray<readonly [Endpoint, Need]> = [
    [{ op: 'ListBuckets', query: q }, { on: 'authenticated' }],
    [{ op: 'CreateBucket', bucket: 'b', query: q }, { on: 'authenticated' }],
    [{ op: 'PostObject', bucket: 'b', query: q }, { on: 'form' }],
    [{ op: 'ListObjectsV2', bucket: 'b', query: q }, B('READ')],
    [{ op: 'HeadBucket', bucket: 'b', query: q }, B('READ')],
    [{ op: 'DeleteObjects', bucket: 'b', query: q }, B('WRITE')],
    [{ op: 'PutObject', bucket: 'b', key: 'k', query: q }, B('WRITE')],
    [{ op: 'CopyObject', bucket: 'b', key: 'k', query: q }, B('WRITE')],
    [{ op: 'CompleteMultipartUpload', bucket: 'b', key: 'k', query: q }, B('WRITE')],
    [{ op: 'GetBucketAcl', bucket: 'b', query: q }, B('READ_ACP')],
    [{ op: 'PutBucketAcl', bucket: 'b', query: q }, B('WRITE_ACP')],
    [{ op: 'GetObject', bucket: 'b', key: 'k', query: q }, O('READ')],
    [{ op: 'HeadObject', bucket: 'b', key: 'k', query: q }, O('READ')],
    [{ op: 'GetObjectAcl', bucket: 'b', key: 'k', query: q }, O('READ_ACP')],
    [{ op: 'PutObjectAcl', bucket: 'b', key: 'k', query: q }, O('WRITE_ACP')],
    [{ op: 'DeleteBucket', bucket: 'b', query: q }, { on: 'bucket-owner' }],
    [{ op: 'GetBucketLocation', bucket: 'b', query: q }, { on: 'bucket-owner' }],
    [{ op: 'GetBucketPolicy', bucket: 'b', query: q }, { on: 'bucket-owner' }],
    [{ op: 'GetObjectTagging', bucket: 'b', key: 'k', query: q }, { on: 'bucket-owner' }],
    [{ op: 'Unsupported', name: 'PUT bucket ?lifecycle', bucket: 'b' }, { on: 'authenticated' }],
  ];
  for (const [e, need] of cases) {
    it(`${e.op === 'Unsupported' ? e.name : e.op} needs ${JSON.stringify(need)}`, () => assert.deepEqual(needOf(e), need));
  }
});
