// ListBuckets (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html),
// with the optional prefix, max-buckets and continuation-token paging.

import { xmlResponse, type S3Context, type S3Request, type S3Response } from './context.js';
import { S3Error } from './errors.js';
import { scopeHasBucket } from './access/key-scope.js';
import type { Query } from './endpoints.js';
import { xmlDoc, type XmlNode } from './xml.js';

export async function listBuckets(s3: S3Context, r: S3Request<{ op: 'ListBuckets'; query: Query }>): Promise<S3Response> {
  const q = r.endpoint.query.params;
  const prefix = q.get('prefix') ?? '';
  const maxRaw = q.get('max-buckets');
  const max = maxRaw === undefined ? 10000 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 10000) throw new S3Error('InvalidArgument', 'max-buckets must be an integer from 1 to 10000', { ArgumentName: 'max-buckets' });
  const token = q.get('continuation-token');
  const after = token === undefined ? null : Buffer.from(token, 'base64url').toString('utf8');
  // Each user sees the buckets they own; a key with a bucket list (key-scope.ts), only those of them.
  const all = (await s3.buckets.list(r.signal)).filter((b) => b.owner === r.principal.user && scopeHasBucket(r.principal.scope, b.name)
    && b.name.startsWith(prefix) && (after === null || b.name > after));
  const page = all.slice(0, max);
  const owner: XmlNode = ['Owner', [['ID', r.principal.user], ['DisplayName', r.principal.user]]];
  const buckets: XmlNode = ['Buckets', page.map((b): XmlNode => ['Bucket', [
    ['Name', b.name],
    ['CreationDate', new Date(b.created).toISOString()],
    ['BucketRegion', b.region],
  ]])];
  const more = all.length > page.length;
  return xmlResponse(xmlDoc('ListAllMyBucketsResult', [
    owner,
    buckets,
    more && ['ContinuationToken', Buffer.from(page[page.length - 1]!.name).toString('base64url')],
    prefix !== '' && ['Prefix', prefix],
  ]));
}
