// Where a bucket's objects live on the nodes: the namespace of its current
// incarnation (gateway/src/buckets.ts), read from one node's bucket record.
// For tests that talk to nodes directly.

import { bucketNs } from '../../gateway/src/buckets.js';
import { decodeMeta } from '../../gateway/src/object-meta.js';
import type { ListPage } from '@powerstore/shared/node-api.js';
import { BUCKETS_NS } from '@powerstore/shared/protocol/register.js';

/** The list request that finds a bucket's record. */
export function bucketRecordQuery(bucket: string): { ns: string; prefix: string; after: null; skipPrefix: false; limit: number } {
  return { ns: BUCKETS_NS, prefix: bucket, after: null, skipPrefix: false, limit: 1 };
}

/** The namespace named by a node's answer to bucketRecordQuery. */
export function bucketNamespaceIn(page: ListPage, bucket: string): string {
  const entry = page.entries.find((e) => e.key === bucket);
  if (!entry?.meta) throw new Error(`the node holds no record of bucket ${bucket}`);
  return bucketNs(bucket, decodeMeta(entry.meta).bucket?.id);
}
