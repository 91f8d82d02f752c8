// Per-key permissions: every S3 operation against each access level, and
// the bucket list. The expected classes are written out here by hand (not
// taken from key-scope.ts), so a mis-classed operation fails.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OPERATIONS, type Endpoint } from '../endpoints.js';
import { mayDelete, mustNotOverwrite, parseKeyScope, scopeAllows, type KeyAccess, type KeyScope } from './key-scope.js';

const READS = [
  'ListBuckets', 'HeadBucket', 'GetBucketLocation', 'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads',
  'GetBucketVersioning', 'GetBucketAcl', 'GetBucketCors', 'GetBucketTagging', 'GetBucketPolicy', 'GetBucketPolicyStatus',
  'GetBucketLifecycleConfiguration', 'GetBucketEncryption', 'GetBucketWebsite', 'GetBucketReplication', 'GetBucketOwnershipControls',
  'GetPublicAccessBlock', 'GetObjectLockConfiguration', 'GetBucketLogging', 'GetBucketNotificationConfiguration',
  'GetBucketRequestPayment', 'GetBucketAccelerateConfiguration', 'GetObject', 'HeadObject', 'ListParts', 'GetObjectAcl',
  'GetObjectAttributes', 'GetObjectTagging', 'OptionsObject', 'Unsupported',
];
const CREATES = [
  'CreateBucket', 'PutObject', 'CopyObject', 'PostObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy',
  'CompleteMultipartUpload', 'AbortMultipartUpload',
];
const DELETES = ['DeleteObject', 'DeleteBucket'];
const CONFIGS = [
  'PutBucketVersioning', 'PutBucketAcl', 'PutObjectAcl', 'PutBucketCors', 'DeleteBucketCors', 'PutBucketTagging',
  'DeleteBucketTagging', 'PutBucketPolicy', 'DeleteBucketPolicy', 'PutObjectTagging', 'DeleteObjectTagging',
];

const query = { params: new Map<string, string>() };
function endpoint(op: string, bucket = 'backups'): Endpoint {
  if (op === 'ListBuckets') return { op, query };
  if (op === 'Unsupported') return { op, name: 'GetBucketLifecycle', bucket };
  return { op, bucket, key: 'k', query } as Endpoint;
}

const EXPECTED: Record<KeyAccess, (op: string) => boolean> = {
  'read-write': () => true,
  'read-only': (op) => READS.includes(op),
  'append-only': (op) => READS.includes(op) || CREATES.includes(op) || op === 'DeleteObjects',
};

describe('per-key permissions', () => {
  it('the lists here name every operation once', () => {
    const all = [...READS, ...CREATES, ...DELETES, ...CONFIGS, 'DeleteObjects'].sort();
    assert.deepEqual(all, [...Object.keys(OPERATIONS), 'Unsupported'].sort());
  });

  for (const access of ['read-write', 'read-only', 'append-only'] as const) {
    it(`${access}: each operation is allowed or refused as its class says`, () => {
      for (const op of [...Object.keys(OPERATIONS), 'Unsupported']) {
        assert.equal(scopeAllows({ access }, endpoint(op)), EXPECTED[access](op), `${access} ${op}`);
      }
    });
  }

  it('no scope, or no access field, is read-write', () => {
    for (const op of Object.keys(OPERATIONS)) {
      assert.equal(scopeAllows(undefined, endpoint(op)), true, op);
      assert.equal(scopeAllows({}, endpoint(op)), true, op);
    }
    assert.equal(mayDelete(undefined), true);
    assert.equal(mustNotOverwrite(undefined), false);
  });

  it('deletes inside DeleteObjects: only read-write may; only append-only refuses overwrites', () => {
    assert.deepEqual((['read-write', 'read-only', 'append-only'] as const).map((access) => mayDelete({ access })), [true, false, false]);
    assert.deepEqual((['read-write', 'read-only', 'append-only'] as const).map((access) => mustNotOverwrite({ access })), [false, false, true]);
  });

  it('a bucket list keeps every operation (CreateBucket too) to those buckets, whatever the access', () => {
    const scope: KeyScope = { buckets: ['backups', 'photos'] };
    for (const op of [...Object.keys(OPERATIONS), 'Unsupported'].filter((o) => o !== 'ListBuckets')) {
      assert.equal(scopeAllows(scope, endpoint(op, 'backups')), true, `${op} on a listed bucket`);
      assert.equal(scopeAllows(scope, endpoint(op, 'other')), false, `${op} on another bucket`);
      assert.equal(scopeAllows({ ...scope, access: 'read-only' }, endpoint(op, 'other')), false, `read-only ${op} on another bucket`);
    }
    // ListBuckets names no bucket: allowed, and filtered by its handler.
    assert.equal(scopeAllows(scope, endpoint('ListBuckets')), true);
    assert.equal(scopeAllows({ buckets: [] }, endpoint('GetObject', 'backups')), false);
  });

  it('checks the scope fields of a credential entry', () => {
    assert.deepEqual(parseKeyScope({}, 'entry 0'), {});
    assert.deepEqual(parseKeyScope({ access: 'append-only', buckets: ['bk1', 'b-2'] }, 'entry 0'), { access: 'append-only', buckets: ['bk1', 'b-2'] });
    assert.match(parseKeyScope({ access: 'write-only' }, 'entry 3') as string, /^entry 3: "access" must be one of read-only, append-only, read-write \(got "write-only"\)$/);
    assert.match(parseKeyScope({ buckets: 'bk1' }, 'entry 0') as string, /"buckets" must be an array/);
    assert.match(parseKeyScope({ buckets: ['ok-name', 'Bad_Name'] }, 'entry 0') as string, /"Bad_Name", which is not a valid bucket name/);
    assert.match(parseKeyScope({ buckets: [7] }, 'entry 0') as string, /holds 7, which is not a valid bucket name/);
  });
});
